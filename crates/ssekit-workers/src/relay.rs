//! [`Relay`]: an upstream SSE response, read as messages by the core's
//! [`MessageStream`], handed to a per-message handler and sent on as an
//! [`SseResponse`].
//!
//! The relay owns the upstream request's [`AbortController`]: when the
//! downstream client goes away (the response body is dropped, which a
//! heartbeat guarantees within one interval), when the handler stops, and
//! when the upstream fails, the upstream request is aborted, so no
//! connection outlives the client. Every failure ends the relay with one
//! final event saying what happened, never with a hang.

use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_util::future::LocalBoxFuture;
use futures_util::{FutureExt, Stream};
use worker::{AbortController, ByteStream, Fetch, Response};

use ssekit::connection::is_event_stream;
use ssekit::{
    Dispatcher, EncodeError, EncodedEvent, Event, MessageStream, OwnedMessage, ParseError, Parser,
    StreamError, DEFAULT_EVENT_TYPE, DEFAULT_MAX_EVENT_BYTES,
};

use crate::SseResponse;

/// The event type of the final event a failed relay sends, unless
/// [`Relay::error_event`] names another.
pub const DEFAULT_ERROR_EVENT: &str = "error";

/// What to do with one upstream message, as a [`Relay::on_message`]
/// handler decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayStep {
    /// Send the message on as it came: its event type (no `event` field for
    /// `message`), its data, and an `id` field whenever the upstream's last
    /// event ID differs from the last one `Forward` sent on.
    Forward,
    /// Send this event instead.
    Send(EncodedEvent),
    /// Send nothing for this message.
    Skip,
    /// Send this event, if any, then end the relay: the upstream request is
    /// aborted and the downstream response ends cleanly.
    Stop(Option<EncodedEvent>),
}

/// Why a relay ended early. Its `Display` text is the data of the final
/// error event the downstream gets.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayError {
    /// The upstream request failed before any response came (a refused
    /// connection, a DNS failure, an invalid URL).
    Fetch(String),
    /// The upstream answered with a status outside 200–299.
    Status(u16),
    /// The upstream answered 2xx with a `Content-Type` other than
    /// `text/event-stream` (`None`: without one).
    ContentType(Option<String>),
    /// The upstream body failed mid-stream (say, its connection was cut).
    Body(String),
    /// An upstream event was over the size limit ([`Relay::max_event_bytes`]).
    EventTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The parser refused an upstream event for another reason than its size.
    Parse(ParseError),
    /// An upstream message could not be encoded again to be sent on (an
    /// event type holding a NUL, which the encoder refuses).
    Encode(EncodeError),
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayError::Fetch(reason) => write!(f, "upstream request failed: {reason}"),
            RelayError::Status(status) => write!(f, "upstream answered HTTP {status}"),
            RelayError::ContentType(Some(content_type)) => write!(
                f,
                "upstream answered with Content-Type {content_type}, not text/event-stream"
            ),
            RelayError::ContentType(None) => {
                write!(
                    f,
                    "upstream answered without a Content-Type, not text/event-stream"
                )
            }
            RelayError::Body(reason) => write!(f, "upstream stream failed: {reason}"),
            RelayError::EventTooLarge { limit } => {
                write!(f, "upstream event over the size limit of {limit} bytes")
            }
            RelayError::Parse(error) => write!(f, "upstream event refused: {error}"),
            RelayError::Encode(error) => {
                write!(f, "upstream event could not be sent on: {error}")
            }
        }
    }
}

impl std::error::Error for RelayError {}

type Handler = Box<dyn FnMut(&OwnedMessage) -> RelayStep>;

