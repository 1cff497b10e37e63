//! The channel routes in the front Worker: each request's credential,
//! resume point and body are checked here, before a Durable Object is
//! asked for anything.

use std::time::Duration;

use ssekit_workers::Subscription;
use worker::{Env, Headers, Method, Request, Response, Result};

use crate::auth::{Auth, Grant, Scope};
use crate::channel::wire::{Op, Role};
use crate::config::{Config, FanOut};
use crate::input;
use crate::limits;
use crate::reply::{error, refused, retry_after};

/// Longest channel name, in bytes.
const MAX_CHANNEL_NAME: usize = 64;

/// How the front Worker tells a channel object how long a subscriber's
/// credential holds (ms), so that with `FANOUT = "streams"` the object ends
/// that stream then.
pub const LIFETIME_HEADER: &str = "X-Ssekit-Lifetime-Ms";

/// `GET /channels/{name}/events`.
pub async fn subscribe(
    req: &Request,
    env: &Env,
    config: &Config,
    auth: &Auth,
    name: &str,
) -> Result<Response> {
    let (name, grant) = match admit(req, auth, name, Right::Read)? {
        Ok(admitted) => admitted,
        Err(response) => return Ok(response),
    };
    let resume = match input::resume_point(req)? {
        Ok(resume) => resume,
        Err(response) => return Ok(response),
    };
    let lifetime = lifetime(&grant);
    let headers = Headers::new();
    if let Some(id) = &resume {
        headers.set("Last-Event-ID", id)?;
    }
    if let Some(lifetime) = lifetime {
        headers.set(LIFETIME_HEADER, &lifetime.as_millis().to_string())?;
    }
    if config.fan_out == FanOut::WebSockets {
        // This request holds the client's stream; the object only wakes
        // to send to its sockets.
        headers.set("Upgrade", "websocket")?;
    }
    // With shards, a full shard sends the subscriber to the next one: the
    // channel is full only when all are.
    let mut answer = None;
    for role in subscribe_targets(config.shards) {
        let response = Op::Subscribe
            .send(env, &name, role, Method::Get, &headers, None)
            .await?;
        let full = response.status_code() == 503;
        answer = Some(response);
        if !full {
            break;
        }
    }
    let Some(answer) = answer else {
        return error(502, "the channel did not answer");
    };
    if config.fan_out == FanOut::Streams || answer.status_code() != 101 {
        return Ok(answer);
    }
    let Some(socket) = answer.websocket() else {
        return error(502, "the channel did not accept the subscription");
    };
    Subscription::new(socket)
        .heartbeat(config.heartbeat)
        .max_queued_bytes(config.subscriber_queue_bytes)
        .lifetime(lifetime)
        .into_response()
}

/// How long a subscriber's credential still holds; `None`: for good.
fn lifetime(grant: &Grant) -> Option<Duration> {
    let expires_ms = grant.expires? as f64 * 1_000.0;
    let left = expires_ms - worker::Date::now().as_millis() as f64;
    Some(Duration::from_millis(left.max(0.0) as u64))
}

/// `POST /channels/{name}/events`.
pub async fn publish(
    req: &mut Request,
    env: &Env,
    config: &Config,
    auth: &Auth,
    name: &str,
) -> Result<Response> {
    let (name, _) = match admit(req, auth, name, Right::Write)? {
        Ok(admitted) => admitted,
        Err(response) => return Ok(response),
    };
    if let Some(response) = input::json_only(req)? {
        return Ok(response);
    }
    let body = match input::body(req, config.max_publish_bytes).await? {
        Ok(body) => body,
        Err(response) => return Ok(response),
    };
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    let body = js_sys::Uint8Array::from(body.as_slice()).into();
    Op::Publish
        .send(env, &name, Role::Root, Method::Post, &headers, Some(body))
        .await
}

/// `POST /channels/{name}/disconnect`.
pub async fn disconnect(req: &Request, env: &Env, auth: &Auth, name: &str) -> Result<Response> {
    let (name, _) = match admit(req, auth, name, Right::Write)? {
        Ok(admitted) => admitted,
        Err(response) => return Ok(response),
    };
    Op::Disconnect
        .send(env, &name, Role::Root, Method::Post, &Headers::new(), None)
        .await
}

/// `POST /channels/{name}/fault/restart[?shard=k]` (`FAULT_OPS = "1"`, a
/// write right): resets the channel's root or shard `k`, for tests.
pub async fn restart(req: &Request, env: &Env, auth: &Auth, name: &str) -> Result<Response> {
    let (name, _) = match admit(req, auth, name, Right::Write)? {
        Ok(admitted) => admitted,
        Err(response) => return Ok(response),
    };
    let url = req.url()?;
    let shard = url.query_pairs().find(|(k, _)| k == "shard");
    let role = match shard.map(|(_, v)| v.parse::<u32>()) {
        None => Role::Root,
        Some(Ok(k)) => Role::Shard(k),
        Some(Err(_)) => return error(400, "shard must be a number"),
    };
    Op::Restart
        .send(env, &name, role, Method::Post, &Headers::new(), None)
        .await
}

/// `GET /channels/{name}/stats`: a read right, and rate-limited per caller
/// since it asks every shard.
pub async fn stats(
    req: &Request,
    env: &Env,
    config: &Config,
    auth: &Auth,
    name: &str,
) -> Result<Response> {
    let (name, grant) = match admit(req, auth, name, Right::Read)? {
        Ok(admitted) => admitted,
        Err(response) => return Ok(response),
    };
    let key = format!("stats:{}", input::caller(req, &grant));
    if let Some(seconds) = limits::take(env, &key, config.stats_rate).await? {
        return retry_after(429, seconds, "too many stats requests; retry later");
    }
    Op::Stats
        .send(env, &name, Role::Root, Method::Get, &Headers::new(), None)
        .await
}

/// A right on a channel.
enum Right {
    /// Subscribe, stats.
    Read,
    /// Publish, disconnect.
    Write,
}

/// The channel name and the caller's grant for `right` on it; or the 400,
/// 401 or 403 to answer, before anything else of the request is read.
fn admit(
    req: &Request,
    auth: &Auth,
    name: &str,
    right: Right,
) -> Result<std::result::Result<(String, Grant), Response>> {
    let name = match channel_name(name) {
        Ok(name) => name,
        Err(response) => return response.map(Err),
    };
    let scope = match right {
        Right::Read => Scope::Subscribe(&name),
        Right::Write => Scope::Publish(&name),
    };
    match auth.check(req, scope, None) {
        Ok(grant) => Ok(Ok((name, grant))),
        Err(refusal) => refused(refusal).map(Err),
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

/// Where a new subscriber may go, in order: the channel's object, or with
/// `shards` > 1 every shard, starting at one picked at random. Random
/// spreads any mix of clients evenly (a hash of the address would pile
/// everyone behind one NAT onto one shard), and nothing needs a client to
/// come back to the same shard: any shard resumes any `Last-Event-ID`.
fn subscribe_targets(shards: u32) -> Vec<Role> {
    if shards <= 1 {
        return vec![Role::Root];
    }
    let first = ((js_sys::Math::random() * f64::from(shards)) as u32).min(shards - 1);
    (0..shards)
        .map(|i| Role::Shard((first + i) % shards))
        .collect()
}
