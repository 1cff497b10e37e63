//! A channel's own object, the root: it assigns ids, keeps the replay log
//! in storage, writes each event there before anyone gets it, delivers to
//! its own subscribers (without shards) or pushes to its shards.
//! Its storage layout is [`super::storage`]'s.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::lock::Mutex;
use serde::Deserialize;
use ssekit::{EncodedEvent, Event};
use worker::{Headers, Method, Request, Response, Result};

use super::log::{assign, Entry, Log, Resume};
use super::outbox::Outbox;
use super::storage;
use super::wire::{Op, Replay, Role, WireEntry};
use super::{count, lifetime, opening, Ctx};
use crate::reply::{error, json};

/// Longest event name or id a publish may set, in bytes.
const MAX_FIELD_BYTES: usize = 256;

pub struct Root {
    channel: String,
    inner: RefCell<Inner>,
    /// Publishes run one at a time from id to delivery, so events are
    /// stored, delivered and pushed in id order.
    publishing: Mutex<()>,
    outbox: Rc<Outbox>,
}

struct Inner {
    loaded: bool,
    /// The next sequence number to assign; never goes back, also past a
    /// publish whose write failed.
    next_seq: u64,
    log: Log,
    /// Storage writes attempted, for the fault that fails every n-th.
    writes: u64,
    /// Keys written or deleted (what storage bills), for stats.
    keys_written: u64,
}

/// A publish request body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Publish {
    event: Option<String>,
    data: serde_json::Value,
    id: Option<String>,
}

impl Root {
    pub fn new(ctx: &Ctx, channel: &str) -> Root {
        let config = ctx.config;
        let shards = if config.shards > 1 { config.shards } else { 0 };
        Root {
            channel: channel.to_string(),
            inner: RefCell::new(Inner {
                loaded: false,
                next_seq: 1,
                log: Log::new(0, config.replay_max_events, config.replay_max_bytes),
                writes: 0,
                keys_written: 0,
            }),
            publishing: Mutex::new(()),
            outbox: Outbox::new(ctx.env.clone(), channel.to_string(), shards, config.faults),
        }
    }

    pub async fn fetch(&self, ctx: &Ctx<'_>, op: Op, mut req: Request) -> Result<Response> {
        self.load(ctx).await?;
        match op {
            Op::Subscribe => self.subscribe(ctx, &req),
            Op::Publish => {
                let body = req.bytes().await?;
                self.publish(ctx, &body).await
            }
            Op::Disconnect => self.disconnect(ctx).await,
            Op::Stats => self.stats(ctx).await,
            Op::Fill { after } => self.fill(after),
            Op::Resume => self.resume(&req),
            Op::Push | Op::CatchUp { .. } | Op::Restart => {
                error(404, "not an operation of a channel's root")
            }
        }
    }

    /// Reads the log and counter from storage, once per object lifetime.
    async fn load(&self, ctx: &Ctx<'_>) -> Result<()> {
        if self.inner.borrow().loaded {
            return Ok(());
        }
        let (next_seq, entries) = storage::load(ctx.state).await?;
        let mut inner = self.inner.borrow_mut();
        if inner.loaded {
            return Ok(()); // another request loaded it while this one waited
        }
        inner.loaded = true;
        inner.next_seq = next_seq;
        // What was evicted before is not known, only that it came before
        // the first kept event.
        let floor = entries
            .first()
            .map_or(inner.next_seq - 1, |e| e.seq.saturating_sub(1));
        inner.log = Log::new(
            floor,
            ctx.config.replay_max_events,
            ctx.config.replay_max_bytes,
        );
        for entry in entries {
            inner.log.push(entry);
        }
        Ok(())
    }

