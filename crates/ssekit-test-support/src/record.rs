//! The records the tests compare: what a parser reported ([`Item`]) and what
//! an application sees ([`Seen`], [`Observation`]). They are this crate's
//! own, so that no `ssekit` type crosses its API (see the crate's
//! documentation).

/// One thing a parser reported, in stream order: an `ssekit::OwnedItem`, or
/// an `EventTooLarge` error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A block ended by a blank line, with data.
    Block {
        /// The `event` field, or `""` when the block had none.
        event_type: String,
        /// The `data` lines joined with LF.
        data: String,
        /// The `id` set in this block, if any.
        id: Option<String>,
    },
    /// A block ended by a blank line that set `id` but had no data.
    Id(String),
    /// A comment line, less one leading space.
    Comment(String),
    /// A valid `retry` field, in milliseconds.
    Retry(u64),
    /// An event over the parser's size limit, dropped. The reference parser
    /// has no limit and never reports this.
    TooLarge,
}

/// One thing an application sees, in stream order: the messages an
/// `EventSource` dispatches, plus the comments, `retry` values and errors
/// that ssekit reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// A dispatched message.
    Message {
        /// Its type: the `event` field, or `message`.
        event_type: String,
        /// Its data.
        data: String,
        /// The source's last event ID when it was dispatched.
        last_event_id: String,
    },
    /// A valid `retry` field, in milliseconds.
    Retry(u64),
    /// A comment line, less one leading space.
    Comment(String),
    /// An event over the parser's size limit, dropped.
    TooLarge,
    /// The end of a body (`finish`), and whether it cut an event short.
    Finish(bool),
}

/// A [`Seen::Message`].
pub fn msg(event_type: &str, data: &str, last_event_id: &str) -> Seen {
    Seen::Message {
        event_type: event_type.into(),
        data: data.into(),
        last_event_id: last_event_id.into(),
    }
}

/// A [`Seen::Comment`].
pub fn comment(text: &str) -> Seen {
    Seen::Comment(text.into())
}

/// All that one stream showed an application, and the state it left the
/// source in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    /// What was seen, in stream order.
    pub seen: Vec<Seen>,
    /// The last event ID once the stream ended: what a reconnect sends.
    pub last_event_id: String,
    /// The reconnection time the stream last set with `retry`, if any.
    pub reconnection_time: Option<u64>,
}
