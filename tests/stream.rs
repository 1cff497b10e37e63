//! `MessageStream` (feature `stream`): it must yield exactly what the core's
//! parser and dispatcher produce, under any chunking, with transport errors,
//! parse errors and the end of the body in their places. Native only (the
//! streams are driven with the `futures` executor).
#![cfg(not(target_arch = "wasm32"))]
#![cfg(feature = "stream")]

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::task::Poll;

use futures::channel::mpsc;
use futures::executor::block_on;
use futures::stream::{self, FusedStream, StreamExt};
use futures::FutureExt;
use ssekit::{
    Dispatcher, MessageStream, OwnedMessage, ParseError, Parser, StreamError, StreamItem,
    DEFAULT_MAX_EVENT_BYTES,
};
use ssekit_test_support::chunking::chunkings;
use ssekit_test_support::{comment, fixtures, msg, observe_chunks, Seen};

/// A body that yields `chunks`, then ends.
fn body<'a>(
    chunks: &[&'a [u8]],
) -> impl futures::Stream<Item = Result<&'a [u8], Infallible>> + Unpin + 'a {
    // Owned, so the body does not borrow the list of chunks.
    stream::iter(Vec::from(chunks).into_iter().map(Ok))
}

fn seen_message(message: &OwnedMessage) -> Seen {
    msg(&message.event_type, &message.data, &message.last_event_id)
}

fn seen_parse_error(error: ParseError) -> Seen {
    match error {
        ParseError::EventTooLarge { .. } => Seen::TooLarge,
        other => panic!("unexpected {other:?}"),
    }
}

/// Everything `with_comments()` yields for `chunks`, and the dispatcher at
/// the end.
fn stream_everything(chunks: &[&[u8]], parser: Parser) -> (Vec<Seen>, Dispatcher) {
    let mut stream =
        MessageStream::from_parts(body(chunks), parser, Dispatcher::new()).with_comments();
    let seen = block_on(stream.by_ref().collect::<Vec<_>>())
        .into_iter()
        .map(|item| match item {
            Ok(StreamItem::Message(message)) => seen_message(&message),
            Ok(StreamItem::Comment(text)) => comment(&text),
            Ok(StreamItem::Retry(ms)) => Seen::Retry(ms),
            Err(StreamError::Parse(error)) => seen_parse_error(error),
            Err(StreamError::Transport(never)) => match never {},
        })
        .collect();
    (seen, stream.dispatcher().clone())
}

/// What `MessageStream` itself yields for `chunks`: messages and parse
/// errors.
fn stream_messages(chunks: &[&[u8]], parser: Parser) -> (Vec<Seen>, Dispatcher) {
    let mut stream = MessageStream::from_parts(body(chunks), parser, Dispatcher::new());
    let seen = block_on(stream.by_ref().collect::<Vec<_>>())
        .into_iter()
        .map(|item| match item {
            Ok(message) => seen_message(&message),
            Err(StreamError::Parse(error)) => seen_parse_error(error),
            Err(StreamError::Transport(never)) => match never {},
        })
        .collect();
    (seen, stream.dispatcher().clone())
}

/// Asserts that both streams, over every chunking of `input`, yield what
/// the core's parser (limited to `max_event_bytes` per event) and
/// dispatcher produce for it in one piece.
fn assert_stream_matches_core(name: &str, input: &[u8], max_event_bytes: usize) {
    let parser = || Parser::with_max_event_bytes(max_event_bytes);
    let core = observe_chunks(&[input], max_event_bytes);
    let expected = &core.seen;
    assert!(!expected.is_empty(), "{name} yields nothing");
    let expected_messages: Vec<Seen> = expected
        .iter()
        .filter(|seen| matches!(seen, Seen::Message { .. } | Seen::TooLarge))
        .cloned()
        .collect();
    for chunks in chunkings(input, 16, 8, input.len() as u64) {
        let sizes = || chunks.iter().map(|c| c.len()).take(8).collect::<Vec<_>>();
        let (seen, end) = stream_everything(&chunks, parser());
        assert!(
            seen == *expected,
            "{name}: with_comments() differs in chunks of {:?}",
            sizes()
        );
        let (seen, end_messages) = stream_messages(&chunks, parser());
        assert!(
            seen == expected_messages,
            "{name}: MessageStream differs in chunks of {:?}",
            sizes()
        );
        for end in [end, end_messages] {
            assert_eq!(end.last_event_id(), core.last_event_id, "{name}");
            assert_eq!(end.reconnection_time(), core.reconnection_time, "{name}");
        }
    }
}

