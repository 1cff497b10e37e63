//! One broadcast channel: a Durable Object holding the channel's
//! subscribers, its replay buffer and its id counter.
//!
//! Storage layout (Durable Object key-value storage, SQLite-backed):
//! `meta` = `{ "next_seq": n }`, and one key per buffered event,
//! `e:<seq, 20 digits>` = `{ "seq", "id", "event", "data" }`, each value a
//! JSON string. A publish writes its event and `meta` in one `put_multiple`, so a
//! restarted object comes back with the same buffer and never reuses an id.
//!
//! Ids: a publish without `id` gets the next sequence number as its id. A
//! numeric `id` must be at least the next sequence number and moves the
//! counter there (ids stay monotonic); any other string is kept as given and
//! the event still gets a sequence number of its own.
//!
//! Resume: a subscriber's `Last-Event-ID` is looked up in the buffer (newest
//! first) and replay starts after it; an unknown numeric id replays the
//! events with a greater sequence number (so an id older than the buffer
//! replays everything kept, and one from the future replays nothing); any
//! other unknown id replays the whole buffer. The replay and the switch to
//! live delivery happen without an await in between, so no event falls in a
//! gap or arrives twice.
//!
//! Fan-out: a published event is encoded once and the same bytes go to
//! every subscriber: to the hibernatable WebSockets of the front Workers that
//! hold the clients' streams ([`HibernatingBroadcast`], `FANOUT =
//! "websockets"`), or into the response streams this object holds
//! ([`Broadcast`], `FANOUT = "streams"`). A publish reaches both kinds.
//!
//! Shards (`SHARDS` > 1): the front Worker sends each subscriber to one of
//! the channel's shard objects, `{name}#{k}` (this class, in the shard role:
//! [`shard`]). This object, the root, still assigns ids and keeps the replay
//! buffer; after storing a publish it pushes the event, with the sequence
//! number of the one before it, to every shard in parallel and answers with
//! the sum of their deliveries. Each shard then writes to its own
//! subscribers on its own thread, in sequence order.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ssekit::{EncodeError, EncodedEvent, Event};
use ssekit_workers::{Broadcast, HibernatingBroadcast};
use worker::{
    durable_object, DurableObject, Env, Headers, Method, Request, RequestInit, Response, Result,
    State, Stub, WebSocket, WebSocketIncomingMessage,
};

use crate::config::Config;
use crate::front::LIFETIME_HEADER;
use crate::reply::{error, json, retry_after};

/// Longest event name or id a publish may set, in bytes.
const MAX_FIELD_BYTES: usize = 256;
const META_KEY: &str = "meta";

mod shard;

#[durable_object]
pub struct Channel {
    state: State,
    env: Env,
    config: Config,
    inner: Rc<RefCell<Inner>>,
    subscribers: Broadcast,
    /// In the shard role: delivered position and recent events.
    shard: RefCell<shard::Shard>,
}

#[derive(Default)]
struct Inner {
    loaded: bool,
    next_seq: u64,
    buffer: VecDeque<Stored>,
    buffer_bytes: usize,
    /// The buffer holds every event after this sequence number (the last
    /// one evicted; after a restart, a lower bound of it).
    floor: u64,
}

/// A buffered event: its fields (what storage keeps) and its encoded form.
#[derive(Clone, Serialize, Deserialize)]
struct Stored {
    seq: u64,
    id: String,
    event: Option<String>,
    data: String,
    #[serde(skip)]
    encoded: Option<EncodedEvent>,
}

impl Stored {
    fn encode(&self) -> Result<EncodedEvent, EncodeError> {
        let mut event = Event::new().id(self.id.as_str()).data(self.data.as_str());
        if let Some(name) = &self.event {
            event = event.event(name.as_str());
        }
        EncodedEvent::new(&event)
    }

    fn bytes(&self) -> usize {
        self.encoded.as_ref().map_or(0, EncodedEvent::len)
    }
}

#[derive(Deserialize)]
struct Meta {
    next_seq: u64,
}

/// A published event, as [`Channel::accept`] hands it to storage.
struct Accepted {
    id: String,
    seq: u64,
    delivered: usize,
    writes: Vec<(String, String)>,
    evicted: Vec<u64>,
    /// What the shards get, when there are shards.
    push: Option<Push>,
}

/// An event as the root pushes it to its shards: with the sequence number
/// of the event published before it (0 for none), which chains them.
#[derive(Clone, Serialize, Deserialize)]
struct Push {
    prev: u64,
    #[serde(flatten)]
    stored: Stored,
}

