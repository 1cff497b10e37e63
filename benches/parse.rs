//! Parser throughput on eventsource-parser-style fixtures, against
//! `eventsource-stream` (the peer) and a plain `memchr` newline scan over the
//! same chunks (the physical limit), all in the same run.
//!
//!     cargo bench --bench parse                 # criterion's own report
//!     cargo xtask bench core --report            # the same, then BENCHMARKS.md
//!
//! With the `stream` feature each fixture's group also has `ssekit-stream`:
//! ssekit's `MessageStream` over the same stream of chunks that
//! `eventsource-stream` gets, both yielding owned messages, both driven by
//! `futures::executor::block_on` (adapter against adapter):
//!
//!     cargo bench --bench parse --features stream             # every entry
//!     cargo bench --bench parse --features stream -- stream   # the two stream adapters only
//!
//! Every implementation is fed the fixture in the fixture's chunk size and
//! must produce the same number of events, checked before measuring.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use ssekit::{Dispatcher, Parser};
use ssekit_test_support::fixtures;

/// ssekit as an EventSource would use it: parser + dispatcher, touching every
/// message's data. Returns the number of messages.
fn ssekit_messages(chunks: &[&[u8]]) -> usize {
    let mut parser = Parser::new();
    let mut dispatcher = Dispatcher::new();
    let mut messages = 0;
    for chunk in chunks {
        parser.feed(chunk, |item| {
            if let Some(message) =
                dispatcher.dispatch(item.expect("fixtures fit the default limit"))
            {
                black_box(message.data.len());
                messages += 1;
            }
        });
    }
    messages
}

/// The peer: eventsource-stream over a stream of the same chunks.
fn eventsource_stream_messages(chunks: &[&[u8]]) -> usize {
    let stream =
        futures::stream::iter(chunks.iter().map(|chunk| Ok::<_, Infallible>(*chunk))).eventsource();
    futures::executor::block_on(stream.fold(0, |count, event| async move {
        black_box(event.expect("valid fixture").data.len());
        count + 1
    }))
}

/// ssekit's stream adapter over a stream of the same chunks as the peer's,
/// touching every message's data.
#[cfg(feature = "stream")]
fn ssekit_stream_messages(chunks: &[&[u8]]) -> usize {
    let stream = ssekit::MessageStream::new(futures::stream::iter(
        chunks.iter().map(|chunk| Ok::<_, Infallible>(*chunk)),
    ));
    futures::executor::block_on(stream.fold(0, |count, message| async move {
        black_box(message.expect("fixtures fit the default limit").data.len());
        count + 1
    }))
}

/// The physical limit: visit every LF in the same chunks, nothing else.
/// (Positions are summed rather than counted: memchr's `count()` is a
/// different, vectorised algorithm that no line parser can use.)
fn memchr_newlines(chunks: &[&[u8]]) -> usize {
    chunks
        .iter()
        .map(|chunk| memchr::memchr_iter(b'\n', black_box(chunk)).fold(0, |sum, at| sum ^ at))
        .sum()
}

fn parse(c: &mut Criterion) {
    for fixture in fixtures::suite(1.0) {
        let chunk_size = fixture.chunk.unwrap_or(fixture.bytes.len());
        let chunks: Vec<&[u8]> = fixture.bytes.chunks(chunk_size).collect();
        let expected = ssekit_messages(&chunks);
        assert_eq!(
            eventsource_stream_messages(&chunks),
            expected,
            "{}: the peer disagrees",
            fixture.name
        );
        #[cfg(feature = "stream")]
        assert_eq!(
            ssekit_stream_messages(&chunks),
            expected,
            "{}: ssekit's stream adapter disagrees",
            fixture.name
        );

        let mut group = c.benchmark_group(fixture.name);
        group.throughput(Throughput::Bytes(fixture.bytes.len() as u64));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        group.bench_with_input(
            BenchmarkId::from_parameter("ssekit"),
            &chunks,
            |b, chunks| b.iter(|| assert_eq!(ssekit_messages(black_box(chunks)), expected)),
        );
        group.bench_with_input(
            BenchmarkId::from_parameter("eventsource-stream"),
            &chunks,
            |b, chunks| {
                b.iter(|| assert_eq!(eventsource_stream_messages(black_box(chunks)), expected))
            },
        );
        #[cfg(feature = "stream")]
        group.bench_with_input(
            BenchmarkId::from_parameter("ssekit-stream"),
            &chunks,
            |b, chunks| b.iter(|| assert_eq!(ssekit_stream_messages(black_box(chunks)), expected)),
        );
        group.bench_with_input(
            BenchmarkId::from_parameter("memchr-scan"),
            &chunks,
            |b, chunks| b.iter(|| black_box(memchr_newlines(chunks))),
        );
        group.finish();
    }
}

criterion_group!(benches, parse);
criterion_main!(benches);
