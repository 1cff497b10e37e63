//! The wasm core of the npm package `ssekit`.
//!
//! JavaScript (`js/ssekit.js`) does every piece of I/O and this crate makes
//! every decision, with the core's own types: an `SseParser` is a
//! [`Parser`] and a [`Dispatcher`], an `EventSource` is a [`Connection`]
//! (the sans-IO connection machine, its parser included). So every rule of
//! the standard lives once, in the core, and the shell keeps no state that
//! these have: not the open line, the block, the last event ID, the retry
//! time nor readyState.
//!
//! Only numbers cross the boundary. JavaScript copies a chunk into the
//! shared input area and calls `stream_feed`; the stream parses it whole and
//! writes what it found as [`record`]s, with the text of every string laid
//! end to end in one UTF-8 area, which JavaScript decodes with one
//! `TextDecoder` call and slices by the UTF-16 lengths the records carry.
//! For an EventSource, JavaScript reports what else happened (a response,
//! the end of a body, a network error, time) and gets back what to do.
//!
//! A handle is the address of a boxed [`Handle`]; JavaScript passes back only
//! handles it was given and frees each once. That contract, the exports and
//! the global allocator are this crate's `unsafe`; the core is
//! `forbid(unsafe_code)`.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::ControlFlow;

use ssekit::connection::{
    Cause, Config, Connection, Dispatch, Failure, Poll, ResponseHead, Transition,
};
use ssekit::{Dispatcher, Item, Parser, RetryPolicy};
use wasm_bindgen::prelude::wasm_bindgen;

pub mod record;

use record::Out;

// A panic (there is none reachable from input) traps the instance; without
// std's machinery the module stays small.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

// Small and well kept; grows wasm memory as needed.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// One stream: an `SseParser`'s or an `EventSource`'s.
pub enum Handle {
    /// An `SseParser`: the core's parser and dispatcher; `wanted` says
    /// which optional records to write ([`record::WANT_COMMENTS`],
    /// [`record::WANT_RETRY`]).
    Parser {
        /// P1–P12.
        parser: Parser,
        /// D1–D5, the last event ID and the retry time.
        dispatcher: Dispatcher,
        /// Optional records.
        wanted: u32,
    },
    /// An `EventSource`: the core's connection machine.
    Source {
        /// Everything an EventSource decides.
        connection: Connection,
        /// Optional records ([`record::WANT_COMMENTS`]).
        wanted: u32,
    },
}

/// What every stream shares: the input area JavaScript writes a chunk (or a
/// string argument) into before a call, and what the last feed wrote. Each
/// call is done with them before it returns (JavaScript copies the records
/// out and decodes the text before it runs any handler), so one set serves
/// all streams.
///
/// Its first words are a header JavaScript reads straight from memory (at
/// `shared_header()`), so that feeding a chunk costs one call.
#[repr(C)]
struct Shared {
    /// Word 0: the address of the last feed's records.
    records_at: u32,
    /// Word 1: the address of the last feed's text.
    text_at: u32,
    /// Word 2: its length in bytes.
    text_len: u32,
    /// Word 3: its length in UTF-16 units (equal to word 2: all ASCII).
    text_units: u32,
    /// Word 4: the address of the input area.
    input_at: u32,
    /// Word 5: the input area's length in bytes.
    input_len: u32,
    input: Vec<u8>,
    out: Out,
}

static mut SHARED: Shared = Shared {
    records_at: 0,
    text_at: 0,
    text_len: 0,
    text_units: 0,
    input_at: 0,
    input_len: 0,
    input: Vec::new(),
    out: Out::new(),
};

fn shared() -> &'static mut Shared {
    // SAFETY: wasm32 is single-threaded and every export takes this once
    // and drops it before returning; nothing else points into SHARED.
    unsafe { &mut *core::ptr::addr_of_mut!(SHARED) }
}

/// The address of the shared header (see `Shared`).
#[wasm_bindgen]
pub fn shared_header() -> u32 {
    core::ptr::addr_of!(SHARED) as usize as u32
}

