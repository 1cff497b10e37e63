//! A channel object in the shard role (`{name}#{k}`, `SHARDS` > 1): it
//! holds some of the channel's subscribers and writes to them what the
//! root pushes, on its own thread.
//!
//! Order: every push carries its sequence number and its predecessor's;
//! [`Order`] delivers them strictly in sequence, holds one that arrives
//! ahead of its predecessor (pushes of concurrent publishes may overtake
//! each other) and drops one delivered already. A gap that is still open
//! after [`GAP_WAIT`] is filled from the root's buffer (`/replay?after_seq`);
//! when the root no longer has what is missing, the shard's subscribers are
//! disconnected and resume with their `Last-Event-ID`, exactly.
//!
//! Position: a shard that starts without subscribers begins at the first
//! push it gets (nobody here needed anything before it) or at the root's
//! newest event when a subscriber comes first. With hibernatable
//! subscribers (`FANOUT = "websockets"`) the shard can be evicted from
//! memory while their sockets stay open, so it keeps its position in
//! storage while it has any; woken, it starts from there.
//!
//! Resume: a subscriber's `Last-Event-ID` is replayed from the shard's
//! recent events when they cover it, otherwise from the root's buffer
//! combined with what this shard has delivered since; either way it is
//! registered in the same synchronous step as the replay is taken.

use std::collections::VecDeque;
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{select, Either};
use ssekit::EncodedEvent;
use ssekit_workers::HibernatingBroadcast;
use worker::{Delay, Request, Response, Result};

use super::{lifetime, Channel, Push, Replay, Stored};
use crate::order::{Offer, Order};
use crate::reply::{error, json};

/// How long a held push waits for its predecessors before the shard asks
/// the root for them.
const GAP_WAIT: Duration = Duration::from_millis(200);
/// Pushes a shard holds while waiting for a predecessor.
const MAX_HELD: usize = 256;
/// Where a shard with hibernatable subscribers keeps its position.
const POSITION_KEY: &str = "shard_position";

/// A shard's state; `order` is `None` until it knows its position.
#[derive(Default)]
pub(super) struct Shard {
    order: Option<Order<Pending>>,
    /// Delivered events, newest last, bounded like the root's buffer.
    buffer: VecDeque<Kept>,
    buffer_bytes: usize,
    /// `buffer` holds every event after this sequence number.
    floor: u64,
    /// Pushes that came before their predecessor and waited for it, and
    /// gaps filled from the root: how often the order had work to do (its
    /// stats show an operator, and a test, that pushes do race).
    held_pushes: u64,
    filled_gaps: u64,
}

/// A delivered event as a shard keeps it for resumes.
struct Kept {
    seq: u64,
    id: String,
    encoded: EncodedEvent,
}

/// A pushed event on its way through [`Order`], with the push request
/// waiting for its delivery count.
struct Pending {
    kept: Kept,
    answer: Option<oneshot::Sender<usize>>,
}

impl Kept {
    fn new(stored: Stored) -> Result<Kept> {
        let encoded = stored
            .encode()
            .map_err(|e| worker::Error::RustError(format!("shard: event {}: {e}", stored.seq)))?;
        Ok(Kept {
            seq: stored.seq,
            id: stored.id,
            encoded,
        })
    }
}

impl Shard {
    /// Starts at `last` with nothing kept.
    fn start(&mut self, last: u64) {
        self.order = Some(Order::new(last, MAX_HELD));
        self.buffer.clear();
        self.buffer_bytes = 0;
        self.floor = last;
    }

    /// The events a subscriber resuming after `last_id` missed, when this
    /// shard's buffer can tell; `None` when only the root can.
    fn local_replay(&self, last_id: Option<&str>) -> Option<Vec<EncodedEvent>> {
        self.order.as_ref()?;
        let Some(last_id) = last_id else {
            return Some(Vec::new());
        };
        if let Some(at) = self.buffer.iter().rposition(|e| e.id == last_id) {
            return Some(self.after(at + 1));
        }
        let seen = last_id
            .parse::<u64>()
            .ok()
            .filter(|&seen| seen >= self.floor)?;
        Some(
            self.buffer
                .iter()
                .filter(|e| e.seq > seen)
                .map(|e| e.encoded.clone())
                .collect(),
        )
    }

