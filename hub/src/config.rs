//! Settings from the worker's environment (`[vars]` in wrangler.toml,
//! secrets, or `.dev.vars` locally). Every one has a default except the
//! credentials ([`crate::auth`]): without one, publishing is refused.

use std::time::Duration;

use ssekit::DEFAULT_MAX_EVENT_BYTES;
use ssekit_workers::Cors;
use worker::Env;

use crate::auth::Auth;
use crate::limits::Rate;

/// The most shard objects one channel may have.
pub const MAX_SHARDS: u32 = 64;

/// `/stats` calls one caller may make unless `STATS_RATE` says otherwise.
pub const DEFAULT_STATS_RATE: Rate = Rate {
    count: 60,
    period_ms: 60_000,
};

impl Auth {
    /// The credentials from the environment; the error names a setting
    /// that is wrong.
    pub fn from_env(env: &Env) -> Result<Auth, String> {
        Auth::new(
            text(env, "PUBLISH_TOKEN"),
            text(env, "SUBSCRIBE_TOKEN"),
            text(env, "JWT_SECRET").as_deref(),
            text(env, "JWT_PUBLIC_KEY").as_deref(),
            text(env, "ANONYMOUS_SUBSCRIBE").as_deref().map(str::trim) == Some("1"),
            text(env, "AUTH_COOKIE"),
        )
    }
}

pub struct Config {
    allowed_origins: Vec<String>,
    /// The demo routes `/ticks` and `/chat` exist (`DEMO = "1"`; off by
    /// default, so that a deploy exposes nothing it does not need).
    pub demo: bool,
    /// Subscribers one channel may have (`MAX_SUBSCRIBERS`), over all its
    /// shards; beyond it a subscribe gets 503.
    pub max_subscribers: usize,
    /// `/stats` calls per caller (`STATS_RATE`): each fans out to every shard.
    pub stats_rate: Rate,
    /// How long a shard keeps its stored position after its last
    /// subscriber left (`SHARD_IDLE_MS`).
    pub shard_idle: Duration,
    /// Idle time before a subscriber gets a heartbeat (`HEARTBEAT_MS`, 0 = off).
    pub heartbeat: Option<Duration>,
    /// Replay buffer bounds per channel (`REPLAY_MAX_EVENTS`, `REPLAY_MAX_BYTES`).
    pub replay_max_events: usize,
    pub replay_max_bytes: usize,
    /// Largest accepted publish body (`MAX_PUBLISH_BYTES`).
    pub max_publish_bytes: usize,
    /// Bytes queued for one slow subscriber before it is disconnected (it
    /// then resumes from the replay buffer) (`SUBSCRIBER_QUEUE_BYTES`).
    pub subscriber_queue_bytes: usize,
    /// How a channel's object reaches its subscribers (`FANOUT`).
    pub fan_out: FanOut,
    /// Shard objects a channel's subscribers are spread over (`SHARDS`,
    /// 1..=64; 1: the channel's own object holds them).
    pub shards: u32,
    /// The event type that tells a subscriber it missed events
    /// (`RESET_EVENT`, default `reset`).
    pub reset_event: String,
    /// After a reset, every kept event (`RESET_REPLAY = "tail"`) or only
    /// live ones (`"live"`, the default).
    pub reset_tail: bool,
    /// Fault injection, for tests; all off unless set.
    pub faults: Faults,
    /// Pause between chat tokens (`CHAT_TOKEN_MS`).
    pub chat_token_delay: Duration,
    /// Largest client body a relay forwards (`RELAY_MAX_BODY_BYTES`).
    pub relay_max_body_bytes: usize,
    /// Largest upstream event a relay reads (`RELAY_MAX_EVENT_BYTES`).
    pub relay_max_event_bytes: usize,
}

