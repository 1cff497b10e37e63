//! An `EventSource` client for Rust, natively (on tokio) and on wasm32 (in
//! browsers and Cloudflare Workers): [reqwest] does the I/O, and
//! [`ssekit::connection::Connection`] makes every decision of the WHATWG
//! connection algorithm and of ssekit's extensions — the same machine the
//! npm package's `EventSource` runs — so both clients behave alike.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use ssekit_client::{Event, EventSource};
//!
//! # async fn run() -> Result<(), ssekit_client::Error> {
//! let mut events = EventSource::get("https://example.com/events")
//!     .header("authorization", "Bearer 123")
//!     .connect()?;
//! while let Some(item) = events.next().await {
//!     match item {
//!         Ok(Event::Message(message)) => println!("{}: {}", message.event_type, message.data),
//!         Ok(_) => {}
//!         // Failures it retries come as errors too; the stream ends after a fatal one.
//!         Err(error) if error.is_fatal() => return Err(error),
//!         Err(error) => eprintln!("reconnecting: {error}"),
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A whole session against a server on this machine (this one runs in
//! `cargo test`):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use futures_util::StreamExt;
//! use ssekit_client::{Event, EventSource};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! // A server that answers one request with two events, then ends.
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("http://{}/events", listener.local_addr()?);
//! tokio::spawn(async move {
//!     let (mut socket, _) = listener.accept().await.unwrap();
//!     let _ = socket.read(&mut [0; 4096]).await; // the request
//!     let body = "id: 1\ndata: hello\n\nevent: bye\ndata: world\n\n";
//!     let head = format!(
//!         "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n",
//!         body.len()
//!     );
//!     socket.write_all((head + body).as_bytes()).await.unwrap();
//! });
//!
//! // A finite stream: its clean end ends the loop instead of reconnecting.
//! let mut events = EventSource::get(&url).close_on_end(true).connect()?;
//! let mut seen = Vec::new();
//! while let Some(item) = events.next().await {
//!     if let Event::Message(message) = item? {
//!         seen.push(format!("{} {} #{}", message.event_type, message.data, message.last_event_id));
//!     }
//! }
//! assert_eq!(seen, ["message hello #1", "bye world #1"]);
//! # Ok(())
//! # }
//! ```
//!
//! # What it does, and where each rule lives
//!
//! - Every request sends `Accept: text/event-stream` and, once there is
//!   one, `Last-Event-ID`; the method, the body and the headers are sent
//!   again on every reconnect. [`Builder::headers_with`] computes headers
//!   for each attempt (a refreshed token).
//! - The machine decides which responses open (200 with
//!   `text/event-stream`), which reconnect ([`Builder::retry_statuses`],
//!   network errors, a clean end, the [idle timeout](Builder::idle_timeout))
//!   and which fail for good (any other status, another content type), and
//!   how long to wait: the [retry policy](Builder::retry) with the server's
//!   `retry:` as its base, growing from the policy's initial delay when
//!   connections keep ending within [`RetryPolicy::reset_after_ms`].
//! - One rule is this client's own: a `204 No Content` ends the stream
//!   without an error (the server says there is nothing more to read).
//! - Memory is bounded by the core parser's limit per event
//!   ([`Builder::max_event_bytes`]) plus one chunk's messages; the body is
//!   read only as fast as the stream is polled.
//! - Dropping the [`EventStream`] aborts the request.
//!
//! Natively it needs a tokio runtime with timers (reqwest needs tokio
//! anyway). On wasm32 it uses the platform's `fetch` and `setTimeout`.
#![deny(missing_docs)]

use std::collections::VecDeque;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll as TaskPoll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::task::AtomicWaker;
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, Response, StatusCode, Url};
use ssekit::connection::{
    self, Cause, Config, Connection, Dispatch, Failure, Poll, ReadyState, ResponseHead, Transition,
};

pub use ssekit::{OwnedMessage as Message, ParseError, RetryPolicy};

mod platform;
use platform::{BoxFuture, BoxStream, Clock, MaybeSend, MaybeSync, Timer};

/// Any error, as a per-attempt headers function returns it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `Last-Event-ID`.
const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

#[cfg(not(target_arch = "wasm32"))]
type HeadersFn = dyn Fn() -> BoxFuture<'static, Result<HeaderMap, BoxError>> + Send + Sync;
#[cfg(target_arch = "wasm32")]
type HeadersFn = dyn Fn() -> BoxFuture<'static, Result<HeaderMap, BoxError>>;

