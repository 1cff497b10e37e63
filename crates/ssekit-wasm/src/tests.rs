//! The wire format, natively: what the core finds, written as records and
//! read back as js/ssekit.js reads them, with `encoding_rs` (the WHATWG
//! decoder) standing in for `TextDecoder` and `Vec<u16>` for JavaScript
//! strings; and the shell's constants against this crate's.

use ssekit::{Dispatcher, Item, Parser};

use crate::record::{self, utf16_len, Out};

/// What the shell makes of one feed's records: one line per record.
fn read_back(out: &Out) -> Vec<String> {
    let mut decoder = encoding_rs::UTF_8.new_decoder_without_bom_handling();
    let mut units = vec![0u16; out.text.len() * 2 + 4];
    let (_, read, written, _) = decoder.decode_to_utf16(&out.text, &mut units, true);
    assert_eq!(read, out.text.len());
    assert_eq!(written as u32, out.units, "the header's length in units");
    let mut at = 0;
    let mut take = |len: u32| {
        let text = String::from_utf16(&units[at..at + len as usize]).expect("a whole string");
        at += len as usize;
        text
    };
    let mut lines = Vec::new();
    let mut last = None;
    let mut i = 0;
    while i < out.records.len() {
        let r = &out.records[i..];
        match r[0] {
            record::MESSAGE => {
                let event_type = if r[1] & record::CUSTOM_TYPE != 0 {
                    take(r[2])
                } else {
                    "message".into()
                };
                let data = take(r[3]);
                if r[1] & record::NEW_LAST_ID != 0 {
                    last = Some(take(r[4]));
                }
                let last = last.clone().expect("the feed's first message carries it");
                let own = r[1] & record::OWN_ID != 0;
                lines.push(format!("{event_type} {data:?} last={last:?} own={own}"));
                i += 5;
            }
            record::COMMENT => {
                lines.push(format!("comment {:?}", take(r[1])));
                i += 2;
            }
            record::RETRY => {
                lines.push(format!("retry {}", u64::from(r[2]) << 32 | u64::from(r[1])));
                i += 3;
            }
            record::TOO_LARGE => {
                lines.push("too large".into());
                i += 1;
            }
            tag => panic!("no record {tag}"),
        }
    }
    assert_eq!(at as u32, out.units, "every unit of the text is taken");
    lines
}

/// The core's parser and dispatcher over `input`, as an `SseParser` with
/// every optional record writes them (lib.rs `stream_feed`).
fn feed(input: &[u8], limit: usize) -> Vec<String> {
    let mut parser = Parser::with_max_event_bytes(limit);
    let mut dispatcher = Dispatcher::with_last_event_id("start");
    let mut out = Out::new();
    parser.feed(input, |item| match item {
        Err(_) => out.too_large(),
        Ok(Item::Comment(text)) => out.comment(text),
        Ok(Item::Retry(ms)) => {
            let _ = dispatcher.dispatch(Item::Retry(ms));
            out.retry(ms);
        }
        Ok(item) => {
            if let Some(message) = dispatcher.dispatch(item) {
                out.message(&message);
            }
        }
    });
    read_back(&out)
}

#[test]
fn records_carry_every_string_whole_whatever_its_characters() {
    let input = "\u{feff}data: caf\u{e9} \u{1f600}\ndata: \u{1f600}\n\nevent: \u{e9}v\nid: \u{1f600}1\ndata\n\n: hi \u{e9}\nretry: 99999999999\ndata: \u{fffd}\u{ff}\n\nid\n\ndata: x\n\n";
    let mut bytes = input.as_bytes().to_vec();
    // Invalid bytes: the core decodes each as U+FFFD.
    bytes.extend_from_slice(b"data: \xff\xfe\n\n");
    assert_eq!(
        feed(&bytes, 1 << 20),
        [
            "message \"caf\u{e9} \u{1f600}\\n\u{1f600}\" last=\"start\" own=false",
            "\u{e9}v \"\" last=\"\u{1f600}1\" own=true",
            "comment \"hi \u{e9}\"",
            "retry 99999999999",
            "message \"\u{fffd}\u{ff}\" last=\"\u{1f600}1\" own=false",
            "message \"x\" last=\"\" own=false",
            "message \"\u{fffd}\u{fffd}\" last=\"\" own=false",
        ]
    );
}

#[test]
fn an_event_over_the_limit_is_one_record_and_the_stream_goes_on() {
    assert_eq!(
        feed(b"data: 0123456789\n\ndata: ok\n\n", 8),
        ["too large", "message \"ok\" last=\"start\" own=false"]
    );
}

