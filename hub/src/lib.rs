//! ssekit-hub: SSE broadcast channels for Cloudflare Workers.
//!
//! Routes (see the README's "Edge" section for the full contract):
//!
//! - `GET  /channels/{name}/events`: subscribe; replays after `Last-Event-ID`
//!   (or `?lastEventId=`), then streams live events.
//! - `POST /channels/{name}/events`: publish `{ "event"?, "data", "id"? }`
//!   with `Authorization: Bearer $PUBLISH_TOKEN`.
//! - `GET  /channels/{name}/stats`: subscribers, next id, replay buffer size.
//! - `POST /channels/{name}/disconnect`: ends every subscriber's stream (they
//!   reconnect and resume); needs the publish token.
//! - `POST /chat`: a token-by-token SSE answer to `{ "prompt" }`.
//! - `GET  /ticks`: a numbered test stream (`count`, `interval_ms`,
//!   `heartbeat_ms`, `retry`), resumable with `Last-Event-ID`.
//! - `POST /relay/{name}`: the client's JSON body, checked, to a configured
//!   upstream SSE endpoint with a server-side `Authorization`; its events
//!   relayed back (settings: `hub/src/relay.rs`).
//!
//! Each channel is one Durable Object ([`channel::Channel`]): its subscribers,
//! its replay buffer (kept in Durable Object storage) and its id counter live
//! there, so channels scale out across Cloudflare's machines on their own.

mod channel;
mod chat;
mod config;
mod order;
mod relay;
mod reply;
mod ticks;

use ssekit_workers::{last_event_id, Cors, Subscription};
use worker::{event, Context, Env, Headers, Method, Request, RequestInit, Response, Result};

use channel::shard_name;
pub use channel::Channel;
use config::{Config, FanOut};
use reply::{error, with_cors};

/// Longest channel name, in bytes.
const MAX_CHANNEL_NAME: usize = 64;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let config = Config::from_env(&env);
    let cors = config.cors();
    if Cors::is_preflight(&req) {
        return cors.preflight(&req);
    }
    let response = match route(req.clone()?, &env, &config).await {
        Ok(response) => response,
        Err(e) => error(500, &format!("internal error: {e}"))?,
    };
    with_cors(response, &cors, &req)
}

async fn route(mut req: Request, env: &Env, config: &Config) -> Result<Response> {
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (req.method(), segments.as_slice()) {
        (Method::Get, ["channels", name, "events"]) => {
            let name = match channel_name(name) {
                Ok(name) => name,
                Err(response) => return response,
            };
            if !config.may_subscribe(&req) {
                return error(
                    401,
                    "subscribing needs the subscribe token (Authorization: Bearer <token>)",
                );
            }
            let headers = Headers::new();
            if let Some(id) = last_event_id(&req, "lastEventId") {
                headers.set("Last-Event-ID", &id)?;
            }
            let target = subscribe_target(&name, config.shards);
            match config.fan_out {
                FanOut::Streams => {
                    target
                        .forward(env, "subscribe", Method::Get, headers, None)
                        .await
                }
                FanOut::WebSockets => {
                    // This request holds the client's stream; the object
                    // only wakes to send to its sockets.
                    headers.set("Upgrade", "websocket")?;
                    let upgraded = target
                        .forward(env, "subscribe", Method::Get, headers, None)
                        .await?;
                    if upgraded.status_code() != 101 {
                        return Ok(upgraded);
                    }
                    let Some(socket) = upgraded.websocket() else {
                        return error(502, "the channel did not accept the subscription");
                    };
                    Subscription::new(socket)
                        .heartbeat(config.heartbeat)
                        .max_queued_bytes(config.subscriber_queue_bytes)
                        .into_response()
                }
            }
        }
        (Method::Post, ["channels", name, "events"]) => {
            let name = match channel_name(name) {
                Ok(name) => name,
                Err(response) => return response,
            };
            if !config.may_publish(&req) {
                return error(
                    401,
                    "publishing needs the publish token (Authorization: Bearer <token>)",
                );
            }
            let body = match read_limited(&mut req, config.max_publish_bytes).await? {
                Ok(body) => body,
                Err(response) => return Ok(response),
            };
            let headers = Headers::new();
            headers.set("Content-Type", "application/json")?;
            Target::root(&name)
                .forward(env, "publish", Method::Post, headers, Some(body))
                .await
        }
        (Method::Post, ["channels", name, "disconnect"]) => {
            let name = match channel_name(name) {
                Ok(name) => name,
                Err(response) => return response,
            };
            if !config.may_publish(&req) {
                return error(401, "disconnecting subscribers needs the publish token");
            }
            Target::root(&name)
                .forward(env, "disconnect", Method::Post, Headers::new(), None)
                .await
        }
        (Method::Get, ["channels", name, "stats"]) => {
            let name = match channel_name(name) {
                Ok(name) => name,
                Err(response) => return response,
            };
            Target::root(&name)
                .forward(env, "stats", Method::Get, Headers::new(), None)
                .await
        }
        (Method::Post, ["chat"]) => {
            let body = match read_limited(&mut req, chat::MAX_PROMPT_BODY).await? {
                Ok(body) => body,
                Err(response) => return Ok(response),
            };
            chat::answer(&req, &body, config)
        }
        (Method::Get, ["ticks"]) => ticks::stream(&req),
        (Method::Post, ["relay", name]) => {
            let body = match read_limited(&mut req, config.relay_max_body_bytes).await? {
                Ok(body) => body,
                Err(response) => return Ok(response),
            };
            relay::relay(env, config, name, &body)
        }
        (
            _,
            ["channels", _, "events" | "stats" | "disconnect"]
            | ["chat"]
            | ["ticks"]
            | ["relay", _],
        ) => error(405, "method not allowed"),
        _ => error(404, "no such route; see the README for the API"),
    }
}

