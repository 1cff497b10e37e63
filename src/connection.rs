//! An `EventSource` connection as a state machine that performs no I/O
//! (sans-IO): it makes every decision of the WHATWG connection algorithm
//! (9.2.2–9.2.4) and of ssekit's extensions, and leaves fetching, reading
//! and sleeping to whoever drives it — the JavaScript shell in the browser,
//! any Rust HTTP client, or a test with a fake clock.
//!
//! [`Connection`] is the single owner of the connection's state: the
//! `readyState`, the last event ID, the reconnection time a server's `retry`
//! sets, the count of failed attempts with its backoff and jitter, and
//! "closed" (nothing is dispatched after [`close`](Connection::close)). Time
//! comes in as `now`, milliseconds from any epoch the caller likes, and
//! randomness for the jitter as a number in `0.0..=1.0`, so that the same
//! inputs always give the same outputs.
//!
//! # Driving it
//!
//! 1. [`poll`](Connection::poll) says what to do: make a [`Request`] (see
//!    [`ACCEPT`] for what it must look like), sleep until a deadline (then
//!    [`handle_timeout`](Connection::handle_timeout) and ask again), wait for
//!    I/O, wait for [`resume`](Connection::resume), or stop.
//!    ([`poll_request`](Connection::poll_request) and
//!    [`poll_timeout`](Connection::poll_timeout) are its two halves.)
//! 2. Feed it what happened: [`handle_response`](Connection::handle_response)
//!    with the status and `Content-Type`, then
//!    [`handle_bytes`](Connection::handle_bytes) for every chunk of the body,
//!    then [`handle_end`](Connection::handle_end) or
//!    [`handle_network_error`](Connection::handle_network_error).
//! 3. Act on each [`Transition`] (fire `open` or `error`) and on each
//!    [`Dispatch`] (fire the message).
//!
//! # The rules, and who keeps them
//!
//! The machine keeps C2 (initial `readyState`), C4 (which responses open),
//! C5 (every end of the body reconnects), C6 (reconnect: `error`, wait,
//! `Last-Event-ID`), C7 (fail for good), C8 (`close()`), C10 (the
//! reconnection time persists), P12 at every end of a body, and D1–D6
//! through [`Dispatcher`]. The caller keeps C1 (resolving the URL) and C9
//! (which DOM event classes to fire), and the request details of C3 and C6
//! that [`ACCEPT`] lists.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::ControlFlow;

use crate::{Dispatcher, Item, Message, ParseError, Parser, RetryPolicy, DEFAULT_MAX_EVENT_BYTES};

/// The `Accept` header of every request (C3).
///
/// A request the caller makes for a [`Request`] must also:
/// - use cache mode `no-store` where the HTTP client has one, without
///   setting a `Cache-Control` request header by hand (in a browser it
///   forces a CORS preflight);
/// - send `Last-Event-ID` with [`Request::last_event_id`] when it is
///   `Some` (C6);
/// - go to the ORIGINAL URL every time, not to where an earlier response
///   redirected (C6); redirects are followed.
pub const ACCEPT: &str = "text/event-stream";

/// The `readyState` of an `EventSource`; the values are the DOM constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ReadyState {
    /// `CONNECTING` (0): a request is due, in flight or waiting to be made.
    Connecting = 0,
    /// `OPEN` (1): a response was accepted; its body is being read.
    Open = 1,
    /// `CLOSED` (2): for good; nothing happens any more.
    Closed = 2,
}

/// How a [`Connection`] starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Delays between reconnects, and when to give up.
    pub retry: RetryPolicy,
    /// HTTP statuses that reconnect with backoff (like a network error)
    /// instead of failing the connection, e.g. 502, 503 and 504 from a
    /// server that is restarting. `200` here is ignored.
    pub retry_statuses: Vec<u16>,
    /// The last event ID to start from, e.g. one a previous session stored.
    /// When not empty it is sent on the first request too. It must not
    /// contain NUL, CR or LF (a parser never produces such an ID, and it
    /// could not be sent as a header); one that does is ignored.
    pub last_event_id: String,
    /// The most one event may buffer; see [`Parser::with_max_event_bytes`].
    pub max_event_bytes: usize,
    /// Reconnect when no byte (not even a comment) has arrived for this long
    /// while a request is in flight or a body is being read: a proxy or a
    /// mobile network can drop a connection without either end hearing of
    /// it. `None` (the default, as in browsers): wait for ever.
    pub idle_timeout_ms: Option<u64>,
    /// A clean end of the body ends the connection for good
    /// ([`Transition::Ended`]) instead of reconnecting (C5); a network error
    /// still reconnects. For a finite stream, e.g. the answer to a POSTed
    /// prompt, which must not be asked for again once it is complete.
    pub close_on_end: bool,
}