#[test]
fn utf16_len_counts_as_javascript_does() {
    for text in [
        "",
        "ascii",
        "\u{e9}",
        "\u{20ac}",
        "\u{1f600}",
        "a\u{1f600}b\u{e9}\u{20ac}\u{10ffff}",
    ] {
        assert_eq!(
            utf16_len(text) as usize,
            text.encode_utf16().count(),
            "{text:?}"
        );
    }
}

#[test]
fn utf16_len_of_long_strings_with_a_non_ascii_byte_anywhere() {
    for len in [15, 16, 17, 31, 32, 33, 100] {
        for at in 0..len {
            let mut text: Vec<char> = vec!['a'; len];
            text[at] = '\u{e9}';
            let text: String = text.into_iter().collect();
            assert_eq!(utf16_len(&text) as usize, len, "{len} {at}");
            let emoji = text.replace('\u{e9}', "\u{1f600}");
            assert_eq!(utf16_len(&emoji) as usize, len + 1, "{len} {at}");
        }
    }
}

#[test]
fn a_big_feed_gives_its_memory_back_at_the_next() {
    let mut out = Out::new();
    out.comment(&"x".repeat(1 << 20));
    out.clear();
    assert!(out.text.capacity() <= 64 * 1024);
}

/// The JavaScript shell spells the wire formats' values as constants of
/// its own; they must be the ones defined here (`record`, `config`, `poll`,
/// `transition`).
#[test]
fn the_shell_reads_the_same_constants() {
    let shell = include_str!("../js/ssekit.js");
    let literal = |name: &str| -> &str {
        let line = format!("\nconst {name} = ");
        let at = shell
            .find(&line)
            .unwrap_or_else(|| panic!("js/ssekit.js has no `const {name}`"));
        let rest = &shell[at + line.len()..];
        &rest[..rest.find(';').unwrap()]
    };
    let constant = |name: &str| -> u32 {
        let literal = literal(name);
        match literal.strip_prefix("1 << ") {
            Some(shift) => 1 << shift.parse::<u32>().unwrap(),
            None => literal.parse().unwrap(),
        }
    };
    use crate::config::*;
    use crate::poll::*;
    use crate::transition::*;
    for (name, value) in [
        ("P_REQUEST", P_REQUEST),
        ("P_PAUSED", P_PAUSED),
        ("P_CLOSED", P_CLOSED),
    ] {
        assert_eq!(
            literal(name).parse::<f64>().unwrap(),
            value,
            "{name} in js/ssekit.js"
        );
    }
    for (name, value) in [
        ("MESSAGE", record::MESSAGE),
        ("COMMENT", record::COMMENT),
        ("RETRY", record::RETRY),
        ("TOO_LARGE", record::TOO_LARGE),
        ("CUSTOM_TYPE", record::CUSTOM_TYPE),
        ("OWN_ID", record::OWN_ID),
        ("NEW_LAST_ID", record::NEW_LAST_ID),
        ("WANT_COMMENTS", record::WANT_COMMENTS),
        ("WANT_RETRY", record::WANT_RETRY),
        ("T_OPEN", T_OPEN),
        ("T_RECONNECT", T_RECONNECT),
        ("T_FAIL", T_FAIL),
        ("T_ENDED", T_ENDED),
        ("CAUSE_STATUS", CAUSE_STATUS),
        ("CAUSE_IDLE", CAUSE_IDLE),
        ("FAIL_STATUS", FAIL_STATUS),
        ("FAIL_CONTENT_TYPE", FAIL_CONTENT_TYPE),
        ("FAIL_GAVE_UP", FAIL_GAVE_UP),
        ("C_INITIAL_MS", C_INITIAL_MS),
        ("C_MAX_MS", C_MAX_MS),
        ("C_MULTIPLIER", C_MULTIPLIER),
        ("C_JITTER", C_JITTER),
        ("C_RESET_AFTER_MS", C_RESET_AFTER_MS),
        ("C_IDLE_MS", C_IDLE_MS),
        ("C_MAX_EVENT_BYTES", C_MAX_EVENT_BYTES),
        ("C_MAX_ATTEMPTS", C_MAX_ATTEMPTS),
        ("C_FLAGS", C_FLAGS),
        ("C_ID_LEN", C_ID_LEN),
        ("C_STATUSES", C_STATUSES),
        ("C_SIZE", C_SIZE),
        ("C_HAS_MAX_MS", C_HAS_MAX_MS),
        ("C_HAS_MAX_ATTEMPTS", C_HAS_MAX_ATTEMPTS),
        ("C_HAS_IDLE", C_HAS_IDLE),
        ("C_CLOSE_ON_END", C_CLOSE_ON_END),
    ] {
        assert_eq!(constant(name), value, "{name} in js/ssekit.js");
    }
}