/// The root's answer to a shard's `/replay`.
#[derive(Serialize, Deserialize)]
struct Replay {
    /// The sequence number of the newest event (0: none yet).
    head: u64,
    /// For `after_seq`: whether `events` are every event after it (false
    /// when some have left the buffer).
    complete: bool,
    events: Vec<Stored>,
}

/// A publish request body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Publish {
    event: Option<String>,
    data: serde_json::Value,
    id: Option<String>,
}

impl DurableObject for Channel {
    fn new(state: State, env: Env) -> Self {
        let config = Config::from_env(&env);
        let subscribers = Broadcast::new()
            .heartbeat(config.heartbeat)
            .max_queued_bytes(config.subscriber_queue_bytes);
        Channel {
            state,
            env,
            config,
            inner: Rc::new(RefCell::new(Inner {
                next_seq: 1,
                ..Inner::default()
            })),
            subscribers,
            shard: RefCell::new(shard::Shard::default()),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let name = query(&url, "name").unwrap_or_default();
        if let Some(index) = query(&url, "shard") {
            return self.shard_fetch(req, &name, &index).await;
        }
        self.root_fetch(req, &url, &name).await
    }

    async fn websocket_message(
        &self,
        _ws: WebSocket,
        _message: WebSocketIncomingMessage,
    ) -> Result<()> {
        // Subscribers only listen.
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        _reason: String,
        _clean: bool,
    ) -> Result<()> {
        HibernatingBroadcast::closed(&ws, code);
        // A shard keeps its position in storage while it has hibernatable
        // subscribers; once idle, the alarm removes it.
        self.state.storage().set_alarm(self.config.shard_idle).await
    }

    async fn alarm(&self) -> Result<Response> {
        self.shard_idle().await?;
        Response::empty()
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        // The runtime drops the socket; nothing is kept per socket.
        Ok(())
    }
}

impl Channel {
    /// The channel's own object: ids, the replay buffer, its shards.
    async fn root_fetch(
        &self,
        mut req: Request,
        url: &worker::Url,
        name: &str,
    ) -> Result<Response> {
        self.load().await?;
        match req.path().as_str() {
            "/subscribe" => self.subscribe(&req),
            "/publish" => {
                let body = req.bytes().await?;
                self.publish(name, &body).await
            }
            "/replay" => self.replay(&req, url),
            "/stats" => self.stats(name).await,
            "/disconnect" => self.disconnect(name).await,
            other => error(404, &format!("channel: no operation {other}")),
        }
    }

    /// Reads the buffer and counter from storage, once per object lifetime.
    async fn load(&self) -> Result<()> {
        if self.inner.borrow().loaded {
            return Ok(());
        }
        let storage = self.state.storage();
        let meta: Option<Meta> = match storage.get::<String>(META_KEY).await? {
            Some(text) => Some(serde_json::from_str(&text)?),
            None => None,
        };
        let listed = storage
            .list_with_options(worker::ListOptions::new().prefix("e:"))
            .await?;
        let mut events = Vec::new();
        for entry in listed.entries() {
            let pair: js_sys::Array = entry?.into();
            let text = pair.get(1).as_string().unwrap_or_default();
            let mut stored: Stored = serde_json::from_str(&text)?;
            match stored.encode() {
                Ok(encoded) => stored.encoded = Some(encoded),
                Err(e) => {
                    // Only ever written after encoding succeeded; skip rather
                    // than let one damaged record stop the channel.
                    worker::console_error!("channel: skipping stored event {}: {e}", stored.seq);
                    continue;
                }
            }
            events.push(stored);
        }
        events.sort_by_key(|e| e.seq);
        let mut inner = self.inner.borrow_mut();
        if inner.loaded {
            return Ok(()); // another request loaded it while this one waited
        }
        inner.loaded = true;
        let last_seq = events.last().map_or(0, |e| e.seq);
        inner.next_seq = meta.map_or(1, |m| m.next_seq).max(last_seq + 1);
        // What was evicted before is not known, only that it came before
        // the first kept event.
        inner.floor = events
            .first()
            .map_or(inner.next_seq - 1, |e| e.seq.saturating_sub(1));
        for stored in events {
            inner.buffer_bytes += stored.bytes();
            inner.buffer.push_back(stored);
        }
        Ok(())
    }

