//! What every SSE response of this crate shares: its options ([`SseOptions`],
//! one builder for [`SseResponse`](crate::SseResponse),
//! [`Broadcast`](crate::Broadcast) and [`Subscription`](crate::Subscription)),
//! its headers and first bytes, and its heartbeat timer.

use std::time::Duration;

use ssekit::{Event, KEEP_ALIVE};
use worker::js_sys::{self, Function, Reflect, Uint8Array};
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::Headers;

/// How often an idle stream gets a heartbeat comment unless configured.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

/// How many bytes one subscriber may have queued (sent but not yet taken by
/// the network) before it is dropped, by default: a client that reads this
/// far behind reconnects and resumes from `Last-Event-ID` instead of holding
/// the object's memory.
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 1 << 20;

/// How an SSE response starts and stays alive.
///
/// ```
/// use std::time::Duration;
/// use ssekit_workers::SseOptions;
///
/// let options = SseOptions::new()
///     .retry(2_000)                                  // sent first
///     .heartbeat(Some(Duration::from_secs(10)))      // never 10 s without a byte
///     .max_queued_bytes(256 << 10);                  // for broadcasts: drop slower readers
/// assert_eq!(options.heartbeat_interval(), Some(Duration::from_secs(10)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SseOptions {
    pub(crate) retry: Option<u64>,
    pub(crate) heartbeat: Option<Duration>,
    pub(crate) max_queued_bytes: usize,
}

impl Default for SseOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl SseOptions {
    /// No `retry`, a heartbeat every [`DEFAULT_HEARTBEAT`], a queue of
    /// [`DEFAULT_MAX_QUEUED_BYTES`].
    pub const fn new() -> Self {
        SseOptions {
            retry: None,
            heartbeat: Some(DEFAULT_HEARTBEAT),
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
        }
    }

    /// Sends `retry: ms` first: how long the client waits before reconnecting.
    pub const fn retry(mut self, ms: u64) -> Self {
        self.retry = Some(ms);
        self
    }

    /// A `: keep-alive` comment before `every` passes without anything
    /// sent (`None` or zero: never). It keeps proxies from closing the
    /// connection, lets a client's idle timeout just above it never fire
    /// for nothing, and is how a client that left is noticed.
    pub fn heartbeat(mut self, every: Option<Duration>) -> Self {
        self.heartbeat = every.filter(|d| !d.is_zero());
        self
    }

    /// The most one subscriber of a broadcast may have queued before it is
    /// dropped (it reconnects and resumes). Not used by `SseResponse`,
    /// whose body is pulled as the client reads.
    pub fn max_queued_bytes(mut self, bytes: usize) -> Self {
        self.max_queued_bytes = bytes.max(1);
        self
    }

    /// The heartbeat interval, if any.
    pub fn heartbeat_interval(&self) -> Option<Duration> {
        self.heartbeat
    }

    /// The first bytes of a response: `retry`, or a comment, so that the
    /// headers and the client's `open` do not wait for the first event.
    pub(crate) fn preamble(&self) -> String {
        match self.retry {
            Some(ms) => {
                let mut text = String::new();
                // A `retry` alone has nothing that could be refused.
                let _ = Event::new().retry(ms).encode_into(&mut text);
                text
            }
            None => PREAMBLE.to_owned(),
        }
    }
}

/// What is sent first when there is no `retry` to send.
const PREAMBLE: &str = ": connected\n\n";

/// Sets the headers every SSE response carries.
pub(crate) fn sse_headers(headers: &Headers) -> worker::Result<()> {
    headers.set("Content-Type", "text/event-stream; charset=utf-8")?;
    headers.set("Cache-Control", "no-cache, no-transform")?;
    headers.set("X-Accel-Buffering", "no")
}

/// The `: keep-alive` comment as one array for every heartbeat.
pub(crate) fn keep_alive() -> Uint8Array {
    Uint8Array::from(KEEP_ALIVE.as_bytes())
}

/// Heartbeat ticks per interval. A stream gets a keep-alive once
/// [`BEAT_AFTER`] ticks in a row passed without a write ([`Idle`]), so it
/// is silent for at most 7/8 of the interval (plus a timer's lateness),
/// never longer than the interval, and one timer serves any number of
/// streams.
const TICKS: u32 = 8;
const BEAT_AFTER: u8 = 7;

/// A stream's count of heartbeat ticks since it last wrote.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Idle(u8);

impl Idle {
    /// Something was written.
    pub(crate) fn wrote(&mut self) {
        self.0 = 0;
    }

    /// A tick: whether a keep-alive is due now.
    pub(crate) fn tick(&mut self) -> bool {
        self.0 = self.0.saturating_add(1);
        self.due()
    }

    /// Whether a keep-alive is due.
    pub(crate) fn due(&self) -> bool {
        self.0 >= BEAT_AFTER
    }
}

/// The timer of a heartbeat: `tick` runs [`TICKS`] times per interval, and
/// the owner ticks each of its streams' [`Idle`]. Stopped when dropped;
/// drop it outside its own callback.
pub(crate) struct Heartbeat {
    id: JsValue,
    _tick: Closure<dyn FnMut()>,
}

impl Heartbeat {
    pub(crate) fn start(every: Duration, tick: impl FnMut() + 'static) -> worker::Result<Self> {
        let tick = Closure::<dyn FnMut()>::new(tick);
        let period = (every / TICKS).max(Duration::from_millis(1));
        let id = set_timer("setInterval", tick.as_ref().unchecked_ref(), period)?;
        Ok(Heartbeat { id, _tick: tick })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        clear_timer("clearInterval", &self.id);
    }
}

/// `setInterval` or `setTimeout` (global functions, so that the same code
/// runs in a Worker and in a Durable Object).
pub(crate) fn set_timer(
    function: &str,
    callback: &Function,
    after: Duration,
) -> worker::Result<JsValue> {
    let global = js_sys::global();
    let set: Function = Reflect::get(&global, &function.into())?.unchecked_into();
    let ms = after.as_millis().min(i32::MAX as u128) as f64;
    Ok(set.call2(&global, callback, &ms.into())?)
}

pub(crate) fn clear_timer(function: &str, id: &JsValue) {
    let global = js_sys::global();
    if let Ok(clear) = Reflect::get(&global, &function.into()) {
        let clear: Function = clear.unchecked_into();
        let _ = clear.call1(&global, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keep_alive_is_due_after_seven_idle_ticks_of_eight() {
        let mut idle = Idle::default();
        let due: Vec<bool> = (0..8).map(|_| idle.tick()).collect();
        assert_eq!(due, [false, false, false, false, false, false, true, true]);
        idle.wrote();
        assert!(!idle.tick());
    }

    #[test]
    fn options_build_as_documented() {
        let options = SseOptions::new()
            .heartbeat(Some(Duration::ZERO))
            .max_queued_bytes(0);
        assert_eq!(options.heartbeat_interval(), None);
        assert_eq!(options.max_queued_bytes, 1);
        assert_eq!(SseOptions::new().preamble(), ": connected\n\n");
        assert_eq!(SseOptions::new().retry(2_000).preamble(), "retry: 2000\n\n");
    }
}
