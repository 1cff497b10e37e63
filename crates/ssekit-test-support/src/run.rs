//! ssekit's parser and dispatcher run over chunks, reported in this crate's
//! records ([`Item`], [`Seen`]).

use ssekit::{Dispatcher, ParseError, Parser, DEFAULT_MAX_EVENT_BYTES};

use crate::chunking::{chunkings, describe};
use crate::record::{comment, msg, Item, Observation, Seen};

/// What ssekit's parser, limited to `max_event_bytes` per event, reports for
/// a stream fed in `chunks` and then ended.
pub fn parse_chunks(chunks: &[&[u8]], max_event_bytes: usize) -> Vec<Item> {
    let mut parser = Parser::with_max_event_bytes(max_event_bytes);
    let mut items = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, |item| items.push(record(item)));
    }
    parser.finish();
    items
}

/// [`parse_chunks`] for one stream after the other, all through the same
/// parser, ended after each (as on reconnects): what it reports for each.
pub fn parse_streams(streams: &[Vec<&[u8]>], max_event_bytes: usize) -> Vec<Vec<Item>> {
    let mut parser = Parser::with_max_event_bytes(max_event_bytes);
    let mut reports = Vec::new();
    for chunks in streams {
        let mut items = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, |item| items.push(record(item)));
        }
        parser.finish();
        reports.push(items);
    }
    reports
}

fn record(item: Result<ssekit::Item<'_>, ParseError>) -> Item {
    match item {
        Ok(ssekit::Item::Block(block)) => Item::Block {
            event_type: block.event_type.into(),
            data: block.data.into(),
            id: block.id.map(String::from),
        },
        Ok(ssekit::Item::Id(id)) => Item::Id(id.into()),
        Ok(ssekit::Item::Comment(text)) => Item::Comment(text.into()),
        Ok(ssekit::Item::Retry(ms)) => Item::Retry(ms),
        Err(ParseError::EventTooLarge { .. }) => Item::TooLarge,
        Err(other) => panic!("unexpected parse error {other:?}"),
    }
}

/// What an application sees from ssekit's parser (limited to
/// `max_event_bytes` per event) and dispatcher, for a stream fed in
/// `chunks` and then ended.
pub fn observe_chunks(chunks: &[&[u8]], max_event_bytes: usize) -> Observation {
    let mut parser = Parser::with_max_event_bytes(max_event_bytes);
    let mut dispatcher = Dispatcher::new();
    let mut seen = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, |item| match item {
            Err(ParseError::EventTooLarge { .. }) => seen.push(Seen::TooLarge),
            Err(other) => panic!("unexpected parse error {other:?}"),
            Ok(ssekit::Item::Comment(text)) => seen.push(comment(text)),
            Ok(item) => {
                if let ssekit::Item::Retry(ms) = item {
                    seen.push(Seen::Retry(ms));
                }
                if let Some(m) = dispatcher.dispatch(item) {
                    seen.push(msg(m.event_type, m.data, m.last_event_id));
                }
            }
        });
    }
    parser.finish();
    Observation {
        seen,
        last_event_id: dispatcher.last_event_id().into(),
        reconnection_time: dispatcher.reconnection_time(),
    }
}

/// Asserts that `input`, cut every way the tests cut streams (whole, in
/// every size 1…16, and in 24 random splits), is seen as `expected` through
/// a parser with the default limit.
pub fn assert_observed(input: &[u8], expected: &[Seen]) {
    assert_observed_with_limit(input, expected, DEFAULT_MAX_EVENT_BYTES);
}

/// [`assert_observed`] through a parser limited to `max_event_bytes` per
/// event.
pub fn assert_observed_with_limit(input: &[u8], expected: &[Seen], max_event_bytes: usize) {
    for chunks in chunkings(input, 16, 24, input.len() as u64) {
        let seen = observe_chunks(&chunks, max_event_bytes).seen;
        assert_eq!(seen, expected, "{}", describe(&chunks));
    }
}