/// Relays an upstream Server-Sent Events response to the client, message by
/// message.
///
/// ```no_run
/// use ssekit::EncodedEvent;
/// use ssekit_workers::{Relay, RelayStep};
/// use worker::{Fetch, Request, Response, Result};
///
/// fn relay(upstream: Request) -> Result<Response> {
///     Relay::fetch(Fetch::Request(upstream))
///         .on_message(|message| match message.data.as_str() {
///             "[DONE]" => RelayStep::Stop(Some(EncodedEvent::message("[DONE]"))),
///             _ => RelayStep::Forward,
///         })
///         .error_event("upstream-error")
///         .into_sse()?
///         .on_close(|reason| worker::console_log!("relay closed: {reason:?}"))
///         .into_response()
/// }
/// ```
///
/// - **Upstream.** [`Relay::fetch`] sends the request when the response
///   starts streaming (the client has its headers and heartbeats while the
///   upstream thinks), with an abort signal the relay owns.
///   [`Relay::from_response`] takes a response already fetched; give it the
///   [`AbortController`] whose signal that fetch had with
///   [`abort_on_close`](Relay::abort_on_close).
/// - **Refusals.** A status outside 200–299, or a `Content-Type` that is not
///   `text/event-stream`, ends the relay at once with the error event
///   ([`RelayError::Status`], [`RelayError::ContentType`]); the upstream body
///   is not read (not even an error message in it, which could echo a
///   credential).
/// - **Messages.** Each upstream message goes to the
///   [`on_message`](Relay::on_message) handler (by default every one is
///   [forwarded](RelayStep::Forward)). Upstream comments and `retry` fields
///   are not sent on: heartbeats and the reconnection time downstream are
///   the [`SseResponse`]'s.
/// - **The end.** When the upstream body ends, the relay ends cleanly after
///   the messages it completed (an unterminated last event is dropped, as
///   browsers drop it). When it fails, or an event is over the size limit
///   ([`max_event_bytes`](Relay::max_event_bytes), 16 MiB by default), the
///   downstream gets one final [`error_event`](Relay::error_event) whose data
///   is the [`RelayError`]'s text, the upstream request is aborted, and the
///   response ends cleanly.
/// - **Disconnects.** When the client goes away the response body is dropped
///   (at the next write: a heartbeat guarantees one within an interval), the
///   upstream request is aborted, and the [`SseResponse::on_close`] hook runs
///   with [`Disconnected`](crate::CloseReason::Disconnected).
pub struct Relay {
    upstream: LocalBoxFuture<'static, Result<Response, RelayError>>,
    abort: Option<AbortController>,
    handler: Option<Handler>,
    /// The error event's type, or why it cannot be encoded.
    error_event: Result<String, String>,
    max_event_bytes: usize,
}

impl Relay {
    /// Relays the response to `upstream`, sent with an abort signal when the
    /// downstream response starts streaming. A failed fetch ends the relay
    /// with [`RelayError::Fetch`].
    pub fn fetch(upstream: Fetch) -> Relay {
        let controller = AbortController::default();
        let signal = controller.signal();
        let send = async move {
            upstream
                .send_with_signal(&signal)
                .await
                .map_err(|e| RelayError::Fetch(e.to_string()))
        };
        Relay::new(send.boxed_local(), Some(controller))
    }

    /// Relays `upstream`, a response already fetched. Without
    /// [`abort_on_close`](Relay::abort_on_close), leaving early only cancels
    /// its body.
    pub fn from_response(upstream: Response) -> Relay {
        Relay::new(
            futures_util::future::ready(Ok(upstream)).boxed_local(),
            None,
        )
    }

    fn new(
        upstream: LocalBoxFuture<'static, Result<Response, RelayError>>,
        abort: Option<AbortController>,
    ) -> Relay {
        Relay {
            upstream,
            abort,
            handler: None,
            error_event: Ok(DEFAULT_ERROR_EVENT.into()),
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
        }
    }

    /// The controller whose signal the upstream fetch was sent with (for
    /// [`from_response`](Relay::from_response)): the relay aborts it when it
    /// ends early or the client goes away.
    pub fn abort_on_close(mut self, controller: AbortController) -> Self {
        self.abort = Some(controller);
        self
    }

    /// Decides, message by message, what is sent on: the message as it came,
    /// another event, nothing, or the end of the relay. See [`RelayStep`].
    pub fn on_message(mut self, handler: impl FnMut(&OwnedMessage) -> RelayStep + 'static) -> Self {
        self.handler = Some(Box::new(handler));
        self
    }

    /// The event type of the final event a failed relay sends
    /// ([`DEFAULT_ERROR_EVENT`] unless set). A type that cannot be encoded (a
    /// line break or NUL in it, or empty) makes
    /// [`into_events`](Relay::into_events) fail.
    pub fn error_event(mut self, event_type: &str) -> Self {
        self.error_event = checked_event_type(event_type);
        self
    }