/// Where to start building an [`EventStream`].
pub struct EventSource;

impl EventSource {
    /// A `GET` of `url`, the browser's `new EventSource(url)`.
    pub fn get(url: &str) -> Builder {
        Builder::new(Method::GET, url)
    }

    /// A `POST` of `url`; give it a [`body`](Builder::body).
    pub fn post(url: &str) -> Builder {
        Builder::new(Method::POST, url)
    }

    /// A request built with reqwest: its method, URL, headers and body are
    /// sent on every attempt, with `client`. Fails with
    /// [`Error::BodyNotReplayable`] when the body is a stream, which could
    /// not be sent again on a reconnect.
    pub fn from_request(
        client: reqwest::Client,
        request: reqwest::Request,
    ) -> Result<Builder, Error> {
        let body = match request.body() {
            None => None,
            Some(body) => Some(Bytes::copy_from_slice(
                body.as_bytes().ok_or(Error::BodyNotReplayable)?,
            )),
        };
        let mut builder =
            Builder::new(request.method().clone(), request.url().as_str()).client(client);
        builder.body = body;
        for (name, value) in request.headers() {
            builder = builder.header(name.clone(), value.clone());
        }
        Ok(builder)
    }
}

/// How to connect: the request, and the options of the connection.
/// Nothing happens until the [`EventStream`] from
/// [`connect`](Builder::connect) is polled.
pub struct Builder {
    client: Option<reqwest::Client>,
    method: Method,
    url: Result<Url, String>,
    headers: HeaderMap,
    header_error: Option<String>,
    headers_with: Option<Arc<HeadersFn>>,
    body: Option<Bytes>,
    config: Config,
    comments: bool,
}

impl Builder {
    fn new(method: Method, url: &str) -> Self {
        Builder {
            client: None,
            method,
            url: Url::parse(url).map_err(|error| error.to_string()),
            headers: HeaderMap::new(),
            header_error: None,
            headers_with: None,
            body: None,
            config: Config::default(),
            comments: false,
        }
    }

