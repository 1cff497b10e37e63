//! ssekit-hub: SSE broadcast channels for Cloudflare Workers.
//!
//! Routes (see the README's "Edge" section for the full contract, and
//! SECURITY.md for who may call which):
//!
//! - `GET  /channels/{name}/events`: subscribe (a read right); replays after
//!   `Last-Event-ID` (or `?lastEventId=`), then streams live events.
//! - `POST /channels/{name}/events`: publish `{ "event"?, "data", "id"? }`
//!   (a write right).
//! - `GET  /channels/{name}/stats`: subscribers, next id, replay buffer size
//!   (a read right; rate-limited).
//! - `POST /channels/{name}/disconnect`: ends every subscriber's stream (they
//!   reconnect and resume); a write right.
//! - `POST /relay/{name}`: the client's JSON body, checked, to a configured
//!   upstream SSE endpoint with a server-side `Authorization`; its events
//!   relayed back (settings: `hub/src/relay.rs`). A relay right; rate-limited.
//! - With `DEMO = "1"` only: `POST /chat`, a token-by-token SSE answer to
//!   `{ "prompt" }`, and `GET /ticks`, a numbered test stream.
//!
//! Each channel is one Durable Object ([`channel::Channel`]): its subscribers,
//! its replay buffer (kept in Durable Object storage) and its id counter live
//! there, so channels scale out across Cloudflare's machines on their own.
//! Rate limits are Durable Objects too ([`limits::Limiter`]), one per caller.

mod auth;
mod channel;
mod chat;
mod config;
mod front;
mod input;
mod limits;
mod relay;
mod reply;
mod ticks;

use ssekit_workers::Cors;
use worker::{event, Context, Env, Method, Request, Response, Result};

use auth::Auth;
pub use channel::Channel;
use config::Config;
pub use limits::Limiter;
use reply::{error, internal_error, with_cors};

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let config = Config::from_env(&env);
    let cors = config.cors();
    if Cors::is_preflight(&req) {
        return cors.preflight(&req);
    }
    // The request itself, not a clone: a clone tees the body, and the
    // unread branch would keep everything the route reads.
    let response = match route(&mut req, &env, &config).await {
        Ok(response) => response,
        Err(e) => internal_error(&req, &e)?,
    };
    with_cors(response, &cors, &req)
}

async fn route(req: &mut Request, env: &Env, config: &Config) -> Result<Response> {
    // A setting that cannot be read refuses everything (fails closed); the
    // log says which.
    let auth = Auth::from_env(env).map_err(worker::Error::RustError)?;
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (req.method(), segments.as_slice()) {
        (Method::Get, ["channels", name, "events"]) => {
            front::subscribe(req, env, config, &auth, name).await
        }
        (Method::Post, ["channels", name, "events"]) => {
            front::publish(req, env, config, &auth, name).await
        }
        (Method::Post, ["channels", name, "disconnect"]) => {
            front::disconnect(req, env, &auth, name).await
        }
        (Method::Get, ["channels", name, "stats"]) => {
            front::stats(req, env, config, &auth, name).await
        }
        (Method::Post, ["channels", name, "fault", "restart"]) if config.faults.ops => {
            front::restart(req, env, &auth, name).await
        }
        (Method::Post, ["relay", name]) => relay::route(req, env, config, &auth, name).await,
        (Method::Post, ["chat"]) if config.demo => chat::route(req, config).await,
        (Method::Get, ["ticks"]) if config.demo => ticks::stream(req),
        (_, ["channels", _, "events" | "stats" | "disconnect"] | ["relay", _]) => {
            error(405, "method not allowed")
        }
        (_, ["chat"] | ["ticks"]) if config.demo => error(405, "method not allowed"),
        _ => error(404, "no such route; see the README for the API"),
    }
}
