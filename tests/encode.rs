//! Encoder tests: the exact bytes for each field (checked by hand against the
//! spec's field syntax), refusals, and a parse of every encoded event.
//! Runs natively and in headless browsers.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use ssekit::{EncodeError, EncodedEvent, Event, Field, DEFAULT_MAX_EVENT_BYTES, KEEP_ALIVE};
use ssekit_test_support::{comment, msg, observe_chunks, Seen};

/// An event's bytes on the wire, or why it has none.
trait Wire {
    fn wire(&self) -> Result<String, EncodeError>;
}

impl Wire for Event<'_> {
    fn wire(&self) -> Result<String, EncodeError> {
        let mut out = String::new();
        self.encode_into(&mut out)?;
        Ok(out)
    }
}

fn parsed(wire: &str) -> Vec<Seen> {
    observe_chunks(&[wire.as_bytes()], DEFAULT_MAX_EVENT_BYTES).seen
}

#[test]
fn encodes_every_field_in_order() {
    let wire = Event::new()
        .data("d")
        .retry(1500)
        .id("7")
        .event("e")
        .comment("c")
        .wire()
        .unwrap();
    assert_eq!(wire, ": c\nevent: e\nid: 7\nretry: 1500\ndata: d\n\n");
}

#[test]
fn an_encoded_event_shows_its_text_and_length() {
    let encoded = EncodedEvent::new(&Event::new().id("7").data("hi")).unwrap();
    assert_eq!(encoded.as_str(), "id: 7\ndata: hi\n\n");
    assert_eq!(AsRef::<str>::as_ref(&encoded), "id: 7\ndata: hi\n\n");
    assert_eq!(encoded.len(), 16);
    assert!(!encoded.is_empty());
}

#[test]
fn into_owned_keeps_every_field() {
    let text = String::from("borrowed");
    let borrowed = Event::new()
        .comment(text.as_str())
        .event(&text[..3])
        .id(&text[3..])
        .retry(9)
        .data(text.as_str());
    let expected = borrowed.wire();
    let owned: Event<'static> = borrowed.into_owned();
    drop(text);
    assert_eq!(owned.wire(), expected);
    assert_eq!(
        owned.wire().unwrap(),
        ": borrowed\nevent: bor\nid: rowed\nretry: 9\ndata: borrowed\n\n"
    );
}

#[test]
fn multiline_data_splits_on_cr_lf_and_crlf_once() {
    let wire = Event::new().data("a\r\nb\rc\nd").wire().unwrap();
    assert_eq!(wire, "data: a\ndata: b\ndata: c\ndata: d\n\n");
    assert_eq!(parsed(&wire), [msg("message", "a\nb\nc\nd", "")]);
    // A trailing break is a trailing empty line, kept by the round trip.
    let wire = Event::new().data("x\n").wire().unwrap();
    assert_eq!(wire, "data: x\ndata:\n\n");
    assert_eq!(parsed(&wire), [msg("message", "x\n", "")]);
    // CR CR is two breaks, CRLF one.
    assert_eq!(
        Event::new().data("\r\r\n").wire().unwrap(),
        "data:\ndata:\ndata:\n\n"
    );
}

#[test]
fn empty_data_still_dispatches() {
    let wire = Event::new().data("").wire().unwrap();
    assert_eq!(wire, "data:\n\n");
    assert_eq!(parsed(&wire), [msg("message", "", "")]);
    // Without data there is nothing to dispatch, but the id still counts.
    let wire = Event::new().id("3").wire().unwrap();
    assert_eq!(wire, "id: 3\n\n");
    assert_eq!(parsed(&(wire + "data: x\n\n")), [msg("message", "x", "3")]);
}

#[test]
fn leading_spaces_and_colons_survive() {
    let wire = Event::new()
        .event(" spaced")
        .id(" 1")
        .data("  two: colons:")
        .wire()
        .unwrap();
    assert_eq!(wire, "event:  spaced\nid:  1\ndata:   two: colons:\n\n");
    assert_eq!(parsed(&wire), [msg(" spaced", "  two: colons:", " 1")]);
}

#[test]
fn line_breaks_in_single_line_fields_are_refused() {
    let cases: [(Event, Field, usize); 6] = [
        (Event::new().event("a\nb"), Field::Event, 1),
        (Event::new().event("\rx"), Field::Event, 0),
        (Event::new().id("1\r\ndata: forged"), Field::Id, 1),
        (Event::new().id("\n"), Field::Id, 0),
        (Event::new().comment("ok\nretry: 1"), Field::Comment, 2),
        (Event::new().comment("\r"), Field::Comment, 0),
    ];
    for (event, field, at) in cases {
        let mut out = String::from("before\n");
        assert_eq!(
            event.data("x").encode_into(&mut out),
            Err(EncodeError::LineBreak { field, at })
        );
        assert_eq!(out, "before\n", "nothing written on error");
    }
}

