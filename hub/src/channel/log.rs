//! The replay buffer: the newest events of a channel, bounded, and what a
//! subscriber resuming from a `Last-Event-ID` gets from it. One type for
//! the root (which also keeps it in storage) and for each shard (which
//! keeps what it delivered); no I/O, so its rules are tested exactly.
//!
//! Positions are sequence numbers: every event has one, they grow (not
//! always by one: a publisher's numeric id moves the counter), and an event
//! whose id is numeric has that number as its sequence number. The log
//! holds every event after its `floor`.

use std::collections::VecDeque;

use ssekit::EncodedEvent;

/// One event as the log keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub seq: u64,
    pub id: String,
    pub encoded: EncodedEvent,
}

/// Why a subscriber's resume point cannot be served exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    /// Events after it have left the buffer.
    TooOld,
    /// No event of this channel had that id (or it left the buffer and,
    /// not being a number, cannot be placed).
    Unknown,
}

impl Gap {
    /// The word the `reset` event's data carries.
    pub fn reason(self) -> &'static str {
        match self {
            Gap::TooOld => "too-old",
            Gap::Unknown => "unknown",
        }
    }
}

/// What a subscriber resuming from a `Last-Event-ID` gets.
#[derive(Debug, PartialEq)]
pub enum Resume {
    /// Every event after its position, in order (none: it is up to date).
    Exact(Vec<EncodedEvent>),
    /// Its position cannot be served: it is told so ([`Gap`]) first.
    Gap(Gap),
}

/// The newest events, within `max_events` and `max_bytes`.
#[derive(Debug)]
pub struct Log {
    entries: VecDeque<Entry>,
    bytes: usize,
    /// Every event after this sequence number is held.
    floor: u64,
    max_events: usize,
    max_bytes: usize,
}

impl Log {
    /// An empty log that holds everything after `floor`.
    pub fn new(floor: u64, max_events: usize, max_bytes: usize) -> Log {
        Log {
            entries: VecDeque::new(),
            bytes: 0,
            floor,
            max_events: max_events.max(1),
            max_bytes: max_bytes.max(1),
        }
    }

    /// Appends `entry` (its `seq` above every held one), evicting the
    /// oldest beyond the bounds, never the newest; returns the evicted
    /// sequence numbers.
    pub fn push(&mut self, entry: Entry) -> Vec<u64> {
        self.bytes += entry.encoded.len();
        self.entries.push_back(entry);
        let mut evicted = Vec::new();
        while self.entries.len() > 1
            && (self.entries.len() > self.max_events || self.bytes > self.max_bytes)
        {
            let Some(old) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= old.encoded.len();
            self.floor = old.seq;
            evicted.push(old.seq);
        }
        evicted
    }

    /// The newest event's sequence number (the floor when none is held).
    pub fn head(&self) -> u64 {
        self.entries.back().map_or(self.floor, |e| e.seq)
    }

    /// The id a new subscriber starts from: the newest event's, or the
    /// floor's number when there is none (`"0"` for a new channel), which
    /// [`resume`](Self::resume) places exactly.
    pub fn position(&self) -> String {
        self.entries
            .back()
            .map_or_else(|| self.floor.to_string(), |e| e.id.clone())
    }

    /// Every event has a sequence number at or below this one held, or
    /// gone: the lowest position [`after`](Self::after) serves.
    #[cfg(test)]
    pub fn floor(&self) -> u64 {
        self.floor
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// The events after sequence number `seq`, when the log holds all of
    /// them; `None` when some have left it.
    pub fn after(&self, seq: u64) -> Option<impl Iterator<Item = &Entry>> {
        (seq >= self.floor).then(|| self.entries.iter().filter(move |e| e.seq > seq))
    }

    /// What a subscriber whose last event ID is `last_id` gets: the events
    /// after the newest one with that id; for a number that is no held id,
    /// the events after that position when the log covers it; otherwise a
    /// gap, said.
    pub fn resume(&self, last_id: &str) -> Resume {
        if let Some(at) = self.entries.iter().rposition(|e| e.id == last_id) {
            let events = self.entries.iter().skip(at + 1);
            return Resume::Exact(events.map(|e| e.encoded.clone()).collect());
        }
        let Some(seen) = sequence_number(last_id) else {
            return Resume::Gap(Gap::Unknown);
        };
        if seen > self.head() {
            return Resume::Gap(Gap::Unknown); // a position this channel never had
        }
        match self.after(seen) {
            Some(events) => Resume::Exact(events.map(|e| e.encoded.clone()).collect()),
            None => Resume::Gap(Gap::TooOld),
        }
    }
}

/// The sequence number an id stands for: a number written as the hub
/// writes them (decimal digits, no sign, no leading zero), at most
/// [`MAX_ID`].
pub fn sequence_number(id: &str) -> Option<u64> {
    let canonical = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && (id == "0" || !id.starts_with('0'));
    canonical
        .then(|| id.parse::<u64>().ok())
        .flatten()
        .filter(|&n| n <= MAX_ID)
}

/// The sequence number and id of a publish given `next`, the next number:
/// the publisher's numeric id (strictly above every earlier one, at most
/// [`MAX_ID`]) or string id, or the next number; or why not (a 400).
pub fn assign(next: u64, id: Option<String>) -> std::result::Result<(u64, String), String> {
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

/// The largest numeric id: 2^53 − 1, the largest integer a JavaScript
/// client holds exactly.
pub const MAX_ID: u64 = (1 << 53) - 1;

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, id: &str) -> Entry {
        Entry {
            seq,
            id: id.to_string(),
            encoded: EncodedEvent::message(id),
        }
    }

