//! The root's pushes to its shards. Per shard, one push is in flight at a
//! time and what is published meanwhile goes in the next one, so a shard
//! gets the events in order by construction. A push that fails is sent
//! again, with a short backoff, until the shard has it (and the root's
//! alarm catches a shard up should the root itself go away meanwhile), so
//! every acknowledged event reaches every shard's subscribers promptly.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use futures_channel::oneshot;
use worker::{Delay, Env, Headers, Method};

use super::log::Entry;
use super::wire::{Op, Push, Pushed, Role, WireEntry};
use crate::config::Faults;

/// The shards of one channel and what is on its way to each.
pub struct Outbox {
    env: Env,
    channel: String,
    faults: Faults,
    shards: Vec<RefCell<Queue>>,
    /// Pushes attempted, for the fault that fails every n-th.
    attempts: RefCell<u64>,
}

#[derive(Default)]
struct Queue {
    /// The sequence number of the event before the first queued one.
    prev: u64,
    events: Vec<(Entry, Option<oneshot::Sender<Option<usize>>>)>,
    busy: bool,
}

impl Outbox {
    pub fn new(env: Env, channel: String, shards: u32, faults: Faults) -> Rc<Outbox> {
        Rc::new(Outbox {
            env,
            channel,
            faults,
            shards: (0..shards).map(|_| RefCell::default()).collect(),
            attempts: RefCell::new(0),
        })
    }

    /// Queues `entry`, published right after `prev`, for every shard and
    /// starts the pushes that are not running; the receivers hear how many
    /// of each shard's subscribers got it (`None` when a first attempt
    /// failed: it is retried all the same).
    pub fn send(
        self: &Rc<Self>,
        prev: u64,
        entry: &Entry,
    ) -> Vec<oneshot::Receiver<Option<usize>>> {
        let mut answers = Vec::new();
        for (k, queue) in self.shards.iter().enumerate() {
            let (sender, answer) = oneshot::channel();
            answers.push(answer);
            let start = {
                let mut queue = queue.borrow_mut();
                if queue.events.is_empty() && !queue.busy {
                    queue.prev = prev;
                }
                queue.events.push((entry.clone(), Some(sender)));
                !std::mem::replace(&mut queue.busy, true)
            };
            if start {
                let this = Rc::clone(self);
                worker::wasm_bindgen_futures::spawn_local(async move { this.pump(k).await });
            }
        }
        answers
    }

    /// Sends shard `k`'s queue, one push at a time, until it is empty.
    async fn pump(self: Rc<Self>, k: usize) {
        let mut failures = 0u32;
        loop {
            let (prev, mut batch) = {
                let mut queue = self.shards[k].borrow_mut();
                if queue.events.is_empty() {
                    queue.busy = false;
                    return;
                }
                (queue.prev, std::mem::take(&mut queue.events))
            };
            let push = Push {
                prev,
                events: batch
                    .iter()
                    .map(|(entry, _)| WireEntry::from(entry))
                    .collect(),
            };
            let last = batch.last().map_or(prev, |(entry, _)| entry.seq);
            loop {
                match self.push(k as u32, &push).await {
                    Ok(pushed) => {
                        for ((_, answer), count) in batch.iter_mut().zip(pushed.delivered) {
                            if let Some(answer) = answer.take() {
                                let _ = answer.send(Some(count));
                            }
                        }
                        break;
                    }
                    Err(e) => {
                        failures += 1;
                        worker::console_error!(
                            "channel {}: push to shard {k} failed (attempt {failures}): {e}",
                            self.channel
                        );
                        // The publishes waiting on it answer now; the
                        // events still go out.
                        for (_, answer) in batch.iter_mut() {
                            if let Some(answer) = answer.take() {
                                let _ = answer.send(None);
                            }
                        }
                        Delay::from(backoff(failures)).await;
                    }
                }
            }
            failures = 0;
            self.shards[k].borrow_mut().prev = last;
        }
    }

    async fn push(&self, k: u32, push: &Push) -> worker::Result<Pushed> {
        let attempt = {
            let mut attempts = self.attempts.borrow_mut();
            *attempts += 1;
            *attempts
        };
        if !self.faults.push_jitter.is_zero() {
            Delay::from(self.faults.push_jitter.mul_f64(js_sys::Math::random())).await;
        }
        if self.faults.fails_push(attempt) {
            return Err(worker::Error::RustError("injected push failure".into()));
        }
        let body = serde_json::to_string(push)?;
        let mut answer = Op::Push
            .send(
                &self.env,
                &self.channel,
                Role::Shard(k),
                Method::Post,
                &Headers::new(),
                Some(body.into()),
            )
            .await?;
        if answer.status_code() != 200 {
            return Err(worker::Error::RustError(format!(
                "shard answered {}",
                answer.status_code()
            )));
        }
        answer.json().await
    }
}

/// The wait before attempt `failures + 1`: 25 ms doubling to 400 ms, so
/// that a shard that is back gets what it missed within a second.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(25 << failures.saturating_sub(1).min(4))
}
