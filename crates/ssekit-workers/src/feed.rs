//! One SSE response whose body is a JavaScript `ReadableStream` fed by
//! `enqueue` calls: what [`Broadcast`](crate::Broadcast) keeps per
//! subscriber and [`HibernatingBroadcast::forward`](crate::HibernatingBroadcast::forward)
//! feeds from a WebSocket. Chunks are JavaScript arrays, so one array can be
//! enqueued into many feeds without a copy.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use worker::js_sys::Uint8Array;
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{
    ByteLengthQueuingStrategy, QueuingStrategy, QueuingStrategyInit, ReadableStream,
    ReadableStreamDefaultController, UnderlyingSource,
};
use worker::{Headers, Response, ResponseBody};

use crate::options::{clear_timer, set_timer, sse_headers, Idle, SseOptions};

/// A feed: the stream's controller and the callbacks JavaScript holds.
pub(crate) struct Feed {
    controller: ReadableStreamDefaultController,
    /// Heartbeat ticks since anything went out.
    idle: Idle,
    /// The timer that ends the feed when its lifetime is over.
    timeout: Option<JsValue>,
    _start: Closure<dyn FnMut(JsValue)>,
    _cancel: Closure<dyn FnMut(JsValue)>,
    _expire: Option<Closure<dyn FnMut()>>,
}

/// What a feed's owner hears from it: the client left (the stream was
/// cancelled), or its lifetime is over.
pub(crate) trait FeedOwner: 'static {
    /// The feed `key` is over; the owner removes it (with
    /// [`Feed::close`] unless `cancelled`).
    fn ended(this: &Rc<Self>, key: u64, cancelled: bool);
}

impl Feed {
    /// A new feed and its response, whose first chunk is `first`; after
    /// `lifetime` (when given) the owner hears that it ended, as if the
    /// stream had been closed, and closes it cleanly.
    pub(crate) fn open<O: FeedOwner>(
        owner: Weak<O>,
        key: u64,
        first: &[u8],
        options: SseOptions,
        lifetime: Option<Duration>,
    ) -> worker::Result<(Feed, Response)> {
        // `start` runs inside the constructor: the controller is known
        // before this returns.
        let started: Rc<RefCell<Option<ReadableStreamDefaultController>>> = Rc::default();
        let start = {
            let started = Rc::clone(&started);
            Closure::<dyn FnMut(JsValue)>::new(move |c: JsValue| {
                *started.borrow_mut() = Some(c.unchecked_into());
            })
        };
        let cancel = {
            let owner = owner.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_reason: JsValue| {
                // The client left (workerd cancels the body).
                if let Some(owner) = owner.upgrade() {
                    O::ended(&owner, key, true);
                }
            })
        };
        let source = UnderlyingSource::new();
        source.set_start(start.as_ref().unchecked_ref());
        source.set_cancel(cancel.as_ref().unchecked_ref());
        let strategy: QueuingStrategy = ByteLengthQueuingStrategy::new(&QueuingStrategyInit::new(
            options.max_queued_bytes.max(1) as f64,
        ))?
        .unchecked_into();
        let stream = ReadableStream::new_with_underlying_source_and_strategy(&source, &strategy)?;
        let controller = started
            .borrow_mut()
            .take()
            .ok_or_else(|| worker::Error::RustError("ReadableStream did not start".into()))?;
        controller.enqueue_with_chunk(&Uint8Array::from(first))?;

        let (timeout, expire) = match lifetime {
            Some(lifetime) => {
                let owner = owner.clone();
                let expire = Closure::<dyn FnMut()>::new(move || {
                    if let Some(owner) = owner.upgrade() {
                        O::ended(&owner, key, false);
                    }
                });
                let id = set_timer("setTimeout", expire.as_ref().unchecked_ref(), lifetime)?;
                (Some(id), Some(expire))
            }
            None => (None, None),
        };
        let headers = Headers::new();
        sse_headers(&headers)?;
        let response = Response::builder()
            .with_headers(headers)
            .body(ResponseBody::Stream(stream));
        let feed = Feed {
            controller,
            idle: Idle::default(),
            timeout,
            _start: start,
            _cancel: cancel,
            _expire: expire,
        };
        Ok((feed, response))
    }

    /// Enqueues `chunk`; false when the stream is gone or holds more than
    /// its queue limit.
    pub(crate) fn push(&mut self, chunk: &Uint8Array) -> bool {
        if !self.push_whole(chunk) {
            return false;
        }
        // The byte-length strategy's high-water mark is the limit: below zero
        // the queue holds more than it.
        self.controller
            .desired_size()
            .is_none_or(|room| room >= 0.0)
    }

    /// The stream's controller, for a caller that enqueues into many
    /// streams at once (and then calls [`wrote`](Self::wrote)).
    pub(crate) fn controller(&self) -> &ReadableStreamDefaultController {
        &self.controller
    }

    /// Something was enqueued by the caller.
    pub(crate) fn wrote(&mut self) {
        self.idle.wrote();
    }

    /// Enqueues `chunk` whatever the queue holds (a replay, which the
    /// channel's buffer bounds); false when the stream is gone.
    pub(crate) fn push_whole(&mut self, chunk: &Uint8Array) -> bool {
        if self.controller.enqueue_with_chunk(chunk).is_err() {
            return false;
        }
        self.idle.wrote();
        true
    }

    /// A heartbeat tick: a keep-alive when one is due ([`Idle`]). False
    /// when it could not be queued.
    pub(crate) fn tick(&mut self, keep_alive: &Uint8Array) -> bool {
        !self.idle.tick() || self.push(keep_alive)
    }

    /// Stops the lifetime timer and, unless the client cancelled, ends the
    /// stream after what it has queued. JavaScript calls none of the feed's
    /// callbacks afterwards, but one of them may be running now: drop the
    /// feed later, outside them.
    pub(crate) fn close(&self, cancelled: bool) {
        if let Some(id) = &self.timeout {
            clear_timer("clearTimeout", id);
        }
        if !cancelled {
            // Throws when the stream is already closed or errored: nothing to do.
            let _ = self.controller.close();
        }
    }
}
