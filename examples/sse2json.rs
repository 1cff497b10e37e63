//! `sse2json`: reads a Server-Sent Events stream on stdin and prints, one JSON
//! object per line and in stream order, what a browser's `EventSource` would
//! see:
//!
//! - `{"type":…,"data":…,"lastEventId":…}` for every event it would dispatch
//!   (type defaults to `message`; `lastEventId` is the persisted last event ID);
//! - `{"retry":N}` for every valid `retry` field.
//!
//! An unterminated final block prints nothing. Errors (an event over the size
//! limit) go to stderr and parsing goes on.
//!
//! ```text
//! curl -sN https://example.com/stream | cargo run -q --example sse2json
//! cargo run -q --example sse2json -- --chunk 1 < capture.sse
//! ```
//!
//! Options: `--chunk N` feeds the parser N bytes at a time (default: as read);
//! `--max-event-bytes N` sets the parser's size limit for one event.

use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use serde::Serialize;
use ssekit::{Dispatcher, Item, Parser, DEFAULT_MAX_EVENT_BYTES};

#[derive(Serialize)]
#[serde(untagged)]
enum Line<'a> {
    Message {
        #[serde(rename = "type")]
        event_type: &'a str,
        data: &'a str,
        #[serde(rename = "lastEventId")]
        last_event_id: &'a str,
    },
    Retry {
        retry: u64,
    },
}

struct Options {
    chunk: Option<usize>,
    max_event_bytes: usize,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        chunk: None,
        max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            let value = args
                .next()
                .ok_or_else(|| format!("{name} needs a number"))?;
            value
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name} needs a positive number, got {value:?}"))
        };
        match arg.as_str() {
            "--chunk" => options.chunk = Some(number("--chunk")?),
            "--max-event-bytes" => options.max_event_bytes = number("--max-event-bytes")?,
            "-h" | "--help" => {
                return Err("usage: sse2json [--chunk N] [--max-event-bytes N] < stream".into())
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("sse2json: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed stdout (`| head`) is a normal way to stop.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sse2json: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> io::Result<()> {
    let mut parser = Parser::with_max_event_bytes(options.max_event_bytes);
    let mut dispatcher = Dispatcher::new();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut input = io::stdin().lock();
    let mut buf = vec![0u8; 64 * 1024];
    let mut failure: io::Result<()> = Ok(());
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for chunk in buf[..n].chunks(options.chunk.unwrap_or(n)) {
            parser.feed(chunk, |item| {
                let line = match item {
                    Err(error) => {
                        eprintln!("sse2json: {error}");
                        return;
                    }
                    Ok(Item::Retry(retry)) => Some(Line::Retry { retry }),
                    Ok(item) => dispatcher.dispatch(item).map(|m| Line::Message {
                        event_type: m.event_type,
                        data: m.data,
                        last_event_id: m.last_event_id,
                    }),
                };
                if let (Some(line), Ok(())) = (line, &failure) {
                    failure = serde_json::to_writer(&mut out, &line)
                        .map_err(io::Error::from)
                        .and_then(|()| out.write_all(b"\n"));
                }
            });
            std::mem::replace(&mut failure, Ok(()))?;
            // Print each line as soon as it is known: this is a live tool.
        }
        out.flush()?;
    }
    // P12: an unterminated final block is discarded.
    parser.finish();
    out.flush()
}
