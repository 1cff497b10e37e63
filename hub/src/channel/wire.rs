//! The requests a channel's objects get, from the front Worker and from
//! each other: one enum, one URL for each, and the bodies they carry.

use serde::{Deserialize, Serialize};
use ssekit::EncodedEvent;
use worker::{Headers, Method, Request, RequestInit, Response, Result, Stub};

use super::log::Entry;

/// What a channel object is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Front → root or shard: a new subscriber (`Last-Event-ID`, lifetime).
    Subscribe,
    /// Front → root: a publish (JSON body).
    Publish,
    /// Front → root → shards: end every subscriber's stream.
    Disconnect,
    /// Front → root → shards: counts.
    Stats,
    /// Root → shard: events in order ([`Push`]).
    Push,
    /// Root → shard (its alarm): be at least at `head`, filling from the
    /// root if behind.
    CatchUp { head: u64 },
    /// Shard → root: the events after a sequence number ([`Replay`]).
    Fill { after: u64 },
    /// Shard → root: what a subscriber resuming from `Last-Event-ID` gets
    /// ([`Replay`]).
    Resume,
    /// Front → root or shard, with `FAULT_OPS = "1"` only: the object
    /// resets, losing its memory, as when the platform restarts it.
    Restart,
}

/// Which object of channel `channel` a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Root,
    Shard(u32),
}

impl Op {
    fn path(self) -> String {
        match self {
            Op::Subscribe => "/subscribe".into(),
            Op::Publish => "/publish".into(),
            Op::Disconnect => "/disconnect".into(),
            Op::Stats => "/stats".into(),
            Op::Push => "/push".into(),
            Op::CatchUp { head } => format!("/catch-up?head={head}"),
            Op::Fill { after } => format!("/fill?after={after}"),
            Op::Resume => "/resume".into(),
            Op::Restart => "/restart".into(),
        }
    }

    /// The op a request names, with the object's role; `None` for any
    /// other request.
    pub fn parse(url: &worker::Url) -> Option<(Op, String, Role)> {
        let query = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let number = |name: &str| query(name).and_then(|v| v.parse::<u64>().ok());
        let op = match url.path() {
            "/subscribe" => Op::Subscribe,
            "/publish" => Op::Publish,
            "/disconnect" => Op::Disconnect,
            "/stats" => Op::Stats,
            "/push" => Op::Push,
            "/catch-up" => Op::CatchUp {
                head: number("head")?,
            },
            "/fill" => Op::Fill {
                after: number("after")?,
            },
            "/resume" => Op::Resume,
            "/restart" => Op::Restart,
            _ => return None,
        };
        let channel = query("channel")?;
        let role = match query("shard") {
            None => Role::Root,
            Some(k) => Role::Shard(k.parse().ok()?),
        };
        Some((op, channel, role))
    }

    /// Sends this op to the object `role` of `channel`.
    pub async fn send(
        self,
        env: &worker::Env,
        channel: &str,
        role: Role,
        method: Method,
        headers: &Headers,
        body: Option<worker::wasm_bindgen::JsValue>,
    ) -> Result<Response> {
        let (object, shard) = match role {
            Role::Root => (channel.to_string(), String::new()),
            Role::Shard(k) => (shard_name(channel, k), format!("&shard={k}")),
        };
        let path = self.path();
        let join = if path.contains('?') { '&' } else { '?' };
        let url = format!("https://channel.internal{path}{join}channel={channel}{shard}");
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers.clone());
        if body.is_some() {
            init.with_body(body);
        }
        stub(env, &object)?
            .fetch_with_request(Request::new_with_init(&url, &init)?)
            .await
    }
}

fn stub(env: &worker::Env, object: &str) -> Result<Stub> {
    env.durable_object("CHANNELS")?.get_by_name(object)
}

/// The object that holds shard `k` of channel `name`. `#` is not allowed in
/// channel names, so no channel's own object has this name.
pub fn shard_name(name: &str, k: u32) -> String {
    format!("{name}#{k}")
}

/// An event as it travels between objects: its encoded text, taken back
/// as it is ([`EncodedEvent::from_text`]), never parsed or encoded again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WireEntry {
    pub seq: u64,
    pub id: String,
    pub text: String,
}

impl From<&Entry> for WireEntry {
    fn from(entry: &Entry) -> Self {
        WireEntry {
            seq: entry.seq,
            id: entry.id.clone(),
            text: entry.encoded.as_str().to_string(),
        }
    }
}

impl TryFrom<WireEntry> for Entry {
    type Error = worker::Error;

    fn try_from(wire: WireEntry) -> Result<Entry> {
        let encoded = EncodedEvent::from_text(&wire.text).ok_or_else(|| {
            worker::Error::RustError(format!("event {} is not an encoded event", wire.seq))
        })?;
        Ok(Entry {
            seq: wire.seq,
            id: wire.id,
            encoded,
        })
    }
}

/// Root → shard: consecutive events, the first published right after
/// `prev`. The root sends one push at a time per shard, so a shard gets
/// them in order; `prev` lets a shard that lost its memory see a gap.
#[derive(Debug, Serialize, Deserialize)]
pub struct Push {
    pub prev: u64,
    pub events: Vec<WireEntry>,
}

/// A shard's answer to a push: how many subscribers got each event.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pushed {
    pub delivered: Vec<usize>,
}

/// The root's answer to [`Op::Fill`] and [`Op::Resume`].
#[derive(Debug, Serialize, Deserialize)]
pub struct Replay {
    /// The newest event's sequence number and the position a subscriber
    /// there has.
    pub head: u64,
    pub position: String,
    /// The oldest kept event's id.
    pub first_id: Option<String>,
    /// For a fill: whether `events` are every event after it. For a
    /// resume: `Some(reason)` when it is a gap.
    pub complete: bool,
    pub gap: Option<String>,
    pub events: Vec<WireEntry>,
}