/// An input area this big is kept between calls; a bigger one (a long
/// string argument) is given back by the next call that needs less.
const KEEP_INPUT: usize = 64 * 1024;

/// The shared input area, of at least `len` bytes; JavaScript writes there
/// next (header words 4 and 5 say where and how much).
#[wasm_bindgen]
pub fn input(len: u32) -> u32 {
    let shared = shared();
    let len = len as usize;
    if shared.input.len() > KEEP_INPUT && len <= KEEP_INPUT {
        shared.input = Vec::new();
    }
    if shared.input.len() < len {
        shared.input.resize(len.max(64), 0);
    }
    shared.input_at = shared.input.as_mut_ptr() as usize as u32;
    shared.input_len = shared.input.len() as u32;
    shared.input_at
}

/// The first `len` bytes of the input area.
fn input_bytes(len: u32) -> &'static [u8] {
    let input = &shared().input;
    input.get(..len as usize).unwrap_or(input)
}

/// The first `len` bytes of the input area as text.
fn input_text(len: u32) -> &'static str {
    text(input_bytes(len))
}

/// Bytes JavaScript wrote as text. It writes every string argument with
/// `TextEncoder.encodeInto`, which only writes UTF-8, and passes the count it
/// wrote; checking again would cost the module `from_utf8`.
fn text(bytes: &[u8]) -> &str {
    // SAFETY: valid UTF-8 by the contract above with js/ssekit.js, the only
    // caller.
    unsafe { core::str::from_utf8_unchecked(bytes) }
}

fn handle(h: u32) -> &'static mut Handle {
    // SAFETY: `h` came from `parser_new` or `source_new` and was not freed
    // (the contract with js/ssekit.js, the only caller); wasm32 is
    // single-threaded and no export holds the reference past its return.
    unsafe { &mut *(h as usize as *mut Handle) }
}

fn boxed(handle: Handle) -> u32 {
    Box::into_raw(Box::new(handle)) as usize as u32
}

/// A f64 from JavaScript as a count of milliseconds (NaN and negatives: 0).
fn ms(value: f64) -> u64 {
    value as u64
}

/// A new `SseParser`: events over `max_event_bytes` are dropped; `wanted`
/// asks for comment and retry records; the input area holds the initial
/// last event ID (`id_len` bytes).
#[wasm_bindgen]
pub fn parser_new(max_event_bytes: f64, wanted: u32, id_len: u32) -> u32 {
    boxed(Handle::Parser {
        parser: Parser::with_max_event_bytes(max_event_bytes as usize),
        dispatcher: Dispatcher::with_last_event_id(input_text(id_len)),
        wanted,
    })
}

/// Frees a stream.
#[wasm_bindgen]
pub fn stream_free(h: u32) {
    // SAFETY: as in `handle`; JavaScript never uses `h` again.
    drop(unsafe { Box::from_raw(h as usize as *mut Handle) });
}

/// Parses the first `len` input bytes; returns how many record words there
/// are at header word 0 (their text: header words 1–3). `now` is when they
/// arrived, for an EventSource's idle timeout.
#[wasm_bindgen]
pub fn stream_feed(h: u32, len: u32, now: f64) -> u32 {
    let shared = shared();
    let bytes = shared.input.get(..len as usize).unwrap_or(&shared.input);
    let out = &mut shared.out;
    out.clear();
    match handle(h) {
        Handle::Parser {
            parser,
            dispatcher,
            wanted,
        } => {
            let wanted = *wanted;
            parser.feed(bytes, |item| match item {
                Err(_) => out.too_large(),
                Ok(Item::Comment(text)) if wanted & record::WANT_COMMENTS != 0 => out.comment(text),
                Ok(Item::Retry(ms)) if wanted & record::WANT_RETRY != 0 => {
                    let _ = dispatcher.dispatch(Item::Retry(ms));
                    out.retry(ms);
                }
                Ok(item) => {
                    if let Some(message) = dispatcher.dispatch(item) {
                        out.message(&message);
                    }
                }
            });
        }
        Handle::Source { connection, wanted } => {
            let wanted = *wanted;
            connection.handle_bytes(ms(now), bytes, |dispatch| {
                match dispatch {
                    Dispatch::Message(message) => out.message(&message),
                    Dispatch::Comment(text) if wanted & record::WANT_COMMENTS != 0 => {
                        out.comment(text);
                    }
                    Dispatch::Comment(_) => {}
                    Dispatch::Error(_) => out.too_large(),
                }
                ControlFlow::Continue(())
            });
        }
    }
    shared.records_at = out.records.as_ptr() as usize as u32;
    shared.text_at = out.text.as_ptr() as usize as u32;
    shared.text_len = out.text.len() as u32;
    shared.text_units = out.units;
    out.records.len() as u32
}

