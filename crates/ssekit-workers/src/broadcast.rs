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

use crate::feed::{keep_alive, preamble, Feed, FeedOptions, FeedOwner, Heartbeat};
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
    options: FeedOptions,
    /// One timer ticks every feed's heartbeat, while there are feeds.
    heartbeat: Option<Heartbeat>,
    /// Removed feeds and a stopped heartbeat whose callbacks may still be
    /// on the call stack (a cancel or a tick removes its own feed): dropped
    /// at the next call from outside.
    retired: Vec<Feed>,
    retired_heartbeat: Option<Heartbeat>,
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
    /// No subscribers yet; heartbeats every [`DEFAULT_HEARTBEAT`], queues
    /// up to [`DEFAULT_MAX_QUEUED_BYTES`].
    pub fn new() -> Self {
        Broadcast {
            shared: Rc::new(Subscribers {
                state: RefCell::new(State {
                    next_key: 0,
                    feeds: BTreeMap::new(),
                    options: FeedOptions {
                        retry: None,
                        heartbeat: Some(DEFAULT_HEARTBEAT),
                        max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
                    },
                    heartbeat: None,
                    retired: Vec::new(),
                    retired_heartbeat: None,
                }),
                keep_alive: keep_alive(),
            }),
        }
    }

    /// Sends `retry: ms` first to every new subscriber.
    pub fn retry(self, ms: u64) -> Self {
        self.shared.state.borrow_mut().options.retry = Some(ms);
        self
    }

    /// A `: keep-alive` comment to a subscriber before `every` passes
    /// without anything sent to it (`None`: never); one timer for every
    /// subscriber. It is also how a client that left is noticed.
    pub fn heartbeat(self, every: Option<Duration>) -> Self {
        self.shared.state.borrow_mut().options.heartbeat = every;
        self
    }

    /// The most one subscriber may have queued before it is dropped.
    pub fn max_queued_bytes(self, bytes: usize) -> Self {
        self.shared.state.borrow_mut().options.max_queued_bytes = bytes.max(1);
        self
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
        let mut first = preamble(options.retry);
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
        let mut gone = Vec::new();
        let delivered = {
            let mut state = self.shared.state.borrow_mut();
            state.retired.clear();
            state.retired_heartbeat = None;
            let mut delivered = 0;
            for (&key, feed) in state.feeds.iter_mut() {
                if feed.push(&chunk) {
                    delivered += 1;
                } else {
                    gone.push(key);
                }
            }
            delivered
        };
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