    /// The replay for a subscriber from the root's answer and what this
    /// shard delivered since; `None` when the answer is too far behind.
    fn with_root(&mut self, root: Replay) -> Result<Option<Vec<EncodedEvent>>> {
        Ok(Some(match self.order.as_ref().map(Order::last) {
            None => {
                // The first request of a fresh shard: from the root's newest.
                self.start(root.head);
                encoded(root.events)?
            }
            Some(last) if root.head >= last => {
                // Later ones reach the subscriber as pushes.
                encoded(root.events.into_iter().filter(|e| e.seq <= last).collect())?
            }
            Some(_) if self.floor <= root.head => {
                let mut replay = encoded(root.events)?;
                replay.extend(
                    self.buffer
                        .iter()
                        .filter(|e| e.seq > root.head)
                        .map(|e| e.encoded.clone()),
                );
                replay
            }
            Some(_) => return Ok(None),
        }))
    }

    fn after(&self, from: usize) -> Vec<EncodedEvent> {
        self.buffer
            .iter()
            .skip(from)
            .map(|e| e.encoded.clone())
            .collect()
    }

    fn keep(&mut self, kept: Kept, max_events: usize, max_bytes: usize) {
        self.buffer_bytes += kept.encoded.len();
        self.buffer.push_back(kept);
        while self.buffer.len() > max_events || self.buffer_bytes > max_bytes {
            let Some(old) = self.buffer.pop_front() else {
                break;
            };
            self.buffer_bytes -= old.encoded.len();
            self.floor = old.seq;
        }
    }
}

impl Channel {
    pub(super) async fn shard_fetch(
        &self,
        mut req: Request,
        name: &str,
        index: &str,
    ) -> Result<Response> {
        match req.path().as_str() {
            "/subscribe" => match self.full()? {
                Some(full) => Ok(full),
                None => self.shard_subscribe(&req, name).await,
            },
            "/push" => {
                let push: Push = req.json().await?;
                self.shard_push(name, push).await
            }
            "/stats" => {
                let stored_keys = self.state.storage().list().await?.size();
                let shard = self.shard.borrow();
                json(
                    200,
                    &serde_json::json!({
                        "shard": index,
                        "subscribers": self.subscriber_count(),
                        "delivered_seq": shard.order.as_ref().map(Order::last),
                        "held_events": shard.order.as_ref().map_or(0, Order::held),
                        "held_pushes": shard.held_pushes,
                        "filled_gaps": shard.filled_gaps,
                        "buffered_events": shard.buffer.len(),
                        "stored_keys": stored_keys,
                    }),
                )
            }
            "/disconnect" => json(
                200,
                &serde_json::json!({ "disconnected": self.close_all() }),
            ),
            other => error(404, &format!("shard: no operation {other}")),
        }
    }

    /// A shard woken with hibernated subscribers (and no memory) takes up
    /// its stored position; without one, its subscribers resume instead.
    async fn wake(&self) -> Result<()> {
        if self.shard.borrow().order.is_some() || self.subscriber_count() == 0 {
            return Ok(());
        }
        let stored: Option<u64> = self.state.storage().get(POSITION_KEY).await?;
        let mut shard = self.shard.borrow_mut();
        if shard.order.is_some() {
            return Ok(()); // another request woke it while this one waited
        }
        match stored {
            Some(last) => shard.start(last),
            None => {
                drop(shard);
                self.close_all();
            }
        }
        Ok(())
    }

    /// The idle alarm: a shard without subscribers forgets its stored
    /// position (it starts afresh from the root for the next subscriber), so
    /// subscribing to random channel names leaves no storage behind. The
    /// root never stores a position, so this leaves a root's storage alone.
    pub(super) async fn shard_idle(&self) -> Result<()> {
        if self.subscriber_count() > 0 {
            return Ok(()); // the last one to leave sets the alarm again
        }
        let storage = self.state.storage();
        if storage.get::<u64>(POSITION_KEY).await?.is_some() {
            storage.delete(POSITION_KEY).await?;
            *self.shard.borrow_mut() = Shard::default();
        }
        Ok(())
    }

    /// Keeps the position in storage while hibernatable subscribers could
    /// outlive this object's memory.
    async fn save_position(&self) -> Result<()> {
        if HibernatingBroadcast::new(&self.state).is_empty() {
            return Ok(());
        }
        let last = self.shard.borrow().order.as_ref().map(Order::last);
        if let Some(last) = last {
            self.state.storage().put(POSITION_KEY, last).await?;
        }
        Ok(())
    }

    async fn shard_subscribe(&self, req: &Request, name: &str) -> Result<Response> {
        self.wake().await?;
        let resume = req.headers().get("Last-Event-ID")?;
        let websocket = req.headers().get("Upgrade")?.as_deref() == Some("websocket");
        // The root's answer may come back behind what this shard delivered
        // meanwhile, and further behind than the shard keeps: ask again.
        for _ in 0..3 {
            let local = self.shard.borrow().local_replay(resume.as_deref());
            if let Some(replay) = local {
                return self.register(websocket, replay, lifetime(req)?).await;
            }
            let root = self.ask_root(name, None, resume.as_deref()).await?;
            let replay = self.shard.borrow_mut().with_root(root)?;
            if let Some(replay) = replay {
                return self.register(websocket, replay, lifetime(req)?).await;
            }
        }
        error(503, "the channel moved on too fast to resume; retry")
    }