/// A valid channel name, or the 400 response saying what is wrong.
fn channel_name(name: &str) -> std::result::Result<String, Result<Response>> {
    let valid = !name.is_empty()
        && name.len() <= MAX_CHANNEL_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if valid {
        Ok(name.to_string())
    } else {
        Err(error(
            400,
            &format!("bad channel name: use 1 to {MAX_CHANNEL_NAME} of A-Z a-z 0-9 - _ ."),
        ))
    }
}

/// The request body, or a 413 response when it is longer than `limit`.
async fn read_limited(
    req: &mut Request,
    limit: usize,
) -> Result<std::result::Result<Vec<u8>, Response>> {
    let declared = req
        .headers()
        .get("Content-Length")?
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Ok(Err(error(413, &format!("body larger than {limit} bytes"))?));
    }
    let body = req.bytes().await?;
    if body.len() > limit {
        return Ok(Err(error(413, &format!("body larger than {limit} bytes"))?));
    }
    Ok(Ok(body))
}

/// Where the front Worker sends a channel request: the channel's own
/// object, or one of its shards.
struct Target<'a> {
    channel: &'a str,
    shard: Option<u32>,
}

impl<'a> Target<'a> {
    fn root(channel: &'a str) -> Self {
        Target {
            channel,
            shard: None,
        }
    }

    /// Hands a request to the target's Durable Object.
    async fn forward(
        &self,
        env: &Env,
        op: &str,
        method: Method,
        headers: Headers,
        body: Option<Vec<u8>>,
    ) -> Result<Response> {
        let name = self.channel;
        let (object, url) = match self.shard {
            None => (
                name.to_string(),
                format!("https://channel.internal/{op}?name={name}"),
            ),
            Some(k) => (
                shard_name(name, k),
                format!("https://channel.internal/{op}?name={name}&shard={k}"),
            ),
        };
        let stub = env.durable_object("CHANNELS")?.get_by_name(&object)?;
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers);
        if let Some(body) = body {
            init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
        }
        stub.fetch_with_request(Request::new_with_init(&url, &init)?)
            .await
    }
}

/// Where a new subscriber goes: the channel's object, or with `shards` > 1
/// a shard picked at random. Random spreads any mix of clients evenly (a
/// hash of the address would pile everyone behind one NAT onto one shard),
/// and nothing needs a client to come back to the same shard: any shard
/// resumes any `Last-Event-ID`, from its own recent events or the root's.
fn subscribe_target(channel: &str, shards: u32) -> Target<'_> {
    let shard = (shards > 1).then(|| {
        let k = (js_sys::Math::random() * f64::from(shards)) as u32;
        k.min(shards - 1)
    });
    Target { channel, shard }
}
