//! [`SseResponse`]: a `Stream` of encoded events as a streaming worker
//! `Response`.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use core::task::Waker;

use futures_util::task::{waker, ArcWake, AtomicWaker};
use futures_util::Stream;
use worker::{Headers, Response};

use ssekit::{EncodedEvent, KEEP_ALIVE};

use crate::options::{sse_headers, Heartbeat, Idle, SseOptions};

/// Events that are ready together go out in one chunk, up to about this size.
const MAX_CHUNK_BYTES: usize = 64 * 1024;

/// Why an [`SseResponse`]'s stream stopped, as told to
/// [`on_close`](SseResponse::on_close).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The event stream ended; the response ended with it.
    Ended,
    /// The response was dropped before its event stream ended: the client
    /// went away (the runtime notices at the next write, which a heartbeat
    /// guarantees within one interval), or the runtime cancelled the request.
    Disconnected,
}

type CloseHook = Box<dyn FnOnce(CloseReason)>;

/// A `text/event-stream` response fed by a `Stream` of [`EncodedEvent`] events.
///
/// The response carries `Content-Type: text/event-stream; charset=utf-8`,
/// `Cache-Control: no-cache, no-transform` and `X-Accel-Buffering: no`, and
/// never a `Content-Encoding`. Its first bytes (the `retry` field if set,
/// otherwise a comment) are sent immediately. Before
/// [`heartbeat`](Self::heartbeat) (15 s by default) passes without a write,
/// it sends a [`KEEP_ALIVE`] comment, which keeps proxies from closing the
/// connection and lets the runtime notice a client that has gone.
pub struct SseResponse<S> {
    events: S,
    options: SseOptions,
    on_close: Option<CloseHook>,
    headers: Vec<(String, String)>,
}

impl<S> SseResponse<S>
where
    S: Stream<Item = EncodedEvent> + Unpin + 'static,
{
    /// A response that streams `events` (box or pin a stream that is not
    /// `Unpin`: `Box::pin(stream)`).
    pub fn new(events: S) -> Self {
        SseResponse {
            events,
            options: SseOptions::new(),
            on_close: None,
            headers: Vec::new(),
        }
    }

    /// The response with these options (its `retry` and heartbeat; the
    /// queue limit is for broadcasts, since this body is pulled as the
    /// client reads).
    pub fn options(mut self, options: SseOptions) -> Self {
        self.options = options;
        self
    }

    /// Sends `retry: ms` first: how long the client waits before
    /// reconnecting ([`SseOptions::retry`]).
    pub fn retry(mut self, ms: u64) -> Self {
        self.options = self.options.retry(ms);
        self
    }

    /// A heartbeat before `every` passes without a write (`None`: never)
    /// ([`SseOptions::heartbeat`]).
    pub fn heartbeat(mut self, every: Option<Duration>) -> Self {
        self.options = self.options.heartbeat(every);
        self
    }

    /// Runs `hook` once when the stream stops: [`CloseReason::Ended`] when
    /// the event stream ended, [`CloseReason::Disconnected`] when the client
    /// went away first. This is where a handler releases what it holds for
    /// the client (a subscription, a counter).
    pub fn on_close(mut self, hook: impl FnOnce(CloseReason) + 'static) -> Self {
        self.on_close = Some(Box::new(hook));
        self
    }

    /// Adds a response header (e.g. CORS headers, or a custom one). The SSE
    /// headers cannot be overridden, and `Content-Encoding` is refused:
    /// compression would buffer events.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The response.
    pub fn into_response(self) -> worker::Result<Response> {
        let headers = Headers::new();
        for (name, value) in &self.headers {
            if name.eq_ignore_ascii_case("content-encoding") {
                return Err(worker::Error::RustError(
                    "ssekit: an SSE response must not have a Content-Encoding".into(),
                ));
            }
            headers.append(name, value)?;
        }
        sse_headers(&headers)?;
        let forward = Arc::new(Forward(AtomicWaker::new()));
        let idle = Rc::new(Cell::new(Idle::default()));
        let heartbeat = match self.options.heartbeat {
            Some(every) => {
                let (idle, forward) = (Rc::clone(&idle), Arc::clone(&forward));
                Some(Heartbeat::start(every, move || {
                    let mut ticks = idle.get();
                    if ticks.tick() {
                        forward.0.wake(); // the body writes the keep-alive
                    }
                    idle.set(ticks);
                })?)
            }
            None => None,
        };
        let body = SseBody {
            proxy: waker(Arc::clone(&forward)),
            forward,
            preamble: Some(self.options.preamble()),
            events: Some(self.events),
            heartbeat,
            idle,
            on_close: self.on_close,
        };
        Response::builder().with_headers(headers).from_stream(body)
    }
}

/// The response body: preamble, then events (batched when several are
/// ready), with a keep-alive whenever the heartbeat finds it idle.
///
/// The runtime pulls the body through wasm-streams, which polls each pull in
/// a task of its own, with a new waker every time. A future that keeps the
/// waker of its first poll only (`worker::Delay` does) would, when polled
/// again by a later pull, wake a finished task and stall the stream. So the
/// event stream and the timer are polled with one stable proxy waker that
/// forwards to whichever pull is waiting now.
struct SseBody<S> {
    forward: Arc<Forward>,
    proxy: Waker,
    preamble: Option<String>,
    events: Option<S>,
    /// Ticks `idle` and wakes the body when a keep-alive is due.
    heartbeat: Option<Heartbeat>,
    idle: Rc<Cell<Idle>>,
    on_close: Option<CloseHook>,
}

/// Wakes the task registered by the latest poll.
struct Forward(AtomicWaker);

impl ArcWake for Forward {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.wake();
    }
}

impl<S> SseBody<S> {
    fn close(&mut self, reason: CloseReason) {
        if let Some(hook) = self.on_close.take() {
            hook(reason);
        }
    }
}

impl<S> Stream for SseBody<S>
where
    S: Stream<Item = EncodedEvent> + Unpin,
{
    type Item = Result<Vec<u8>, worker::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(preamble) = this.preamble.take() {
            return Poll::Ready(Some(Ok(preamble.into_bytes())));
        }
        let Some(events) = this.events.as_mut() else {
            return Poll::Ready(None);
        };
        this.forward.0.register(cx.waker());
        let cx = &mut Context::from_waker(&this.proxy);
        let mut chunk = Vec::new();
        let mut ended = false;
        while chunk.len() < MAX_CHUNK_BYTES {
            match Pin::new(&mut *events).poll_next(cx) {
                Poll::Ready(Some(event)) => chunk.extend_from_slice(event.as_str().as_bytes()),
                Poll::Ready(None) => {
                    ended = true;
                    break;
                }
                Poll::Pending => break,
            }
        }
        if ended {
            this.events = None;
            this.heartbeat = None;
            this.close(CloseReason::Ended);
            // Whatever came before the end still goes out; the next poll ends.
            return Poll::Ready(if chunk.is_empty() {
                None
            } else {
                Some(Ok(chunk))
            });
        }
        let mut idle = this.idle.get();
        let due = this.heartbeat.is_some() && idle.due();
        if !chunk.is_empty() || due {
            idle.wrote();
            this.idle.set(idle);
            if chunk.is_empty() {
                chunk = KEEP_ALIVE.as_bytes().to_vec();
            }
            return Poll::Ready(Some(Ok(chunk)));
        }
        Poll::Pending
    }
}

impl<S> Drop for SseBody<S> {
    fn drop(&mut self) {
        self.close(CloseReason::Disconnected);
    }
}
