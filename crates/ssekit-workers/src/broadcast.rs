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

use ssekit::EncodedEvent;
use worker::js_sys::Uint8Array;
use worker::Response;

use worker::js_sys::{Array, Uint32Array};
use worker::wasm_bindgen::prelude::wasm_bindgen;

use crate::feed::{Feed, FeedOwner};
use crate::options::{keep_alive, Heartbeat, SseOptions};

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
/// let delivered = broadcast.send(&EncodedEvent::message("hello"));
/// # let _ = (response, delivered);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Broadcast {
    shared: Rc<Subscribers>,
}

struct Subscribers {
    state: RefCell<State>,
    /// One array for every heartbeat of every subscriber.
    keep_alive: Uint8Array,
}

struct State {
    next_key: u64,
    feeds: BTreeMap<u64, Feed>,
    /// The feeds' stream controllers in `feeds`' order, for one JavaScript
    /// loop per event; rebuilt after the feeds change (`None`).
    controllers: Option<(Array, Vec<u64>)>,
    options: SseOptions,
    /// One timer ticks every feed's heartbeat, while there are feeds.
    heartbeat: Option<Heartbeat>,
    /// Removed feeds and a stopped heartbeat whose callbacks may still be
    /// on the call stack (a cancel or a tick removes its own feed): dropped
    /// at the next call from outside.
    retired: Vec<Feed>,
    retired_heartbeat: Option<Heartbeat>,
}

// The fan-out loop, in JavaScript: enqueue the same chunk into every
// stream; the positions of the streams that refused it (gone) or now hold
// more than their queue limit (the byte-length strategy's high-water mark:
// a desired size below zero).
#[wasm_bindgen(wasm_bindgen = worker::wasm_bindgen, inline_js = "
export function enqueue_all(controllers, chunk) {
  const refused = [];
  for (let i = 0; i < controllers.length; i++) {
    const c = controllers[i];
    try {
      c.enqueue(chunk);
      if (c.desiredSize !== null && c.desiredSize < 0) refused.push(i);
    } catch {
      refused.push(i);
    }
  }
  return Uint32Array.from(refused);
}")]
extern "C" {
    fn enqueue_all(controllers: &Array, chunk: &Uint8Array) -> Uint32Array;
}

impl FeedOwner for Subscribers {
    fn ended(this: &Rc<Self>, key: u64, cancelled: bool) {
        this.remove(key, cancelled);
    }
}

impl Subscribers {
    fn remove(&self, key: u64, cancelled: bool) {
        let mut state = self.state.borrow_mut();
        if let Some(feed) = state.feeds.remove(&key) {
            feed.close(cancelled);
            state.retired.push(feed);
            state.controllers = None;
        }
        if state.feeds.is_empty() {
            // Nothing to keep alive: an idle object may be evicted.
            state.retired_heartbeat = state.heartbeat.take();
        }
    }

    /// The heartbeat's tick: every feed's, one timer for all.
    fn tick(&self) {
        let gone: Vec<u64> = {
            let mut state = self.state.borrow_mut();
            let mut gone = Vec::new();
            for (&key, feed) in state.feeds.iter_mut() {
                if !feed.tick(&self.keep_alive) {
                    gone.push(key);
                }
            }
            gone
        };
        for key in gone {
            self.remove(key, false);
        }
    }
}

impl Default for Broadcast {
    fn default() -> Self {
        Self::new()
    }
}

impl Broadcast {
    /// No subscribers yet, with [`SseOptions::new`]'s options.
    pub fn new() -> Self {
        Broadcast {
            shared: Rc::new(Subscribers {
                state: RefCell::new(State {
                    next_key: 0,
                    feeds: BTreeMap::new(),
                    controllers: None,
                    options: SseOptions::new(),
                    heartbeat: None,
                    retired: Vec::new(),
                    retired_heartbeat: None,
                }),
                keep_alive: keep_alive(),
            }),
        }
    }

    /// Every new subscriber's stream with these options (the retry it
    /// starts with, its heartbeat, its queue limit).
    pub fn options(self, options: SseOptions) -> Self {
        self.shared.state.borrow_mut().options = options;
        self
    }