    /// The largest event the upstream may send, in bytes (default
    /// [`DEFAULT_MAX_EVENT_BYTES`], 16 MiB); a larger one ends the relay with
    /// [`RelayError::EventTooLarge`].
    pub fn max_event_bytes(mut self, limit: usize) -> Self {
        self.max_event_bytes = limit;
        self
    }

    /// The events to send on, as a `Stream` (to combine with others before an
    /// [`SseResponse`]). Fails only for an [`error_event`](Relay::error_event)
    /// type that cannot be encoded.
    pub fn into_events(self) -> worker::Result<RelayEvents> {
        let error_event = self.error_event.map_err(|e| {
            worker::Error::RustError(format!("ssekit: the relay's error event type: {e}"))
        })?;
        Ok(RelayEvents {
            state: State::Connecting(self.upstream),
            abort: self.abort,
            max_event_bytes: self.max_event_bytes,
            relaying: Relaying {
                handler: self.handler,
                error_event,
                last_forwarded_id: String::new(),
            },
        })
    }

    /// The relay as an [`SseResponse`], to configure (heartbeat, `on_close`,
    /// headers) and turn into the worker's response.
    pub fn into_sse(self) -> worker::Result<SseResponse<RelayEvents>> {
        Ok(SseResponse::new(self.into_events()?))
    }
}

/// The events a [`Relay`] sends on; made by [`Relay::into_events`].
/// Dropping it before it ends aborts the upstream request.
pub struct RelayEvents {
    state: State,
    abort: Option<AbortController>,
    max_event_bytes: usize,
    relaying: Relaying,
}

enum State {
    Connecting(LocalBoxFuture<'static, Result<Response, RelayError>>),
    Streaming(MessageStream<ByteStream>),
    Done,
}

/// What the relay sends for what the upstream gave, without any I/O: the
/// handler, the `id` bookkeeping of [`RelayStep::Forward`] and the final
/// error event.
struct Relaying {
    handler: Option<Handler>,
    /// The error event's type, checked to be encodable.
    error_event: String,
    /// The last event ID [`RelayStep::Forward`] wrote: the client's, as far
    /// as the relay knows.
    last_forwarded_id: String,
}

/// What to send for one upstream message.
#[derive(Debug, PartialEq, Eq)]
enum Out {
    Send(EncodedEvent),
    Skip,
    /// Send this, if any, and end the relay (the upstream is aborted).
    End(Option<EncodedEvent>),
}

impl Relaying {
    fn message(&mut self, message: &OwnedMessage) -> Out {
        let step = match self.handler.as_mut() {
            Some(handler) => handler(message),
            None => RelayStep::Forward,
        };
        match step {
            RelayStep::Forward => match self.forward(message) {
                Ok(event) => Out::Send(event),
                Err(error) => Out::End(self.failure(&RelayError::Encode(error))),
            },
            RelayStep::Send(event) => Out::Send(event),
            RelayStep::Skip => Out::Skip,
            RelayStep::Stop(event) => Out::End(event),
        }
    }

    fn forward(&mut self, message: &OwnedMessage) -> Result<EncodedEvent, EncodeError> {
        let mut event = Event::new().data(message.data.as_str());
        if message.event_type != DEFAULT_EVENT_TYPE {
            event = event.event(message.event_type.as_str());
        }
        let id_changed = message.last_event_id != self.last_forwarded_id;
        if id_changed {
            event = event.id(message.last_event_id.as_str());
        }
        let encoded = EncodedEvent::new(&event)?;
        if id_changed {
            self.last_forwarded_id.clone_from(&message.last_event_id);
        }
        Ok(encoded)
    }

    /// The final event of a failed relay.
    fn failure(&self, error: &RelayError) -> Option<EncodedEvent> {
        let data = error.to_string();
        // The type was checked by `Relay::into_events`.
        EncodedEvent::new(&Event::new().event(self.error_event.as_str()).data(data)).ok()
    }
}

impl RelayEvents {
    /// Ends the relay early, with the final error event.
    fn fail(&mut self, error: RelayError) -> Poll<Option<EncodedEvent>> {
        self.stop();
        Poll::Ready(self.relaying.failure(&error))
    }

