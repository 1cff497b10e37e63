//! `GET /ticks`: a numbered stream straight from [`SseResponse`], with no
//! Durable Object in between. Tests and benchmarks use it; it is also the
//! smallest example of the ssekit edge API.
//!
//! A demo route (`DEMO = "1"`), with every parameter bounded so that no
//! query makes it cost more than a bounded stream: `count` (default 10, at
//! most 1,000,000), `interval_ms` (default 1000, at most 60,000),
//! `heartbeat_ms` (default 15000, at most 60,000; 0 = off), `retry` (ms,
//! optional, at most 3,600,000), `event` (default `tick`, at most 64 bytes). Event `n` has id and data `n`, from 1; a client
//! resuming with `Last-Event-ID: k` gets `k + 1` onwards.

use std::time::Duration;

use futures_util::stream::{self, LocalBoxStream};
use futures_util::StreamExt;
use ssekit::{EncodedEvent, Event};
use ssekit_workers::{last_event_id, SseResponse};
use worker::{Delay, Request, Response, Result};

use crate::reply::error;

/// Bounds of the query's numbers and the event name.
const MAX_COUNT: u64 = 1_000_000;
const MAX_INTERVAL_MS: u64 = 60_000;
const MAX_RETRY_MS: u64 = 3_600_000;
const MAX_EVENT_NAME: usize = 64;

pub fn stream(req: &Request) -> Result<Response> {
    let url = req.url()?;
    let query = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let number = |name: &str, default: u64| -> std::result::Result<u64, String> {
        match query(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("{name} must be a non-negative integer")),
        }
    };
    let parsed = (|| {
        Ok::<_, String>((
            number("count", 10)?,
            number("interval_ms", 1_000)?,
            number("heartbeat_ms", 15_000)?,
            query("retry")
                .map(|v| v.parse::<u64>())
                .transpose()
                .map_err(|_| "retry must be a non-negative integer".to_string())?,
        ))
    })();
    let (count, interval_ms, heartbeat_ms, retry) = match parsed {
        Ok(values) => values,
        Err(message) => return error(400, &message),
    };
    for (name, value, max) in [
        ("count", count, MAX_COUNT),
        ("interval_ms", interval_ms, MAX_INTERVAL_MS),
        ("heartbeat_ms", heartbeat_ms, MAX_INTERVAL_MS),
        ("retry", retry.unwrap_or(0), MAX_RETRY_MS),
    ] {
        if value > max {
            return error(400, &format!("{name} must be at most {max}"));
        }
    }
    let name = query("event").unwrap_or_else(|| "tick".into());
    if name.len() > MAX_EVENT_NAME {
        return error(
            400,
            &format!("event must be at most {MAX_EVENT_NAME} bytes"),
        );
    }
    // Check the event name once, up front: a bad one is the caller's error.
    if let Err(e) = EncodedEvent::new(&Event::new().event(name.as_str()).data("")) {
        return error(400, &format!("event: {e}"));
    }
    let first = last_event_id(req, "lastEventId")
        .and_then(|id| id.parse::<u64>().ok())
        .map_or(1, |id| id.saturating_add(1));
    let numbers = first..=count;
    let encode = move |n: u64| {
        let id = n.to_string();
        EncodedEvent::new(
            &Event::new()
                .event(name.as_str())
                .id(id.as_str())
                .data(id.as_str()),
        )
        .expect("the event name was checked and numbers hold no line breaks")
    };
    let events: LocalBoxStream<'static, EncodedEvent> = if interval_ms == 0 {
        stream::iter(numbers).map(encode).boxed_local()
    } else {
        let pause = Duration::from_millis(interval_ms);
        stream::iter(numbers)
            .then(move |n| async move {
                Delay::from(pause).await;
                n
            })
            .map(encode)
            .boxed_local()
    };
    let mut response = SseResponse::new(events)
        .heartbeat((heartbeat_ms > 0).then(|| Duration::from_millis(heartbeat_ms)));
    if let Some(ms) = retry {
        response = response.retry(ms);
    }
    response.into_response()
}
