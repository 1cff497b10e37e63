//! How a channel object reaches its own subscribers, chosen once
//! (`FANOUT`) for the object's life: every send, count and close goes
//! through this one value.

use std::time::Duration;

use ssekit::EncodedEvent;
use ssekit_workers::{Broadcast, HibernatingBroadcast};
use worker::{Response, Result, State};

use crate::config::{Config, FanOut};

pub enum Fanout {
    /// The object holds the subscribers' responses.
    Streams(Broadcast),
    /// The front Workers hold them and listen on hibernatable WebSockets;
    /// the runtime keeps the list, across hibernation too.
    WebSockets,
}

impl Fanout {
    pub fn new(config: &Config) -> Fanout {
        match config.fan_out {
            FanOut::Streams => Fanout::Streams(
                Broadcast::new()
                    .heartbeat(config.heartbeat)
                    .max_queued_bytes(config.subscriber_queue_bytes),
            ),
            FanOut::WebSockets => Fanout::WebSockets,
        }
    }

    /// A new subscriber whose stream starts with `opening`, registered
    /// before this returns (no event can fall between `opening` and the
    /// live ones); its stream ends after `lifetime`.
    pub fn subscribe(
        &self,
        state: &State,
        opening: Vec<EncodedEvent>,
        lifetime: Option<Duration>,
    ) -> Result<Response> {
        match self {
            Fanout::Streams(broadcast) => broadcast.subscribe_for(opening, lifetime),
            // The front Worker ends the stream at the end of its lifetime.
            Fanout::WebSockets => HibernatingBroadcast::new(state).accept(opening),
        }
    }

    /// Sends `event` to every subscriber; returns how many got it.
    pub fn send(&self, state: &State, event: &EncodedEvent) -> usize {
        match self {
            Fanout::Streams(broadcast) => broadcast.send(event),
            Fanout::WebSockets => HibernatingBroadcast::new(state).send(event),
        }
    }

    pub fn len(&self, state: &State) -> usize {
        match self {
            Fanout::Streams(broadcast) => broadcast.len(),
            Fanout::WebSockets => HibernatingBroadcast::new(state).len(),
        }
    }

    /// Ends every subscriber's stream after what it has queued; returns
    /// how many.
    pub fn close_all(&self, state: &State) -> usize {
        match self {
            Fanout::Streams(broadcast) => broadcast.close_all(),
            Fanout::WebSockets => HibernatingBroadcast::new(state).close_all(),
        }
    }
}