    /// A log of ids `1..=n` (numeric, consecutive), holding at most `keep`.
    fn log(n: u64, keep: usize) -> Log {
        let mut log = Log::new(0, keep, usize::MAX);
        for seq in 1..=n {
            log.push(entry(seq, &seq.to_string()));
        }
        log
    }

    fn replay(resume: Resume) -> Vec<String> {
        match resume {
            Resume::Exact(events) => events
                .iter()
                .map(|e| {
                    e.as_str()
                        .trim_start_matches("data: ")
                        .trim_end()
                        .to_string()
                })
                .collect(),
            Resume::Gap(gap) => vec![format!("gap {}", gap.reason())],
        }
    }

    #[test]
    fn resume_points_are_served_exactly_or_said_to_be_a_gap() {
        let log = log(10, 4); // holds 7..=10, floor 6
        assert_eq!(log.floor(), 6);
        assert_eq!(replay(log.resume("8")), ["9", "10"]);
        assert_eq!(replay(log.resume("10")), Vec::<String>::new());
        assert_eq!(replay(log.resume("6")), ["7", "8", "9", "10"]); // the floor itself
        assert_eq!(replay(log.resume("5")), ["gap too-old"]);
        assert_eq!(replay(log.resume("0")), ["gap too-old"]);
        assert_eq!(replay(log.resume("11")), ["gap unknown"]); // from the future
        assert_eq!(replay(log.resume("order-7")), ["gap unknown"]);
        assert_eq!(replay(log.resume("08")), ["gap unknown"]); // not how ids are written
        assert_eq!(replay(log.resume("")), ["gap unknown"]);
    }

    #[test]
    fn string_ids_are_found_newest_first_and_numbers_place_between_events() {
        let mut log = Log::new(0, 10, usize::MAX);
        log.push(entry(1, "a"));
        log.push(entry(2, "b"));
        log.push(entry(3, "a")); // a publisher may repeat an id
        log.push(entry(10, "10")); // a numeric id moved the counter
        log.push(entry(11, "c"));
        assert_eq!(replay(log.resume("a")), ["10", "c"]);
        assert_eq!(replay(log.resume("b")), ["a", "10", "c"]);
        // 5 was never an id, but it is a position: after 3, before 10.
        assert_eq!(replay(log.resume("5")), ["10", "c"]);
        assert_eq!(replay(log.resume("0")), ["a", "b", "a", "10", "c"]);
    }

    #[test]
    fn a_new_channel_starts_at_zero_and_the_position_is_always_placeable() {
        let mut log = Log::new(0, 2, usize::MAX);
        assert_eq!(log.position(), "0");
        assert_eq!(replay(log.resume(&log.position())), Vec::<String>::new());
        log.push(entry(1, "x"));
        log.push(entry(2, "y"));
        log.push(entry(3, "z"));
        // The newest event is always held, so its id always resumes.
        assert_eq!(log.position(), "z");
        assert_eq!(replay(log.resume("z")), Vec::<String>::new());
        assert_eq!(replay(log.resume("0")), ["gap too-old"]);
    }

    #[test]
    fn bounds_evict_the_oldest_but_never_the_newest() {
        let mut log = Log::new(0, 100, 30);
        let big = |seq: u64| Entry {
            seq,
            id: seq.to_string(),
            encoded: EncodedEvent::message(&"x".repeat(20)),
        };
        assert_eq!(log.push(big(1)), Vec::<u64>::new());
        assert_eq!(log.push(big(2)), [1]); // 2 × 28 bytes > 30
        assert_eq!((log.len(), log.floor(), log.head()), (1, 1, 2));
        // One event over the byte bound stays: the newest is kept.
        let huge = Entry {
            seq: 3,
            id: "3".into(),
            encoded: EncodedEvent::message(&"x".repeat(100)),
        };
        assert_eq!(log.push(huge), [2]);
        assert_eq!(log.len(), 1);
        assert!(log.after(1).is_none());
        assert_eq!(log.after(2).map(|e| e.count()), Some(1));
    }

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
    fn ids_are_numbers_only_as_the_hub_writes_them() {
        assert_eq!(sequence_number("0"), Some(0));
        assert_eq!(sequence_number("42"), Some(42));
        assert_eq!(sequence_number("9007199254740991"), Some(MAX_ID));
        for not in [
            "",
            "-1",
            "+1",
            "01",
            "1.0",
            "1e3",
            " 1",
            "9007199254740992",
            "18446744073709551616",
        ] {
            assert_eq!(sequence_number(not), None, "{not:?}");
        }
    }
}