/// `SseParser.finish()`, the end of a body (P12): the open block is dropped.
/// Returns whether anything was (the body was cut inside an event).
#[wasm_bindgen]
pub fn stream_finish(h: u32) -> bool {
    match handle(h) {
        Handle::Parser { parser, .. } => parser.finish(),
        Handle::Source { .. } => false,
    }
}

/// Bytes held for the event being read (they count against the limit).
#[wasm_bindgen]
pub fn stream_buffered(h: u32) -> f64 {
    match handle(h) {
        Handle::Parser { parser, .. } => parser.buffered_bytes() as f64,
        Handle::Source { .. } => 0.0,
    }
}

/// The reconnection time the stream last asked for with `retry` (ms), or
/// -1.
#[wasm_bindgen]
pub fn stream_retry(h: u32) -> f64 {
    let retry = match handle(h) {
        Handle::Parser { dispatcher, .. } => dispatcher.reconnection_time(),
        Handle::Source { connection, .. } => connection.reconnection_time_ms(),
    };
    retry.map_or(-1.0, |ms| ms as f64)
}

/// Where the last event ID's UTF-8 is (see `stream_last_event_id_len`).
#[wasm_bindgen]
pub fn stream_last_event_id(h: u32) -> u32 {
    last_event_id(h).as_ptr() as usize as u32
}

/// The last event ID's length in bytes.
#[wasm_bindgen]
pub fn stream_last_event_id_len(h: u32) -> u32 {
    last_event_id(h).len() as u32
}

fn last_event_id(h: u32) -> &'static str {
    match handle(h) {
        Handle::Parser { dispatcher, .. } => dispatcher.last_event_id(),
        Handle::Source { connection, .. } => connection.last_event_id(),
    }
}

/// The configuration record `source_new` reads from the input area, as
/// js/ssekit.js writes it: little-endian, at the offsets [`config`] names.
/// Milliseconds are `f64`s (JavaScript numbers). JavaScript checked every
/// value at construction (it must throw before the wasm is loaded); a value
/// the core refuses keeps the default.
#[repr(C)]
#[derive(Clone, Copy)]
struct ConfigRecord {
    initial_ms: f64,
    max_ms: f64,
    multiplier: f64,
    jitter: f64,
    reset_after_ms: f64,
    idle_ms: f64,
    max_event_bytes: f64,
    max_attempts: u32,
    flags: u32,
    id_len: u32,
    statuses: u32,
}

/// Where each field of the configuration record is: the one definition of
/// its layout (the offsets of `ConfigRecord`), which js/ssekit.js spells
/// with the same names (`C_INITIAL_MS`, …; a test checks that they agree).
/// The initial last event ID's UTF-8 follows the record, then the retry
/// statuses as `u16`s.
pub mod config {
    use super::ConfigRecord;
    use core::mem::{offset_of, size_of};

