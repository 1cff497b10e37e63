//! The wasm core of the npm package `ssekit`.
//!
//! JavaScript (`js/ssekit.js`) does every piece of I/O and this crate makes
//! every decision, through a handful of functions that take and return
//! numbers only:
//!
//! - `stream_*` — a [`scan::Scanner`] per stream: JavaScript copies a chunk's
//!   bytes into the shared input area, decodes the same bytes once with a
//!   streaming `TextDecoder`, and the scanner answers with records whose
//!   positions are UTF-16 offsets into that text (the wire format is
//!   [`scan::record`]), so every string JavaScript builds is a `slice`.
//! - `source_*` — an EventSource's [`Connection`] (the core's sans-IO
//!   connection machine) on the same handle: JavaScript reports what
//!   happened (a response, the end of a body, a network error, time) and
//!   gets back what to do (open, reconnect after a delay, fail for good).
//!   The machine owns readyState, the last event ID, the backoff and
//!   "nothing after close".
//!
//! A handle is the address of a boxed [`Handle`]; JavaScript passes back only
//! handles it was given and frees each once. That contract, the exports and
//! the global allocator are this crate's `unsafe`; the scanner is
//! `forbid(unsafe_code)` and so is the core.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use ssekit::connection::{Cause, Config, Connection, Failure, ResponseHead, Transition};
use ssekit::RetryPolicy;
use wasm_bindgen::prelude::wasm_bindgen;

#[forbid(unsafe_code)]
pub mod scan;

use scan::{record, Scanner};

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

/// One stream: an `SseParser`'s, or an `EventSource`'s with its connection.
pub struct Handle {
    scanner: Scanner,
    connection: Option<Connection>,
}

/// What every stream shares: the input area JavaScript writes a chunk (or a
/// string argument) into before a call, and the records of the last feed.
/// Each call is done with them before it returns (JavaScript copies the
/// records out before it runs any handler), so one pair serves all streams
/// and a new parser allocates nothing big. Both only grow: to the largest
/// chunk JavaScript hands over at once (64 KiB) and its records.
///
/// Its first four words are a header JavaScript reads straight from memory
/// (at `shared_header()`), so that feeding a chunk costs one call.
#[repr(C)]
struct Shared {
    /// Word 0: where the open line starts in the last fed text
    /// (`record::NONE`: none).
    carry_from: u32,
    /// Word 1: the address of the last feed's records.
    records_at: u32,
    /// Word 2: the address of the input area.
    input_at: u32,
    /// Word 3: the input area's length in bytes.
    input_len: u32,
    /// Word 4: after a feed, the stream's `Scanner::quiet_room` (saturated):
    /// bytes with no line end that JavaScript may hold back and feed with
    /// the chunk that ends the line, saving a call per chunk of a long line.
    quiet_room: u32,
    input: Vec<u8>,
    records: Vec<u32>,
}