impl Default for Config {
    /// Browser behaviour: [`RetryPolicy::default`], no retry statuses, no
    /// last event ID, [`DEFAULT_MAX_EVENT_BYTES`], no idle timeout, and a
    /// clean end reconnects.
    fn default() -> Self {
        Config {
            retry: RetryPolicy::default(),
            retry_statuses: Vec::new(),
            last_event_id: String::new(),
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            idle_timeout_ms: None,
            close_on_end: false,
        }
    }
}

/// A request to make now, from [`Connection::poll_request`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The `Last-Event-ID` header to send, `None` when the last event ID is
    /// empty (C6).
    pub last_event_id: Option<&'a str>,
    /// `0` for the first request (and for a request after a pause that came
    /// before any failure); `n` for the `n`-th consecutive reconnect since
    /// the start or the end of a connection that stayed open
    /// [`RetryPolicy::reset_after_ms`].
    pub attempt: u32,
}

/// The head of a response: all the machine needs to accept or refuse it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseHead<'a> {
    /// The HTTP status (after redirects).
    pub status: u16,
    /// The `Content-Type` header, if there is one.
    pub content_type: Option<&'a str>,
}

/// What the caller must do after an input.
#[must_use = "a transition says which event to fire and what to do next"]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Nothing changed: the input came after `close()`, or did not fit the
    /// state (e.g. a response with no request in flight). Nothing to do.
    None,
    /// The `readyState` is now OPEN: fire `open` and read the body into
    /// [`Connection::handle_bytes`].
    Open,
    /// The `readyState` is now CONNECTING: fire `error`, then make the
    /// request [`Connection::poll_request`] hands out once `delay_ms` has
    /// passed (its deadline is [`Connection::poll_timeout`]).
    Reconnecting {
        /// The wait before the next request.
        delay_ms: u64,
        /// What ended the attempt.
        cause: Cause,
    },
    /// The `readyState` is now CLOSED for good: fire `error`; nothing will
    /// reconnect (C7).
    Failed(Failure),
    /// The body ended cleanly and [`Config::close_on_end`] is set: the
    /// `readyState` is now CLOSED, and the stream is complete (no `error`:
    /// ssekit's shell fires `end`).
    Ended,
}

/// What [`Connection::poll`] says to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll<'a> {
    /// Make this request now (it is in flight from here on).
    Request(Request<'a>),
    /// Nothing to do before this time (a reconnect's deadline, or the idle
    /// timeout's while a request is in flight or a body is read): then call
    /// [`Connection::handle_timeout`] and poll again. Bytes that arrive
    /// meanwhile may move it later.
    Until(u64),
    /// A request is in flight or a body is being read, with no deadline:
    /// wait for the response, the bytes or the end.
    Io,
    /// Paused: nothing until [`Connection::resume`].
    Paused,
    /// CLOSED for good: stop.
    Closed,
}

/// What ended an attempt that will be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The body ended cleanly (C5: that reconnects too).
    Ended,
    /// The request failed or the body could not be read.
    NetworkError,
    /// The response had one of the [`Config::retry_statuses`].
    Status(u16),
    /// Nothing arrived for [`Config::idle_timeout_ms`]; the caller aborts
    /// the request.
    IdleTimeout,
    /// The caller asked for it ([`Connection::reconnect`]); it aborts the
    /// request.
    Requested,
}

