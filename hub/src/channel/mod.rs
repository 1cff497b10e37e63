//! One broadcast channel: the Durable Object class `Channel`, which is
//! either a channel's root or one of its shards, never both.
//!
//! ```text
//!  clients ──▶ front Worker ──Subscribe──▶ root (SHARDS = 1) or shard k ──▶ its subscribers
//!  publisher ─▶ front Worker ──Publish───▶ root: assigns the id, stores, delivers to its own
//!                                           subscribers or pushes to every shard (one push
//!                                           in flight per shard, retried until it lands)
//!  shard ──Fill/Resume──▶ root: what a shard or a resuming subscriber missed
//! ```
//!
//! The promise to every subscriber: every event the publisher was told
//! was accepted (201), once and in order; or, where that cannot be kept,
//! one `reset` event first saying so. A subscription always starts from a
//! position (an `id:` line, or the events after its `Last-Event-ID`), so a
//! client that drops before its first event still resumes exactly.
//!
//! - [`root::Root`]: ids, the log in storage ([`storage`]), stored before
//!   sent.
//! - [`shard::Shard`]: a shard's position and recent events; gaps filled
//!   from the root.
//! - [`log::Log`]: the replay buffer both keep, and the resume rules.
//! - [`outbox::Outbox`]: the root's ordered, retried pushes.
//! - [`fanout::Fanout`]: streams or hibernatable WebSockets, chosen once.
//! - [`wire`]: the requests between them.

mod fanout;
pub mod log;
mod outbox;
mod root;
mod shard;
mod storage;
pub mod wire;

use std::cell::OnceCell;
use std::time::Duration;

use serde_json::json;
use ssekit::{EncodedEvent, Event};
use ssekit_workers::HibernatingBroadcast;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, State, WebSocket,
    WebSocketIncomingMessage,
};

use crate::config::Config;
use crate::front::LIFETIME_HEADER;
use crate::reply::{error, retry_after};
use fanout::Fanout;
use log::{Gap, Resume};
use root::Root;
use shard::Shard;
use wire::{Op, Role};

#[durable_object]
pub struct Channel {
    state: State,
    env: Env,
    config: Config,
    fanout: Fanout,
    /// Set by the first request, which names the role.
    role: OnceCell<Object>,
    /// A number of this instance, in stats: a restart shows as a new one.
    instance: u32,
}

enum Object {
    Root(Root),
    Shard(Shard),
}

/// What a root or a shard uses of the object that holds it.
pub struct Ctx<'a> {
    pub state: &'a State,
    pub env: &'a Env,
    pub config: &'a Config,
    pub fanout: &'a Fanout,
    pub instance: u32,
}

impl DurableObject for Channel {
    fn new(state: State, env: Env) -> Self {
        let config = Config::from_env(&env);
        let fanout = Fanout::new(&config);
        Channel {
            state,
            env,
            config,
            fanout,
            role: OnceCell::new(),
            instance: (js_sys::Math::random() * f64::from(u32::MAX)) as u32,
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let Some((op, channel, role)) = Op::parse(&url) else {
            return error(404, "channel: no such operation");
        };
        if op == Op::Restart {
            return self.restart();
        }
        let ctx = self.ctx();
        let object = self.role.get_or_init(|| match role {
            Role::Root => Object::Root(Root::new(&ctx, &channel)),
            Role::Shard(k) => Object::Shard(Shard::new(&ctx, &channel, k)),
        });
        match (object, role) {
            (Object::Root(root), Role::Root) => root.fetch(&ctx, op, req).await,
            (Object::Shard(shard), Role::Shard(_)) => shard.fetch(&ctx, op, req).await,
            _ => error(409, "channel: this object has the other role"),
        }
    }

    async fn websocket_message(
        &self,
        _ws: WebSocket,
        _message: WebSocketIncomingMessage,
    ) -> Result<()> {
        Ok(()) // subscribers only listen
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        _reason: String,
        _clean: bool,
    ) -> Result<()> {
        HibernatingBroadcast::closed(&ws, code);
        if !matches!(self.role.get(), Some(Object::Root(_))) {
            // A shard keeps its position in storage while it has
            // hibernatable subscribers; once idle, the alarm removes it.
            self.state
                .storage()
                .set_alarm(self.config.shard_idle)
                .await?;
        }
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        Ok(()) // the runtime drops the socket; nothing is kept per socket
    }

    async fn alarm(&self) -> Result<Response> {
        let ctx = self.ctx();
        match self.role.get() {
            Some(Object::Root(root)) => root.catch_up(&ctx).await?,
            Some(Object::Shard(_)) => shard::idle(&ctx).await?,
            // Woken by the alarm alone, with no memory: a root has its
            // channel's name in storage, a shard does not.
            None => match storage::stored_channel(&ctx).await? {
                Some(channel) => {
                    let object = self
                        .role
                        .get_or_init(|| Object::Root(Root::new(&ctx, &channel)));
                    if let Object::Root(root) = object {
                        root.catch_up(&ctx).await?;
                    }
                }
                None => shard::idle(&ctx).await?,
            },
        }
        Response::empty()
    }
}

impl Channel {
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            state: &self.state,
            env: &self.env,
            config: &self.config,
            fanout: &self.fanout,
            instance: self.instance,
        }
    }

    /// [`Op::Restart`] (fault injection, `FAULT_OPS = "1"`): answers, then
    /// resets the object (`state.abort()`), which drops its memory; its
    /// storage, alarms and hibernatable WebSockets are the platform's.
    fn restart(&self) -> Result<Response> {
        if !self.config.faults.ops {
            return error(404, "channel: no such operation");
        }
        let raw: worker::wasm_bindgen::JsValue =
            AsRef::<worker::wasm_bindgen::JsValue>::as_ref(self.state.as_raw()).clone();
        let abort = worker::wasm_bindgen::closure::Closure::once_into_js(move || {
            if let Ok(abort) = js_sys::Reflect::get(&raw, &"abort".into()) {
                let abort: js_sys::Function = abort.into();
                let _ = abort.call1(&raw, &"restarted by fault injection".into());
            }
        });
        let global = js_sys::global();
        let set: js_sys::Function = js_sys::Reflect::get(&global, &"setTimeout".into())?.into();
        set.call2(&global, &abort, &10.into())?;
        crate::reply::json(200, &json!({ "restarting": self.instance }))
    }
}