    /// The reqwest client to send with (its pool, proxy and TLS settings);
    /// a default one otherwise. Do not give it a total `timeout`: it would
    /// cut every stream; use [`idle_timeout`](Builder::idle_timeout).
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The request method (`GET` by default).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Adds a header sent on every attempt. A `Last-Event-ID` header sets
    /// the [last event ID](Builder::last_event_id) to start from (unless one
    /// is set explicitly); `Accept` is always `text/event-stream`. An
    /// invalid name or value makes [`connect`](Builder::connect) fail.
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        match (name.try_into(), value.try_into()) {
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            _ => self.header_error = Some("an invalid header name or value".into()),
        }
        self
    }

    /// Computes headers for each attempt, e.g. a token refreshed before each
    /// reconnect. They are added to (and replace) the fixed
    /// [`header`](Builder::header)s. When it fails, the attempt fails with
    /// [`Error::Headers`] and is retried like a network error.
    #[allow(clippy::arc_with_non_send_sync)] // see `connect`
    pub fn headers_with<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn() -> Fut + MaybeSend + MaybeSync + 'static,
        Fut: Future<Output = Result<HeaderMap, BoxError>> + MaybeSend + 'static,
    {
        self.headers_with = Some(Arc::new(move || Box::pin(f()) as BoxFuture<'static, _>));
        self
    }

    /// The request body, sent again on every reconnect.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The delays between reconnects and when to give up
    /// ([`RetryPolicy::default`]: 3 s, doubling to 30 s, for ever).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Statuses that reconnect with backoff instead of failing, e.g. 502,
    /// 503 and 504 from a server that is restarting.
    pub fn retry_statuses(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.config.retry_statuses = statuses.into_iter().collect();
        self
    }

    /// The last event ID to start from: sent as `Last-Event-ID` on the
    /// first request too. Ignored if it contains NUL, CR or LF.
    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.config.last_event_id = id.into();
        self
    }

    /// Reconnect when no byte (not even a comment) has arrived for this
    /// long, while waiting for the response or reading the body. None by
    /// default.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout_ms = Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// A finite stream: a clean end of the body ends the [`EventStream`]
    /// (it yields `None`) instead of reconnecting; a network error still
    /// reconnects. For a stream that answers one request, such as a
    /// completion, which must not be asked for again.
    pub fn close_on_end(mut self, yes: bool) -> Self {
        self.config.close_on_end = yes;
        self
    }

    /// Yield comment lines as [`Event::Comment`] (heartbeats, progress).
    pub fn comments(mut self, yes: bool) -> Self {
        self.comments = yes;
        self
    }

    /// The most one event may buffer (the core's default is 16 MiB); a
    /// larger event is dropped with [`Error::EventTooLarge`].
    pub fn max_event_bytes(mut self, bytes: usize) -> Self {
        self.config.max_event_bytes = bytes;
        self
    }

    /// The stream of events. Fails only for a request that could never be
    /// made: a URL that does not parse or is not http(s), an invalid header.
    // On wasm32 nothing is Send; one Arc keeps one code path for both.
    #[allow(clippy::arc_with_non_send_sync)]
    pub fn connect(self) -> Result<EventStream, Error> {
        let url = self
            .url
            .map_err(|error| Error::InvalidRequest(format!("the URL does not parse: {error}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::InvalidRequest(format!(
                "the URL's scheme is {:?}, not http or https",
                url.scheme()
            )));
        }
        if let Some(error) = self.header_error {
            return Err(Error::InvalidRequest(error));
        }
        let mut config = self.config;
        let mut headers = self.headers;
        // The machine owns the last event ID: a header given by hand only
        // sets where it starts.
        if let Some(value) = headers.remove(LAST_EVENT_ID) {
            if config.last_event_id.is_empty() {
                config.last_event_id = value.to_str().unwrap_or_default().to_owned();
            }
        }
        headers.insert(ACCEPT, HeaderValue::from_static(connection::ACCEPT));
        let resume_id = config.last_event_id.clone();
        let idle_timeout = Duration::from_millis(config.idle_timeout_ms.unwrap_or_default());
        Ok(EventStream {
            machine: Connection::new(config),
            request: Arc::new(RequestTemplate {
                client: self.client.unwrap_or_default(),
                method: self.method,
                url,
                headers,
                headers_with: self.headers_with,
                body: self.body,
            }),
            comments: self.comments,
            idle_timeout,
            clock: Clock::new(),
            io: Io::Idle,
            timer: None,
            queue: VecDeque::new(),
            resume_id,
            shared: Arc::new(Shared::default()),
        })
    }
}

/// What the stream yields.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A response was accepted; its body is read from here on (the
    /// browser's `open`). Its headers, e.g. a rate limit or a session.
    Open {
        /// The response's headers.
        headers: HeaderMap,
    },
    /// A message (the browser's `message` or named event).
    Message(Message),
    /// A comment line, when [`Builder::comments`] asked for them.
    Comment(String),
}

/// A failure. Those it retries ([`is_fatal`](Error::is_fatal) is false) are
/// yielded as they happen and the stream goes on; after a fatal one it
/// ends.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request failed or reading the body failed; it reconnects.
    #[error("the request or its body failed: {0}")]
    Network(#[source] reqwest::Error),
    /// The body ended cleanly; it reconnects (a browser does too), unless
    /// [`Builder::close_on_end`].
    #[error("the server ended the stream; reconnecting")]
    Ended,
    /// The response had one of the [`Builder::retry_statuses`]; it
    /// reconnects.
    #[error("the server answered {0}; reconnecting")]
    RetryStatus(StatusCode),
    /// Nothing arrived for the [`Builder::idle_timeout`]; it reconnects.
    #[error("no byte arrived for {0:?}; reconnecting")]
    IdleTimeout(Duration),
    /// The [`Builder::headers_with`] function failed; it retries.
    #[error("computing the request's headers failed: {0}")]
    Headers(#[source] BoxError),
    /// An event was larger than [`Builder::max_event_bytes`]; it was dropped
    /// and the stream goes on.
    #[error(transparent)]
    EventTooLarge(ParseError),
    /// Fatal: the status was neither 200 nor a retry status. The response
    /// is here, its body unread (e.g. a JSON error).
    #[error("the server answered {}, not 200", .0.status())]
    Status(Box<Response>),
    /// Fatal: the response's `Content-Type` was not `text/event-stream`.
    /// The response is here, its body unread.
    #[error("the response's Content-Type ({:?}) is not text/event-stream", .0.headers().get(CONTENT_TYPE))]
    ContentType(Box<Response>),
    /// Fatal: the retry policy's `max_attempts` reconnects failed in a row.
    #[error("gave up after {attempts} failed reconnection attempt{}; the last: {last}", if *attempts == 1 { "" } else { "s" })]
    GaveUp {
        /// How many reconnects were made.
        attempts: u32,
        /// The failure that ended the last one.
        last: Box<Error>,
    },
    /// Fatal: the request cannot be made (bad URL, header, or a request
    /// reqwest refuses to build).
    #[error("the request cannot be made: {0}")]
    InvalidRequest(String),
    /// Fatal, from [`EventSource::from_request`]: the request's body is a
    /// stream, which could not be sent again on a reconnect.
    #[error(
        "the request's body is a stream, which cannot be sent again on a reconnect; give bytes"
    )]
    BodyNotReplayable,
}

