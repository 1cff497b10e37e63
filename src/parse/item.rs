//! What the parser reports.

use alloc::string::{String, ToString};

/// One thing the parser found in the stream, in stream order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// A block of fields ended by a blank line, with data: a browser would
    /// dispatch it (as a [`Message`](crate::Message), once the
    /// [`Dispatcher`](crate::Dispatcher) applied its rules).
    Block(Block<'a>),
    /// A block ended by a blank line that set `id` but had no data. Browsers
    /// fire nothing for it but still update their last event ID (D1).
    Id(&'a str),
    /// A comment line (`:` first), with one leading space removed. Browsers
    /// ignore comments; servers send them as heartbeats.
    Comment(&'a str),
    /// A valid `retry` field: the new reconnection time in milliseconds. It
    /// takes effect when seen, not at the end of its block (P11). Values too
    /// large for a `u64` saturate.
    Retry(u64),
}

/// The fields of one block (the lines up to a blank line) that has data,
/// borrowed from the parser: what a server sent as one
/// [`Event`](crate::Event), before the browser's dispatch rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block<'a> {
    /// The `event` field, or `""` when the block had none. (Browsers use
    /// `message` for `""`; see [`Dispatcher`](crate::Dispatcher).)
    pub event_type: &'a str,
    /// The `data` lines joined with LF.
    pub data: &'a str,
    /// The `id` set in this block, if any. Browsers keep the last one across
    /// blocks; see [`Dispatcher`](crate::Dispatcher).
    pub id: Option<&'a str>,
}

/// An [`Item`] that owns its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedItem {
    /// See [`Item::Block`].
    Block {
        /// See [`Block::event_type`].
        event_type: String,
        /// See [`Block::data`].
        data: String,
        /// See [`Block::id`].
        id: Option<String>,
    },
    /// See [`Item::Id`].
    Id(String),
    /// See [`Item::Comment`].
    Comment(String),
    /// See [`Item::Retry`].
    Retry(u64),
}

impl Item<'_> {
    /// Copies the borrowed text out.
    pub fn into_owned(self) -> OwnedItem {
        match self {
            Item::Block(event) => OwnedItem::Block {
                event_type: event.event_type.to_string(),
                data: event.data.to_string(),
                id: event.id.map(ToString::to_string),
            },
            Item::Id(id) => OwnedItem::Id(id.to_string()),
            Item::Comment(text) => OwnedItem::Comment(text.to_string()),
            Item::Retry(ms) => OwnedItem::Retry(ms),
        }
    }
}

impl OwnedItem {
    /// Borrows the text again, to pass it to the dispatcher.
    #[cfg(feature = "stream")]
    pub(crate) fn as_item(&self) -> Item<'_> {
        match self {
            OwnedItem::Block {
                event_type,
                data,
                id,
            } => Item::Block(Block {
                event_type,
                data,
                id: id.as_deref(),
            }),
            OwnedItem::Id(id) => Item::Id(id),
            OwnedItem::Comment(text) => Item::Comment(text),
            OwnedItem::Retry(ms) => Item::Retry(*ms),
        }
    }
}
