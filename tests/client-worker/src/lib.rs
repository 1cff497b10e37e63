//! A Cloudflare Worker that runs ssekit-client inside workerd: reqwest over
//! the Worker's `fetch`, timers from `setTimeout`. tests/worker/client.test.mjs
//! asks it to read the fault-injecting test server and checks what it saw.
//!
//! `GET /?upstream=URL&items=N[&method=POST&body=…][&lastEventId=…]
//! [&token=1][&idleMs=…][&finite=1][&retryStatus=503]` reads at most `N`
//! items from `URL` and answers them as a JSON array of strings: `open`,
//! `type:data#lastEventId` per message, and the errors by kind (a fatal
//! one with its status and body).

use futures_util::StreamExt;
use ssekit_client::{Error, Event, EventSource, Message, RetryPolicy};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(request: Request, _env: Env, _ctx: Context) -> Result<Response> {
    let url = request.url()?;
    let query = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let Some(upstream) = query("upstream") else {
        return Response::error("upstream= is required", 400);
    };
    let items: usize = query("items").and_then(|n| n.parse().ok()).unwrap_or(10);
    let mut builder = EventSource::get(&upstream)
        .retry(RetryPolicy::default().with_initial_ms(10).with_max_ms(50));
    if let Some(method) = query("method") {
        builder = builder.method(
            method
                .parse()
                .map_err(|_| worker::Error::from("bad method"))?,
        );
    }
    if let Some(body) = query("body") {
        builder = builder
            .body(body)
            .header("content-type", "application/json");
    }
    if let Some(id) = query("lastEventId") {
        builder = builder.last_event_id(id);
    }
    if let Some(ms) = query("idleMs").and_then(|ms| ms.parse().ok()) {
        builder = builder.idle_timeout(Duration::from_millis(ms));
    }
    if let Some(status) = query("retryStatus").and_then(|s| s.parse().ok()) {
        builder = builder.retry_statuses([status]);
    }
    if query("token").is_some() {
        // A token minted for every attempt.
        let minted = Arc::new(AtomicU32::new(0));
        builder = builder.headers_with(move || {
            let n = minted.fetch_add(1, Ordering::Relaxed) + 1;
            async move {
                let mut headers = reqwest::header::HeaderMap::new();
                headers.insert("authorization", format!("Bearer {n}").parse()?);
                Ok(headers)
            }
        });
    }
    let mut events = match builder.close_on_end(query("finite").is_some()).connect() {
        Ok(events) => events,
        Err(error) => return Response::from_json(&vec![format!("connect: {error}")]),
    };
    let mut seen = Vec::new();
    while seen.len() < items {
        let Some(item) = events.next().await else {
            break;
        };
        seen.push(describe(item).await);
    }
    Response::from_json(&seen)
}

async fn describe(item: std::result::Result<Event, Error>) -> String {
    match item {
        Ok(Event::Open { .. }) => "open".into(),
        Ok(Event::Message(Message {
            event_type,
            data,
            last_event_id,
            ..
        })) => format!("{event_type}:{data}#{last_event_id}"),
        Ok(other) => format!("{other:?}"),
        Err(Error::Network(_)) => "network error".into(),
        Err(Error::Ended) => "ended".into(),
        Err(Error::IdleTimeout(_)) => "idle timeout".into(),
        Err(Error::RetryStatus(status)) => format!("retry status {}", status.as_u16()),
        Err(Error::Status(response)) => {
            let status = response.status().as_u16();
            format!(
                "status {status}: {}",
                response.text().await.unwrap_or_default().trim()
            )
        }
        Err(Error::ContentType(_)) => "content type".into(),
        Err(error) => format!("{error}"),
    }
}
