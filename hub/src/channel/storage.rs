//! The root's storage: `meta` = `{"next_seq": n, "channel": name}`, and
//! one key per kept event, `e:<seq, 20 digits>` = `{"seq", "id", "text"}`
//! (the encoded event, sent on as it is). A publish writes its event and
//! `meta` together, so a restarted root comes back with the same log and
//! never reuses an id.

use serde::{Deserialize, Serialize};
use ssekit::{EncodedEvent, Event};
use worker::{Result, State};

use super::log::Entry;
use super::wire::WireEntry;
use super::Ctx;

const META_KEY: &str = "meta";

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

/// The next sequence number and the kept events, oldest first.
pub async fn load(state: &State) -> Result<(u64, Vec<Entry>)> {
    let storage = state.storage();
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
        let text = pair.get(1).as_string().unwrap_or_default();
        let record: Record = serde_json::from_str(&text)?;
        let seq = record.seq;
        match record.entry() {
            Some(entry) => entries.push(entry),
            // Only ever written after encoding succeeded; skip rather than
            // let one damaged record stop the channel.
            None => worker::console_error!("channel: skipping stored event {seq}"),
        }
    }
    entries.sort_by_key(|e| e.seq);
    let last = entries.last().map_or(0, |e| e.seq);
    Ok((meta.map_or(1, |m| m.next_seq).max(last + 1), entries))
}

/// Writes `entry` and the counter after it in one `put_multiple`.
pub async fn store(state: &State, channel: &str, entry: &Entry) -> Result<()> {
    let meta = Meta {
        next_seq: entry.seq + 1,
        channel: Some(channel.to_string()),
    };
    let writes = js_sys::Object::new();
    let record = serde_json::to_string(&WireEntry::from(entry))?;
    js_sys::Reflect::set(&writes, &event_key(entry.seq).into(), &record.into())?;
    let meta = serde_json::to_string(&meta)?;
    js_sys::Reflect::set(&writes, &META_KEY.into(), &meta.into())?;
    state.storage().put_multiple_raw(writes).await
}

/// Deletes the events that left the log.
pub async fn evict(state: &State, seqs: &[u64]) -> Result<()> {
    let keys: Vec<String> = seqs.iter().map(|&seq| event_key(seq)).collect();
    state.storage().delete_multiple(keys).await.map(|_| ())
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

fn event_key(seq: u64) -> String {
    format!("e:{seq:020}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
