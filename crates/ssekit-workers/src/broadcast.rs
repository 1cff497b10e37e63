//! Fan-out without per-subscriber copies, for a Durable Object that streams
//! the same events to many clients.
//!
//! [`SseResponse`](crate::SseResponse) pulls each client's body from a Rust
//! `Stream`: every event is copied into a `Vec` per subscriber and then into
//! a new `Uint8Array`, and every subscriber polls through the wasm-streams
//! bridge. Here each subscriber's body is a plain JavaScript
//! `ReadableStream` whose controller the object keeps: an event is encoded
//! once, copied once into one `Uint8Array`, and that same array is enqueued
//! into every subscriber's stream (workerd reads a chunk without taking it
//! over, so one array serves them all). Sending is a loop of `enqueue` calls,
//! with no Rust future per subscriber.
//!
//! Enqueueing into another request's stream is allowed inside a Durable
//! Object, where all requests share the object; in a stateless Worker it is
//! not, so this type is for Durable Objects.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use ssekit::{EncodedEvent, Event, KEEP_ALIVE};
use worker::js_sys::{self, Function, Reflect, Uint8Array};
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{
    ByteLengthQueuingStrategy, QueuingStrategy, QueuingStrategyInit, ReadableStream,
    ReadableStreamDefaultController, UnderlyingSource,
};
use worker::{Headers, Response, ResponseBody};

use crate::response::{sse_headers, PREAMBLE};
use crate::DEFAULT_HEARTBEAT;

/// How many bytes one subscriber may have queued (sent but not yet taken by
/// the network) before it is dropped, by default: a client that reads this
/// far behind reconnects and resumes from `Last-Event-ID` instead of holding
/// the object's memory.
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 1 << 20;

/// The subscribers of one broadcast, each an SSE response streaming from a
/// JavaScript `ReadableStream` whose controller this keeps.
///
/// ```no_run
/// use ssekit::{EncodedEvent, Event};
/// use ssekit_workers::Broadcast;
///
/// # fn run() -> worker::Result<()> {
/// let broadcast = Broadcast::new();
/// // In the object's fetch handler, for a subscriber (with what it missed):
/// let response = broadcast.subscribe(Vec::new())?;
/// // For a publish: encoded once, copied once, enqueued everywhere.
/// let delivered = broadcast.send(&EncodedEvent::new(&Event::new().data("hello")).unwrap());
/// # let _ = (response, delivered);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Broadcast {
    shared: Rc<RefCell<Subscribers>>,
}

struct Subscribers {
    next_key: u64,
    streams: BTreeMap<u64, Subscriber>,
    retry: Option<u64>,
    heartbeat: Option<Duration>,
    max_queued_bytes: usize,
    /// One array for every heartbeat of every subscriber.
    keep_alive: Uint8Array,
    /// Removed subscribers whose closures may still be on the call stack
    /// (a cancel or a tick removes its own subscriber): freed at the next
    /// call from outside.
    retired: Vec<Subscriber>,
}

struct Subscriber {
    controller: ReadableStreamDefaultController,
    /// Whether anything went out since the last heartbeat tick.
    active: bool,
    /// The heartbeat interval's id, to clear it.
    interval: Option<JsValue>,
    /// Kept alive as long as the stream: JavaScript calls them.
    _start: Closure<dyn FnMut(JsValue)>,
    _cancel: Closure<dyn FnMut(JsValue)>,
    _tick: Option<Closure<dyn FnMut()>>,
}

impl Default for Broadcast {
    fn default() -> Self {
        Self::new()
    }
}

impl Broadcast {
    /// No subscribers yet; heartbeats every [`DEFAULT_HEARTBEAT`], queues
    /// up to [`DEFAULT_MAX_QUEUED_BYTES`].
    pub fn new() -> Self {
        Broadcast {
            shared: Rc::new(RefCell::new(Subscribers {
                next_key: 0,
                streams: BTreeMap::new(),
                retry: None,
                heartbeat: Some(DEFAULT_HEARTBEAT),
                max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
                keep_alive: Uint8Array::from(KEEP_ALIVE.as_bytes()),
                retired: Vec::new(),
            })),
        }
    }

