//! ssekit for JavaScript, compiled to WebAssembly: the npm package `ssekit`.
//!
//! Thin adapters over the core: the `EventSource` class over `fetch()`
//! ([`event_source_class`], [`events`], [`install_polyfill`]), [`SseParser`]
//! (the streaming parser and the browser dispatch rules, fed `Uint8Array`s or
//! strings) and [`encode_event`]. They run in a Window and in Workers: they
//! reach `fetch`, timers and `location` through the global scope, never
//! through `window`.

#![deny(missing_docs)]

mod batch;
mod encoder;
mod eventsource;
mod js;
mod options;
mod parser;
#[forbid(unsafe_code)]
pub mod scan;

/// TypeScript declarations for the values these bindings take and return,
/// where the generated ones would say `any`.
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

pub use encoder::encode_event;
pub use eventsource::{event_source_class, events, install_polyfill};
pub use parser::SseParser;