/// Why a connection failed for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The response's status was not 200 (nor a retry status) (C4).
    Status(u16),
    /// The response's `Content-Type` was not `text/event-stream` (C4).
    ContentType,
    /// The retry policy's `max_attempts` consecutive reconnects failed.
    GaveUp {
        /// How many reconnects were made.
        attempts: u32,
    },
    /// The caller refused, for a reason of its own: a response hook said no,
    /// the request could not be built, the URL is not http(s), CORS…
    Rejected,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status(status) => {
                write!(f, "the server answered with status {status}, not 200")
            }
            Failure::ContentType => {
                f.write_str("the response's Content-Type is not text/event-stream")
            }
            Failure::GaveUp { attempts: 0 } => {
                f.write_str("the connection failed and the retry policy allows no reconnection")
            }
            Failure::GaveUp { attempts: 1 } => {
                f.write_str("gave up after 1 failed reconnection attempt")
            }
            Failure::GaveUp { attempts } => {
                write!(f, "gave up after {attempts} failed reconnection attempts")
            }
            Failure::Rejected => f.write_str("the connection was refused"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Failure {}

/// What [`Connection::handle_bytes`] hands out, in stream order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch<'a> {
    /// An event to fire as a `MessageEvent` (D1–D5 applied).
    Message(Message<'a>),
    /// A comment line (a browser ignores it; it shows the stream is alive).
    Comment(&'a str),
    /// The stream broke a rule the parser enforces (an event over the size
    /// limit); the event was dropped and the connection stays OPEN.
    Error(ParseError),
}

/// Where the connection is. `Due`, `Waiting`, `InFlight` and `Paused` are
/// all CONNECTING.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// A request is due at once.
    Due,
    /// A reconnect is due at `deadline`.
    Waiting {
        deadline: u64,
    },
    /// A request was handed out; its response has not come.
    InFlight,
    /// A response was accepted; its body is being read.
    Open,
    /// Paused; on resume, a request is due at `deadline` (a backoff that
    /// was running), or at once.
    Paused {
        deadline: Option<u64>,
    },
    Closed,
}

/// One `EventSource` connection, without its I/O. See the
/// [module documentation](self) for the rules it keeps.
///
/// A whole session against a fake server, with a fake clock:
///
/// ```
/// use core::ops::ControlFlow;
/// use ssekit::connection::{
///     Cause, Config, Connection, Dispatch, Poll, ReadyState, ResponseHead, Transition,
/// };
///
/// let mut connection = Connection::new(Config {
///     last_event_id: "41".into(),
///     retry_statuses: vec![503],
///     ..Config::default()
/// });
/// let mut now = 0; // milliseconds, from any epoch
/// let mut log = Vec::new();
///
/// // The fake server: what it answers to the n-th request.
/// // (status, content type, body chunks, whether the body ends cleanly)
/// let answers = [
///     (200, "text/event-stream", &["retry: 1000\nid: 42\ndata: hel", "lo\n\nid: 43\ndata: cut"][..], false),
///     (503, "text/plain", &[][..], true),
///     (200, "text/event-stream; charset=utf-8", &["data: bye\n\ndata: never seen\n\n"][..], true),
/// ];
/// let mut answers = answers.iter();
///
/// loop {
///     let request = match connection.poll(now) {
///         Poll::Request(request) => request,
///         Poll::Until(deadline) => {
///             now = deadline; // a real driver sleeps until then
///             let _ = connection.handle_timeout(now, 0.5);
///             continue;
///         }
///         Poll::Closed => break,
///         other => unreachable!("{other:?}"), // no pause, no request in flight here
///     };
///     log.push(format!("t={now} GET Last-Event-ID={:?} attempt={}", request.last_event_id, request.attempt));
///     let &(status, content_type, chunks, clean_end) = answers.next().unwrap();
///     let head = ResponseHead { status, content_type: Some(content_type) };
///     match connection.handle_response(now, head, 0.5) {
///         Transition::Open => log.push("open".into()),
///         Transition::Reconnecting { delay_ms, cause } => {
///             log.push(format!("error, retry in {delay_ms} ms ({cause:?})"));
///             continue;
///         }
///         other => panic!("{other:?}"),
///     }
///     for chunk in chunks {
///         connection.handle_bytes(now, chunk.as_bytes(), |dispatch| {
///             if let Dispatch::Message(message) = dispatch {
///                 log.push(format!("message {:?} id={}", message.data, message.last_event_id));
///                 if message.data == "bye" {
///                     return ControlFlow::Break(()); // the handler calls close()
///                 }
///             }
///             ControlFlow::Continue(())
///         });
///     }
///     if connection.ready_state() == ReadyState::Closed {
///         continue;
///     }
///     now += 5_000; // the stream lasted a while
///     let end = if clean_end {
///         connection.handle_end(now, 0.5)
///     } else {
///         connection.handle_network_error(now, 0.5)
///     };
///     if let Transition::Reconnecting { delay_ms, cause } = end {
///         log.push(format!("error, retry in {delay_ms} ms ({cause:?})"));
///     }
/// }
///
/// assert_eq!(log, [
///     r#"t=0 GET Last-Event-ID=Some("41") attempt=0"#,
///     "open",
///     r#"message "hello" id=42"#,
///     "error, retry in 1000 ms (NetworkError)", // the server's retry: 1000
///     r#"t=6000 GET Last-Event-ID=Some("42") attempt=1"#, // 43 was cut off (P12)
///     // The second failure in a row: never below the policy's initial 3 s.
///     "error, retry in 3000 ms (Status(503))",
///     r#"t=9000 GET Last-Event-ID=Some("42") attempt=2"#,
///     "open",
///     r#"message "bye" id=42"#,
/// ]);
/// assert_eq!(connection.ready_state(), ReadyState::Closed);
/// ```
#[derive(Clone, Debug)]
pub struct Connection {
    phase: Phase,
    parser: Parser,
    /// D1–D5, and the owner of the last event ID and the server's retry.
    dispatcher: Dispatcher,
    retry: RetryPolicy,
    retry_statuses: Vec<u16>,
    /// Consecutive reconnects since the start or the end of a connection
    /// that stayed open `retry.reset_after_ms()`.
    failed_attempts: u32,
    idle_timeout_ms: Option<u64>,
    close_on_end: bool,
    /// When the request in flight started or its last byte arrived: the
    /// idle timeout counts from here.
    last_progress: u64,
    /// When the current response was accepted (see `settle_attempts`).
    opened_at: u64,
}

impl Connection {
    /// A connection in CONNECTING (C2) whose first request is due at once.
    pub fn new(config: Config) -> Self {
        let mut dispatcher = Dispatcher::new();
        if is_header_safe(&config.last_event_id) {
            dispatcher.set_last_event_id(&config.last_event_id);
        }
        Connection {
            phase: Phase::Due,
            parser: Parser::with_max_event_bytes(config.max_event_bytes),
            dispatcher,
            retry: config.retry,
            retry_statuses: config.retry_statuses,
            failed_attempts: 0,
            idle_timeout_ms: config.idle_timeout_ms,
            close_on_end: config.close_on_end,
            last_progress: 0,
            opened_at: 0,
        }
    }

    /// The `readyState`.
    pub fn ready_state(&self) -> ReadyState {
        match self.phase {
            Phase::Open => ReadyState::Open,
            Phase::Closed => ReadyState::Closed,
            Phase::Due | Phase::Waiting { .. } | Phase::InFlight | Phase::Paused { .. } => {
                ReadyState::Connecting
            }
        }
    }

    /// The last event ID: what the next request sends as `Last-Event-ID`
    /// (when not empty), and every message's `lastEventId`.
    pub fn last_event_id(&self) -> &str {
        self.dispatcher.last_event_id()
    }

    /// The reconnection time the server last set with `retry`, if it did.
    /// It persists across reconnects (C10) and replaces the policy's
    /// initial delay as the base of the backoff.
    pub fn reconnection_time_ms(&self) -> Option<u64> {
        self.dispatcher.reconnection_time()
    }

    /// Consecutive reconnects since the start or the end of a connection
    /// that stayed open [`RetryPolicy::reset_after_ms`].
    pub fn failed_attempts(&self) -> u32 {
        self.failed_attempts
    }

    /// The request to make now, if one is due: exactly once per attempt —
    /// at the start, after [`resume`](Connection::resume), and once `now`
    /// has reached the reconnect deadline. `None` before the deadline (never
    /// early), while a request is in flight or a body is being read, while
    /// paused, and after close.
    pub fn poll_request(&mut self, now: u64) -> Option<Request<'_>> {
        match self.phase {
            Phase::Due => {}
            Phase::Waiting { deadline } if now >= deadline => {}
            _ => return None,
        }
        self.phase = Phase::InFlight;
        self.last_progress = now;
        let last_event_id = self.dispatcher.last_event_id();
        Some(Request {
            last_event_id: (!last_event_id.is_empty()).then_some(last_event_id),
            attempt: self.failed_attempts,
        })
    }

    /// The next deadline (the same clock as `now`), if any: while a
    /// reconnect is pending, when to call
    /// [`poll_request`](Connection::poll_request); while a request is in
    /// flight or a body is being read with an idle timeout, when to call
    /// [`handle_timeout`](Connection::handle_timeout) (bytes that arrive
    /// meanwhile move it later, so ask again after it fires).
    pub fn poll_timeout(&self) -> Option<u64> {
        match self.phase {
            Phase::Waiting { deadline } => Some(deadline),
            Phase::InFlight | Phase::Open => self
                .idle_timeout_ms
                .map(|idle| self.last_progress.saturating_add(idle)),
            _ => None,
        }
    }

    /// Time passed while a request was in flight or a body was being read:
    /// when nothing has arrived for [`Config::idle_timeout_ms`], the attempt
    /// ends and the connection reconnects ([`Cause::IdleTimeout`]; the
    /// caller aborts the request). [`Transition::None`] otherwise, also when
    /// the deadline is still ahead.
    pub fn handle_timeout(&mut self, now: u64, random: f64) -> Transition {
        match (self.phase, self.poll_timeout()) {
            (Phase::InFlight | Phase::Open, Some(deadline)) if now >= deadline => {
                self.end_attempt(now, random, Cause::IdleTimeout)
            }
            _ => Transition::None,
        }
    }

    /// The response to the request in flight arrived (C4). A status in
    /// [`Config::retry_statuses`] reconnects (it is not an open); any other
    /// status but 200 fails, and so does a `Content-Type` whose essence is
    /// not `text/event-stream` (parameters and case do not matter).
    /// Otherwise the connection is OPEN. `random` (in `0.0..=1.0`) is used
    /// for the jitter if it reconnects.
    pub fn handle_response(&mut self, now: u64, head: ResponseHead<'_>, random: f64) -> Transition {
        if self.phase != Phase::InFlight {
            return Transition::None;
        }
        if head.status != 200 && self.retry_statuses.contains(&head.status) {
            return self.end_attempt(now, random, Cause::Status(head.status));
        }
        if head.status != 200 {
            return self.fail(Failure::Status(head.status));
        }
        if !is_event_stream(head.content_type) {
            return self.fail(Failure::ContentType);
        }
        self.phase = Phase::Open;
        self.last_progress = now;
        self.opened_at = now;
        Transition::Open
    }

    /// A chunk of the body, while OPEN (ignored otherwise). Every message,
    /// comment and parse error it completes goes to `on`, in stream order;
    /// `retry` fields set the reconnection time as they are seen (P11).
    ///
    /// When `on` returns [`ControlFlow::Break`], the connection is
    /// [closed](Connection::close) at once: nothing more is dispatched, not
    /// even the rest of this chunk (D6).
    pub fn handle_bytes(
        &mut self,
        now: u64,
        bytes: &[u8],
        mut on: impl FnMut(Dispatch<'_>) -> ControlFlow<()>,
    ) {
        if self.phase != Phase::Open {
            return;
        }
        self.last_progress = now;
        let Connection {
            parser, dispatcher, ..
        } = self;
        let mut stopped = false;
        parser.feed(bytes, |item| {
            if stopped {
                return;
            }
            let flow = match item {
                Err(error) => on(Dispatch::Error(error)),
                Ok(Item::Comment(text)) => on(Dispatch::Comment(text)),
                Ok(item) => match dispatcher.dispatch(item) {
                    Some(message) => on(Dispatch::Message(message)),
                    None => ControlFlow::Continue(()),
                },
            };
            stopped = flow.is_break();
        });
        if stopped {
            self.close();
        }
    }

    /// Bytes of the body arrived that the caller parses itself (it reports
    /// what it finds with [`set_last_event_id`](Connection::set_last_event_id)
    /// and [`set_reconnection_time`](Connection::set_reconnection_time)):
    /// they put the idle timeout off. Only while OPEN.
    pub fn handle_progress(&mut self, now: u64) {
        if self.phase == Phase::Open {
            self.last_progress = now;
        }
    }

    /// The body ended cleanly (C5: reconnect all the same, unless
    /// [`Config::close_on_end`]: then [`Transition::Ended`]). Only while
    /// OPEN; [`Transition::None`] otherwise.
    pub fn handle_end(&mut self, now: u64, random: f64) -> Transition {
        if self.phase != Phase::Open {
            return Transition::None;
        }
        if self.close_on_end {
            self.close();
            return Transition::Ended;
        }
        self.end_attempt(now, random, Cause::Ended)
    }

    /// The request failed (no response) or reading the body failed (C5).
    /// Only while a request is in flight or OPEN; [`Transition::None`]
    /// otherwise.
    pub fn handle_network_error(&mut self, now: u64, random: f64) -> Transition {
        if !matches!(self.phase, Phase::InFlight | Phase::Open) {
            return Transition::None;
        }
        self.end_attempt(now, random, Cause::NetworkError)
    }

    /// Fails the connection for good (C7), for a reason the caller found:
    /// CLOSED, and the caller fires `error`. [`Transition::None`] if it was
    /// closed already.
    pub fn fail(&mut self, failure: Failure) -> Transition {
        if self.phase == Phase::Closed {
            return Transition::None;
        }
        self.close();
        Transition::Failed(failure)
    }

    /// `close()` (C8): CLOSED, no event; a pending reconnect is cancelled,
    /// the caller aborts any request in flight, and nothing is dispatched
    /// any more.
    pub fn close(&mut self) {
        self.phase = Phase::Closed;
        // Drops a partial event and gives its memory back.
        self.parser.finish();
    }

    /// Pauses the connection (ssekit's `pauseWhenHidden`): CONNECTING, with
    /// no `error` event. The caller aborts the request in flight, if any;
    /// its partial event is dropped (P12). A pause is not a failed attempt;
    /// a pause after an open that lasted [`RetryPolicy::reset_after_ms`]
    /// starts the count over, as any end of such a stream does. A reconnect
    /// that was waiting stays due at its deadline. Nothing is requested
    /// until [`resume`](Connection::resume).
    pub fn pause(&mut self, now: u64) {
        let deadline = match self.phase {
            Phase::Closed | Phase::Paused { .. } => return,
            Phase::Waiting { deadline } => Some(deadline),
            Phase::Due => None,
            Phase::InFlight => {
                self.parser.finish();
                None
            }
            Phase::Open => {
                self.parser.finish();
                self.settle_attempts(now);
                None
            }
        };
        self.phase = Phase::Paused { deadline };
    }

    /// Ends a [pause](Connection::pause): a request is due at once, or at
    /// the deadline of a reconnect that was waiting when it paused, if that
    /// is still ahead. Does nothing unless paused.
    pub fn resume(&mut self, now: u64) {
        if let Phase::Paused { deadline } = self.phase {
            self.phase = match deadline {
                Some(deadline) if deadline > now => Phase::Waiting { deadline },
                _ => Phase::Due,
            };
        }
    }

    /// `reconnect()`: ends the current attempt, if any, and asks for a new
    /// request at once, with the last event ID (LaunchDarkly's clients call
    /// it a restart). The caller aborts the request in flight and fires
    /// `error`, as for any reconnect ([`Cause::Requested`], delay 0). It is
    /// no failed attempt; the count starts over if the connection ending
    /// now stayed open long enough. A reconnect that was waiting happens
    /// now. [`Transition::None`] while paused (the resume reconnects) and
    /// after close.
    pub fn reconnect(&mut self, now: u64) -> Transition {
        match self.phase {
            Phase::Closed | Phase::Paused { .. } => return Transition::None,
            Phase::InFlight | Phase::Open => {
                self.parser.finish();
            }
            Phase::Due | Phase::Waiting { .. } => {}
        }
        self.settle_attempts(now);
        self.phase = Phase::Due;
        Transition::Reconnecting {
            delay_ms: 0,
            cause: Cause::Requested,
        }
    }

    /// What to do now, the one question a driver asks after every input and
    /// wake-up: make a request, wait for a deadline (then call
    /// [`handle_timeout`](Connection::handle_timeout) and ask again), wait
    /// for I/O, wait for [`resume`](Connection::resume), or stop.
    pub fn poll(&mut self, now: u64) -> Poll<'_> {
        if self.poll_request(now).is_some() {
            let last_event_id = self.dispatcher.last_event_id();
            return Poll::Request(Request {
                last_event_id: (!last_event_id.is_empty()).then_some(last_event_id),
                attempt: self.failed_attempts,
            });
        }
        match (self.phase, self.poll_timeout()) {
            (Phase::Closed, _) => Poll::Closed,
            (Phase::Paused { .. }, _) => Poll::Paused,
            (_, Some(deadline)) => Poll::Until(deadline),
            (_, None) => Poll::Io,
        }
    }

    /// Sets the last event ID, for a caller whose own parser reports the
    /// `id` fields (D1: at every dispatch, even without data). Ignored after
    /// close, and for an ID that contains NUL, CR or LF (P10: an SSE parser
    /// never produces one).
    pub fn set_last_event_id(&mut self, id: &str) {
        if self.phase != Phase::Closed && is_header_safe(id) {
            self.dispatcher.set_last_event_id(id);
        }
    }

    /// Sets the reconnection time, for a caller whose own parser reports the
    /// `retry` fields (P11: as soon as one is seen). Ignored after close.
    pub fn set_reconnection_time(&mut self, ms: u64) {
        if self.phase != Phase::Closed {
            self.dispatcher.set_reconnection_time(ms);
        }
    }

    /// The count of failed attempts starts over when the connection ending
    /// now stayed open long enough ([`RetryPolicy::reset_after_ms`]): one
    /// that ends sooner counts as a failed attempt, whatever it delivered.
    fn settle_attempts(&mut self, now: u64) {
        if self.phase == Phase::Open
            && now.saturating_sub(self.opened_at) >= self.retry.reset_after_ms()
        {
            self.failed_attempts = 0;
        }
    }

    /// C5/C6 and the retry extensions: the attempt ended; reconnect after a
    /// delay, or give up.
    fn end_attempt(&mut self, now: u64, random: f64, cause: Cause) -> Transition {
        // P12: a cut-off event is dropped, its id not committed.
        self.parser.finish();
        self.settle_attempts(now);
        if self.retry.gives_up_after(self.failed_attempts) {
            self.phase = Phase::Closed;
            return Transition::Failed(Failure::GaveUp {
                attempts: self.failed_attempts,
            });
        }
        self.failed_attempts = self.failed_attempts.saturating_add(1);
        let delay_ms = self.retry.delay_ms(
            self.failed_attempts,
            self.dispatcher.reconnection_time(),
            random,
        );
        self.phase = Phase::Waiting {
            deadline: now.saturating_add(delay_ms),
        };
        Transition::Reconnecting { delay_ms, cause }
    }
}

/// C4: whether a `Content-Type` header value is `text/event-stream`: the
/// MIME type's essence, whatever its parameters and case. The one test of it
/// in ssekit (the Workers relay uses it too).
///
/// ```
/// use ssekit::connection::is_event_stream;
///
/// assert!(is_event_stream(Some(" Text/Event-Stream ; charset=utf-8")));
/// assert!(!is_event_stream(Some("text/plain")));
/// assert!(!is_event_stream(None));
/// ```
pub fn is_event_stream(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        // The essence: up to the first `;`, without HTTP whitespace. Bytes,
        // not chars: the wasm build has no use for Unicode tables here.
        let bytes = value.as_bytes();
        let end = bytes.iter().position(|&b| b == b';').unwrap_or(bytes.len());
        bytes[..end]
            .trim_ascii()
            .eq_ignore_ascii_case(ACCEPT.as_bytes())
    })
}

/// An ID that can be a header value and that a parser could have produced.
fn is_header_safe(id: &str) -> bool {
    !id.bytes().any(|b| matches!(b, b'\0' | b'\r' | b'\n'))
}