impl Error {
    /// Whether the stream ends after this error (otherwise it goes on, and
    /// reconnects unless the error is [`Error::EventTooLarge`]).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::Status(_)
                | Error::ContentType(_)
                | Error::GaveUp { .. }
                | Error::InvalidRequest(_)
                | Error::BodyNotReplayable
        )
    }

    /// The HTTP status of a response that failed or is retried, if any.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Status(response) | Error::ContentType(response) => Some(response.status()),
            Error::RetryStatus(status) => Some(*status),
            Error::GaveUp { last, .. } => last.status(),
            _ => None,
        }
    }
}

/// Reconnects or closes an [`EventStream`] from elsewhere (another task, a
/// signal handler); cheap to clone.
#[derive(Clone)]
pub struct Handle(Arc<Shared>);

#[derive(Default)]
struct Shared {
    reconnect: AtomicBool,
    close: AtomicBool,
    waker: AtomicWaker,
}

impl Handle {
    /// See [`EventStream::reconnect`]; it happens when the stream is next
    /// polled (it is woken).
    pub fn reconnect(&self) {
        self.0.reconnect.store(true, Ordering::Release);
        self.0.waker.wake();
    }

    /// See [`EventStream::close`]; the stream then yields `None`.
    pub fn close(&self) {
        self.0.close.store(true, Ordering::Release);
        self.0.waker.wake();
    }
}

/// What every attempt sends.
struct RequestTemplate {
    client: reqwest::Client,
    method: Method,
    url: Url,
    headers: HeaderMap,
    headers_with: Option<Arc<HeadersFn>>,
    body: Option<Bytes>,
}

/// Why an attempt got no response.
enum AttemptError {
    Headers(BoxError),
    Build(reqwest::Error),
    Network(reqwest::Error),
}

impl RequestTemplate {
    async fn send(
        self: Arc<Self>,
        last_event_id: Option<String>,
    ) -> Result<Response, AttemptError> {
        let mut headers = self.headers.clone();
        if let Some(headers_with) = &self.headers_with {
            let computed = headers_with().await.map_err(AttemptError::Headers)?;
            for (name, value) in computed {
                if let Some(name) = name {
                    headers.insert(name, value);
                }
            }
            headers.insert(ACCEPT, HeaderValue::from_static(connection::ACCEPT));
        }
        if let Some(id) = last_event_id {
            // The machine hands out only IDs without NUL, CR or LF; other
            // bytes an HTTP header cannot carry are refused by reqwest.
            let value = HeaderValue::from_str(&id).map_err(|_| {
                AttemptError::Headers("the last event ID cannot be sent as a header".into())
            })?;
            headers.insert(LAST_EVENT_ID, value);
        } else {
            headers.remove(LAST_EVENT_ID);
        }
        let mut request = self
            .client
            .request(self.method.clone(), self.url.clone())
            .headers(headers);
        request = platform::no_store(request);
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        let request = request.build().map_err(AttemptError::Build)?;
        self.client
            .execute(request)
            .await
            .map_err(AttemptError::Network)
    }
}