    /// Ends the relay early: the upstream request is aborted.
    fn stop(&mut self) {
        self.state = State::Done;
        if let Some(controller) = self.abort.take() {
            controller.abort();
        }
    }

    fn open(&mut self, mut upstream: Response) -> Result<(), RelayError> {
        let status = upstream.status_code();
        let content_type = upstream.headers().get("Content-Type").ok().flatten();
        let body = upstream.stream();
        // A refused body is not read: dropping its stream cancels it, which
        // frees the connection even without an abort signal.
        if !(200..300).contains(&status) {
            return Err(RelayError::Status(status));
        }
        if !is_event_stream(content_type.as_deref()) {
            return Err(RelayError::ContentType(content_type));
        }
        let body = body.map_err(|e| RelayError::Body(e.to_string()))?;
        let parser = Parser::with_max_event_bytes(self.max_event_bytes);
        self.state = State::Streaming(MessageStream::from_parts(body, parser, Dispatcher::new()));
        Ok(())
    }
}

impl Stream for RelayEvents {
    type Item = EncodedEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<EncodedEvent>> {
        let this = &mut *self;
        loop {
            let message = match &mut this.state {
                State::Done => return Poll::Ready(None),
                State::Connecting(upstream) => {
                    let Poll::Ready(upstream) = upstream.as_mut().poll(cx) else {
                        return Poll::Pending;
                    };
                    if let Err(error) = upstream.and_then(|r| this.open(r)) {
                        return this.fail(error);
                    }
                    continue;
                }
                State::Streaming(messages) => match Pin::new(messages).poll_next(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => {
                        // The upstream ended on its own: nothing to abort.
                        this.state = State::Done;
                        this.abort = None;
                        return Poll::Ready(None);
                    }
                    Poll::Ready(Some(Err(StreamError::Transport(e)))) => {
                        return this.fail(RelayError::Body(e.to_string()))
                    }
                    Poll::Ready(Some(Err(StreamError::Parse(ParseError::EventTooLarge {
                        limit,
                    })))) => return this.fail(RelayError::EventTooLarge { limit }),
                    Poll::Ready(Some(Err(StreamError::Parse(error)))) => {
                        return this.fail(RelayError::Parse(error))
                    }
                    Poll::Ready(Some(Ok(message))) => message,
                },
            };
            match this.relaying.message(&message) {
                Out::Send(event) => return Poll::Ready(Some(event)),
                Out::Skip => continue,
                Out::End(event) => {
                    this.stop();
                    return Poll::Ready(event);
                }
            }
        }
    }
}

impl Drop for RelayEvents {
    fn drop(&mut self) {
        // The client went away (or the stream was dropped for another
        // reason) before the upstream ended: abort the upstream request.
        if let Some(controller) = self.abort.take() {
            controller.abort();
        }
    }
}

/// `event_type` if an event can have it, or why not.
fn checked_event_type(event_type: &str) -> Result<String, String> {
    if event_type.is_empty() {
        // Browsers would dispatch an empty type as `message`.
        return Err("it is empty".into());
    }
    match Event::new().event(event_type).validate() {
        Ok(()) => Ok(event_type.into()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_text_event_stream_is_an_event_stream() {
        let cases = [
            (Some("text/event-stream"), true),
            (Some("text/event-stream; charset=utf-8"), true),
            (Some("Text/Event-Stream ;charset=UTF-8"), true),
            (Some(" text/event-stream"), true),
            (Some("text/html"), false),
            (Some("application/json"), false),
            (Some("text/event-streams"), false),
            (Some("text/plain; x=text/event-stream"), false),
            (Some(""), false),
            (None, false),
        ];
        for (content_type, expected) in cases {
            assert_eq!(is_event_stream(content_type), expected, "{content_type:?}");
        }
    }

    fn message(event_type: &str, data: &str, last_event_id: &str) -> OwnedMessage {
        OwnedMessage {
            event_type: event_type.into(),
            data: data.into(),
            last_event_id: last_event_id.into(),
            id: None,
        }
    }

    fn relaying(handler: Option<Handler>) -> Relaying {
        Relaying {
            handler,
            error_event: "upstream-error".into(),
            last_forwarded_id: String::new(),
        }
    }

    /// The text each message becomes, `End` marked with a leading `END `.
    fn relay_all(relaying: &mut Relaying, messages: &[OwnedMessage]) -> Vec<String> {
        let mut out = Vec::new();
        for m in messages {
            match relaying.message(m) {
                Out::Send(event) => out.push(event.as_str().to_string()),
                Out::Skip => out.push("SKIP".into()),
                Out::End(event) => {
                    out.push(format!(
                        "END {}",
                        event.as_ref().map_or("", EncodedEvent::as_str)
                    ));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn forward_keeps_type_data_and_writes_an_id_only_when_it_changed() {
        let mut relaying = relaying(None);
        let messages = [
            message("message", "{\"a\":1}", ""),
            message("delta", "two\nlines", "42"),
            message("message", "same id", "42"),
            message("message", " leading space", "43"),
            message("message", "", "43"),
            message("message", "id cleared", ""),
        ];
        assert_eq!(
            relay_all(&mut relaying, &messages),
            [
                "data: {\"a\":1}\n\n",
                "event: delta\nid: 42\ndata: two\ndata: lines\n\n",
                "data: same id\n\n",
                "id: 43\ndata:  leading space\n\n",
                "data:\n\n",
                "id:\ndata: id cleared\n\n",
            ]
        );
    }

    #[test]
    fn the_handler_sends_skips_and_stops() {
        let handler: Handler = Box::new(|m: &OwnedMessage| match m.data.as_str() {
            "[DONE]" => RelayStep::Stop(Some(EncodedEvent::message("bye"))),
            "" => RelayStep::Skip,
            "x" => RelayStep::Send(EncodedEvent::message("replaced")),
            _ => RelayStep::Forward,
        });
        let mut relaying = relaying(Some(handler));
        let messages = [
            message("message", "a", ""),
            message("message", "", ""),
            message("message", "x", ""),
            message("message", "[DONE]", ""),
            message("message", "after the end", ""),
        ];
        assert_eq!(
            relay_all(&mut relaying, &messages),
            [
                "data: a\n\n",
                "SKIP",
                "data: replaced\n\n",
                "END data: bye\n\n"
            ]
        );
        let mut silent = self::relaying(Some(Box::new(|_: &OwnedMessage| RelayStep::Stop(None))));
        assert_eq!(relay_all(&mut silent, &messages), ["END "]);
    }

    #[test]
    fn a_message_that_cannot_be_encoded_again_ends_the_relay_with_the_error_event() {
        // The parser takes a NUL in an event type; the encoder refuses it.
        let mut relaying = relaying(None);
        assert_eq!(
            relay_all(&mut relaying, &[message("a\0b", "x", "")]),
            [
                "END event: upstream-error\ndata: upstream event could not be sent on: \
              SSE event contains a NUL at byte 1\n\n"
            ]
        );
    }

    #[test]
    fn the_final_error_event_has_the_chosen_type_and_the_error_text() {
        let relaying = relaying(None);
        let event = relaying.failure(&RelayError::Status(401)).unwrap();
        assert_eq!(
            event.as_str(),
            "event: upstream-error\ndata: upstream answered HTTP 401\n\n"
        );
    }

    #[test]
    fn error_event_types_that_cannot_be_sent_are_refused() {
        assert_eq!(
            checked_event_type("upstream-error"),
            Ok("upstream-error".into())
        );
        assert_eq!(checked_event_type("error"), Ok("error".into()));
        for bad in ["", "a\nb", "a\rb", "a\0b"] {
            assert!(checked_event_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn error_texts_say_what_happened() {
        let cases = [
            (
                RelayError::Status(503),
                "upstream answered HTTP 503",
            ),
            (
                RelayError::ContentType(Some("text/html; charset=utf-8".into())),
                "upstream answered with Content-Type text/html; charset=utf-8, not text/event-stream",
            ),
            (
                RelayError::ContentType(None),
                "upstream answered without a Content-Type, not text/event-stream",
            ),
            (
                RelayError::EventTooLarge { limit: 16 << 20 },
                "upstream event over the size limit of 16777216 bytes",
            ),
            (
                RelayError::Body("Network connection lost.".into()),
                "upstream stream failed: Network connection lost.",
            ),
            (
                RelayError::Fetch("connection refused".into()),
                "upstream request failed: connection refused",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
