//! A channel object in the shard role (`{name}#{k}`, `SHARDS` > 1): it
//! holds some of the channel's subscribers and writes to them what the
//! root pushes, on its own thread.
//!
//! Order comes from the root, which has one push in flight per shard; a
//! push says which event came before its first one, so a shard that lost
//! its memory, or started late, sees a gap and fills it from the root's
//! log. When the root no longer has what is missing, the shard's
//! subscribers get one `reset` event (the same one a subscriber resuming
//! from too old an id gets) and carry on.
//!
//! Position: a shard starts at the first push it gets (nobody here needed
//! anything before it) or at the root's newest event when a subscriber
//! comes first. With hibernatable subscribers (`FANOUT = "websockets"`)
//! the shard can be evicted from memory while their sockets stay open, so
//! it keeps its position in storage while it has any; an alarm
//! `SHARD_IDLE_MS` after the last one left deletes it.

use std::cell::RefCell;

use futures_util::lock::Mutex;
use worker::{Headers, Method, Request, Response, Result};

mod resume;

use super::log::{Entry, Gap, Log};
use super::wire::{Op, Push, Pushed, Replay, Role};
use super::{reset, Ctx};
use crate::config::FanOut;
use crate::reply::{error, json};

/// Where a shard with hibernatable subscribers keeps its position.
const POSITION_KEY: &str = "shard_position";

pub struct Shard {
    channel: String,
    index: u32,
    inner: RefCell<Inner>,
    /// Pushes and fills apply one at a time.
    applying: Mutex<()>,
}

struct Inner {
    /// What this shard delivered, from its start; `None` until it has a
    /// position.
    log: Option<Log>,
    filled_gaps: u64,
    resets: u64,
    /// Position writes (what storage bills), for stats.
    keys_written: u64,
    /// The position last written, so that it is written once per change.
    saved: Option<u64>,
}

/// What a shard does with a push, given the last event it delivered.
#[derive(Debug, PartialEq, Eq)]
enum Admit {
    /// Deliver the push's events from this index on (the ones before it
    /// were delivered already).
    From(usize),
    /// Events between the last delivered one and the push are missing.
    Fill,
}

/// The decision for a push that follows `prev` with events `seqs`, when
/// the last delivered event is `head`.
fn admit(head: u64, prev: u64, seqs: &[u64]) -> Admit {
    if prev == head {
        return Admit::From(0);
    }
    if let Some(at) = seqs.iter().position(|&seq| seq == head) {
        return Admit::From(at + 1); // a push sent again after a lost answer
    }
    if seqs.last().is_some_and(|&last| last < head) {
        return Admit::From(seqs.len()); // all delivered already
    }
    Admit::Fill
}

impl Shard {
    pub fn new(_ctx: &Ctx, channel: &str, index: u32) -> Shard {
        Shard {
            channel: channel.to_string(),
            index,
            inner: RefCell::new(Inner {
                log: None,
                filled_gaps: 0,
                resets: 0,
                keys_written: 0,
                saved: None,
            }),
            applying: Mutex::new(()),
        }
    }

    pub async fn fetch(&self, ctx: &Ctx<'_>, op: Op, mut req: Request) -> Result<Response> {
        self.wake(ctx).await?;
        match op {
            Op::Subscribe => match ctx.full()? {
                Some(full) => Ok(full),
                None => self.subscribe(ctx, &req).await,
            },
            Op::Push => {
                let push: Push = req.json().await?;
                let delivered = self.push(ctx, push).await?;
                Response::from_json(&Pushed { delivered })
            }
            Op::CatchUp { head } => {
                let behind = self.head().is_some_and(|mine| mine < head);
                if behind {
                    let _applying = self.applying.lock().await;
                    self.fill(ctx).await?;
                }
                json(200, &serde_json::json!({ "head": self.head() }))
            }
            Op::Stats => self.stats(ctx).await,
            Op::Disconnect => json(
                200,
                &serde_json::json!({ "disconnected": ctx.fanout.close_all(ctx.state) }),
            ),
            Op::Publish | Op::Fill { .. } | Op::Resume | Op::Restart => {
                error(404, "not an operation of a channel's shard")
            }
        }
    }

    fn head(&self) -> Option<u64> {
        self.inner.borrow().log.as_ref().map(Log::head)
    }

    /// Starts at `head` with nothing kept.
    fn start(&self, ctx: &Ctx, head: u64) {
        let config = ctx.config;
        self.inner.borrow_mut().log = Some(Log::new(
            head,
            config.replay_max_events,
            config.replay_max_bytes,
        ));
    }

    /// A shard woken with hibernated subscribers (and no memory) takes up
    /// its stored position; without one, its subscribers resume instead.
    async fn wake(&self, ctx: &Ctx<'_>) -> Result<()> {
        if self.head().is_some() || ctx.fanout.len(ctx.state) == 0 {
            return Ok(());
        }
        let stored: Option<u64> = ctx.state.storage().get(POSITION_KEY).await?;
        if self.head().is_some() {
            return Ok(()); // another request woke it while this one waited
        }
        match stored {
            Some(head) => self.start(ctx, head),
            None => {
                ctx.fanout.close_all(ctx.state);
            }
        }
        Ok(())
    }

    /// Keeps the position in storage while hibernatable subscribers could
    /// outlive this object's memory.
    async fn save_position(&self, ctx: &Ctx<'_>) -> Result<()> {
        if ctx.config.fan_out != FanOut::WebSockets || ctx.fanout.len(ctx.state) == 0 {
            return Ok(());
        }
        let head = self.head();
        if head.is_some() && head != self.inner.borrow().saved {
            ctx.state.storage().put(POSITION_KEY, head).await?;
            let mut inner = self.inner.borrow_mut();
            inner.keys_written += 1;
            inner.saved = head;
        }
        Ok(())
    }