    /// Sends `retry: ms` first to every new subscriber ([`SseOptions::retry`]).
    pub fn retry(self, ms: u64) -> Self {
        let options = self.shared.state.borrow().options.retry(ms);
        self.options(options)
    }

    /// A `: keep-alive` comment to a subscriber before `every` passes
    /// without anything sent to it ([`SseOptions::heartbeat`]); one timer
    /// for every subscriber.
    pub fn heartbeat(self, every: Option<Duration>) -> Self {
        let options = self.shared.state.borrow().options.heartbeat(every);
        self.options(options)
    }

    /// The most one subscriber may have queued before it is dropped
    /// ([`SseOptions::max_queued_bytes`]).
    pub fn max_queued_bytes(self, bytes: usize) -> Self {
        let options = self.shared.state.borrow().options.max_queued_bytes(bytes);
        self.options(options)
    }

    /// How many subscribers there are.
    pub fn len(&self) -> usize {
        self.shared.state.borrow().feeds.len()
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
        self.subscribe_for(replay, None)
    }

    /// [`subscribe`](Broadcast::subscribe), with a stream that ends cleanly
    /// after `lifetime` (when given): how a subscriber whose credential
    /// expires is let go (its client reconnects with a fresh one and
    /// resumes from `Last-Event-ID`).
    pub fn subscribe_for(
        &self,
        replay: impl IntoIterator<Item = EncodedEvent>,
        lifetime: Option<Duration>,
    ) -> worker::Result<Response> {
        let (key, options) = {
            let mut state = self.shared.state.borrow_mut();
            state.retired.clear();
            state.retired_heartbeat = None;
            let key = state.next_key;
            state.next_key += 1;
            (key, state.options)
        };
        let mut first = options.preamble();
        for event in replay {
            first.push_str(event.as_str());
        }
        let (feed, response) = Feed::open(
            Rc::downgrade(&self.shared),
            key,
            first.as_bytes(),
            options,
            lifetime,
        )?;
        let mut state = self.shared.state.borrow_mut();
        state.feeds.insert(key, feed);
        state.controllers = None;
        if let (None, Some(every)) = (&state.heartbeat, options.heartbeat) {
            let owner = Rc::downgrade(&self.shared);
            state.heartbeat = Some(Heartbeat::start(every, move || {
                if let Some(owner) = owner.upgrade() {
                    owner.tick();
                }
            })?);
        }
        Ok(response)
    }

    /// Sends `event` to every subscriber: one copy into one `Uint8Array`,
    /// enqueued into each stream. A subscriber whose stream is gone, or
    /// that has more than the queue limit waiting, is dropped (its client
    /// reconnects and resumes). Returns how many got the event.
    pub fn send(&self, event: &EncodedEvent) -> usize {
        let chunk = Uint8Array::from(event.as_str().as_bytes());
        let gone: Vec<u64> = {
            let mut state = self.shared.state.borrow_mut();
            state.retired.clear();
            state.retired_heartbeat = None;
            let state = &mut *state;
            let (controllers, keys) = state.controllers.get_or_insert_with(|| {
                let keys: Vec<u64> = state.feeds.keys().copied().collect();
                let controllers = state.feeds.values().map(Feed::controller).collect();
                (controllers, keys)
            });
            // One call into JavaScript per event, not two per subscriber:
            // what it costs is then workerd's own write to each stream.
            let refused = enqueue_all(controllers, &chunk);
            for feed in state.feeds.values_mut() {
                feed.wrote();
            }
            refused
                .to_vec()
                .into_iter()
                .filter_map(|at| keys.get(at as usize).copied())
                .collect()
        };
        let delivered = self.len() - gone.len();
        for key in gone {
            self.shared.remove(key, false);
        }
        delivered
    }

    /// Ends every subscriber's stream after what it has queued; each client
    /// reconnects (after its retry delay) and resumes. Returns how many.
    pub fn close_all(&self) -> usize {
        let keys: Vec<u64> = self.shared.state.borrow().feeds.keys().copied().collect();
        for &key in &keys {
            self.shared.remove(key, false);
        }
        keys.len()
    }
}