enum Io {
    Idle,
    Requesting(BoxFuture<'static, Result<Response, AttemptError>>),
    Reading(BoxStream<'static, reqwest::Result<Bytes>>),
}

/// The events of one `EventSource` connection: a
/// [`Stream`] of `Result<Event, Error>`. It reconnects
/// by itself; it ends after [`close`](EventStream::close), a fatal error, a
/// `204`, or the clean end of a [finite stream](Builder::close_on_end).
pub struct EventStream {
    machine: Connection,
    request: Arc<RequestTemplate>,
    comments: bool,
    /// For [`Error::IdleTimeout`]'s text; the machine keeps the timeout.
    idle_timeout: Duration,
    clock: Clock,
    io: Io,
    timer: Option<Timer>,
    /// What one chunk produced, yielded one by one.
    queue: VecDeque<Result<Event, Error>>,
    /// The last event ID of the last message yielded, while `queue` holds
    /// messages the machine has seen but the caller has not: a reconnect
    /// resumes after what the caller got.
    resume_id: String,
    shared: Arc<Shared>,
}

impl EventStream {
    /// The `readyState`: CONNECTING, OPEN or CLOSED.
    pub fn ready_state(&self) -> ReadyState {
        self.machine.ready_state()
    }

    /// The last event ID the next request sends.
    pub fn last_event_id(&self) -> &str {
        self.machine.last_event_id()
    }

    /// A handle to reconnect or close this stream from elsewhere.
    pub fn handle(&self) -> Handle {
        Handle(Arc::clone(&self.shared))
    }

    /// Drops the current response, if any, and reconnects at once with the
    /// last event ID of the last message yielded (LaunchDarkly's clients
    /// call it a restart). Not a failed attempt; nothing is yielded for it.
    pub fn reconnect(&mut self) {
        if !self.queue.is_empty() {
            self.machine.set_last_event_id(&self.resume_id);
            self.queue.clear();
        }
        if self.machine.reconnect(self.clock.now()) != Transition::None {
            self.io = Io::Idle;
        }
    }

    /// Closes for good: the request is aborted, and the stream yields
    /// nothing more but `None`.
    pub fn close(&mut self) {
        self.machine.close();
        self.queue.clear();
        self.io = Io::Idle;
        self.timer = None;
    }

    /// Acts on a transition: an item for the caller, and the I/O dropped
    /// when the attempt is over. `error` is what ended the attempt.
    fn transition(&mut self, transition: Transition, error: impl FnOnce() -> Error) {
        match transition {
            Transition::None | Transition::Open => {}
            Transition::Reconnecting {
                cause: Cause::Requested,
                ..
            } => self.io = Io::Idle,
            Transition::Reconnecting { .. } => {
                self.io = Io::Idle;
                self.queue.push_back(Err(error()));
            }
            Transition::Failed(Failure::GaveUp { attempts }) => {
                self.io = Io::Idle;
                self.queue.push_back(Err(Error::GaveUp {
                    attempts,
                    last: Box::new(error()),
                }));
            }
            Transition::Failed(_) => {
                self.io = Io::Idle;
                self.queue.push_back(Err(error()));
            }
            Transition::Ended => self.io = Io::Idle,
        }
    }

    fn on_response(&mut self, response: Response) {
        let now = self.clock.now();
        if response.status() == StatusCode::NO_CONTENT {
            // This client's rule: the server says there is nothing to read.
            self.close();
            return;
        }
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        let head = ResponseHead {
            status: status.as_u16(),
            content_type,
        };
        match self.machine.handle_response(now, head, platform::random()) {
            Transition::Open => {
                self.queue.push_back(Ok(Event::Open {
                    headers: response.headers().clone(),
                }));
                self.io = Io::Reading(Box::pin(response.bytes_stream()));
            }
            // Fatal: the caller gets the response, its body unread.
            Transition::Failed(Failure::Status(_)) => {
                self.queue.push_back(Err(Error::Status(Box::new(response))))
            }
            Transition::Failed(Failure::ContentType) => self
                .queue
                .push_back(Err(Error::ContentType(Box::new(response)))),
            other => self.transition(other, || Error::RetryStatus(status)),
        }
    }

    fn on_bytes(&mut self, bytes: &[u8]) {
        let now = self.clock.now();
        let EventStream {
            machine,
            queue,
            comments,
            resume_id,
            ..
        } = self;
        if queue.is_empty() {
            resume_id.clear();
            resume_id.push_str(machine.last_event_id());
        }
        machine.handle_bytes(now, bytes, |dispatch| {
            match dispatch {
                Dispatch::Message(message) => {
                    queue.push_back(Ok(Event::Message(message.into_owned())))
                }
                Dispatch::Comment(text) if *comments => {
                    queue.push_back(Ok(Event::Comment(text.to_owned())))
                }
                Dispatch::Comment(_) => {}
                Dispatch::Error(error) => queue.push_back(Err(Error::EventTooLarge(error))),
            }
            ControlFlow::Continue(())
        });
    }

    /// Drives the I/O in flight; true when something happened.
    fn poll_io(&mut self, cx: &mut Context<'_>) -> bool {
        match &mut self.io {
            Io::Idle => false,
            Io::Requesting(future) => {
                let TaskPoll::Ready(result) = future.as_mut().poll(cx) else {
                    return false;
                };
                self.io = Io::Idle;
                let now = self.clock.now();
                match result {
                    Ok(response) => self.on_response(response),
                    Err(AttemptError::Build(error)) => {
                        let transition = self.machine.fail(Failure::Rejected);
                        self.transition(transition, || Error::InvalidRequest(error.to_string()));
                    }
                    Err(AttemptError::Headers(error)) => {
                        let transition = self.machine.handle_network_error(now, platform::random());
                        self.transition(transition, || Error::Headers(error));
                    }
                    Err(AttemptError::Network(error)) => {
                        let transition = self.machine.handle_network_error(now, platform::random());
                        self.transition(transition, || Error::Network(error));
                    }
                }
                true
            }
            Io::Reading(body) => {
                let TaskPoll::Ready(chunk) = body.poll_next_unpin(cx) else {
                    return false;
                };
                let now = self.clock.now();
                match chunk {
                    Some(Ok(bytes)) => self.on_bytes(&bytes),
                    Some(Err(error)) => {
                        let transition = self.machine.handle_network_error(now, platform::random());
                        self.transition(transition, || Error::Network(error));
                    }
                    None => {
                        let transition = self.machine.handle_end(now, platform::random());
                        self.transition(transition, || Error::Ended);
                    }
                }
                true
            }
        }
    }
}

impl Stream for EventStream {
    type Item = Result<Event, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> TaskPoll<Option<Self::Item>> {
        let this = self.get_mut();
        this.shared.waker.register(cx.waker());
        loop {
            if this.shared.close.swap(false, Ordering::AcqRel) {
                this.close();
            }
            if this.shared.reconnect.swap(false, Ordering::AcqRel) {
                this.reconnect();
            }
            if let Some(item) = this.queue.pop_front() {
                // Only a reconnect with messages still queued needs it.
                if let (Ok(Event::Message(message)), false) = (&item, this.queue.is_empty()) {
                    this.resume_id.clone_from(&message.last_event_id);
                }
                return TaskPoll::Ready(Some(item));
            }
            let now = this.clock.now();
            let deadline = match this.machine.poll(now) {
                Poll::Closed => {
                    this.io = Io::Idle;
                    this.timer = None;
                    return TaskPoll::Ready(None);
                }
                // This client never pauses.
                Poll::Paused => return TaskPoll::Pending,
                Poll::Request(request) => {
                    let last_event_id = request.last_event_id.map(str::to_owned);
                    this.io =
                        Io::Requesting(Box::pin(Arc::clone(&this.request).send(last_event_id)));
                    continue;
                }
                Poll::Until(deadline) => Some(deadline),
                Poll::Io => None,
            };
            // The body first: bytes waiting put the idle timeout off.
            if this.poll_io(cx) {
                continue;
            }
            let Some(deadline) = deadline else {
                this.timer = None;
                return TaskPoll::Pending;
            };
            // A timer set for an earlier deadline is kept: it wakes early,
            // the machine says the deadline is ahead, and a new one is set
            // (bytes move the idle deadline on every chunk; timers are not
            // reset on every chunk).
            let timer = match &mut this.timer {
                Some(timer) if timer.deadline <= deadline => timer,
                slot => slot.insert(Timer::new(&this.clock, deadline)),
            };
            if timer.poll(cx).is_pending() {
                return TaskPoll::Pending;
            }
            this.timer = None;
            let now = this.clock.now();
            if now < deadline {
                continue;
            }
            let transition = this.machine.handle_timeout(now, platform::random());
            let idle_timeout = this.idle_timeout;
            this.transition(transition, || Error::IdleTimeout(idle_timeout));
        }
    }
}
