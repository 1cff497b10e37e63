//! Server-Sent Events responses for Cloudflare Workers (workers-rs), on the
//! [`ssekit`] core.
//!
//! The pieces, each usable on its own in any `worker` crate handler:
//!
//! - [`SseResponse`] turns a `Stream` of [`EncodedEvent`](ssekit::EncodedEvent) events
//!   into a streaming [`worker::Response`] with the headers SSE needs, an
//!   optional initial `retry`, heartbeats while idle, and a hook that runs when
//!   the stream ends or the client goes away.
//! - [`SseOptions`]: the `retry`, heartbeat and queue limit of every response
//!   here, one builder for `SseResponse`, `Broadcast` and `Subscription`.
//! - [`last_event_id`] reads the resume point a reconnecting client sends.
//! - [`Cors`] answers preflights and sets per-request CORS headers, with
//!   credentials only for the origins you list.
//! - [`Relay`] sends an upstream SSE response on, message by message (map,
//!   filter or stop each one), as an [`SseResponse`]; the upstream request is
//!   aborted when the client goes away, and an upstream failure ends the
//!   relay with a final error event.
//! - For a Durable Object that sends the same events to many clients:
//!   [`Broadcast`] holds the clients' streams in the object and enqueues one
//!   shared chunk per event into each; [`HibernatingBroadcast`] (in the
//!   object) and [`Subscription`] (in the front Worker that holds the
//!   client's stream) do the same over WebSockets the object accepts for
//!   hibernation, so the object is not billed while it waits.
//!
//! ```no_run
//! use futures_util::{stream, StreamExt};
//! use ssekit_workers::{last_event_id, SseResponse};
//! use ssekit::{EncodedEvent, Event};
//! use worker::{Request, Response, Result};
//!
//! fn ticks(req: &Request) -> Result<Response> {
//!     // Resume after the last id the client saw.
//!     let start = last_event_id(req, "lastEventId")
//!         .and_then(|id| id.parse::<u64>().ok())
//!         .map_or(0, |id| id + 1);
//!     let events = stream::iter(start..start + 10).map(|n| {
//!         let id = n.to_string();
//!         EncodedEvent::new(&Event::new().event("tick").id(id.as_str()).data(id.as_str()))
//!             .expect("ids and the event name hold no line breaks")
//!     });
//!     SseResponse::new(events)
//!         .retry(2_000)
//!         .on_close(|reason| worker::console_log!("stream closed: {reason:?}"))
//!         .into_response()
//! }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod broadcast;
mod cors;
mod feed;
mod hibernation;
mod options;
mod relay;
mod response;

pub use broadcast::Broadcast;
pub use cors::{Cors, CorsDecision};
pub use hibernation::{HibernatingBroadcast, Subscription, MAX_MESSAGE_BYTES};
pub use options::{SseOptions, DEFAULT_HEARTBEAT, DEFAULT_MAX_QUEUED_BYTES};
pub use relay::{Relay, RelayError, RelayEvents, RelayStep, DEFAULT_ERROR_EVENT};
pub use response::{CloseReason, SseResponse};

/// Longest resume point [`last_event_id`] accepts; longer values are ignored.
pub const MAX_LAST_EVENT_ID_BYTES: usize = 1024;

/// The `Last-Event-ID` a reconnecting client sent, falling back to the query
/// parameter `query_param` (for clients that cannot set headers, such as a
/// native `EventSource` opening a first connection with a saved id).
///
/// Returns `None` when neither is present, when the value is empty (an empty
/// id means "no id"), or when it is longer than [`MAX_LAST_EVENT_ID_BYTES`]
/// or holds a NUL, CR or LF (no id a client learned from an SSE stream can:
/// a line break ends the field, and the parser ignores ids with a NUL).
pub fn last_event_id(req: &worker::Request, query_param: &str) -> Option<String> {
    let value = sent_last_event_id(req, query_param)?;
    acceptable_id(&value).then_some(value)
}

/// What a request sent as its resume point (the `Last-Event-ID` header, or
/// the query parameter `query_param`), as it came: whether it is a
/// reconnect at all, for a caller that answers those differently. Check it
/// with [`check_last_event_id`] before use.
pub fn sent_last_event_id(req: &worker::Request, query_param: &str) -> Option<String> {
    let header = req.headers().get("Last-Event-ID").ok().flatten();
    header.or_else(|| {
        let url = req.url().ok()?;
        let value = url
            .query_pairs()
            .find(|(name, _)| name == query_param)
            .map(|(_, value)| value.into_owned());
        value
    })
}

/// Why a non-empty resume point could not have come from an SSE stream:
/// longer than [`MAX_LAST_EVENT_ID_BYTES`], or holding a NUL, CR or LF.
pub fn check_last_event_id(value: &str) -> Result<(), &'static str> {
    if value.len() > MAX_LAST_EVENT_ID_BYTES {
        return Err("Last-Event-ID is longer than 1024 bytes");
    }
    if value.contains(['\0', '\r', '\n']) {
        return Err("Last-Event-ID holds a line break or NUL, which no event id can");
    }
    Ok(())
}

fn acceptable_id(value: &str) -> bool {
    !value.is_empty() && check_last_event_id(value).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_points_that_no_stream_could_have_sent_are_ignored() {
        assert!(acceptable_id("42"));
        assert!(acceptable_id(&"x".repeat(MAX_LAST_EVENT_ID_BYTES)));
        assert!(!acceptable_id(""));
        assert!(!acceptable_id(&"x".repeat(MAX_LAST_EVENT_ID_BYTES + 1)));
        assert!(!acceptable_id("a\0b"));
        assert!(!acceptable_id("a\nb"));
        assert!(!acceptable_id("a\rb"));
        // The limit in the message is the constant's.
        let long = "x".repeat(MAX_LAST_EVENT_ID_BYTES + 1);
        let message = check_last_event_id(&long).unwrap_err();
        assert!(message.contains(&MAX_LAST_EVENT_ID_BYTES.to_string()));
    }
}
