//! Server-Sent Events, exact to the WHATWG HTML Standard (section 9.2), for
//! any Rust target: native, the browser (wasm) and the edge.
//!
//! This is the core: `no_std` + `alloc`, no WebAssembly glue. The npm
//! package (`crates/ssekit-wasm`) and the Cloudflare Workers adapters
//! (`ssekit-workers`) are built on it.
//!
//! - [`Parser`] — a streaming parser: bytes in, in chunks of any size, and
//!   [`Item`]s out (events, comments, `retry` fields) in stream order. Linear
//!   in time and memory, with a configurable bound on what one event may buffer.
//! - [`Dispatcher`] — the few rules a browser's `EventSource` applies on top of
//!   the raw parser: the persisted last event ID and the default `message` type.
//! - [`connection::Connection`] — a whole `EventSource` connection as a state
//!   machine without I/O: readyState, reconnects with backoff, the last event
//!   ID, `close()`. Drive it with any HTTP client and any clock.
//! - `MessageStream` (feature `stream`) — the parser and dispatcher behind a
//!   `futures_core::Stream`: any stream of byte chunks in (reqwest's
//!   `bytes_stream()`, workers-rs' `ByteStream`), owned messages out.
//! - [`Event`] — an encoder that writes into your buffer and refuses (with an
//!   error, never a panic) anything that would produce a malformed or injected
//!   event.
//!
//! # Example
//!
//! ```
//! use ssekit::{Dispatcher, Event, Item, Parser};
//!
//! // Encode two events the way a server would.
//! let mut wire = String::new();
//! Event::new().event("greeting").id("1").data("hello\nworld").encode_into(&mut wire)?;
//! Event::new().data("no id on this one").encode_into(&mut wire)?;
//!
//! // Parse them back, fed one byte at a time, as a browser would see them.
//! let mut parser = Parser::new();
//! let mut dispatcher = Dispatcher::new();
//! let mut seen = Vec::new();
//! for byte in wire.as_bytes().chunks(1) {
//!     parser.feed(byte, |item| {
//!         let item = item.expect("within the default size limit");
//!         if let Some(message) = dispatcher.dispatch(item) {
//!             seen.push(format!("{} {:?} id={}", message.event_type, message.data, message.last_event_id));
//!         }
//!     });
//! }
//! assert_eq!(seen, [
//!     r#"greeting "hello\nworld" id=1"#,
//!     r#"message "no id on this one" id=1"#, // the last event ID persists
//! ]);
//! # Ok::<(), ssekit::EncodeError>(())
//! ```
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod connection;
mod dispatch;
mod encode;
mod parse;
mod retry;
#[cfg(feature = "stream")]
mod stream;

pub use dispatch::{Dispatcher, Message, OwnedMessage, DEFAULT_EVENT_TYPE};
pub use encode::{Buffer, EncodeError, EncodedEvent, Event, Field, KEEP_ALIVE};
pub use retry::{RetryPolicy, RetryPolicyError, DEFAULT_RECONNECTION_MS, DEFAULT_RESET_AFTER_MS};
#[cfg(feature = "stream")]
pub use stream::{MessageStream, StreamError, StreamItem, WithComments};
// The README's Rust examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
// Likewise docs/event-stream.md's (the `stream` feature's README text).
#[cfg(all(doctest, feature = "stream"))]
#[doc = include_str!("../docs/event-stream.md")]
struct EventStreamDocExamples;

pub use parse::{Block, Item, OwnedItem, ParseError, Parser, DEFAULT_MAX_EVENT_BYTES};