    /// Sends `retry: ms` first to every new subscriber.
    pub fn retry(self, ms: u64) -> Self {
        self.shared.borrow_mut().retry = Some(ms);
        self
    }

    /// A `: keep-alive` comment to a subscriber after `every` without an
    /// event (`None`: never). It is also how a client that left is noticed.
    pub fn heartbeat(self, every: Option<Duration>) -> Self {
        self.shared.borrow_mut().heartbeat = every;
        self
    }

    /// The most one subscriber may have queued before it is dropped.
    pub fn max_queued_bytes(self, bytes: usize) -> Self {
        self.shared.borrow_mut().max_queued_bytes = bytes.max(1);
        self
    }

    /// How many subscribers there are.
    pub fn len(&self) -> usize {
        self.shared.borrow().streams.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A new subscriber: a streaming SSE response that starts with the
    /// `retry` (or a `: connected` comment) and `replay`, in one chunk, and
    /// then carries every event [`send`](Broadcast::send) sends, until the
    /// client leaves, falls too far behind, or [`close_all`](Broadcast::close_all).
    ///
    /// Registering happens before this returns, in the same synchronous step
    /// as the caller's snapshot of `replay`: no event sent afterwards is
    /// missed, none comes twice.
    pub fn subscribe(
        &self,
        replay: impl IntoIterator<Item = EncodedEvent>,
    ) -> worker::Result<Response> {
        let (key, heartbeat, first) = {
            let mut shared = self.shared.borrow_mut();
            shared.retired.clear();
            let key = shared.next_key;
            shared.next_key += 1;
            let mut first = match shared.retry {
                Some(ms) => {
                    let mut text = String::new();
                    // A `retry` alone has nothing that could be refused.
                    let _ = Event::new().retry(ms).encode_into(&mut text);
                    text
                }
                None => PREAMBLE.to_owned(),
            };
            for event in replay {
                first.push_str(event.as_str());
            }
            (key, shared.heartbeat, first)
        };

        // `start` runs inside the constructor: the controller is known
        // before this returns.
        let controller: Rc<RefCell<Option<ReadableStreamDefaultController>>> = Rc::default();
        let start = {
            let controller = Rc::clone(&controller);
            Closure::<dyn FnMut(JsValue)>::new(move |c: JsValue| {
                *controller.borrow_mut() = Some(c.unchecked_into());
            })
        };
        let cancel = {
            let shared = Rc::downgrade(&self.shared);
            Closure::<dyn FnMut(JsValue)>::new(move |_reason: JsValue| {
                // The client left (workerd cancels the body).
                if let Some(shared) = shared.upgrade() {
                    remove(&shared, key, false);
                }
            })
        };
        let source = UnderlyingSource::new();
        source.set_start(start.as_ref().unchecked_ref());
        source.set_cancel(cancel.as_ref().unchecked_ref());
        let max_queued = self.shared.borrow().max_queued_bytes as f64;
        let strategy: QueuingStrategy =
            ByteLengthQueuingStrategy::new(&QueuingStrategyInit::new(max_queued))?.unchecked_into();
        let stream = ReadableStream::new_with_underlying_source_and_strategy(&source, &strategy)?;
        let controller = controller
            .borrow_mut()
            .take()
            .ok_or_else(|| worker::Error::RustError("ReadableStream did not start".into()))?;
        controller.enqueue_with_chunk(&Uint8Array::from(first.as_bytes()))?;

        let (interval, tick) = match heartbeat {
            Some(every) => {
                let shared = Rc::downgrade(&self.shared);
                let tick = Closure::<dyn FnMut()>::new(move || {
                    if let Some(shared) = shared.upgrade() {
                        heartbeat_tick(&shared, key);
                    }
                });
                let id = set_interval(tick.as_ref().unchecked_ref(), every)?;
                (Some(id), Some(tick))
            }
            None => (None, None),
        };
        self.shared.borrow_mut().streams.insert(
            key,
            Subscriber {
                controller,
                active: true,
                interval,
                _start: start,
                _cancel: cancel,
                _tick: tick,
            },
        );

        let headers = Headers::new();
        sse_headers(&headers)?;
        Ok(Response::builder()
            .with_headers(headers)
            .body(ResponseBody::Stream(stream)))
    }

    /// Sends `event` to every subscriber: one copy into one `Uint8Array`,
    /// enqueued into each stream. A subscriber whose stream is gone, or
    /// that has more than the queue limit waiting, is dropped (its client
    /// reconnects and resumes). Returns how many got the event.
    pub fn send(&self, event: &EncodedEvent) -> usize {
        let chunk = Uint8Array::from(event.as_str().as_bytes());
        let mut gone = Vec::new();
        let delivered = {
            let mut shared = self.shared.borrow_mut();
            shared.retired.clear();
            let mut delivered = 0;
            for (&key, subscriber) in shared.streams.iter_mut() {
                if enqueue(subscriber, &chunk) {
                    delivered += 1;
                } else {
                    gone.push(key);
                }
            }
            delivered
        };
        for key in gone {
            remove(&self.shared, key, true);
        }
        delivered
    }

    /// Ends every subscriber's stream after what it has queued; each client
    /// reconnects (after its retry delay) and resumes. Returns how many.
    pub fn close_all(&self) -> usize {
        let keys: Vec<u64> = self.shared.borrow().streams.keys().copied().collect();
        let count = keys.len();
        for key in keys {
            remove(&self.shared, key, true);
        }
        count
    }
}

/// Enqueues `chunk`; false when the stream is gone or too far behind.
fn enqueue(subscriber: &mut Subscriber, chunk: &Uint8Array) -> bool {
    if subscriber.controller.enqueue_with_chunk(chunk).is_err() {
        return false;
    }
    subscriber.active = true;
    // The byte-length strategy's high-water mark is the limit: below zero
    // the queue holds more than it.
    subscriber
        .controller
        .desired_size()
        .is_none_or(|room| room >= 0.0)
}

/// A heartbeat interval fired: a keep-alive if nothing went out since the
/// last one.
fn heartbeat_tick(shared: &Rc<RefCell<Subscribers>>, key: u64) {
    let ok = {
        let mut shared = shared.borrow_mut();
        let Subscribers {
            streams,
            keep_alive,
            ..
        } = &mut *shared;
        let Some(subscriber) = streams.get_mut(&key) else {
            return;
        };
        if std::mem::take(&mut subscriber.active) {
            return;
        }
        let ok = enqueue(subscriber, keep_alive);
        // The keep-alive itself is no event: the next tick checks again.
        subscriber.active = false;
        ok
    };
    if !ok {
        remove(shared, key, true);
    }
}

/// Forgets a subscriber: its interval stops and, when `close` (not a
/// cancel by the client), its stream ends after what it has queued.
fn remove(shared: &Rc<RefCell<Subscribers>>, key: u64, close: bool) {
    let mut shared = shared.borrow_mut();
    let Some(subscriber) = shared.streams.remove(&key) else {
        return;
    };
    if let Some(id) = &subscriber.interval {
        clear_interval(id);
    }
    if close {
        // Throws when the stream is already closed or errored: nothing to do.
        let _ = subscriber.controller.close();
    }
    // JavaScript calls none of its closures again (the stream is closed or
    // cancelled, the interval cleared), but one of them may be running now:
    // freed later.
    shared.retired.push(subscriber);
}

fn set_interval(callback: &Function, every: Duration) -> worker::Result<JsValue> {
    let global = js_sys::global();
    let set: Function = Reflect::get(&global, &"setInterval".into())?.unchecked_into();
    let ms = every.as_millis().min(i32::MAX as u128) as f64;
    Ok(set.call2(&global, callback, &ms.into())?)
}

fn clear_interval(id: &JsValue) {
    let global = js_sys::global();
    if let Ok(clear) = Reflect::get(&global, &"clearInterval".into()) {
        let clear: Function = clear.unchecked_into();
        let _ = clear.call1(&global, id);
    }
}
