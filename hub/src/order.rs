//! The order in which a shard delivers the events its channel's root
//! object pushes to it: a state machine with no I/O, so that its behaviour
//! is tested natively and exactly.
//!
//! Every event carries its sequence number and the sequence number of the
//! event published before it (`prev`; 0 for the first). Sequence numbers
//! grow but need not be consecutive (a numeric id moves the counter), so
//! `prev` is what chains them. A shard that has delivered up to `last`
//! delivers an event whose `prev` is `last`, then any held successors; holds
//! an event from further ahead (its predecessor is still on the way); and
//! drops an event it has delivered or holds already.

use std::collections::BTreeMap;

/// What became of an offered event.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer<T> {
    /// Deliver these now, in this order (the offered event first, then the
    /// held successors it releases): `(seq, item)`.
    Deliver(Vec<(u64, T)>),
    /// Kept until its predecessors come; [`Order::gap`] is now `Some`.
    Held,
    /// Delivered or held already: drop it.
    Duplicate,
    /// Not delivered, and no more can be held: the caller fills the gap
    /// from the root (or starts over with [`Order::reset`]).
    Full,
}

/// Delivered position and held events of one shard.
#[derive(Debug)]
pub struct Order<T> {
    /// The sequence number of the last event delivered.
    last: u64,
    /// Events from ahead, by their `prev`: `(seq, item)`.
    held: BTreeMap<u64, (u64, T)>,
    max_held: usize,
}

impl<T> Order<T> {
    /// Delivered up to `last`; holds at most `max_held` events.
    pub fn new(last: u64, max_held: usize) -> Self {
        Order {
            last,
            held: BTreeMap::new(),
            max_held: max_held.max(1),
        }
    }

    /// The sequence number of the last event delivered.
    pub fn last(&self) -> u64 {
        self.last
    }

    /// `(after, before)`: the events missing between the last delivered
    /// one and the first held one, when any event is held.
    pub fn gap(&self) -> Option<(u64, u64)> {
        self.held
            .values()
            .map(|&(seq, _)| seq)
            .min()
            .map(|first| (self.last, first))
    }

    /// How many events are held.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// The event `seq`, published right after `prev`.
    pub fn offer(&mut self, prev: u64, seq: u64, item: T) -> Offer<T> {
        if seq <= self.last || self.held.values().any(|&(held, _)| held == seq) {
            return Offer::Duplicate;
        }
        if prev == self.last {
            self.last = seq;
            let mut ready = vec![(seq, item)];
            ready.extend(self.release());
            return Offer::Deliver(ready);
        }
        if prev < self.last {
            // `last` lies strictly between two consecutive events: this
            // shard's position came from elsewhere than the chain. Only the
            // root can say what follows `last`.
            return Offer::Full;
        }
        if self.held.len() >= self.max_held {
            return Offer::Full;
        }
        self.held.insert(prev, (seq, item));
        Offer::Held
    }

    /// Starts over at `last` (after a fill from the root that did not
    /// connect, or a fresh start): held events at or before it are dropped,
    /// the ones that now follow are returned for delivery.
    pub fn reset(&mut self, last: u64) -> Vec<(u64, T)> {
        self.last = last;
        self.held.retain(|_, &mut (seq, _)| seq > last);
        self.release()
    }

    /// Held events that now follow the last delivered one, in order.
    fn release(&mut self) -> Vec<(u64, T)> {
        let mut ready = Vec::new();
        while let Some((seq, item)) = self.held.remove(&self.last) {
            self.last = seq;
            ready.push((seq, item));
        }
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Offers `(prev, seq)` pairs in turn; returns what each offer did, as
    /// the delivered sequence numbers, "held", "dup" or "full".
    fn run(order: &mut Order<u64>, offers: &[(u64, u64)]) -> Vec<String> {
        offers
            .iter()
            .map(|&(prev, seq)| match order.offer(prev, seq, seq) {
                Offer::Deliver(ready) => {
                    assert!(ready.iter().all(|(seq, item)| seq == item));
                    format!(
                        "{:?}",
                        ready.iter().map(|(seq, _)| *seq).collect::<Vec<_>>()
                    )
                }
                Offer::Held => "held".into(),
                Offer::Duplicate => "dup".into(),
                Offer::Full => "full".into(),
            })
            .collect()
    }

    #[test]
    fn in_order_events_go_out_at_once() {
        let mut order = Order::new(0, 8);
        assert_eq!(
            run(&mut order, &[(0, 1), (1, 2), (2, 3)]),
            ["[1]", "[2]", "[3]"]
        );
        assert_eq!(order.last(), 3);
        assert_eq!(order.gap(), None);
    }

    #[test]
    fn out_of_order_events_are_held_then_released_in_order() {
        let mut order = Order::new(0, 8);
        // Sequence numbers jump (a numeric id moved the counter): 1, 2, 10, 11.
        assert_eq!(
            run(&mut order, &[(10, 11), (2, 10), (1, 2)]),
            ["held", "held", "held"]
        );
        assert_eq!(order.gap(), Some((0, 2)));
        assert_eq!(order.held(), 3);
        assert_eq!(run(&mut order, &[(0, 1)]), ["[1, 2, 10, 11]"]);
        assert_eq!((order.last(), order.gap(), order.held()), (11, None, 0));
    }

    #[test]
    fn a_release_stops_at_the_next_gap() {
        let mut order = Order::new(5, 8);
        assert_eq!(
            run(&mut order, &[(7, 8), (9, 10), (5, 6), (6, 7)]),
            ["held", "held", "[6]", "[7, 8]"]
        );
        assert_eq!(order.gap(), Some((8, 10)));
        assert_eq!(run(&mut order, &[(8, 9)]), ["[9, 10]"]);
    }

    #[test]
    fn duplicates_are_dropped_delivered_or_held() {
        let mut order = Order::new(0, 8);
        assert_eq!(
            run(
                &mut order,
                &[(0, 1), (0, 1), (2, 3), (2, 3), (1, 2), (2, 3), (1, 2)]
            ),
            ["[1]", "dup", "held", "dup", "[2, 3]", "dup", "dup"]
        );
    }

    #[test]
    fn the_hold_is_bounded() {
        let mut order = Order::new(0, 2);
        assert_eq!(
            run(&mut order, &[(1, 2), (2, 3), (3, 4)]),
            ["held", "held", "full"]
        );
        assert_eq!(order.last(), 0);
        // The root fills 1..=3; what it sends connects, the rest follows.
        assert_eq!(run(&mut order, &[(0, 1)]), ["[1, 2, 3]"]);
        assert_eq!(run(&mut order, &[(3, 4)]), ["[4]"]);
    }

    #[test]
    fn a_position_off_the_chain_asks_for_the_root() {
        // Delivered up to 5 by a reset, but 4 is followed by 7 on the chain.
        let mut order = Order::new(5, 8);
        assert_eq!(run(&mut order, &[(4, 7)]), ["full"]);
    }

    #[test]
    fn reset_drops_what_it_passes_and_releases_what_follows() {
        let mut order = Order::new(0, 8);
        assert_eq!(
            run(&mut order, &[(2, 3), (3, 4), (6, 7)]),
            ["held", "held", "held"]
        );
        let released: Vec<u64> = order.reset(3).into_iter().map(|(seq, _)| seq).collect();
        assert_eq!(released, [4]);
        assert_eq!((order.last(), order.gap()), (4, Some((4, 7))));
        assert!(order.reset(9).is_empty());
        assert_eq!((order.last(), order.held()), (9, 0));
    }
}