    fn subscribe(&self, req: &Request) -> Result<Response> {
        if let Some(full) = self.full()? {
            return Ok(full);
        }
        let resume = req.headers().get("Last-Event-ID")?;
        let inner = self.inner.borrow();
        let replay: Vec<EncodedEvent> = inner
            .replay_after(resume.as_deref())
            .filter_map(|stored| stored.encoded.clone())
            .collect();
        drop(inner);
        // Registered in the same synchronous step as the replay snapshot
        // (no await in between): every later publish reaches this
        // subscriber, none twice.
        if req.headers().get("Upgrade")?.as_deref() == Some("websocket") {
            HibernatingBroadcast::new(&self.state).accept(replay)
        } else {
            self.subscribers.subscribe_for(replay, lifetime(req)?)
        }
    }

    /// 503 when this object holds its share of `MAX_SUBSCRIBERS` (the whole
    /// of it, or with shards its part, rounded up).
    fn full(&self) -> Result<Option<Response>> {
        let shards = self.config.shards as usize;
        let share = self.config.max_subscribers.div_ceil(shards.max(1));
        if self.subscriber_count() < share {
            return Ok(None);
        }
        retry_after(
            503,
            10,
            "the channel has as many subscribers as it takes; retry later",
        )
        .map(Some)
    }

    async fn publish(&self, name: &str, body: &[u8]) -> Result<Response> {
        let request: Publish = match serde_json::from_slice(body) {
            Ok(request) => request,
            Err(e) => {
                return error(
                    400,
                    &format!("expected JSON {{\"event\"?, \"data\", \"id\"?}}: {e}"),
                )
            }
        };
        let data = match request.data {
            serde_json::Value::String(text) => text,
            serde_json::Value::Null => return error(400, "data is required"),
            other => other.to_string(), // objects, numbers, …: sent as compact JSON
        };
        for (name, value) in [("event", &request.event), ("id", &request.id)] {
            if value.as_ref().is_some_and(|v| v.len() > MAX_FIELD_BYTES) {
                return error(
                    400,
                    &format!("{name} is longer than {MAX_FIELD_BYTES} bytes"),
                );
            }
        }
        if request.event.as_deref() == Some("") {
            return error(400, "event must not be empty (omit it for \"message\")");
        }
        if request.id.as_deref() == Some("") {
            return error(400, "id must not be empty (omit it to get the next number)");
        }

        let accepted = match self.accept(request.event, request.id, data) {
            Ok(accepted) => accepted,
            Err((status, message)) => return error(status, &message),
        };
        let storage = self.state.storage();
        let writes = js_sys::Object::new();
        for (key, value) in &accepted.writes {
            js_sys::Reflect::set(&writes, &key.into(), &value.into())?;
        }
        storage.put_multiple_raw(writes).await?;
        if !accepted.evicted.is_empty() {
            let keys: Vec<String> = accepted.evicted.iter().map(|&seq| event_key(seq)).collect();
            storage.delete_multiple(keys).await?;
        }
        // Stored first: a shard that asks for what it missed finds it.
        let mut delivered = accepted.delivered;
        if let Some(push) = &accepted.push {
            let body = serde_json::to_string(push)?;
            let answers = self
                .each_shard(
                    name,
                    "push",
                    Method::Post,
                    Some(&body),
                    self.config.shard_push_jitter,
                )
                .await;
            for answer in answers {
                match answer {
                    Ok(answer) => delivered += count(&answer, "delivered"),
                    // The shard fills the gap from this object's buffer at
                    // the next push it gets.
                    Err(e) => {
                        worker::console_error!("channel {name}: push {}: {e}", push.stored.seq)
                    }
                }
            }
        }
        json(
            201,
            &serde_json::json!({ "id": accepted.id, "seq": accepted.seq, "delivered": delivered }),
        )
    }

