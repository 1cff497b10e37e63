//! A channel's own object, the root: it assigns ids, keeps the replay log
//! in storage, writes each event there before anyone gets it, delivers to
//! its own subscribers (without shards) or pushes to its shards.
//!
//! Storage: `meta` = `{"next_seq": n, "channel": name}`, and one key per
//! kept event, `e:<seq, 20 digits>` = `{"seq", "id", "text"}` (the encoded
//! event, sent on as it is). A publish writes its event and `meta`
//! together, so a restarted root comes back with the same log and never
//! reuses an id.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::lock::Mutex;
use serde::{Deserialize, Serialize};
use ssekit::{EncodedEvent, Event};
use worker::{Headers, Method, Request, Response, Result};

use super::log::{sequence_number, Entry, Log, Resume, MAX_ID};
use super::outbox::Outbox;
use super::wire::{Op, Replay, Role, WireEntry};
use super::{count, lifetime, opening, Ctx};
use crate::reply::{error, json};

/// Longest event name or id a publish may set, in bytes.
const MAX_FIELD_BYTES: usize = 256;
const META_KEY: &str = "meta";

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
}

#[derive(Serialize, Deserialize)]
struct Meta {
    next_seq: u64,
    #[serde(default)]
    channel: Option<String>,
}

/// A kept event in storage. Records from before the encoded text was kept
/// have the fields instead.
#[derive(Deserialize)]
struct Record {
    seq: u64,
    id: String,
    text: Option<String>,
    event: Option<String>,
    data: Option<String>,
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
            Op::Push | Op::CatchUp { .. } => error(404, "not an operation of a channel's root"),
        }
    }

    /// Reads the log and counter from storage, once per object lifetime.
    async fn load(&self, ctx: &Ctx<'_>) -> Result<()> {
        if self.inner.borrow().loaded {
            return Ok(());
        }
        let storage = ctx.state.storage();
        let meta: Option<Meta> = match storage.get::<String>(META_KEY).await? {
            Some(text) => Some(serde_json::from_str(&text)?),
            None => None,
        };
        let listed = storage
            .list_with_options(worker::ListOptions::new().prefix("e:"))
            .await?;
        let mut entries = Vec::new();
        for item in listed.entries() {
            let pair: js_sys::Array = item?.into();
            let record: Record = serde_wasm_value(pair.get(1))?;
            let seq = record.seq;
            match record.entry() {
                Some(entry) => entries.push(entry),
                // Only ever written after encoding succeeded; skip rather
                // than let one damaged record stop the channel.
                None => worker::console_error!("channel: skipping stored event {seq}"),
            }
        }
        entries.sort_by_key(|e| e.seq);
        let mut inner = self.inner.borrow_mut();
        if inner.loaded {
            return Ok(()); // another request loaded it while this one waited
        }
        inner.loaded = true;
        let last = entries.last().map_or(0, |e| e.seq);
        inner.next_seq = meta.map_or(1, |m| m.next_seq).max(last + 1);
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
            let keys: Vec<String> = evicted.iter().map(|&seq| event_key(seq)).collect();
            if let Err(e) = ctx.state.storage().delete_multiple(keys).await {
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
        let meta = Meta {
            next_seq: entry.seq + 1,
            channel: Some(self.channel.clone()),
        };
        let writes = js_sys::Object::new();
        let record = serde_json::to_string(&WireEntry::from(entry))?;
        js_sys::Reflect::set(&writes, &event_key(entry.seq).into(), &record.into())?;
        let meta = serde_json::to_string(&meta)?;
        js_sys::Reflect::set(&writes, &META_KEY.into(), &meta.into())?;
        ctx.state.storage().put_multiple_raw(writes).await
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
            "subscribers": subscribers,
            "next_seq": inner.next_seq,
            "last_id": inner.log.entries().last().map(|e| e.id.clone()),
            "buffered_events": inner.log.len(),
            "buffered_bytes": inner.log.bytes(),
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

/// The channel whose root this object is, from storage: how an object
/// woken by its alarm alone knows it is a root (a shard stores no meta).
pub async fn stored_channel(ctx: &Ctx<'_>) -> Result<Option<String>> {
    let meta = ctx.state.storage().get::<String>(META_KEY).await?;
    Ok(match meta {
        Some(text) => serde_json::from_str::<Meta>(&text)?.channel,
        None => None,
    })
}

/// How long after a publish the root checks that every shard has it.
const CATCH_UP_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// The sequence number and id of a publish given `next`, the next number:
/// the publisher's numeric id (strictly above every earlier one, at most
/// [`MAX_ID`]) or string id, or the next number; or why not (a 400).
fn assign(next: u64, id: Option<String>) -> std::result::Result<(u64, String), String> {
    let Some(id) = id else {
        return if next <= MAX_ID {
            Ok((next, next.to_string()))
        } else {
            Err(format!("this channel has used every id up to {MAX_ID}"))
        };
    };
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return if next <= MAX_ID {
            Ok((next, id)) // a name: it gets a number of its own
        } else {
            Err(format!("this channel has used every id up to {MAX_ID}"))
        };
    }
    match sequence_number(&id) {
        None => Err(format!(
            "a numeric id must be written without leading zeros and be at most {MAX_ID}"
        )),
        Some(n) if n < next => Err(format!(
            "numeric ids must grow: the next is at least {next}"
        )),
        Some(n) => Ok((n, id)),
    }
}

impl Record {
    fn entry(self) -> Option<Entry> {
        let encoded = match (self.text, self.data) {
            (Some(text), _) => EncodedEvent::from_text(&text)?,
            (None, Some(data)) => {
                let mut event = Event::new().id(self.id.as_str()).data(data.as_str());
                if let Some(name) = &self.event {
                    event = event.event(name.as_str());
                }
                EncodedEvent::new(&event).ok()?
            }
            (None, None) => return None,
        };
        Some(Entry {
            seq: self.seq,
            id: self.id,
            encoded,
        })
    }
}

fn first_id(log: &Log) -> Option<&str> {
    log.entries().next().map(|e| e.id.as_str())
}

fn event_key(seq: u64) -> String {
    format!("e:{seq:020}")
}

/// A stored value (a JSON string) read back.
fn serde_wasm_value<T: serde::de::DeserializeOwned>(value: wasm_bindgen::JsValue) -> Result<T> {
    let text = value
        .as_string()
        .ok_or_else(|| worker::Error::RustError("stored value is not a string".into()))?;
    Ok(serde_json::from_str(&text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_grow_never_wrap_and_stay_within_what_javascript_holds() {
        assert_eq!(assign(1, None), Ok((1, "1".into())));
        assert_eq!(assign(5, Some("order-7".into())), Ok((5, "order-7".into())));
        assert_eq!(assign(5, Some("10".into())), Ok((10, "10".into())));
        assert_eq!(assign(5, Some("5".into())), Ok((5, "5".into())));
        assert!(assign(5, Some("4".into()))
            .unwrap_err()
            .contains("must grow"));
        let max = MAX_ID.to_string();
        assert_eq!(assign(5, Some(max.clone())), Ok((MAX_ID, max)));
        // The counter then sits past the largest id: nothing more is given.
        assert!(assign(MAX_ID + 1, None).unwrap_err().contains("every id"));
        assert!(assign(MAX_ID + 1, Some("x".into()))
            .unwrap_err()
            .contains("every id"));
        for bad in ["18446744073709551615", "9007199254740992", "007"] {
            assert!(
                assign(1, Some(bad.into()))
                    .unwrap_err()
                    .contains("leading zeros"),
                "{bad}"
            );
        }
    }

    #[test]
    fn stored_records_of_either_shape_load() {
        let new = Record {
            seq: 3,
            id: "3".into(),
            text: Some("id: 3\ndata: x\n\n".into()),
            event: None,
            data: None,
        };
        assert_eq!(new.entry().unwrap().encoded.as_str(), "id: 3\ndata: x\n\n");
        let old = Record {
            seq: 4,
            id: "a".into(),
            text: None,
            event: Some("e".into()),
            data: Some("y".into()),
        };
        assert_eq!(
            old.entry().unwrap().encoded.as_str(),
            "event: e\nid: a\ndata: y\n\n"
        );
        let damaged = Record {
            seq: 5,
            id: "5".into(),
            text: Some("data: a\n\ndata: b\n\n".into()),
            event: None,
            data: None,
        };
        assert!(damaged.entry().is_none());
    }
}