    /// `f64`: the policy's initial delay.
    pub const C_INITIAL_MS: u32 = offset_of!(ConfigRecord, initial_ms) as u32;
    /// `f64`: the cap on the delay, read with [`C_HAS_MAX_MS`].
    pub const C_MAX_MS: u32 = offset_of!(ConfigRecord, max_ms) as u32;
    /// `f64`: the growth per consecutive failed attempt.
    pub const C_MULTIPLIER: u32 = offset_of!(ConfigRecord, multiplier) as u32;
    /// `f64`: the jitter, a fraction.
    pub const C_JITTER: u32 = offset_of!(ConfigRecord, jitter) as u32;
    /// `f64`: how long a connection must stay open for the count of failed
    /// attempts to start over.
    pub const C_RESET_AFTER_MS: u32 = offset_of!(ConfigRecord, reset_after_ms) as u32;
    /// `f64`: the idle timeout, read with [`C_HAS_IDLE`].
    pub const C_IDLE_MS: u32 = offset_of!(ConfigRecord, idle_ms) as u32;
    /// `f64`: the most one event may buffer, in bytes.
    pub const C_MAX_EVENT_BYTES: u32 = offset_of!(ConfigRecord, max_event_bytes) as u32;
    /// `u32`: consecutive reconnects allowed, read with
    /// [`C_HAS_MAX_ATTEMPTS`].
    pub const C_MAX_ATTEMPTS: u32 = offset_of!(ConfigRecord, max_attempts) as u32;
    /// `u32`: the `C_HAS_*`, [`C_CLOSE_ON_END`] and
    /// [`record::WANT_COMMENTS`](crate::record::WANT_COMMENTS) bits.
    pub const C_FLAGS: u32 = offset_of!(ConfigRecord, flags) as u32;
    /// `u32`: the initial last event ID's length in bytes.
    pub const C_ID_LEN: u32 = offset_of!(ConfigRecord, id_len) as u32;
    /// `u32`: how many retry statuses follow the ID.
    pub const C_STATUSES: u32 = offset_of!(ConfigRecord, statuses) as u32;
    /// The record's size; the ID starts here.
    pub const C_SIZE: u32 = size_of::<ConfigRecord>() as u32;
    /// Flag: the policy has a cap.
    pub const C_HAS_MAX_MS: u32 = 1 << 8;
    /// Flag: the policy gives up after [`C_MAX_ATTEMPTS`].
    pub const C_HAS_MAX_ATTEMPTS: u32 = 1 << 9;
    /// Flag: there is an idle timeout.
    pub const C_HAS_IDLE: u32 = 1 << 10;
    /// Flag: a clean end of the body ends the source.
    pub const C_CLOSE_ON_END: u32 = 1 << 11;
}

/// A new `EventSource`, as the configuration record in the input area says.
#[wasm_bindgen]
pub fn source_new() -> u32 {
    use config::*;
    let input = &shared().input;
    if input.len() < C_SIZE as usize {
        return 0;
    }
    // SAFETY: the input area holds at least a record's bytes (checked just
    // above), and every bit pattern is a valid f64 or u32.
    let c = unsafe { core::ptr::read_unaligned(input.as_ptr().cast::<ConfigRecord>()) };
    let rest = input.get(C_SIZE as usize..).unwrap_or_default();
    let (id, statuses) = rest.split_at((c.id_len as usize).min(rest.len()));
    let retry_statuses = statuses
        .chunks_exact(2)
        .take(c.statuses as usize)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let mut retry = RetryPolicy::default()
        .with_initial_ms(ms(c.initial_ms))
        .with_reset_after_ms(ms(c.reset_after_ms))
        .with_max_attempts((c.flags & C_HAS_MAX_ATTEMPTS != 0).then_some(c.max_attempts));
    if c.flags & C_HAS_MAX_MS != 0 {
        retry = retry.with_max_ms(ms(c.max_ms));
    }
    retry = retry.try_with_multiplier(c.multiplier).unwrap_or(retry);
    retry = retry.try_with_jitter(c.jitter).unwrap_or(retry);
    boxed(Handle::Source {
        connection: Connection::new(Config {
            retry,
            retry_statuses,
            last_event_id: String::from(text(id)),
            max_event_bytes: c.max_event_bytes as usize,
            idle_timeout_ms: (c.flags & C_HAS_IDLE != 0).then(|| ms(c.idle_ms)),
            close_on_end: c.flags & C_CLOSE_ON_END != 0,
        }),
        wanted: c.flags & record::WANT_COMMENTS,
    })
}

