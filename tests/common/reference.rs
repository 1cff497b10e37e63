//! A deliberately naive reference parser, written straight from the spec's
//! prose on the whole stream at once: decode, split into lines, interpret.
//! It shares no code with `ssekit::Parser`; the oracle tests check that the
//! streaming parser, under any chunking, agrees with it.

use ssekit::OwnedItem;

pub fn parse_whole(stream: &[u8]) -> Vec<OwnedItem> {
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

    let mut out = Vec::new();
    let mut data = String::new();
    let mut event_type = String::new();
    let mut id: Option<String> = None;
    for line in lines {
        if line.is_empty() {
            if data.is_empty() {
                if let Some(id) = id.take() {
                    out.push(OwnedItem::Id(id));
                }
            } else {
                data.pop();
                out.push(OwnedItem::Block {
                    event_type: std::mem::take(&mut event_type),
                    data: std::mem::take(&mut data),
                    id: id.take(),
                });
            }
            data.clear();
            event_type.clear();
            id = None;
            continue;
        }
        if let Some(text) = line.strip_prefix(':') {
            out.push(OwnedItem::Comment(
                text.strip_prefix(' ').unwrap_or(text).to_string(),
            ));
            continue;
        }
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
            "id" if !value.contains('\0') => id = Some(value.to_string()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                out.push(OwnedItem::Retry(value.parse().unwrap_or(u64::MAX)))
            }
            _ => {}
        }
    }
    out
}