    /// A subscriber of this object (no shards): its opening and live events
    /// in one synchronous step.
    fn subscribe(&self, ctx: &Ctx, req: &Request) -> Result<Response> {
        if let Some(full) = ctx.full()? {
            return Ok(full);
        }
        let resume = req.headers().get("Last-Event-ID")?;
        let inner = self.inner.borrow();
        let log = &inner.log;
        let answer = resume.as_deref().map(|id| log.resume(id));
        let kept = || log.entries().map(|e| e.encoded.clone()).collect();
        let opening = opening(ctx.config, answer, &log.position(), first_id(log), kept)?;
        ctx.fanout.subscribe(ctx.state, opening, lifetime(req)?)
    }

    async fn publish(&self, ctx: &Ctx<'_>, body: &[u8]) -> Result<Response> {
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

        let publishing = self.publishing.lock().await;
        let (seq, id, prev) = {
            let inner = self.inner.borrow();
            match assign(inner.next_seq, request.id) {
                Ok((seq, id)) => (seq, id, inner.log.head()),
                Err(reason) => return error(400, &reason),
            }
        };
        let mut event = Event::new().id(id.as_str()).data(data.as_str());
        if let Some(name) = &request.event {
            event = event.event(name.as_str());
        }
        let encoded = match EncodedEvent::new(&event) {
            Ok(encoded) => encoded,
            Err(e) => return error(400, &format!("invalid field: {e}")),
        };
        if encoded.len() > ctx.config.replay_max_bytes {
            return error(413, "event larger than the channel's replay buffer");
        }
        let entry = Entry { seq, id, encoded };

        // Stored first: nobody gets an event a restart could lose. The id
        // is spent either way.
        self.inner.borrow_mut().next_seq = seq + 1;
        if let Err(e) = self.store(ctx, &entry).await {
            worker::console_error!("channel {}: storing event {seq}: {e}", self.channel);
            return error(
                503,
                "the event could not be stored; nothing was sent; publish again",
            );
        }
        let evicted = self.inner.borrow_mut().log.push(entry.clone());
        let mut delivered = ctx.fanout.send(ctx.state, &entry.encoded);
        let answers = self.outbox.send(prev, &entry);
        drop(publishing);
        if !evicted.is_empty() {
            self.inner.borrow_mut().keys_written += evicted.len() as u64;
            if let Err(e) = storage::evict(ctx.state, &evicted).await {
                // Kept a little longer than the bounds say; the next load
                // evicts them again.
                worker::console_error!("channel {}: evicting: {e}", self.channel);
            }
        }
        let mut missed = false;
        for answer in answers {
            match answer.await {
                Ok(Some(count)) => delivered += count,
                _ => missed = true,
            }
        }
        if missed {
            // The push is being retried; should this object go away before
            // it lands, the alarm catches the shards up from the log.
            ctx.state.storage().set_alarm(CATCH_UP_AFTER).await?;
        }
        json(
            201,
            &serde_json::json!({ "id": entry.id, "seq": seq, "delivered": delivered }),
        )
    }

    /// Writes `entry` and the counter in one `put_multiple`.
    async fn store(&self, ctx: &Ctx<'_>, entry: &Entry) -> Result<()> {
        let attempt = {
            let mut inner = self.inner.borrow_mut();
            inner.writes += 1;
            inner.writes
        };
        if ctx.config.faults.fails_write(attempt) {
            return Err(worker::Error::RustError(
                "injected storage write failure".into(),
            ));
        }
        storage::store(ctx.state, &self.channel, entry).await?;
        self.inner.borrow_mut().keys_written += 2; // the event and the counter
        Ok(())
    }

    /// Ends every subscriber's stream, here and on every shard. Clients
    /// reconnect with `Last-Event-ID` and resume: how the demo shows resume.
    async fn disconnect(&self, ctx: &Ctx<'_>) -> Result<Response> {
        let mut disconnected = ctx.fanout.close_all(ctx.state);
        for answer in self.each_shard(ctx, Op::Disconnect, Method::Post).await {
            disconnected += count(&answer?, "disconnected");
        }
        json(200, &serde_json::json!({ "disconnected": disconnected }))
    }

