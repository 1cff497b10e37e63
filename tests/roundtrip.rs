//! Property tests (native only: proptest): any strings either encode and
//! parse back to the same event, or are refused — no string can inject a
//! field.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use proptest::prelude::*;
use ssekit::{EncodeError, Event, Field, OwnedItem, Parser};

/// Strings biased towards the characters that matter: line breaks, NUL,
/// colons, spaces, a BOM, non-ASCII.
fn tricky_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(vec!['\n', '\r', '\0', ':', ' ', '\u{FEFF}', 'é', '😀', '\t']),
            6 => any::<char>(),
        ],
        0..24,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn normalize_breaks(data: &str) -> String {
    data.replace("\r\n", "\n").replace('\r', "\n")
}

fn has_break(s: &str) -> bool {
    s.contains(['\r', '\n'])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_parse_is_identity_or_refused(
        comment in proptest::option::of(tricky_string()),
        event in proptest::option::of(tricky_string()),
        id in proptest::option::of(tricky_string()),
        data in proptest::option::of(tricky_string()),
        retry in proptest::option::of(any::<u64>()),
        chunk in 1usize..9,
    ) {
        let mut builder = Event::new();
        if let Some(c) = &comment { builder = builder.comment(c); }
        if let Some(e) = &event { builder = builder.event(e); }
        if let Some(i) = &id { builder = builder.id(i); }
        if let Some(d) = &data { builder = builder.data(d.as_str()); }
        if let Some(r) = retry { builder = builder.retry(r); }

        let mut wire = Vec::new();
        match builder.encode_into(&mut wire) {
            Err(error) => {
                // Refused: there must really be a forbidden character, in the
                // field named, and nothing was written.
                prop_assert!(wire.is_empty());
                let (field, value) = match &error {
                    EncodeError::LineBreak { field, .. } | EncodeError::Nul { field, .. } => {
                        let value = match field {
                            Field::Comment => comment.as_deref(),
                            Field::Event => event.as_deref(),
                            Field::Id => id.as_deref(),
                        };
                        (*field, value.expect("the refused field was set"))
                    }
                    other => panic!("unexpected {other:?}"),
                };
                let nul_forbidden = field != Field::Comment;
                prop_assert!(has_break(value) || (nul_forbidden && value.contains('\0')), "{error:?} for {value:?}");
            }
            Ok(()) => {
                // Accepted: then every single-line field was clean...
                prop_assert!(!comment.as_deref().is_some_and(has_break));
                for v in [&event, &id].into_iter().flatten() {
                    prop_assert!(!has_break(v) && !v.contains('\0'));
                }
                // ...and parsing it back, in any chunking, gives exactly it.
                let mut expected = Vec::new();
                if let Some(c) = &comment { expected.push(OwnedItem::Comment(c.clone())); }
                if let Some(r) = retry { expected.push(OwnedItem::Retry(r)); }
                match (&data, &id) {
                    (Some(d), _) => expected.push(OwnedItem::Block {
                        event_type: event.clone().unwrap_or_default(),
                        data: normalize_breaks(d),
                        id: id.clone(),
                    }),
                    (None, Some(i)) => expected.push(OwnedItem::Id(i.clone())),
                    (None, None) => {}
                }
                let mut parser = Parser::new();
                let mut got = Vec::new();
                for piece in wire.chunks(chunk) {
                    got.extend(parser.feed_to_vec(piece).into_iter().map(Result::unwrap));
                }
                prop_assert!(!parser.finish(), "the encoder left an unterminated event");
                prop_assert_eq!(got, expected);
            }
        }
    }

    #[test]
    fn parser_respects_its_limit_the_same_under_any_chunking(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..16),
        limit in 1usize..256,
    ) {
        let mut offsets: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        offsets.sort_unstable();
        let mut whole = Parser::with_max_event_bytes(limit);
        let expected = whole.feed_to_vec(&bytes);
        let mut parser = Parser::with_max_event_bytes(limit);
        let mut got = Vec::new();
        for piece in common::split_at_offsets(&bytes, &offsets) {
            got.extend(parser.feed_to_vec(piece));
            prop_assert!(parser.buffered_bytes() <= limit);
        }
        // Errors included: where the limit strikes does not depend on chunking.
        prop_assert_eq!(got, expected);
        prop_assert_eq!(parser.finish(), whole.finish());
    }
}