/// The same stream with every LF replaced by `ending`.
fn with_line_endings(input: &[u8], ending: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 2);
    for &byte in input {
        if byte == b'\n' {
            out.extend_from_slice(ending);
        } else {
            out.push(byte);
        }
    }
    out
}

#[test]
fn fixtures_match_the_core_under_every_chunking_and_line_ending() {
    // Chunkings include 1-byte chunks, so every multibyte character and
    // every CRLF of the CRLF variants is split somewhere.
    for fixture in fixtures::suite(0.002) {
        for (ending, label) in [(&b"\n"[..], "LF"), (b"\r\n", "CRLF"), (b"\r", "CR")] {
            let input = with_line_endings(&fixture.bytes, ending);
            assert_stream_matches_core(
                &format!("{} ({label})", fixture.name),
                &input,
                DEFAULT_MAX_EVENT_BYTES,
            );
        }
    }
    let mixed = include_bytes!("fixtures/mixed.sse");
    assert_stream_matches_core("mixed.sse", mixed, DEFAULT_MAX_EVENT_BYTES);
}

#[test]
fn mixed_fixture_yields_what_a_browser_would_dispatch() {
    // Written from tests/fixtures/mixed.jsonl (itself written by hand from
    // the spec), plus the comment that sse2json does not print.
    let expected = [
        comment("stream opened"),
        Seen::Retry(3000),
        msg("greeting", "hello\n world", ""),
        msg("message", "first", "1"),
        msg("message", "no id, keeps 1", "1"),
        msg("message", "café \u{FFFD}", "2"),
        msg("message", "nul id ignored", "2"),
        msg("message", "", "2"),
        msg("message", "reset", ""),
    ];
    let input = include_bytes!("fixtures/mixed.sse");
    for chunks in [vec![&input[..]], input.chunks(1).collect()] {
        let (seen, end) = stream_everything(&chunks, Parser::new());
        assert_eq!(seen, expected);
        // The cut-off final block's `id: 99` is not kept.
        assert_eq!(end.last_event_id(), "");
    }
}

#[test]
fn messages_arrive_with_the_chunk_that_completes_them() {
    // Chunk boundaries inside "é" and "😀" and between the CR and LF of the
    // blank line; the message is there as soon as the CR arrives.
    let (sender, receiver) = mpsc::unbounded::<Result<Vec<u8>, Infallible>>();
    let mut stream = MessageStream::new(receiver);
    let chunks: [&[u8]; 5] = [
        b"data: \xC3",
        b"\xA9\xF0\x9F",
        b"\x98\x80\r",
        b"\n\r",
        b"\n",
    ];
    for chunk in &chunks[..3] {
        sender.unbounded_send(Ok(chunk.to_vec())).unwrap();
        assert!(
            stream.next().now_or_never().is_none(),
            "pending after {chunk:?}"
        );
    }
    sender.unbounded_send(Ok(chunks[3].to_vec())).unwrap();
    let message = stream
        .next()
        .now_or_never()
        .expect("ready")
        .expect("not ended");
    assert_eq!(message.unwrap().as_message().data, "é😀");
    sender.unbounded_send(Ok(chunks[4].to_vec())).unwrap();
    assert!(stream.next().now_or_never().is_none());
    // Two messages in one chunk: the second is ready while the body waits.
    sender
        .unbounded_send(Ok(b"data: x\n\ndata: y\n\n".to_vec()))
        .unwrap();
    for data in ["x", "y"] {
        let message = stream
            .next()
            .now_or_never()
            .expect("ready")
            .expect("not ended");
        assert_eq!(message.unwrap().data, data);
    }
    assert!(stream.next().now_or_never().is_none());
    drop(sender);
    assert!(matches!(stream.next().now_or_never(), Some(None)));
}