    /// Registers a subscriber with its replay; no await before it is in.
    async fn register(
        &self,
        websocket: bool,
        replay: Vec<EncodedEvent>,
        lifetime: Option<Duration>,
    ) -> Result<Response> {
        let response = if websocket {
            HibernatingBroadcast::new(&self.state).accept(replay)?
        } else {
            self.subscribers.subscribe_for(replay, lifetime)?
        };
        self.save_position().await?;
        Ok(response)
    }

    async fn shard_push(&self, name: &str, push: Push) -> Result<Response> {
        self.wake().await?;
        let (prev, seq) = (push.prev, push.stored.seq);
        let (sender, answer) = oneshot::channel();
        let pending = Pending {
            kept: Kept::new(push.stored)?,
            answer: Some(sender),
        };
        let offer = {
            let mut shard = self.shard.borrow_mut();
            if shard.order.is_none() {
                // No subscribers here yet: nobody needs what came before.
                shard.start(prev);
            }
            shard
                .order
                .as_mut()
                .map(|order| order.offer(prev, seq, pending))
        };
        let delivered = match offer {
            Some(Offer::Deliver(ready)) => {
                self.deliver(ready);
                self.save_position().await?;
                answer.await.unwrap_or(0)
            }
            Some(Offer::Held) => {
                self.shard.borrow_mut().held_pushes += 1;
                match select(answer, Delay::from(GAP_WAIT)).await {
                    Either::Left((delivered, _)) => delivered.unwrap_or(0),
                    Either::Right((_, answer)) => {
                        let gap = self.shard.borrow().order.as_ref().and_then(Order::gap);
                        if gap.is_some() {
                            self.fill(name).await?;
                        }
                        answer.await.unwrap_or(0)
                    }
                }
            }
            Some(Offer::Full) => {
                // Not held: the root's buffer has it (it stores before it
                // pushes), so the fill delivers it.
                self.fill(name).await?;
                0
            }
            Some(Offer::Duplicate) | None => 0,
        };
        json(200, &serde_json::json!({ "delivered": delivered }))
    }

    /// Delivers released events in order: to every subscriber here, then
    /// into the buffer; each waiting push hears how many got its event.
    fn deliver(&self, ready: Vec<(u64, Pending)>) {
        let mut shard = self.shard.borrow_mut();
        for (_, pending) in ready {
            let encoded = &pending.kept.encoded;
            let delivered = self.subscribers.send(encoded)
                + HibernatingBroadcast::new(&self.state).send(encoded);
            if let Some(answer) = pending.answer {
                let _ = answer.send(delivered);
            }
            shard.keep(
                pending.kept,
                self.config.replay_max_events,
                self.config.replay_max_bytes,
            );
        }
    }

    /// Fills the gap after the last delivered event from the root's buffer.
    async fn fill(&self, name: &str) -> Result<()> {
        let Some(after) = self.shard.borrow().order.as_ref().map(Order::last) else {
            return Ok(());
        };
        let root: Replay = self.ask_root(name, Some(after), None).await?;
        let mut ready = Vec::new();
        {
            let mut shard = self.shard.borrow_mut();
            shard.filled_gaps += 1;
            let Some(order) = shard.order.as_mut() else {
                return Ok(());
            };
            if root.complete {
                let mut prev = after;
                for stored in root.events {
                    let seq = stored.seq;
                    let pending = Pending {
                        kept: Kept::new(stored)?,
                        answer: None,
                    };
                    if let Offer::Deliver(released) = order.offer(prev, seq, pending) {
                        ready.extend(released);
                    }
                    prev = seq;
                }
            } else {
                // What is missing has left the root's buffer too: the
                // subscribers here resume from their Last-Event-ID (getting
                // what the root still keeps), and the shard starts over at
                // the root's newest event.
                worker::console_error!(
                    "shard of {name}: events after {after} are gone; subscribers resume"
                );
                let released = order.reset(root.head);
                shard.buffer.clear();
                shard.buffer_bytes = 0;
                shard.floor = root.head;
                drop(shard);
                self.close_all();
                ready = released;
            }
        }
        self.deliver(ready);
        self.save_position().await
    }
}

fn encoded(events: Vec<Stored>) -> Result<Vec<EncodedEvent>> {
    events
        .into_iter()
        .map(|stored| Kept::new(stored).map(|kept| kept.encoded))
        .collect()
}