impl Config {
    pub fn from_env(env: &Env) -> Config {
        let text = |name: &str| text(env, name);
        let number = |name: &str, default: u64| {
            text(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(default)
        };
        let heartbeat_ms = number("HEARTBEAT_MS", 15_000);
        Config {
            demo: text("DEMO").as_deref().map(str::trim) == Some("1"),
            max_subscribers: number("MAX_SUBSCRIBERS", 10_000).max(1) as usize,
            stats_rate: text("STATS_RATE")
                .and_then(|v| Rate::parse(&v))
                .unwrap_or(DEFAULT_STATS_RATE),
            shard_idle: Duration::from_millis(number("SHARD_IDLE_MS", 600_000)),
            allowed_origins: text("ALLOWED_ORIGINS")
                .unwrap_or_else(|| "*".into())
                .split(',')
                .map(|origin| origin.trim().to_string())
                .collect(),
            heartbeat: (heartbeat_ms > 0).then(|| Duration::from_millis(heartbeat_ms)),
            replay_max_events: number("REPLAY_MAX_EVENTS", 1_000).max(1) as usize,
            replay_max_bytes: number("REPLAY_MAX_BYTES", 1 << 20).max(1) as usize,
            max_publish_bytes: number("MAX_PUBLISH_BYTES", 64 << 10) as usize,
            subscriber_queue_bytes: number("SUBSCRIBER_QUEUE_BYTES", 1 << 20).max(1) as usize,
            fan_out: FanOut::parse(text("FANOUT").as_deref()),
            shards: number("SHARDS", 1).clamp(1, MAX_SHARDS as u64) as u32,
            reset_event: text("RESET_EVENT")
                .filter(|name| ssekit::Event::new().event(name.as_str()).validate().is_ok())
                .unwrap_or_else(|| "reset".into()),
            reset_tail: text("RESET_REPLAY").as_deref().map(str::trim) == Some("tail"),
            faults: Faults {
                push_jitter: Duration::from_millis(number("FAULT_PUSH_JITTER_MS", 0)),
                push_fail_every: number("FAULT_PUSH_FAIL_EVERY", 0),
                write_fail_every: number("FAULT_WRITE_FAIL_EVERY", 0),
                ops: text("FAULT_OPS").as_deref().map(str::trim) == Some("1"),
            },
            chat_token_delay: Duration::from_millis(number("CHAT_TOKEN_MS", 40)),
            relay_max_body_bytes: number("RELAY_MAX_BODY_BYTES", 1 << 20) as usize,
            relay_max_event_bytes: number("RELAY_MAX_EVENT_BYTES", DEFAULT_MAX_EVENT_BYTES as u64)
                .max(1) as usize,
        }
    }

    /// Listed origins get credentials; `*` in the list lets any other origin
    /// read without them.
    pub fn cors(&self) -> Cors {
        Cors::new(&self.allowed_origins)
            .with_credentials(true)
            .with_exposed_headers(["X-Ssekit-Channel"])
    }
}

/// A var or secret, `None` when unset or empty.
pub fn text(env: &Env, name: &str) -> Option<String> {
    raw_text(env, name).filter(|v| !v.is_empty())
}

/// A var or secret as it is, empty or not.
pub fn raw_text(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.to_string())
        .or_else(|_| env.secret(name).map(|v| v.to_string()))
        .ok()
}

/// Faults a test can turn on (`FAULT_*` settings; never in a deploy's
/// `wrangler.toml`), to prove the hub keeps its promise through them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// Each push to a shard first waits a random 0..N ms.
    pub push_jitter: Duration,
    /// Every n-th push to a shard fails before it is sent (0: none).
    pub push_fail_every: u64,
    /// Every n-th storage write of a publish fails (0: none).
    pub write_fail_every: u64,
    /// `POST /channels/{name}/fault/restart[?shard=k]` (a write right)
    /// resets that object, as when the platform restarts it.
    pub ops: bool,
}

impl Faults {
    pub fn fails_push(&self, attempt: u64) -> bool {
        self.push_fail_every > 0 && attempt.is_multiple_of(self.push_fail_every)
    }

    pub fn fails_write(&self, attempt: u64) -> bool {
        self.write_fail_every > 0 && attempt.is_multiple_of(self.write_fail_every)
    }
}

/// How a channel's Durable Object reaches its subscribers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanOut {
    /// `FANOUT = "streams"`: the object holds every subscriber's SSE
    /// response (`ssekit_workers::Broadcast`). It can never hibernate while
    /// one is open, so it is billed for duration around the clock.
    Streams,
    /// `FANOUT = "websockets"` (the default): the front Worker holds the SSE
    /// response and subscribes over a WebSocket the object accepts for
    /// hibernation (`ssekit_workers::HibernatingBroadcast`); the object is
    /// billed only while it works.
    WebSockets,
}

impl FanOut {
    fn parse(value: Option<&str>) -> FanOut {
        match value.map(str::trim) {
            Some("streams") => FanOut::Streams,
            _ => FanOut::WebSockets,
        }
    }
}
