//! The browser's side of "dispatch the event" (9.2.6): state that outlives one
//! block of fields and one connection.

use alloc::string::{String, ToString};

use crate::parse::Item;
#[cfg(feature = "stream")]
use crate::parse::OwnedItem;

/// The event type browsers use when a block has no (or an empty) `event`
/// field (D4).
pub const DEFAULT_EVENT_TYPE: &str = "message";

/// What an `EventSource` keeps between events and between connections: the
/// last event ID (sent as `Last-Event-ID` on reconnect) and the reconnection
/// time. It turns raw parser [`Item`]s into the [`Message`]s a browser would
/// dispatch. A whole connection (readyState, reconnects, `close()`) is a
/// [`Connection`](crate::connection::Connection), which embeds one.
///
/// ```
/// use ssekit::{Dispatcher, Parser};
///
/// let mut parser = Parser::new();
/// let mut dispatcher = Dispatcher::new();
/// let mut messages = Vec::new();
/// parser.feed(b"id: 7\ndata: a\n\ndata: b\n\nevent: ping\nretry: 500\ndata\n\n", |item| {
///     if let Some(m) = dispatcher.dispatch(item.unwrap()) {
///         messages.push((m.event_type.to_owned(), m.data.to_owned(), m.last_event_id.to_owned()));
///     }
/// });
/// assert_eq!(messages, [
///     ("message".into(), "a".into(), "7".into()),
///     ("message".into(), "b".into(), "7".into()), // no id: the last one carries over
///     ("ping".into(), "".into(), "7".into()),
/// ]);
/// assert_eq!(dispatcher.reconnection_time(), Some(500));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Dispatcher {
    last_event_id: String,
    reconnection_time: Option<u64>,
}

/// An event as a browser's `EventSource` dispatches it (a `MessageEvent`,
/// less the `origin`, which belongs to the connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// The `event` field, or [`DEFAULT_EVENT_TYPE`].
    pub event_type: &'a str,
    /// The event's data.
    pub data: &'a str,
    /// The persisted last event ID at the time of this event.
    pub last_event_id: &'a str,
    /// The `id` field of this very event, if it had one (then it is also
    /// the last event ID).
    pub id: Option<&'a str>,
}

/// A [`Message`] that owns its text, e.g. to keep it past the parser's next
/// chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedMessage {
    /// See [`Message::event_type`].
    pub event_type: String,
    /// See [`Message::data`].
    pub data: String,
    /// See [`Message::last_event_id`].
    pub last_event_id: String,
    /// See [`Message::id`].
    pub id: Option<String>,
}

impl Message<'_> {
    /// Copies the borrowed text out.
    pub fn into_owned(self) -> OwnedMessage {
        OwnedMessage {
            event_type: self.event_type.to_string(),
            data: self.data.to_string(),
            last_event_id: self.last_event_id.to_string(),
            id: self.id.map(ToString::to_string),
        }
    }
}

impl OwnedMessage {
    /// Borrows the text again.
    pub fn as_message(&self) -> Message<'_> {
        Message {
            event_type: &self.event_type,
            data: &self.data,
            last_event_id: &self.last_event_id,
            id: self.id.as_deref(),
        }
    }
}

impl Dispatcher {
    /// A dispatcher with an empty last event ID and no reconnection time
    /// from the server yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A dispatcher that resumes after `last_event_id`, e.g. one a previous
    /// session stored.
    pub fn with_last_event_id(last_event_id: impl Into<String>) -> Self {
        Dispatcher {
            last_event_id: last_event_id.into(),
            ..Self::default()
        }
    }

    /// The last event ID string: what a reconnect sends as `Last-Event-ID`
    /// (when not empty).
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection time the server last asked for with `retry`, in
    /// milliseconds.
    pub fn reconnection_time(&self) -> Option<u64> {
        self.reconnection_time
    }

    /// Applies one parser item; returns the message to dispatch, if any.
    pub fn dispatch<'a>(&'a mut self, item: Item<'a>) -> Option<Message<'a>> {
        match item {
            Item::Block(event) => {
                // D1: the id buffer becomes the last event ID at every
                // dispatch; a block without `id` leaves it as it was.
                if let Some(id) = event.id {
                    self.set_last_event_id(id);
                }
                Some(Message {
                    // D4: "Initialize event's type attribute to "message"",
                    // replaced by the event type buffer when not empty.
                    event_type: if event.event_type.is_empty() {
                        DEFAULT_EVENT_TYPE
                    } else {
                        event.event_type
                    },
                    data: event.data,
                    last_event_id: &self.last_event_id,
                    id: event.id.map(|_| self.last_event_id.as_str()),
                })
            }
            Item::Id(id) => {
                // D1 for a block without data: the ID updates, nothing fires.
                self.set_last_event_id(id);
                None
            }
            Item::Retry(ms) => {
                self.set_reconnection_time(ms);
                None
            }
            Item::Comment(_) => None,
        }
    }

    /// [`dispatch`](Dispatcher::dispatch) for an owned item, with the same
    /// rules: the block's strings are moved into the message, not copied.
    #[cfg(feature = "stream")]
    pub(crate) fn dispatch_owned(&mut self, item: OwnedItem) -> Option<OwnedMessage> {
        let OwnedItem::Block {
            event_type,
            data,
            id,
        } = item
        else {
            // No message from these; the rules for them are `dispatch`'s.
            self.dispatch(item.as_item());
            return None;
        };
        // D1, as in `dispatch`: a block's id becomes the last event ID.
        let last_event_id = match &id {
            Some(id) => {
                self.set_last_event_id(id);
                id.clone()
            }
            None => self.last_event_id.clone(),
        };
        Some(OwnedMessage {
            // D4, as in `dispatch`.
            event_type: if event_type.is_empty() {
                DEFAULT_EVENT_TYPE.to_string()
            } else {
                event_type
            },
            data,
            last_event_id,
            id,
        })
    }

    pub(crate) fn set_last_event_id(&mut self, id: &str) {
        self.last_event_id.clear();
        self.last_event_id.push_str(id);
    }

    pub(crate) fn set_reconnection_time(&mut self, ms: u64) {
        self.reconnection_time = Some(ms);
    }
}
