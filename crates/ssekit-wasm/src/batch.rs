//! A chunk's parsed items packed for JavaScript: one string holding every
//! text field and a `Uint32Array` of records, so that one call crosses the
//! wasm boundary per chunk instead of several per event. batch.js (for
//! `SseParser`) and eventsource.js (for `EventSource`) unpack it.

use core::fmt::Write;

use ssekit::{Dispatcher, Item, ParseError};

/// Record kinds, as batch.js and eventsource.js read them:
///   EVENT type_len data_len last_event_id_len id_len (NO_ID: no id)
///   COMMENT len, RETRY digits_len, ERROR message_len
/// (lengths in UTF-16 code units of the text).
const EVENT: u32 = 0;
const COMMENT: u32 = 1;
const RETRY: u32 = 2;
const ERROR: u32 = 3;
const NO_ID: u32 = u32::MAX;

/// Appends one item to the batch.
pub(crate) fn pack(
    item: Result<Item<'_>, ParseError>,
    dispatcher: &mut Dispatcher,
    text: &mut String,
    records: &mut Vec<u32>,
) {
    let push = |field: &str, text: &mut String| -> u32 {
        text.push_str(field);
        utf16_len(field)
    };
    match item {
        Err(error) => {
            let message = format!("{error}");
            let len = push(&message, text);
            records.extend_from_slice(&[ERROR, len]);
        }
        Ok(Item::Comment(comment)) => {
            let len = push(comment, text);
            records.extend_from_slice(&[COMMENT, len]);
        }
        Ok(Item::Retry(ms)) => {
            dispatcher.dispatch(Item::Retry(ms));
            let start = text.len();
            // Writing into a String cannot fail.
            let _ = write!(text, "{ms}");
            let len = (text.len() - start) as u32;
            records.extend_from_slice(&[RETRY, len]);
        }
        Ok(item) => {
            let own_id = match item {
                Item::Event(event) => event.id,
                _ => None,
            };
            if let Some(message) = dispatcher.dispatch(item) {
                let type_len = push(message.event_type, text);
                let data_len = push(message.data, text);
                let id_len = push(message.last_event_id, text);
                let own_len = own_id.map_or(NO_ID, |id| push(id, text));
                records.extend_from_slice(&[EVENT, type_len, data_len, id_len, own_len]);
            }
        }
    }
}

/// Length in UTF-16 code units, which is how JavaScript slices strings.
fn utf16_len(text: &str) -> u32 {
    let units = if text.is_ascii() {
        text.len()
    } else {
        text.chars().map(char::len_utf16).sum()
    };
    units as u32
}
