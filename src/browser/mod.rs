//! Feature `browser`: ssekit for JavaScript, compiled to WebAssembly.
//!
//! Thin adapters over the core: [`SseParser`] (the streaming parser and the
//! browser dispatch rules, fed `Uint8Array`s or strings) and
//! [`encode_event`](encoder::encode_event). They run in a Window, in Workers
//! and in Node, as they touch no global but the ones JavaScript always has.

mod encoder;
mod errors;
mod parser;

pub use encoder::encode_event;
pub use parser::SseParser;
