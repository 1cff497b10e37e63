//! Fan-out that lets the Durable Object hibernate between events.
//!
//! Cloudflare bills a Durable Object for wall-clock time while it is in
//! memory and cannot hibernate, and an object that holds streaming SSE
//! responses never can: with [`Broadcast`](crate::Broadcast) a channel with
//! one subscriber is billed around the clock. Workers are billed for CPU
//! time, not for how long a response stays open. So here the browser's SSE
//! response is held by the front Worker, which subscribes to the object over
//! a WebSocket the object accepts through the WebSocket Hibernation API:
//! the object wakes for a publish, sends the event (one `ArrayBuffer` for
//! every subscriber) and may hibernate again; each front Worker copies what
//! arrives into its client's stream.
//!
//! - In the object: [`HibernatingBroadcast`] accepts a subscriber's upgrade
//!   (with the events it missed), sends to all, counts and closes them.
//! - In the front Worker: [`Subscription`] turns the object's WebSocket into
//!   the client's SSE response, with heartbeats and a queue limit.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ssekit::EncodedEvent;
use worker::js_sys::{ArrayBuffer, Function, Reflect, Uint8Array};
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{BinaryType, MessageEvent};
use worker::{Response, State, WebSocket, WebSocketPair};

use crate::feed::{Feed, FeedOwner};
use crate::options::{keep_alive, Heartbeat, SseOptions};

/// The subscribers of a Durable Object, as hibernatable WebSockets (one per
/// front Worker request that holds a client's SSE response). The object
/// keeps no list of them in memory: the runtime does, across hibernation.
///
/// ```no_run
/// use ssekit::EncodedEvent;
/// use ssekit_workers::HibernatingBroadcast;
///
/// # fn run(state: &worker::State) -> worker::Result<()> {
/// let subscribers = HibernatingBroadcast::new(state);
/// // In the object's fetch, for an upgrade request from the front Worker:
/// let response = subscribers.accept(Vec::new())?; // 101, with what it missed
/// // For a publish: one ArrayBuffer, sent on every WebSocket.
/// let sent = subscribers.send(&EncodedEvent::message("hello"));
/// # let _ = (response, sent);
/// # Ok(())
/// # }
/// ```
pub struct HibernatingBroadcast<'a> {
    state: &'a State,
}

impl<'a> HibernatingBroadcast<'a> {
    /// The object's subscribers.
    pub fn new(state: &'a State) -> Self {
        HibernatingBroadcast { state }
    }

    /// Accepts a new subscriber's WebSocket for hibernation and sends it
    /// `replay` (the events it missed) as its first message; returns the
    /// `101 Switching Protocols` response for the front Worker. Call it in
    /// the same synchronous step as the snapshot of `replay`: every event
    /// [`send`](HibernatingBroadcast::send) sends afterwards reaches the
    /// subscriber after the replay, none twice.
    pub fn accept(
        &self,
        replay: impl IntoIterator<Item = EncodedEvent>,
    ) -> worker::Result<Response> {
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        let mut first = String::new();
        for event in replay {
            first.push_str(event.as_str());
        }
        // The replay goes as text messages, each under the platform's limit:
        // text tells the front Worker it is the replay, which it queues for
        // the client whatever its size, as `Broadcast` does (live events,
        // binary, count against the queue limit).
        let sent =
            text_messages(&first).all(|text| pair.server.as_ref().send_with_str(text).is_ok());
        if !sent {
            close_failed(&pair.server);
        }
        Response::from_websocket(pair.client)
    }

    /// Sends `event` to every subscriber: the same `ArrayBuffer`s for all
    /// (one, unless the event is over [`MAX_MESSAGE_BYTES`]). A subscriber
    /// whose socket refuses it is closed, so that its client resumes from
    /// its last event ID instead of missing this one. Returns to how many
    /// it was sent.
    pub fn send(&self, event: &EncodedEvent) -> usize {
        let buffers: Vec<ArrayBuffer> = messages(event.as_str().as_bytes()).collect();
        let mut sent = 0;
        for socket in self.state.get_websockets() {
            if buffers.iter().all(|buffer| send_buffer(&socket, buffer)) {
                sent += 1;
            } else {
                close_failed(&socket);
            }
        }
        sent
    }