impl Ctx<'_> {
    /// 503 when this object holds its share of `MAX_SUBSCRIBERS` (all of
    /// it, or with shards its part, rounded up; the front Worker then tries
    /// the next shard).
    pub fn full(&self) -> Result<Option<Response>> {
        let shards = self.config.shards as usize;
        let share = self.config.max_subscribers.div_ceil(shards.max(1));
        if self.fanout.len(self.state) < share {
            return Ok(None);
        }
        retry_after(
            503,
            10,
            "the channel has as many subscribers as it takes; retry later",
        )
        .map(Some)
    }
}

/// How a subscriber's stream starts, given what its resume point got
/// (`None`: it sent none): a new subscriber gets the channel's `position`
/// as an id-only block (it moves the client's last event ID and
/// dispatches nothing, so a client that drops before its first event still
/// resumes from here); a resume gets the events it missed; a gap gets one
/// `RESET_EVENT` saying why and where the kept events start, then live
/// events (with its id at `position`) or, with `RESET_REPLAY = "tail"`,
/// every kept event (`kept`).
pub fn opening(
    config: &Config,
    answer: Option<Resume>,
    position: &str,
    first_id: Option<&str>,
    kept: impl FnOnce() -> Vec<EncodedEvent>,
) -> Result<Vec<EncodedEvent>> {
    let encoded = |event: Event| {
        EncodedEvent::new(&event).map_err(|e| worker::Error::RustError(e.to_string()))
    };
    match answer {
        None => Ok(vec![encoded(Event::new().id(position))?]),
        Some(Resume::Exact(events)) => Ok(events),
        Some(Resume::Gap(gap)) => {
            let mut events = vec![reset(config, gap, position, first_id)?];
            if config.reset_tail {
                events.extend(kept());
            }
            Ok(events)
        }
    }
}

/// The event that tells a subscriber it missed events it cannot get:
/// `{"reason": "too-old" | "unknown", "first_id": the oldest kept id}`.
pub fn reset(
    config: &Config,
    gap: Gap,
    position: &str,
    first_id: Option<&str>,
) -> Result<EncodedEvent> {
    let data = json!({ "reason": gap.reason(), "first_id": first_id }).to_string();
    let mut event = Event::new()
        .event(config.reset_event.as_str())
        .data(data.as_str());
    if !config.reset_tail {
        // Live from here: the client's position is the channel's now.
        event = event.id(position);
    }
    EncodedEvent::new(&event).map_err(|e| worker::Error::RustError(e.to_string()))
}

/// How long the front Worker says the subscriber's credential holds.
pub fn lifetime(req: &Request) -> Result<Option<Duration>> {
    Ok(req
        .headers()
        .get(LIFETIME_HEADER)?
        .and_then(|ms| ms.parse::<u64>().ok())
        .map(Duration::from_millis))
}

/// The number `field` of a JSON answer (0 when missing).
pub fn count(answer: &serde_json::Value, field: &str) -> usize {
    answer[field].as_u64().unwrap_or(0) as usize
}