    async fn stats(&self, ctx: &Ctx<'_>) -> Result<Response> {
        let mut subscribers = ctx.fanout.len(ctx.state);
        let mut shards = Vec::new();
        for answer in self.each_shard(ctx, Op::Stats, Method::Get).await {
            let answer = answer?;
            subscribers += count(&answer, "subscribers");
            shards.push(answer);
        }
        let inner = self.inner.borrow();
        let mut stats = serde_json::json!({
            "channel": self.channel,
            "instance": ctx.instance,
            "subscribers": subscribers,
            "next_seq": inner.next_seq,
            "last_id": inner.log.entries().last().map(|e| e.id.clone()),
            "buffered_events": inner.log.len(),
            "buffered_bytes": inner.log.bytes(),
            "storage_keys_written": inner.keys_written,
        });
        if ctx.config.shards > 1 {
            stats["shards"] = serde_json::Value::Array(shards);
        }
        json(200, &stats)
    }

    /// [`Op::Fill`] from a shard: the events after `after`, and whether
    /// they are all of them.
    fn fill(&self, after: u64) -> Result<Response> {
        let inner = self.inner.borrow();
        let log = &inner.log;
        let (complete, events) = match log.after(after) {
            Some(events) => (true, events.map(WireEntry::from).collect()),
            None => (false, log.entries().map(WireEntry::from).collect()),
        };
        Response::from_json(&Replay {
            head: log.head(),
            position: log.position(),
            first_id: first_id(log).map(str::to_string),
            complete,
            gap: None,
            events,
        })
    }

    /// [`Op::Resume`] from a shard: what a subscriber resuming from the
    /// request's `Last-Event-ID` gets (all kept events with a gap, for the
    /// tail setting); without one, only where the channel is.
    fn resume(&self, req: &Request) -> Result<Response> {
        let resume = req.headers().get("Last-Event-ID")?;
        let inner = self.inner.borrow();
        let log = &inner.log;
        let (gap, events) = match resume.as_deref().map(|id| log.resume(id)) {
            None => (None, Vec::new()),
            Some(Resume::Exact(events)) => {
                // The events after the resume point are the newest ones.
                let skip = log.len() - events.len();
                (
                    None,
                    log.entries().skip(skip).map(WireEntry::from).collect(),
                )
            }
            Some(Resume::Gap(gap)) => (
                Some(gap.reason().to_string()),
                log.entries().map(WireEntry::from).collect(),
            ),
        };
        Response::from_json(&Replay {
            head: log.head(),
            position: log.position(),
            first_id: first_id(log).map(str::to_string),
            complete: gap.is_none(),
            gap,
            events,
        })
    }

    /// The alarm after publishes: every shard at least at the head (a shard
    /// behind fills from the log), in case a push never arrived.
    pub async fn catch_up(&self, ctx: &Ctx<'_>) -> Result<()> {
        self.load(ctx).await?;
        let head = self.inner.borrow().log.head();
        for answer in self
            .each_shard(ctx, Op::CatchUp { head }, Method::Post)
            .await
        {
            if let Err(e) = answer {
                worker::console_error!("channel {}: catch-up: {e}", self.channel);
                ctx.state.storage().set_alarm(CATCH_UP_AFTER).await?;
            }
        }
        Ok(())
    }

    /// Sends `op` to every shard at once; their JSON answers, in order.
    async fn each_shard(
        &self,
        ctx: &Ctx<'_>,
        op: Op,
        method: Method,
    ) -> Vec<Result<serde_json::Value>> {
        let shards = if ctx.config.shards > 1 {
            ctx.config.shards
        } else {
            0
        };
        let calls = (0..shards).map(|k| {
            let method = method.clone();
            async move {
                let mut answer = op
                    .send(
                        ctx.env,
                        &self.channel,
                        Role::Shard(k),
                        method,
                        &Headers::new(),
                        None,
                    )
                    .await?;
                answer.json::<serde_json::Value>().await
            }
        });
        futures_util::future::join_all(calls).await
    }
}

/// How long after a publish the root checks that every shard has it.
const CATCH_UP_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

fn first_id(log: &Log) -> Option<&str> {
    log.entries().next().map(|e| e.id.as_str())
}