static mut SHARED: Shared = Shared {
    carry_from: record::NONE,
    records_at: 0,
    input_at: 0,
    input_len: 0,
    quiet_room: 0,
    input: Vec::new(),
    records: Vec::new(),
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

/// The shared input area, grown to at least `len` bytes; JavaScript writes
/// there next (header words 2 and 3 say where and how much).
#[wasm_bindgen]
pub fn input(len: u32) -> u32 {
    let shared = shared();
    if shared.input.len() < len as usize {
        shared.input.resize(len as usize, 0);
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
/// wrote; checking again would cost the module `from_utf8` (0.7 KB).
fn text(bytes: &[u8]) -> &str {
    // SAFETY: valid UTF-8 by the contract above with js/ssekit.js, the only
    // caller.
    unsafe { core::str::from_utf8_unchecked(bytes) }
}

fn handle(h: u32) -> &'static mut Handle {
    // SAFETY: `h` came from `stream_new` and was not freed (the contract
    // with js/ssekit.js, the only caller); wasm32 is single-threaded and no
    // export holds the reference past its return.
    unsafe { &mut *(h as usize as *mut Handle) }
}

/// A f64 from JavaScript as a count of milliseconds (NaN and negatives: 0).
fn ms(value: f64) -> u64 {
    value as u64
}

/// A new stream; `flags` asks for comment and retry records
/// ([`record::WANT_COMMENTS`], [`record::WANT_RETRY`]).
#[wasm_bindgen]
pub fn stream_new(max_event_bytes: f64, flags: u32) -> u32 {
    let scanner = Scanner::new(max_event_bytes as usize, flags);
    let handle = Box::new(Handle {
        scanner,
        connection: None,
    });
    Box::into_raw(handle) as usize as u32
}

/// Frees a stream and its connection.
#[wasm_bindgen]
pub fn stream_free(h: u32) {
    // SAFETY: as in `handle`; JavaScript never uses `h` again.
    drop(unsafe { Box::from_raw(h as usize as *mut Handle) });
}

/// Scans the first `len` input bytes; returns how many record words there
/// are at header word 1 (header word 0: where the open line starts). `now`
/// is when they arrived, for an EventSource's idle timeout.
#[wasm_bindgen]
pub fn stream_feed(h: u32, len: u32, now: f64) -> u32 {
    let handle = handle(h);
    if let Some(connection) = &mut handle.connection {
        connection.handle_progress(ms(now));
    }
    let shared = shared();
    let input = shared.input.get(..len as usize).unwrap_or(&shared.input);
    let needed = scan::capacity_for(input.len());
    if shared.records.len() < needed {
        shared.records.resize(needed, 0);
    }
    shared.records_at = shared.records.as_ptr() as usize as u32;
    // The buffer was just sized with `capacity_for`, so this cannot fail;
    // if it did, nothing was scanned and there is nothing to report.
    let Ok(fed) = handle.scanner.feed(input, &mut shared.records) else {
        shared.carry_from = record::NONE;
        shared.quiet_room = 0;
        return 0;
    };
    shared.carry_from = fed.carry_from;
    shared.quiet_room = u32::try_from(handle.scanner.quiet_room()).unwrap_or(u32::MAX);
    if let (Some(connection), Some(ms)) = (&mut handle.connection, handle.scanner.retry()) {
        // P11: a retry takes effect as soon as it is seen.
        connection.set_reconnection_time(ms);
    }
    fed.words as u32
}

/// The end of a body: the open block is dropped (P12). Returns whether
/// anything was (the body was cut inside an event).
#[wasm_bindgen]
pub fn stream_finish(h: u32) -> bool {
    handle(h).scanner.finish()
}

/// Bytes held for the event being read (they count against the limit).
#[wasm_bindgen]
pub fn stream_buffered(h: u32) -> f64 {
    handle(h).scanner.buffered_bytes() as f64
}

/// The last valid `retry` value seen (ms), or -1.
#[wasm_bindgen]
pub fn stream_retry(h: u32) -> f64 {
    handle(h).scanner.retry().map_or(-1.0, |ms| ms as f64)
}

/// The layout of the configuration record `source_start` reads from the
/// input area: the one definition, which js/ssekit.js spells with the same
/// names (`C_INITIAL_MS`, …; a test checks that they agree). Numbers are
/// little-endian; milliseconds are `f64`s (JavaScript numbers), each `u32`
/// is a count. JavaScript checked every value at construction (it must
/// throw before the wasm is loaded); a value the core refuses keeps the
/// default.
pub mod config {
    /// `f64`: the policy's initial delay.
    pub const C_INITIAL_MS: u32 = 0;
    /// `f64`: the cap on the delay, read with [`C_HAS_MAX_MS`].
    pub const C_MAX_MS: u32 = 8;
    /// `f64`: the growth per consecutive failed attempt.
    pub const C_MULTIPLIER: u32 = 16;
    /// `f64`: the jitter, a fraction.
    pub const C_JITTER: u32 = 24;
    /// `f64`: how long a connection must stay open for the count of failed
    /// attempts to start over.
    pub const C_RESET_AFTER_MS: u32 = 32;
    /// `f64`: the idle timeout, read with [`C_HAS_IDLE`].
    pub const C_IDLE_MS: u32 = 40;
    /// `u32`: consecutive reconnects allowed, read with
    /// [`C_HAS_MAX_ATTEMPTS`].
    pub const C_MAX_ATTEMPTS: u32 = 48;
    /// `u32`: the `C_HAS_*` and [`C_CLOSE_ON_END`] bits.
    pub const C_FLAGS: u32 = 52;
    /// `u32`: the initial last event ID's length in bytes; its UTF-8
    /// follows the record.
    pub const C_ID_LEN: u32 = 56;
    /// `u32`: how many retry statuses follow the ID, as `u16`s.
    pub const C_STATUSES: u32 = 60;
    /// The record's size; the ID starts here.
    pub const C_SIZE: u32 = 64;
    /// Flag: the policy has a cap.
    pub const C_HAS_MAX_MS: u32 = 1;
    /// Flag: the policy gives up after [`C_MAX_ATTEMPTS`].
    pub const C_HAS_MAX_ATTEMPTS: u32 = 2;
    /// Flag: there is an idle timeout.
    pub const C_HAS_IDLE: u32 = 4;
    /// Flag: a clean end of the body ends the source.
    pub const C_CLOSE_ON_END: u32 = 8;
}

/// Reads the configuration record (see [`config`]) and makes the stream an
/// EventSource's.
#[wasm_bindgen]
pub fn source_start(h: u32) {
    use config::*;
    let handle = handle(h);
    let record = &shared().input;
    let bytes = |at: u32, n: usize| record.get(at as usize..).and_then(|rest| rest.get(..n));
    let f64_at = |at| {
        bytes(at, 8).map_or(0.0, |b| {
            f64::from_le_bytes(b.try_into().unwrap_or_default())
        })
    };
    let u32_at =
        |at| bytes(at, 4).map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap_or_default()));
    let flags = u32_at(C_FLAGS);
    let id_len = u32_at(C_ID_LEN) as usize;
    let id = bytes(C_SIZE, id_len).unwrap_or_default();
    let retry_statuses = record
        .get(C_SIZE as usize + id_len..)
        .unwrap_or_default()
        .chunks_exact(2)
        .take(u32_at(C_STATUSES) as usize)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let mut retry = RetryPolicy::default()
        .with_initial_ms(ms(f64_at(C_INITIAL_MS)))
        .with_reset_after_ms(ms(f64_at(C_RESET_AFTER_MS)))
        .with_max_attempts((flags & C_HAS_MAX_ATTEMPTS != 0).then(|| u32_at(C_MAX_ATTEMPTS)));
    if flags & C_HAS_MAX_MS != 0 {
        retry = retry.with_max_ms(ms(f64_at(C_MAX_MS)));
    }
    retry = retry
        .try_with_multiplier(f64_at(C_MULTIPLIER))
        .unwrap_or(retry);
    retry = retry.try_with_jitter(f64_at(C_JITTER)).unwrap_or(retry);
    handle.connection = Some(Connection::new(Config {
        retry,
        retry_statuses,
        last_event_id: String::from(text(id)),
        max_event_bytes: handle.scanner.max_event_bytes(),
        idle_timeout_ms: (flags & C_HAS_IDLE != 0).then(|| ms(f64_at(C_IDLE_MS))),
        close_on_end: flags & C_CLOSE_ON_END != 0,
    }));
}