#[test]
fn transport_errors_are_yielded_in_order_and_the_stream_goes_on() {
    let chunks: Vec<Result<&[u8], &str>> = vec![
        Err("before anything"),
        Ok(b"data: a\n\ndata: b"),
        Err("reset"),
        Err("reset again"),
        Ok(b"\n\ndata: c\n\n"),
        Err("at the end"),
    ];
    let items = block_on(MessageStream::new(stream::iter(chunks)).collect::<Vec<_>>());
    let message = |data: &str| Ok(msg("message", data, ""));
    let seen: Vec<Result<Seen, StreamError<&str>>> = items
        .into_iter()
        .map(|item| item.map(|message| seen_message(&message)))
        .collect();
    assert_eq!(
        seen,
        [
            Err(StreamError::Transport("before anything")),
            message("a"),
            Err(StreamError::Transport("reset")),
            Err(StreamError::Transport("reset again")),
            // Cut by the errors, completed by the bytes after them.
            message("b"),
            message("c"),
            Err(StreamError::Transport("at the end")),
        ]
    );
}

#[test]
fn an_event_over_the_limit_is_an_error_and_the_next_ones_arrive() {
    let input = format!(
        "id: 1\ndata: small\n\nid: 2\ndata: {}\n\ndata: after\n\nid: 3\ndata: {y}\ndata: {y}\n\n",
        "x".repeat(64),
        y = "y".repeat(20)
    );
    let parser = || Parser::with_max_event_bytes(32);
    let expected = [
        msg("message", "small", "1"),
        Seen::TooLarge,
        // The dropped event's id was dropped with it.
        msg("message", "after", "1"),
        Seen::TooLarge,
    ];
    for chunks in chunkings(input.as_bytes(), 16, 8, 7) {
        assert_eq!(stream_messages(&chunks, parser()).0, expected);
    }
    assert_stream_matches_core("over the limit", input.as_bytes(), 32);
    let limit = block_on(
        MessageStream::from_parts(body(&[input.as_bytes()]), parser(), Dispatcher::new())
            .filter_map(|item| futures::future::ready(item.err()))
            .next(),
    );
    assert_eq!(
        limit,
        Some(StreamError::Parse(ParseError::EventTooLarge { limit: 32 }))
    );
}

#[test]
fn a_cut_off_final_event_is_dropped_and_the_stream_ends() {
    for tail in [
        "data: b",
        "data: b\n",
        "data: b\r",
        "data: b\r\n",
        "id: 7\ndata: b\n",
    ] {
        let input = format!("data: a\n\n{tail}");
        for chunks in chunkings(input.as_bytes(), 4, 4, 3) {
            let (seen, end) = stream_everything(&chunks, Parser::new());
            assert_eq!(seen, [msg("message", "a", "")], "tail {tail:?}");
            assert_eq!(end.last_event_id(), "", "tail {tail:?}");
        }
    }
}

#[test]
fn with_comments_yields_comments_and_retry_in_stream_order() {
    let input = b": hi\nretry: 100\ndata: a\n\n: beat\n\nretry: 200\nretry: x\ndata: b\n\n";
    let (seen, end) = stream_everything(&[input], Parser::new());
    assert_eq!(
        seen,
        [
            comment("hi"),
            Seen::Retry(100),
            msg("message", "a", ""),
            comment("beat"),
            Seen::Retry(200),
            msg("message", "b", ""),
        ]
    );
    assert_eq!(end.reconnection_time(), Some(200));
}

#[test]
fn the_dispatcher_is_as_of_the_last_item_yielded() {
    // One chunk: the parser has read all of it before the first message is
    // yielded, but the dispatcher must not run ahead of what was yielded.
    let input: &[u8] = b"data: a\n\nretry: 200\nid: 5\n\ndata: b\n\n";
    let mut stream = MessageStream::new(body(&[input]));
    block_on(async {
        assert_eq!(stream.next().await.unwrap().unwrap().data, "a");
        assert_eq!(stream.dispatcher().reconnection_time(), None);
        assert_eq!(stream.dispatcher().last_event_id(), "");
        let b = stream.next().await.unwrap().unwrap();
        assert_eq!((b.data.as_str(), b.last_event_id.as_str()), ("b", "5"));
        assert_eq!(stream.dispatcher().reconnection_time(), Some(200));
        assert_eq!(stream.dispatcher().last_event_id(), "5");
    });
    let mut stream = MessageStream::new(body(&[input])).with_comments();
    block_on(async {
        stream.next().await.unwrap().unwrap();
        assert_eq!(stream.dispatcher().reconnection_time(), None);
        assert_eq!(
            stream.next().await.unwrap().unwrap(),
            StreamItem::Retry(200)
        );
        assert_eq!(stream.dispatcher().reconnection_time(), Some(200));
        assert_eq!(stream.dispatcher().last_event_id(), "");
    });
}