    /// Assigns the event its sequence number, buffers it and sends it to
    /// every subscriber, in one synchronous step (no other request runs in
    /// between); returns what storage must record, or the 4xx reason, in
    /// which case nothing changed.
    fn accept(
        &self,
        name: Option<String>,
        id: Option<String>,
        data: String,
    ) -> std::result::Result<Accepted, (u16, String)> {
        let mut inner = self.inner.borrow_mut();
        let (seq, id) = match id {
            None => (inner.next_seq, inner.next_seq.to_string()),
            Some(id) => match id.parse::<u64>() {
                Ok(n) if n < inner.next_seq => {
                    return Err((
                        409,
                        format!(
                            "numeric ids must grow: the next is at least {}",
                            inner.next_seq
                        ),
                    ));
                }
                Ok(n) => (n, id),
                Err(_) => (inner.next_seq, id),
            },
        };
        let prev = inner.next_seq - 1;
        let mut stored = Stored {
            seq,
            id: id.clone(),
            event: name,
            data,
            encoded: None,
        };
        let encoded = stored
            .encode()
            .map_err(|e| (400, format!("invalid field: {e}")))?;
        if encoded.len() > self.config.replay_max_bytes {
            return Err((413, "event larger than the channel's replay buffer".into()));
        }
        let record = serde_json::to_string(&stored).map_err(|e| (500, e.to_string()))?;
        let push = (self.config.shards > 1).then(|| Push {
            prev,
            stored: stored.clone(),
        });
        stored.encoded = Some(encoded.clone());
        inner.next_seq = seq + 1;
        let meta = format!("{{\"next_seq\":{}}}", inner.next_seq);
        let evicted = inner.append(stored, &self.config);
        drop(inner);
        let delivered =
            self.subscribers.send(&encoded) + HibernatingBroadcast::new(&self.state).send(&encoded);
        Ok(Accepted {
            id,
            seq,
            delivered,
            writes: vec![(META_KEY.to_string(), meta), (event_key(seq), record)],
            evicted,
            push,
        })
    }

    /// Ends every subscriber's stream cleanly. Clients reconnect (after
    /// their retry delay) with `Last-Event-ID` and resume from the buffer:
    /// how the demo shows resume, and how tests force disconnects.
    async fn disconnect(&self, name: &str) -> Result<Response> {
        // Each stream ends after what it has queued.
        let mut disconnected = self.close_all();
        for answer in self
            .each_shard(name, "disconnect", Method::Post, None, Duration::ZERO)
            .await
        {
            disconnected += count(&answer?, "disconnected");
        }
        json(200, &serde_json::json!({ "disconnected": disconnected }))
    }

    /// Ends the streams of this object's own subscribers; returns how many.
    fn close_all(&self) -> usize {
        self.subscribers.close_all() + HibernatingBroadcast::new(&self.state).close_all()
    }

    /// How many subscribers this object holds itself.
    fn subscriber_count(&self) -> usize {
        self.subscribers.len() + HibernatingBroadcast::new(&self.state).len()
    }

    async fn stats(&self, name: &str) -> Result<Response> {
        let mut subscribers = self.subscriber_count();
        let mut shards = Vec::new();
        for answer in self
            .each_shard(name, "stats", Method::Get, None, Duration::ZERO)
            .await
        {
            let answer = answer?;
            subscribers += count(&answer, "subscribers");
            shards.push(answer);
        }
        let inner = self.inner.borrow();
        let mut stats = serde_json::json!({
            "channel": name,
            "subscribers": subscribers,
            "next_seq": inner.next_seq,
            "last_id": inner.buffer.back().map(|e| e.id.clone()),
            "buffered_events": inner.buffer.len(),
            "buffered_bytes": inner.buffer_bytes,
        });
        if self.config.shards > 1 {
            stats["shards"] = serde_json::Value::Array(shards);
        }
        json(200, &stats)
    }

    /// `GET /replay` from a shard: the buffered events after `after_seq`
    /// (with whether they are all of them), or after the `Last-Event-ID`
    /// a subscriber resumes from (as [`Inner::replay_after`] picks them),
    /// or none; and the newest sequence number.
    fn replay(&self, req: &Request, url: &worker::Url) -> Result<Response> {
        let inner = self.inner.borrow();
        let head = inner.next_seq - 1;
        let (complete, events) = match query(url, "after_seq").and_then(|v| v.parse::<u64>().ok()) {
            Some(after) => (
                after >= inner.floor,
                inner
                    .buffer
                    .iter()
                    .filter(|e| e.seq > after)
                    .cloned()
                    .collect(),
            ),
            None => {
                let resume = req.headers().get("Last-Event-ID")?;
                (
                    true,
                    inner.replay_after(resume.as_deref()).cloned().collect(),
                )
            }
        };
        Response::from_json(&Replay {
            head,
            complete,
            events,
        })
    }