fn connection(h: u32) -> Option<&'static mut Connection> {
    handle(h).connection.as_mut()
}

/// How a transition is packed for JavaScript: `kind | detail << 3 |
/// status << 8`. The one definition of this format; js/ssekit.js reads the
/// values it needs under the same names (`T_OPEN`, …), and a test checks
/// that they agree.
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
    /// [`T_RECONNECT`] detail: a retry status (in the status bits).
    pub const CAUSE_STATUS: u32 = 2;
    /// [`T_RECONNECT`] detail: the idle timeout ran out.
    pub const CAUSE_IDLE: u32 = 3;
    /// [`T_RECONNECT`] detail: `reconnect()` asked for it.
    pub const CAUSE_REQUESTED: u32 = 4;
    /// [`T_FAIL`] detail: a status that is not 200 (in the status bits).
    pub const FAIL_STATUS: u32 = 0;
    /// [`T_FAIL`] detail: not `text/event-stream`.
    pub const FAIL_CONTENT_TYPE: u32 = 1;
    /// [`T_FAIL`] detail: the retry policy gave up.
    pub const FAIL_GAVE_UP: u32 = 2;
    /// [`T_FAIL`] detail: the shell refused (`source_reject`).
    pub const FAIL_REJECTED: u32 = 3;
}

fn pack(h: u32, transition: Transition) -> u32 {
    use transition::*;
    let (kind, detail, status) = match transition {
        Transition::None => (T_NONE, 0, 0),
        Transition::Open => (T_OPEN, 0, 0),
        Transition::Reconnecting { cause, .. } => match cause {
            Cause::Ended => (T_RECONNECT, CAUSE_ENDED, 0),
            Cause::NetworkError => (T_RECONNECT, CAUSE_NETWORK, 0),
            Cause::Status(status) => (T_RECONNECT, CAUSE_STATUS, status),
            Cause::IdleTimeout => (T_RECONNECT, CAUSE_IDLE, 0),
            Cause::Requested => (T_RECONNECT, CAUSE_REQUESTED, 0),
        },
        Transition::Failed(failure) => match failure {
            Failure::Status(status) => (T_FAIL, FAIL_STATUS, status),
            Failure::ContentType => (T_FAIL, FAIL_CONTENT_TYPE, 0),
            Failure::GaveUp { .. } => (T_FAIL, FAIL_GAVE_UP, 0),
            Failure::Rejected => (T_FAIL, FAIL_REJECTED, 0),
        },
        Transition::Ended => (T_ENDED, 0, 0),
    };
    if kind >= T_RECONNECT {
        // Whatever ended, the cut-off event goes with it (P12).
        let _ = handle(h).scanner.finish();
    }
    kind | detail << 3 | u32::from(status) << 8
}