#[test]
fn nul_in_event_or_id_is_refused() {
    assert_eq!(
        Event::new().id("4\0").wire(),
        Err(EncodeError::Nul {
            field: Field::Id,
            at: 1
        })
    );
    assert_eq!(
        Event::new().event("\0").wire(),
        Err(EncodeError::Nul {
            field: Field::Event,
            at: 0
        })
    );
    // NUL in data and comments is harmless and kept (P9).
    let wire = Event::new().comment("a\0").data("b\0").wire().unwrap();
    assert_eq!(parsed(&wire), [comment("a\0"), msg("message", "b\0", "")]);
}

#[test]
fn errors_explain_themselves() {
    let error = Event::new().id("a\nb").wire().unwrap_err();
    assert_eq!(
        error.to_string(),
        "SSE id contains a line break at byte 1; it would inject a new field"
    );
}

#[test]
fn writes_into_byte_buffers_too() {
    let mut out: Vec<u8> = b"retry: 1\n\n".to_vec();
    Event::new().data("é").encode_into(&mut out).unwrap();
    assert_eq!(out, "retry: 1\n\ndata: é\n\n".as_bytes());
}

#[test]
fn retry_extremes() {
    assert_eq!(Event::new().retry(0).wire().unwrap(), "retry: 0\n\n");
    let wire = Event::new().retry(u64::MAX).wire().unwrap();
    assert_eq!(wire, "retry: 18446744073709551615\n\n");
    assert_eq!(parsed(&wire), [Seen::Retry(u64::MAX)]);
}

#[test]
fn keep_alive_is_a_comment_that_dispatches_nothing() {
    assert_eq!(parsed(KEEP_ALIVE), [comment("keep-alive")]);
    // Between two events it changes nothing.
    let mut wire = Event::new().data("1").wire().unwrap();
    wire.push_str(KEEP_ALIVE);
    Event::new().data("2").encode_into(&mut wire).unwrap();
    assert_eq!(
        parsed(&wire),
        [
            msg("message", "1", ""),
            comment("keep-alive"),
            msg("message", "2", "")
        ]
    );
}

#[test]
fn comments_alone_are_heartbeats_of_your_own() {
    let heartbeat = EncodedEvent::new(&Event::new().comment("heartbeat 12")).unwrap();
    assert_eq!(heartbeat.as_str(), ": heartbeat 12\n\n");
    assert_eq!(parsed(heartbeat.as_str()), [comment("heartbeat 12")]);
    let mut out = String::from(KEEP_ALIVE);
    assert_eq!(
        Event::new().comment("x\ny").encode_into(&mut out),
        Err(EncodeError::LineBreak {
            field: Field::Comment,
            at: 1
        })
    );
    assert_eq!(out, KEEP_ALIVE, "nothing written");
}

#[cfg(feature = "json")]
#[test]
fn json_data_is_one_compact_line() {
    #[derive(serde::Serialize)]
    struct Delta<'a> {
        content: &'a str,
        index: u32,
    }
    let wire = Event::new()
        .json_data(&Delta {
            content: "two\nlines",
            index: 0,
        })
        .unwrap()
        .wire()
        .unwrap();
    assert_eq!(wire, "data: {\"content\":\"two\\nlines\",\"index\":0}\n\n");
    let map_with_non_string_keys: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
    assert!(matches!(
        Event::new().json_data(&map_with_non_string_keys),
        Err(EncodeError::Json(_))
    ));
}

#[test]
fn encoded_text_is_taken_back_only_when_it_is_exactly_what_the_encoder_writes() {
    for accepted in [
        "\n",
        "data: a\n\n",
        "data:\n\n",
        "data: a\ndata: b\n\n",
        ": ping\n\n",
        ":\n\n",
        ": a:b\0\n\n",
        "event: tick\nid: 7\nretry: 5\ndata: 7\n\n",
        "id: 0\n\n",
    ] {
        let taken = EncodedEvent::from_text(accepted);
        assert_eq!(
            taken.map(|e| e.as_str().to_owned()).as_deref(),
            Some(accepted)
        );
    }
    for refused in [
        "",
        "data: a",
        "data: a\n",
        "data: a\n\ndata: b\n\n", // two events
        "data: a\n\n\n",          // a blank line too many
        "\n\n",
        "data: a\r\n\r\n", // line ends the encoder never writes
        "data: a\r\r",
        "bogus: a\n\n", // a field the encoder has no name for
        "data\n\n",     // a line with no colon
        "id: a\0b\n\n", // a NUL the parser would ignore the id for
        "event: a\0\n\n",
        "retry: soon\n\n",
        "retry:\n\n",
    ] {
        assert_eq!(EncodedEvent::from_text(refused), None, "{refused:?}");
    }
}