    /// Sends `op` to every shard of channel `name` at once, each after a
    /// random wait of up to `jitter` (fault injection, see
    /// `Config::shard_push_jitter`); their JSON answers, in shard order
    /// (none without shards).
    async fn each_shard(
        &self,
        name: &str,
        op: &str,
        method: Method,
        body: Option<&str>,
        jitter: Duration,
    ) -> Vec<Result<serde_json::Value>> {
        let shards = if self.config.shards > 1 {
            self.config.shards
        } else {
            0
        };
        let calls = (0..shards).map(|k| {
            let method = method.clone();
            async move {
                if !jitter.is_zero() {
                    worker::Delay::from(jitter.mul_f64(js_sys::Math::random())).await;
                }
                let stub = self.shard_stub(name, k)?;
                let mut init = RequestInit::new();
                init.with_method(method);
                if let Some(body) = body {
                    init.with_body(Some(body.into()));
                }
                let url = format!("https://channel.internal/{op}?name={name}&shard={k}");
                let mut answer = stub
                    .fetch_with_request(Request::new_with_init(&url, &init)?)
                    .await?;
                answer.json::<serde_json::Value>().await
            }
        });
        futures_util::future::join_all(calls).await
    }

    fn shard_stub(&self, name: &str, k: u32) -> Result<Stub> {
        self.env
            .durable_object("CHANNELS")?
            .get_by_name(&shard_name(name, k))
    }

    fn root_stub(&self, name: &str) -> Result<Stub> {
        self.env.durable_object("CHANNELS")?.get_by_name(name)
    }

    /// Asks the root of channel `name` for `/replay` (`after_seq`, or the
    /// `Last-Event-ID` `resume`, or neither for the head alone).
    async fn ask_root(
        &self,
        name: &str,
        after_seq: Option<u64>,
        resume: Option<&str>,
    ) -> Result<Replay> {
        let headers = Headers::new();
        if let Some(id) = resume {
            headers.set("Last-Event-ID", id)?;
        }
        let mut url = format!("https://channel.internal/replay?name={name}");
        if let Some(after) = after_seq {
            url.push_str(&format!("&after_seq={after}"));
        }
        let mut init = RequestInit::new();
        init.with_headers(headers);
        let mut answer = self
            .root_stub(name)?
            .fetch_with_request(Request::new_with_init(&url, &init)?)
            .await?;
        if answer.status_code() != 200 {
            return Err(worker::Error::RustError(format!(
                "channel {name}: replay answered {}",
                answer.status_code()
            )));
        }
        answer.json().await
    }
}

/// How long the front Worker says the subscriber's credential holds.
fn lifetime(req: &Request) -> Result<Option<Duration>> {
    Ok(req
        .headers()
        .get(LIFETIME_HEADER)?
        .and_then(|ms| ms.parse::<u64>().ok())
        .map(Duration::from_millis))
}

/// The object that holds shard `k` of channel `name`. `#` is not allowed in
/// channel names, so no channel's own object has this name.
pub fn shard_name(name: &str, k: u32) -> String {
    format!("{name}#{k}")
}

fn query(url: &worker::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The number `field` of a JSON answer (0 when missing).
fn count(answer: &serde_json::Value, field: &str) -> usize {
    answer[field].as_u64().unwrap_or(0) as usize
}

impl Inner {
    /// The buffered events a client that last saw `last_id` has missed.
    fn replay_after<'a>(
        &'a self,
        last_id: Option<&str>,
    ) -> Box<dyn Iterator<Item = &'a Stored> + 'a> {
        let Some(last_id) = last_id else {
            // A new subscriber starts live, like a fresh EventSource.
            return Box::new(std::iter::empty());
        };
        if let Some(at) = self.buffer.iter().rposition(|e| e.id == last_id) {
            return Box::new(self.buffer.iter().skip(at + 1));
        }
        match last_id.parse::<u64>() {
            Ok(seen) => Box::new(self.buffer.iter().filter(move |e| e.seq > seen)),
            Err(_) => Box::new(self.buffer.iter()),
        }
    }

    /// Buffers `stored`, evicting the oldest events beyond the bounds;
    /// returns the evicted sequence numbers.
    fn append(&mut self, stored: Stored, config: &Config) -> Vec<u64> {
        self.buffer_bytes += stored.bytes();
        self.buffer.push_back(stored);
        let mut evicted = Vec::new();
        while self.buffer.len() > config.replay_max_events
            || self.buffer_bytes > config.replay_max_bytes
        {
            let Some(old) = self.buffer.pop_front() else {
                break;
            };
            self.buffer_bytes -= old.bytes();
            self.floor = old.seq;
            evicted.push(old.seq);
        }
        evicted
    }
}

fn event_key(seq: u64) -> String {
    format!("e:{seq:020}")
}
