//! Property tests (native only: proptest) of the checks the fuzz targets
//! share (`ssekit_test_support::checks`): any strings either encode and
//! parse back to the same event, or are refused — no string can inject a
//! field; and the parser gives the same items for any chunking, limit
//! included. `tests/differential.rs` compares the parser with the reference.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use ssekit_test_support::checks::{check_encode_roundtrip, check_parse_chunked, EncodeCase};
use ssekit_test_support::chunking::split_at_offsets;

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

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_parse_is_identity_or_refused(
        comment in proptest::option::of(tricky_string()),
        event in proptest::option::of(tricky_string()),
        id in proptest::option::of(tricky_string()),
        data in proptest::option::of(tricky_string()),
        retry in proptest::option::of(any::<u64>()),
        chunk in 1u8..9,
    ) {
        check_encode_roundtrip(&EncodeCase { comment, event, id, data, retry, chunk });
    }

    #[test]
    fn parser_respects_its_limit_the_same_under_any_chunking(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..16),
        limit in 1usize..256,
    ) {
        let mut offsets: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        offsets.sort_unstable();
        check_parse_chunked(&split_at_offsets(&bytes, &offsets), limit);
    }
}