fn connection(h: u32) -> Option<&'static mut Connection> {
    match handle(h) {
        Handle::Source { connection, .. } => Some(connection),
        Handle::Parser { .. } => None,
    }
}

/// How a transition is packed for JavaScript: `kind | detail << 3`. The
/// one definition of this format; js/ssekit.js reads the values it needs
/// under the same names (`T_OPEN`, …), and a test checks that they agree.
/// (The status of a response is the shell's: it holds the response.)
pub mod transition {
    /// Nothing to do.
    pub const T_NONE: u32 = 0;
    /// readyState OPEN: fire `open`.
    pub const T_OPEN: u32 = 1;
    /// readyState CONNECTING: fire `error`, wait, reconnect. Detail: the
    /// cause (`CAUSE_*`).
    pub const T_RECONNECT: u32 = 2;
    /// readyState CLOSED for good: fire `error`. Detail: the reason
    /// (`FAIL_*`).
    pub const T_FAIL: u32 = 3;
    /// readyState CLOSED: the finite stream is complete; fire `end`.
    pub const T_ENDED: u32 = 4;
    /// [`T_RECONNECT`] detail: the body ended cleanly.
    pub const CAUSE_ENDED: u32 = 0;
    /// [`T_RECONNECT`] detail: the request or the body failed.
    pub const CAUSE_NETWORK: u32 = 1;
    /// [`T_RECONNECT`] detail: a retry status.
    pub const CAUSE_STATUS: u32 = 2;
    /// [`T_RECONNECT`] detail: the idle timeout ran out.
    pub const CAUSE_IDLE: u32 = 3;
    /// [`T_RECONNECT`] detail: `reconnect()` asked for it.
    pub const CAUSE_REQUESTED: u32 = 4;
    /// [`T_FAIL`] detail: a status that is not 200.
    pub const FAIL_STATUS: u32 = 0;
    /// [`T_FAIL`] detail: not `text/event-stream`.
    pub const FAIL_CONTENT_TYPE: u32 = 1;
    /// [`T_FAIL`] detail: the retry policy gave up.
    pub const FAIL_GAVE_UP: u32 = 2;
    /// [`T_FAIL`] detail: the shell refused (`source_reject`).
    pub const FAIL_REJECTED: u32 = 3;
}

fn pack(transition: Transition) -> u32 {
    use transition::*;
    let (kind, detail) = match transition {
        Transition::None => (T_NONE, 0),
        Transition::Open => (T_OPEN, 0),
        Transition::Reconnecting { cause, .. } => match cause {
            Cause::Ended => (T_RECONNECT, CAUSE_ENDED),
            Cause::NetworkError => (T_RECONNECT, CAUSE_NETWORK),
            Cause::Status(_) => (T_RECONNECT, CAUSE_STATUS),
            Cause::IdleTimeout => (T_RECONNECT, CAUSE_IDLE),
            Cause::Requested => (T_RECONNECT, CAUSE_REQUESTED),
        },
        Transition::Failed(failure) => match failure {
            Failure::Status(_) => (T_FAIL, FAIL_STATUS),
            Failure::ContentType => (T_FAIL, FAIL_CONTENT_TYPE),
            Failure::GaveUp { .. } => (T_FAIL, FAIL_GAVE_UP),
            Failure::Rejected => (T_FAIL, FAIL_REJECTED),
        },
        Transition::Ended => (T_ENDED, 0),
    };
    kind | detail << 3
}

fn apply(h: u32, step: impl FnOnce(&mut Connection) -> Transition) -> u32 {
    pack(connection(h).map_or(Transition::None, step))
}