#[test]
fn from_parts_resumes_and_carries_the_dispatcher_across_a_reconnect() {
    let resumed = MessageStream::from_parts(
        body(&[b"data: a\n\n"]),
        Parser::new(),
        Dispatcher::with_last_event_id("41"),
    );
    let first: Vec<_> = block_on(resumed.map(Result::unwrap).collect());
    assert_eq!(first[0].last_event_id, "41");

    // The body breaks in the middle of an event; the next one starts afresh
    // with the old stream's last event ID and reconnection time.
    let mut broken = MessageStream::new(body(&[b"retry: 50\nid: 7\ndata: a\n\nid: 8\ndata: cut"]));
    assert_eq!(block_on(broken.next()).unwrap().unwrap().last_event_id, "7");
    let mut next = MessageStream::from_parts(
        body(&[b"data: b\n\n"]),
        Parser::new(),
        broken.dispatcher().clone(),
    );
    assert_eq!(block_on(next.next()).unwrap().unwrap().last_event_id, "7");
    assert_eq!(next.dispatcher().reconnection_time(), Some(50));
}

#[test]
fn the_inner_stream_is_not_polled_after_it_ended() {
    let polls = Rc::new(Cell::new(0));
    let counter = Rc::clone(&polls);
    let inner = stream::poll_fn(move |_| {
        counter.set(counter.get() + 1);
        match counter.get() {
            1 => Poll::Ready(Some(Ok::<_, Infallible>(&b"data: a\n\ndata: b\n\n"[..]))),
            2 => Poll::Ready(None),
            _ => panic!("polled after it ended"),
        }
    });
    let mut stream = MessageStream::new(inner);
    assert!(!stream.is_terminated(), "nothing read yet");
    block_on(async {
        assert!(stream.next().await.is_some());
        assert!(!stream.is_terminated(), "a message is still queued");
        assert!(stream.next().await.is_some());
        assert!(stream.next().await.is_none());
        assert!(stream.is_terminated());
        assert!(stream.next().await.is_none());
    });
    assert_eq!(polls.get(), 2);
}

#[test]
fn with_comments_ends_as_a_fused_stream() {
    let mut stream =
        MessageStream::new(stream::iter([Ok::<_, Infallible>(&b": hi\n"[..])])).with_comments();
    assert!(!stream.is_terminated(), "nothing read yet");
    block_on(async {
        assert!(matches!(
            stream.next().await,
            Some(Ok(StreamItem::Comment(_)))
        ));
        assert!(stream.next().await.is_none());
    });
    assert!(stream.is_terminated());
}

/// A transport error with a cause of its own, as I/O errors have.
#[derive(Debug)]
struct Reset(std::num::ParseIntError);

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset")
    }
}

impl std::error::Error for Reset {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn a_stream_error_shows_as_the_error_inside_with_its_source() {
    use std::error::Error as _;
    let cause = "x".parse::<u8>().unwrap_err();
    let error = StreamError::Transport(Reset(cause.clone()));
    assert_eq!(error.to_string(), "connection reset");
    assert_eq!(
        error.source().map(ToString::to_string),
        Some(cause.to_string())
    );
    let parse = StreamError::<Reset>::Parse(ParseError::EventTooLarge { limit: 8 });
    assert_eq!(
        parse.to_string(),
        ParseError::EventTooLarge { limit: 8 }.to_string()
    );
    assert!(parse.source().is_none());
}

#[test]
fn a_stream_that_is_not_unpin_works_boxed() {
    // `unfold` holds a future, so it is not Unpin: Box::pin makes it so.
    let inner = stream::unfold(0, |n| async move {
        (n < 3).then(|| (Ok::<_, Infallible>(format!("data: {n}\n\n")), n + 1))
    });
    let data: Vec<String> = block_on(
        MessageStream::new(Box::pin(inner))
            .map(|message| message.unwrap().data)
            .collect(),
    );
    assert_eq!(data, ["0", "1", "2"]);
}