    /// How many subscribers there are.
    pub fn len(&self) -> usize {
        self.state.get_websockets().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes every subscriber's WebSocket: each front Worker ends its
    /// client's stream, and the clients reconnect and resume. Returns how
    /// many.
    pub fn close_all(&self) -> usize {
        let sockets = self.state.get_websockets();
        for socket in &sockets {
            let _ = socket.close(Some(1000), Some("closed by the channel"));
        }
        sockets.len()
    }

    /// What the object's `websocket_close` handler calls: completes the
    /// closing handshake a front Worker started.
    pub fn closed(socket: &WebSocket, code: usize) {
        // 1005 and 1006 are reserved: they may be received, never sent.
        let code = match code {
            1000..=1004 | 1007..=4999 => code as u16,
            _ => 1000,
        };
        let _ = socket.close(Some(code), Some("bye"));
    }
}

/// The largest WebSocket message the object sends: under Cloudflare's
/// 1 MiB limit per message.
pub const MAX_MESSAGE_BYTES: usize = 1_000_000;

/// `bytes` as `ArrayBuffer`s of at most [`MAX_MESSAGE_BYTES`] (none for none).
fn messages(bytes: &[u8]) -> impl Iterator<Item = ArrayBuffer> + '_ {
    bytes
        .chunks(MAX_MESSAGE_BYTES)
        .map(|chunk| Uint8Array::from(chunk).buffer())
}

/// `text` in pieces of at most [`MAX_MESSAGE_BYTES`], cut between
/// characters (a text message must be whole UTF-8).
fn text_messages(mut text: &str) -> impl Iterator<Item = &str> {
    std::iter::from_fn(move || {
        if text.is_empty() {
            return None;
        }
        let mut at = text.len().min(MAX_MESSAGE_BYTES);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let (piece, rest) = text.split_at(at);
        text = rest;
        Some(piece)
    })
}

/// Closes a subscriber's socket that did not take a message: its front
/// Worker ends the client's stream and the client resumes.
fn close_failed(socket: &WebSocket) {
    let _ = socket.close(Some(1011), Some("a message could not be sent"));
}

/// Sends `buffer` as a binary message; false when the socket is closing.
fn send_buffer(socket: &WebSocket, buffer: &ArrayBuffer) -> bool {
    // The buffer is JavaScript's (not wasm memory), so the runtime may send
    // it after this returns, and the same one may go to every socket.
    socket.as_ref().send_with_array_buffer(buffer).is_ok()
}

/// In the front Worker: a client's SSE response fed by the WebSocket the
/// channel's object accepted with [`HibernatingBroadcast::accept`].
///
/// ```no_run
/// use ssekit_workers::Subscription;
///
/// # async fn run(stub: worker::Stub, request: worker::Request) -> worker::Result<worker::Response> {
/// // `request` carries `Upgrade: websocket` (and the client's Last-Event-ID).
/// let upgraded = stub.fetch_with_request(request).await?;
/// let Some(socket) = upgraded.websocket() else {
///     return worker::Response::error("the channel did not accept", 502);
/// };
/// Subscription::new(socket).retry(2_000).into_response()
/// # }
/// ```
pub struct Subscription {
    socket: WebSocket,
    options: SseOptions,
    lifetime: Option<Duration>,
}

impl Subscription {
    /// The client's stream, to be fed from `socket` (not yet accepted).
    pub fn new(socket: WebSocket) -> Self {
        Subscription {
            socket,
            options: SseOptions::new(),
            lifetime: None,
        }
    }

    /// Ends the client's stream cleanly after `lifetime` (and closes the
    /// WebSocket): how a subscriber whose credential expires is let go.
    pub fn lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The client's stream with these options (the retry it starts with,
    /// its heartbeat, its queue limit).
    pub fn options(mut self, options: SseOptions) -> Self {
        self.options = options;
        self
    }

    /// Sends `retry: ms` first ([`SseOptions::retry`]).
    pub fn retry(mut self, ms: u64) -> Self {
        self.options = self.options.retry(ms);
        self
    }

    /// A `: keep-alive` comment before `every` passes without anything sent
    /// ([`SseOptions::heartbeat`]).
    pub fn heartbeat(mut self, every: Option<Duration>) -> Self {
        self.options = self.options.heartbeat(every);
        self
    }

    /// The most the client may have queued before its stream is ended (it
    /// reconnects and resumes) ([`SseOptions::max_queued_bytes`]).
    pub fn max_queued_bytes(mut self, bytes: usize) -> Self {
        self.options = self.options.max_queued_bytes(bytes);
        self
    }

