//! A shard's subscribers: where each one's stream starts, from the shard's
//! own log or from the root's answer combined with what the shard has
//! delivered since.

use ssekit::EncodedEvent;
use worker::{Request, Response, Result};

use super::super::log::{Entry, Gap, Resume};
use super::super::wire::{Op, Replay};
use super::super::{lifetime, opening, Ctx};
use super::Shard;
use crate::reply::error;

impl Shard {
    pub(super) async fn subscribe(&self, ctx: &Ctx<'_>, req: &Request) -> Result<Response> {
        let resume = req.headers().get("Last-Event-ID")?;
        let lifetime = lifetime(req)?;
        // The root's answer may come back behind or ahead of what this
        // shard delivered meanwhile: catch up or ask again.
        for _ in 0..3 {
            if let Some(opening) = self.local_opening(ctx, resume.as_deref())? {
                return self.register(ctx, opening, lifetime).await;
            }
            let root = self.ask_root(ctx, Op::Resume, resume.as_deref()).await?;
            if let Some(opening) = self.with_root(ctx, resume.as_deref(), root)? {
                return self.register(ctx, opening, lifetime).await;
            }
            let _applying = self.applying.lock().await;
            self.fill(ctx).await?;
        }
        error(503, "the channel moved on too fast to resume; retry")
    }

    /// The opening this shard can give on its own: a new subscriber starts
    /// at its position; a resume point its log covers gets its events.
    fn local_opening(&self, ctx: &Ctx, resume: Option<&str>) -> Result<Option<Vec<EncodedEvent>>> {
        let inner = self.inner.borrow();
        let Some(log) = &inner.log else {
            return Ok(None);
        };
        match resume.map(|id| log.resume(id)) {
            None => Ok(Some(opening(
                ctx.config,
                None,
                &log.position(),
                None,
                Vec::new,
            )?)),
            Some(Resume::Exact(events)) => Ok(Some(events)),
            Some(Resume::Gap(_)) => Ok(None), // the root may know it
        }
    }

    /// The opening from the root's answer and what this shard delivered;
    /// `None` when the shard must catch up first.
    fn with_root(
        &self,
        ctx: &Ctx,
        resume: Option<&str>,
        root: Replay,
    ) -> Result<Option<Vec<EncodedEvent>>> {
        if self.head().is_none() {
            self.start(ctx, root.head); // later events reach it as pushes
        }
        let inner = self.inner.borrow();
        let Some(log) = &inner.log else {
            return Ok(None);
        };
        let head = log.head();
        if root.head > head && root.gap.is_none() {
            return Ok(None); // the subscriber may be ahead of this shard
        }
        let mut events: Vec<Entry> = Vec::new();
        for wire in root.events {
            if wire.seq <= head {
                events.push(wire.try_into()?);
            }
        }
        // This shard may be ahead of the root's answer: its own log has
        // the rest, or the answer is asked for again.
        if root.head < head {
            match log.after(root.head) {
                Some(newer) => events.extend(newer.cloned()),
                None => return Ok(None),
            }
        }
        let encoded = move || events.into_iter().map(|e| e.encoded).collect::<Vec<_>>();
        let answer = match (&root.gap, resume) {
            (None, None) => None,
            (None, Some(_)) => Some(Resume::Exact(encoded())),
            (Some(reason), Some(_)) => {
                let gap = if reason == Gap::TooOld.reason() {
                    Gap::TooOld
                } else {
                    Gap::Unknown
                };
                let kept = encoded;
                return Ok(Some(opening(
                    ctx.config,
                    Some(Resume::Gap(gap)),
                    &log.position(),
                    root.first_id.as_deref(),
                    kept,
                )?));
            }
            (Some(_), None) => None,
        };
        Ok(Some(opening(
            ctx.config,
            answer,
            &log.position(),
            None,
            Vec::new,
        )?))
    }

    /// Registers a subscriber with its opening; no await before it is in.
    async fn register(
        &self,
        ctx: &Ctx<'_>,
        opening: Vec<EncodedEvent>,
        lifetime: Option<std::time::Duration>,
    ) -> Result<Response> {
        let response = ctx.fanout.subscribe(ctx.state, opening, lifetime)?;
        self.save_position(ctx).await?;
        Ok(response)
    }
}
