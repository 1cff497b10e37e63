//! A deliberately naive reference parser, written straight from the spec's
//! prose (HTML Standard 9.2.6, "Interpreting an event stream" and "dispatch
//! the event") on the whole stream at once: decode, split into lines,
//! interpret. It shares no code with ssekit, not even a type; the tests
//! check that ssekit's streaming parser and dispatcher, under any chunking,
//! agree with it.
//!
//! It has no size limit (ssekit's limit is ssekit's own extension, not the
//! spec's): compare it with ssekit on streams whose events fit ssekit's
//! limit.

use crate::record::{Item, Observation, Seen};

/// What a parser should report for `stream`: blocks with data, blocks that
/// only set an `id`, comments and `retry` values, in stream order.
pub fn parse(stream: &[u8]) -> Vec<Item> {
    interpret(stream).0
}

/// What an `EventSource` reading `stream` should dispatch (plus comments and
/// `retry` values, which ssekit reports too), and its last event ID and
/// reconnection time afterwards.
pub fn observe(stream: &[u8]) -> Observation {
    interpret(stream).1
}

/// The stream's complete lines, decoded.
fn lines(stream: &[u8]) -> Vec<String> {
    // "Streams must be decoded using the UTF-8 decode algorithm": one leading
    // BOM is stripped, invalid bytes become U+FFFD.
    let text = String::from_utf8_lossy(stream.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(stream))
        .into_owned();

    // Split into lines at CRLF, CR or LF. Text after the last line ending is
    // an incomplete line: "once the end of the file is reached, any pending
    // data must be discarded".
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut current));
            }
            '\n' => lines.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    lines
}

/// [`parse`] and [`observe`] at once.
pub(crate) fn interpret(stream: &[u8]) -> (Vec<Item>, Observation) {
    let mut items = Vec::new();
    let mut observation = Observation::default();
    // The spec's buffers. The last event ID buffer is never reset: a block
    // without `id` dispatches the previous one again.
    let mut data = String::new();
    let mut event_type = String::new();
    let mut last_event_id_buffer = String::new();
    // The `id` this block set, for the parser's report (`Item::Block`'s
    // `id`, `Item::Id`); the spec itself needs only the buffer.
    let mut block_id: Option<String> = None;
    for line in lines(stream) {
        // "If the line is empty (a blank line): Dispatch the event".
        if line.is_empty() {
            // "Set the last event ID string of the event source to the value
            // of the last event ID buffer."
            observation.last_event_id = last_event_id_buffer.clone();
            // "If the data buffer is an empty string, set the data buffer and
            // the event type buffer to the empty string and return."
            if data.is_empty() {
                if let Some(id) = block_id.take() {
                    items.push(Item::Id(id));
                }
                event_type.clear();
                continue;
            }
            // "If the data buffer's last character is a U+000A LINE FEED (LF)
            // character, then remove the last character from the data
            // buffer."
            if data.ends_with('\n') {
                data.pop();
            }
            // "Initialize event's type attribute to "message", its data
            // attribute to data, ..., and its lastEventId attribute to the
            // last event ID string of the event source." "If the event type
            // buffer has a value other than the empty string, change the
            // type of the newly created event to equal the value of the
            // event type buffer."
            observation.seen.push(Seen::Message {
                event_type: if event_type.is_empty() {
                    "message".into()
                } else {
                    event_type.clone()
                },
                data: data.clone(),
                last_event_id: observation.last_event_id.clone(),
            });
            // "Set the data buffer and the event type buffer to the empty
            // string."
            items.push(Item::Block {
                event_type: std::mem::take(&mut event_type),
                data: std::mem::take(&mut data),
                id: block_id.take(),
            });
            continue;
        }
        // "If the line starts with a U+003A COLON character (:): Ignore the
        // line." (ssekit reports it, less one leading space, as it does
        // for values.)
        if let Some(text) = line.strip_prefix(':') {
            let text = text.strip_prefix(' ').unwrap_or(text).to_string();
            items.push(Item::Comment(text.clone()));
            observation.seen.push(Seen::Comment(text));
            continue;
        }
        // "If the line contains a U+003A COLON character": the field name is
        // before the first one, the value after it less one leading space.
        // "Otherwise": the whole line is the name, the value is empty.
        let (name, value) = match line.find(':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line.as_str(), ""),
        };
        match name {
            "event" => event_type = value.to_string(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            // "If the field value does not contain U+0000 NULL, then set
            // the last event ID buffer to the field value. Otherwise,
            // ignore the field."
            "id" if !value.contains('\0') => {
                last_event_id_buffer = value.to_string();
                block_id = Some(value.to_string());
            }
            // "If the field value consists of only ASCII digits, then
            // interpret the field value as an integer in base ten, and set
            // the event stream's reconnection time to that integer."
            // (Values past u64 saturate, as ssekit documents.)
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let ms = value.parse().unwrap_or(u64::MAX);
                items.push(Item::Retry(ms));
                observation.seen.push(Seen::Retry(ms));
                observation.reconnection_time = Some(ms);
            }
            // "Otherwise: The field is ignored."
            _ => {}
        }
    }
    // "Once the end of the file is reached, any pending data must be
    // discarded. (If the file ends in the middle of an event, before the
    // final empty line, the incomplete event is not dispatched.)"
    (items, observation)
}