    /// Accepts the WebSocket and returns the client's SSE response: every
    /// message the object sends is enqueued as it arrives. The client leaving
    /// closes the WebSocket; the object closing it ends the response.
    pub fn into_response(self) -> worker::Result<Response> {
        self.socket.accept()?;
        // The object sends binary messages; as ArrayBuffers they are enqueued
        // as they are (a Blob would need an await and a copy).
        self.socket
            .as_ref()
            .set_binary_type(BinaryType::Arraybuffer);
        let link = Rc::new(Link {
            socket: self.socket,
            feed: RefCell::new(None),
            keep_alive: keep_alive(),
            heartbeat: RefCell::new(None),
            on_message: RefCell::new(None),
            on_close: RefCell::new(None),
        });
        let first = self.options.preamble();
        let (feed, response) = Feed::open(
            Rc::downgrade(&link),
            0,
            first.as_bytes(),
            self.options,
            self.lifetime,
        )?;
        *link.feed.borrow_mut() = Some(feed);
        if let Some(every) = self.options.heartbeat {
            let weak = Rc::downgrade(&link);
            *link.heartbeat.borrow_mut() = Some(Heartbeat::start(every, move || {
                if let Some(link) = weak.upgrade() {
                    link.tick();
                }
            })?);
        }

        // The listeners hold the link and the link holds them: it lives as
        // long as the socket can call them, until `Link::end` breaks the
        // cycle.
        let on_message = {
            let link = Rc::clone(&link);
            OnMessage::new(move |event: MessageEvent| {
                let data = event.data();
                // Binary: live events, within the queue limit. Text: the
                // replay, queued whatever its size (it is bounded by the
                // channel's replay buffer).
                let (chunk, replay) = match data.dyn_ref::<ArrayBuffer>() {
                    Some(buffer) => (Uint8Array::new(buffer), false),
                    None => {
                        let text = data.as_string().unwrap_or_default();
                        (Uint8Array::from(text.as_bytes()), true)
                    }
                };
                let ok = link.feed.borrow_mut().as_mut().is_some_and(|feed| {
                    if replay {
                        feed.push_whole(&chunk)
                    } else {
                        feed.push(&chunk)
                    }
                });
                if !ok {
                    link.end(false);
                }
            })
        };
        let on_close = {
            let link = Rc::clone(&link);
            OnClose::new(move |_event: JsValue| link.end(false))
        };
        let target = link.socket.as_ref();
        target.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref())?;
        target.add_event_listener_with_callback("close", on_close.as_ref().unchecked_ref())?;
        target.add_event_listener_with_callback("error", on_close.as_ref().unchecked_ref())?;
        *link.on_message.borrow_mut() = Some(on_message);
        *link.on_close.borrow_mut() = Some(on_close);
        Ok(response)
    }
}

/// One subscription's socket and feed.
struct Link {
    socket: WebSocket,
    feed: RefCell<Option<Feed>>,
    keep_alive: Uint8Array,
    heartbeat: RefCell<Option<Heartbeat>>,
    /// The socket's listeners, which hold this link: dropped at the end,
    /// which frees the link.
    on_message: RefCell<Option<OnMessage>>,
    on_close: RefCell<Option<OnClose>>,
}

type OnMessage = Closure<dyn FnMut(MessageEvent)>;
type OnClose = Closure<dyn FnMut(JsValue)>;

impl Link {
    /// The subscription is over: the client left (`cancelled`), the object
    /// closed the socket, or the client fell too far behind.
    fn end(&self, cancelled: bool) {
        let Some(feed) = self.feed.borrow_mut().take() else {
            return;
        };
        feed.close(cancelled);
        let _ = self.socket.close(Some(1000), Some("subscriber left"));
        let target = self.socket.as_ref();
        let on_message = self.on_message.borrow_mut().take();
        let on_close = self.on_close.borrow_mut().take();
        let heartbeat = self.heartbeat.borrow_mut().take();
        if let Some(listener) = &on_message {
            let _ = target
                .remove_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
        }
        if let Some(listener) = &on_close {
            for kind in ["close", "error"] {
                let _ = target
                    .remove_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
            }
        }
        // One of these callbacks, or one of the feed's, may be running now:
        // drop them after this task.
        later(move || drop((feed, on_message, on_close, heartbeat)));
    }
}

impl FeedOwner for Link {
    fn ended(this: &Rc<Self>, _key: u64, cancelled: bool) {
        this.end(cancelled);
    }
}

impl Link {
    /// The heartbeat's tick.
    fn tick(&self) {
        let ok = self
            .feed
            .borrow_mut()
            .as_mut()
            .is_some_and(|feed| feed.tick(&self.keep_alive));
        if !ok {
            self.end(false);
        }
    }
}

/// Runs `f` in a later task (`setTimeout(f, 0)`); the closure frees itself.
fn later(f: impl FnOnce() + 'static) {
    let global = worker::js_sys::global();
    let callback = Closure::once_into_js(f);
    if let Ok(set) = Reflect::get(&global, &"setTimeout".into()) {
        let set: Function = set.unchecked_into();
        let _ = set.call2(&global, &callback, &0.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_goes_in_text_messages_under_the_limit_cut_between_characters() {
        // 3-byte characters, so that the limit falls inside one.
        let replay = "data: €€€\n\n".repeat(MAX_MESSAGE_BYTES / 6);
        assert!(replay.len() > 2 * MAX_MESSAGE_BYTES);
        let pieces: Vec<&str> = text_messages(&replay).collect();
        assert!(pieces.len() >= 3);
        assert!(pieces
            .iter()
            .all(|p| !p.is_empty() && p.len() <= MAX_MESSAGE_BYTES));
        assert_eq!(pieces.concat(), replay);
        assert_eq!(text_messages("").count(), 0);
        assert_eq!(
            text_messages("id: 0\n\n").collect::<Vec<_>>(),
            ["id: 0\n\n"]
        );
    }
}