/// What `source_poll` answers besides a deadline (a time, `>= 0`): the
/// core's [`Poll`], one number. The one definition; js/ssekit.js spells
/// them with the same names.
pub mod poll {
    /// Make a request now (its `Last-Event-ID`: `stream_last_event_id`).
    pub const P_REQUEST: f64 = -1.0;
    /// Wait for the response, the bytes or the end.
    pub const P_IO: f64 = -2.0;
    /// Wait for `source_resume`.
    pub const P_PAUSED: f64 = -3.0;
    /// Closed for good: stop.
    pub const P_CLOSED: f64 = -4.0;
}

/// What to do now: one of the [`poll`] values, or the time (ms) to call
/// `source_timeout` and ask again.
#[wasm_bindgen]
pub fn source_poll(h: u32, now: f64) -> f64 {
    match connection(h).map_or(Poll::Closed, |c| c.poll(ms(now))) {
        Poll::Request(_) => poll::P_REQUEST,
        Poll::Until(at) => at as f64,
        Poll::Io => poll::P_IO,
        Poll::Paused => poll::P_PAUSED,
        Poll::Closed => poll::P_CLOSED,
    }
}

/// D1 after a handler stopped the delivery of a chunk (it called
/// `reconnect()`): the input area holds the last event ID of the last
/// message delivered, which the next request sends; events after it in
/// that chunk were never seen.
#[wasm_bindgen]
pub fn source_set_last_event_id(h: u32, len: u32) {
    if let Some(connection) = connection(h) {
        connection.set_last_event_id(input_text(len));
    }
}

/// C4: a response arrived; the input area holds its Content-Type (`type_len`
/// bytes, or `u32::MAX` for no header).
#[wasm_bindgen]
pub fn source_response(h: u32, now: f64, status: u32, type_len: u32, random: f64) -> u32 {
    let content_type = (type_len != u32::MAX).then(|| input_text(type_len));
    let head = ResponseHead {
        status: status.min(u32::from(u16::MAX)) as u16,
        content_type,
    };
    apply(h, |c| c.handle_response(ms(now), head, random))
}

/// C5: the body ended cleanly.
#[wasm_bindgen]
pub fn source_end(h: u32, now: f64, random: f64) -> u32 {
    apply(h, |c| c.handle_end(ms(now), random))
}

/// A deadline `source_poll` gave came.
#[wasm_bindgen]
pub fn source_timeout(h: u32, now: f64, random: f64) -> u32 {
    apply(h, |c| c.handle_timeout(ms(now), random))
}

/// C5: the request or the body failed.
#[wasm_bindgen]
pub fn source_network_error(h: u32, now: f64, random: f64) -> u32 {
    apply(h, |c| c.handle_network_error(ms(now), random))
}

/// C7 for a reason the shell found (the `onResponse` hook said no, fetch did
/// not return a Response, a fault in the shell).
#[wasm_bindgen]
pub fn source_reject(h: u32) -> u32 {
    apply(h, |c| c.fail(Failure::Rejected))
}

/// `reconnect()`: a new request at once.
#[wasm_bindgen]
pub fn source_reconnect(h: u32, now: f64) -> u32 {
    apply(h, |c| c.reconnect(ms(now)))
}

/// C8: close().
#[wasm_bindgen]
pub fn source_close(h: u32) {
    if let Some(connection) = connection(h) {
        connection.close();
    }
}

/// The page was hidden (`pauseWhenHidden`).
#[wasm_bindgen]
pub fn source_pause(h: u32, now: f64) {
    if let Some(connection) = connection(h) {
        connection.pause(ms(now));
    }
}

/// The page is visible again.
#[wasm_bindgen]
pub fn source_resume(h: u32, now: f64) {
    if let Some(connection) = connection(h) {
        connection.resume(ms(now));
    }
}

/// readyState: 0 CONNECTING, 1 OPEN, 2 CLOSED.
#[wasm_bindgen]
pub fn source_ready_state(h: u32) -> u32 {
    connection(h).map_or(2, |c| c.ready_state() as u32)
}

/// Consecutive failed reconnects (for the error's `attempts`).
#[wasm_bindgen]
pub fn source_failed_attempts(h: u32) -> u32 {
    connection(h).map_or(0, |c| c.failed_attempts())
}

#[cfg(test)]
mod tests;