    /// Applies a push: delivers what follows the last delivered event,
    /// after filling a gap from the root; returns how many subscribers got
    /// each of the push's events.
    async fn push(&self, ctx: &Ctx<'_>, push: Push) -> Result<Vec<usize>> {
        let _applying = self.applying.lock().await;
        if self.head().is_none() {
            // No subscribers here yet: nobody needs what came before.
            self.start(ctx, push.prev);
        }
        let seqs: Vec<u64> = push.events.iter().map(|e| e.seq).collect();
        let mut delivered = vec![0; seqs.len()];
        let head = self.head().unwrap_or(push.prev);
        let from = match admit(head, push.prev, &seqs) {
            Admit::From(from) => from,
            Admit::Fill => {
                // The root stores before it pushes: its log has the gap and
                // this push's events too.
                self.fill(ctx).await?;
                let head = self.head().unwrap_or(push.prev);
                seqs.iter()
                    .position(|&seq| seq > head)
                    .unwrap_or(seqs.len())
            }
        };
        for (at, wire) in push.events.into_iter().enumerate().skip(from) {
            delivered[at] = self.deliver(ctx, wire.try_into()?);
        }
        self.save_position(ctx).await?;
        Ok(delivered)
    }

    /// Sends one event to every subscriber here and keeps it.
    fn deliver(&self, ctx: &Ctx, entry: Entry) -> usize {
        let count = ctx.fanout.send(ctx.state, &entry.encoded);
        if let Some(log) = self.inner.borrow_mut().log.as_mut() {
            log.push(entry);
        }
        count
    }

    /// Fills what is missing after the last delivered event from the
    /// root's log; when the root no longer has it, says so with a reset.
    async fn fill(&self, ctx: &Ctx<'_>) -> Result<()> {
        let Some(after) = self.head() else {
            return Ok(());
        };
        let root = self.ask_root(ctx, Op::Fill { after }, None).await?;
        self.inner.borrow_mut().filled_gaps += 1;
        if root.complete {
            for wire in root.events {
                if self.head().is_some_and(|head| wire.seq > head) {
                    self.deliver(ctx, wire.try_into()?);
                }
            }
            return self.save_position(ctx).await;
        }
        worker::console_error!(
            "shard {} of {}: events after {after} are gone; its subscribers get a reset",
            self.index,
            self.channel
        );
        self.inner.borrow_mut().resets += 1;
        let event = reset(
            ctx.config,
            Gap::TooOld,
            &root.position,
            root.first_id.as_deref(),
        )?;
        ctx.fanout.send(ctx.state, &event);
        if ctx.config.reset_tail {
            self.start(
                ctx,
                root.events
                    .first()
                    .map_or(root.head, |e| e.seq.saturating_sub(1)),
            );
            for wire in root.events {
                self.deliver(ctx, wire.try_into()?);
            }
        } else {
            self.start(ctx, root.head);
        }
        self.save_position(ctx).await
    }

    async fn ask_root(&self, ctx: &Ctx<'_>, op: Op, resume: Option<&str>) -> Result<Replay> {
        let headers = Headers::new();
        if let Some(id) = resume {
            headers.set("Last-Event-ID", id)?;
        }
        let mut answer = op
            .send(
                ctx.env,
                &self.channel,
                Role::Root,
                Method::Get,
                &headers,
                None,
            )
            .await?;
        if answer.status_code() != 200 {
            return Err(worker::Error::RustError(format!(
                "channel {}: the root answered {}",
                self.channel,
                answer.status_code()
            )));
        }
        answer.json().await
    }

    async fn stats(&self, ctx: &Ctx<'_>) -> Result<Response> {
        let stored_keys = ctx.state.storage().list().await?.size();
        let inner = self.inner.borrow();
        json(
            200,
            &serde_json::json!({
                "shard": self.index,
                "instance": ctx.instance,
                "subscribers": ctx.fanout.len(ctx.state),
                "delivered_seq": inner.log.as_ref().map(Log::head),
                "buffered_events": inner.log.as_ref().map_or(0, Log::len),
                "filled_gaps": inner.filled_gaps,
                "resets": inner.resets,
                "stored_keys": stored_keys,
                "storage_keys_written": inner.keys_written,
            }),
        )
    }
}

/// The idle alarm: a shard without subscribers forgets its stored
/// position (it starts afresh from the root for the next subscriber), so
/// subscribing to random channel names leaves no storage behind.
pub async fn idle(ctx: &Ctx<'_>) -> Result<()> {
    if ctx.fanout.len(ctx.state) > 0 {
        return Ok(()); // the last one to leave sets the alarm again
    }
    ctx.state.storage().delete(POSITION_KEY).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_follow_the_last_delivered_event_or_ask_for_a_fill() {
        // In order.
        assert_eq!(admit(5, 5, &[6, 7]), Admit::From(0));
        // Sent again after its answer was lost: only what is new.
        assert_eq!(admit(6, 5, &[6, 7]), Admit::From(1));
        assert_eq!(admit(7, 5, &[6, 7]), Admit::From(2));
        assert_eq!(admit(9, 5, &[6, 7]), Admit::From(2));
        // Numbers jump (a numeric id moved the counter): prev chains them.
        assert_eq!(admit(2, 2, &[10, 11]), Admit::From(0));
        // Something came before this push that never arrived.
        assert_eq!(admit(5, 6, &[7]), Admit::Fill);
        // A position off the chain (between two events): the root decides.
        assert_eq!(admit(6, 5, &[7, 8]), Admit::Fill);
    }
}