/// What `source_poll` answers besides a deadline (a time, `>= 0`): the
/// core's [`Poll`](ssekit::connection::Poll), one number. The one
/// definition; js/ssekit.js spells them with the same names.
pub mod poll {
    /// Make a request now (its `Last-Event-ID`: `source_last_event_id`).
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
    use ssekit::connection::Poll;
    match connection(h).map_or(Poll::Closed, |c| c.poll(ms(now))) {
        Poll::Request(_) => poll::P_REQUEST,
        Poll::Until(at) => at as f64,
        Poll::Io => poll::P_IO,
        Poll::Paused => poll::P_PAUSED,
        Poll::Closed => poll::P_CLOSED,
    }
}

/// Where the last event ID's UTF-8 is (see `source_last_event_id_len`).
#[wasm_bindgen]
pub fn source_last_event_id(h: u32) -> u32 {
    connection(h).map_or(0, |c| c.last_event_id().as_ptr() as usize as u32)
}

/// The last event ID's length in bytes.
#[wasm_bindgen]
pub fn source_last_event_id_len(h: u32) -> u32 {
    connection(h).map_or(0, |c| c.last_event_id().len() as u32)
}

/// D1 from the scanner's records: the input area holds the new ID's UTF-8.
#[wasm_bindgen]
pub fn source_set_last_event_id(h: u32, len: u32) {
    if let Some(connection) = connection(h) {
        connection.set_last_event_id(input_text(len));
    }
}

/// C4: a response arrived; the input area holds its Content-Type (`type_len`
/// bytes, or `record::NONE` for no header).
#[wasm_bindgen]
pub fn source_response(h: u32, now: f64, status: u32, type_len: u32, random: f64) -> u32 {
    let handle = handle(h);
    let content_type = match type_len {
        record::NONE => None,
        len => Some(input_text(len)),
    };
    let head = ResponseHead {
        status: status.min(u32::from(u16::MAX)) as u16,
        content_type,
    };
    let transition = handle.connection.as_mut().map_or(Transition::None, |c| {
        c.handle_response(ms(now), head, random)
    });
    pack(h, transition)
}

/// C5: the body ended cleanly.
#[wasm_bindgen]
pub fn source_end(h: u32, now: f64, random: f64) -> u32 {
    let transition = connection(h).map_or(Transition::None, |c| c.handle_end(ms(now), random));
    pack(h, transition)
}

/// The idle timeout's deadline (`source_poll_timeout`) came.
#[wasm_bindgen]
pub fn source_timeout(h: u32, now: f64, random: f64) -> u32 {
    let transition = connection(h).map_or(Transition::None, |c| c.handle_timeout(ms(now), random));
    pack(h, transition)
}

/// C5: the request or the body failed.
#[wasm_bindgen]
pub fn source_network_error(h: u32, now: f64, random: f64) -> u32 {
    let transition = connection(h).map_or(Transition::None, |c| {
        c.handle_network_error(ms(now), random)
    });
    pack(h, transition)
}

/// C7 for a reason the shell found (the `onResponse` hook said no, fetch did
/// not return a Response).
#[wasm_bindgen]
pub fn source_reject(h: u32) -> u32 {
    let transition = connection(h).map_or(Transition::None, |c| c.fail(Failure::Rejected));
    pack(h, transition)
}

/// C8: close().
#[wasm_bindgen]
pub fn source_close(h: u32) {
    if let Some(connection) = connection(h) {
        connection.close();
    }
    let _ = handle(h).scanner.finish();
}

/// `reconnect()`: a new request at once.
#[wasm_bindgen]
pub fn source_reconnect(h: u32, now: f64) -> u32 {
    let transition = connection(h).map_or(Transition::None, |c| c.reconnect(ms(now)));
    pack(h, transition)
}

/// The page was hidden (`pauseWhenHidden`).
#[wasm_bindgen]
pub fn source_pause(h: u32, now: f64) {
    if let Some(connection) = connection(h) {
        connection.pause(ms(now));
    }
    let _ = handle(h).scanner.finish();
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

/// Consecutive failed reconnects (for the "gave up" message).
#[wasm_bindgen]
pub fn source_failed_attempts(h: u32) -> u32 {
    connection(h).map_or(0, |c| c.failed_attempts())
}
