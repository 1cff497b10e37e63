//! Any strings either encode and parse back to the same event, or are refused
//! for a reason that is really in them. No string can inject a field.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ssekit::{EncodeError, Event, Field, OwnedItem, Parser};

#[derive(Arbitrary, Debug)]
struct Input {
    comment: Option<String>,
    event: Option<String>,
    id: Option<String>,
    data: Option<String>,
    retry: Option<u64>,
    chunk: u8,
}

fuzz_target!(|input: Input| {
    let mut event = Event::new();
    if let Some(c) = &input.comment {
        event = event.comment(c);
    }
    if let Some(e) = &input.event {
        event = event.event(e);
    }
    if let Some(i) = &input.id {
        event = event.id(i);
    }
    if let Some(d) = &input.data {
        event = event.data(d.as_str());
    }
    if let Some(r) = input.retry {
        event = event.retry(r);
    }
    let breaks = |s: &str| s.contains(['\r', '\n']);
    let mut wire = Vec::new();
    match event.encode_into(&mut wire) {
        Err(EncodeError::LineBreak { field, at }) | Err(EncodeError::Nul { field, at }) => {
            assert!(wire.is_empty());
            let value = match field {
                Field::Comment => input.comment.as_deref(),
                Field::Event => input.event.as_deref(),
                Field::Id => input.id.as_deref(),
            }
            .unwrap();
            assert!(matches!(value.as_bytes()[at], b'\r' | b'\n' | 0));
        }
        Err(other) => panic!("{other:?}"),
        Ok(()) => {
            assert!(!input.comment.as_deref().is_some_and(breaks));
            let mut expected = Vec::new();
            if let Some(c) = &input.comment {
                expected.push(OwnedItem::Comment(c.clone()));
            }
            if let Some(r) = input.retry {
                expected.push(OwnedItem::Retry(r));
            }
            match (&input.data, &input.id) {
                (Some(d), _) => expected.push(OwnedItem::Event {
                    event_type: input.event.clone().unwrap_or_default(),
                    data: d.replace("\r\n", "\n").replace('\r', "\n"),
                    id: input.id.clone(),
                }),
                (None, Some(i)) => expected.push(OwnedItem::Id(i.clone())),
                (None, None) => {}
            }
            let mut parser = Parser::with_max_event_bytes(usize::MAX);
            let mut got = Vec::new();
            for piece in wire.chunks(usize::from(input.chunk).max(1)) {
                got.extend(parser.feed_to_vec(piece).into_iter().map(Result::unwrap));
            }
            assert!(!parser.finish());
            assert_eq!(got, expected);
        }
    }
});
