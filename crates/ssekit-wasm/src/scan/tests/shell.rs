//! The JavaScript shell, played in Rust: what the package's JavaScript does
//! with the records, with `encoding_rs` (the WHATWG decoder) standing in for
//! `TextDecoder` and `Vec<u16>` for JavaScript strings.

pub use ssekit_test_support::Seen;

use crate::scan::record::{self, NONE};
use crate::scan::{capacity_for, Scanner};

pub struct Shell {
    decoder: encoding_rs::Decoder,
    carry: Vec<u16>,
    /// The block: data lines, event type, id.
    data: Vec<Vec<u16>>,
    event_type: Vec<u16>,
    id: Vec<u16>,
    pub last_event_id: Vec<u16>,
    pub seen: Vec<Seen>,
}

/// A new `TextDecoder("utf-8", { ignoreBOM: true })`.
fn decoder() -> encoding_rs::Decoder {
    encoding_rs::UTF_8.new_decoder_without_bom_handling()
}

fn string(units: &[u16]) -> String {
    String::from_utf16(units).expect("a slice cut a surrogate pair")
}

impl Shell {
    pub fn new() -> Shell {
        Shell {
            decoder: decoder(),
            carry: Vec::new(),
            data: Vec::new(),
            event_type: Vec::new(),
            id: Vec::new(),
            last_event_id: Vec::new(),
            seen: Vec::new(),
        }
    }

    /// `decoder.decode(bytes, { stream: true })`.
    fn decode(&mut self, bytes: &[u8]) -> Vec<u16> {
        let room = self
            .decoder
            .max_utf16_buffer_length(bytes.len())
            .expect("small input");
        let mut text = vec![0; room];
        let (result, read, written, _) = self.decoder.decode_to_utf16(bytes, &mut text, false);
        assert_eq!(result, encoding_rs::CoderResult::InputEmpty);
        assert_eq!(read, bytes.len());
        text.truncate(written);
        text
    }

    fn clear_block(&mut self) {
        self.data.clear();
        self.event_type.clear();
        self.id.clear();
    }

    /// One chunk: scan it, decode it, apply the records, keep the carry.
    pub fn feed(&mut self, scanner: &mut Scanner, chunk: &[u8]) {
        // A chunk the shell could have held back (no line end, within the
        // quiet room): it must write nothing, and take exactly its length
        // from the room, so that any run of such chunks is quiet too.
        let room = scanner.quiet_room();
        let quiet = chunk.len() <= room && !chunk.iter().any(|&b| b == b'\n' || b == b'\r');
        let capacity = capacity_for(chunk.len());
        // Room to spare, to see that the scanner never needs it.
        let mut words = vec![0; capacity + 8];
        let fed = scanner
            .feed(chunk, &mut words)
            .expect("a buffer of capacity_for words");
        assert!(
            fed.words <= capacity,
            "{} words for {} bytes",
            fed.words,
            chunk.len()
        );
        if quiet {
            assert_eq!(fed.words, 0, "records for a chunk within the quiet room");
            assert_eq!(
                scanner.quiet_room(),
                room - chunk.len(),
                "quiet room after a quiet chunk"
            );
        }
        let mut t = std::mem::take(&mut self.carry);
        t.extend(self.decode(chunk));
        let slice = |a: u32, b: u32| -> Vec<u16> {
            let (a, b) = (a as usize, b as usize);
            assert!(a <= b && b <= t.len(), "slice {a}..{b} of {}", t.len());
            t[a..b].to_vec()
        };
        let mut rest = &words[..fed.words];
        while let Some(&tag) = rest.first() {
            let len = record::words(tag);
            assert!(len > 0 && len <= rest.len(), "bad record at {rest:?}");
            let (rec, after) = rest.split_at(len);
            rest = after;
            match tag {
                record::MESSAGE => {
                    assert!(
                        self.data.is_empty() && self.event_type.is_empty() && self.id.is_empty()
                    );
                    let data = string(&slice(rec[1], rec[2]));
                    self.seen.push(Seen::Message {
                        event_type: "message".into(),
                        data,
                        last_event_id: string(&self.last_event_id),
                    });
                }
                record::DATA => self.data.push(slice(rec[1], rec[2])),
                record::EVENT => self.event_type = slice(rec[1], rec[2]),
                record::ID => self.id = slice(rec[1], rec[2]),
                record::DISPATCH => {
                    let flags = rec[1];
                    assert_eq!(flags & !(record::HAS_DATA | record::HAS_ID), 0);
                    if flags & record::HAS_ID != 0 {
                        self.last_event_id = self.id.clone();
                    }
                    if flags & record::HAS_DATA != 0 {
                        let event_type = if self.event_type.is_empty() {
                            "message".into()
                        } else {
                            string(&self.event_type)
                        };
                        self.seen.push(Seen::Message {
                            event_type,
                            data: string(&self.data.join(&10)),
                            last_event_id: string(&self.last_event_id),
                        });
                    }
                    self.clear_block();
                }
                record::TOO_LARGE => {
                    self.clear_block();
                    self.seen.push(Seen::TooLarge);
                }
                record::RETRY => {
                    self.seen
                        .push(Seen::Retry(u64::from(rec[1]) | u64::from(rec[2]) << 32));
                }
                record::COMMENT => self
                    .seen
                    .push(Seen::Comment(string(&slice(rec[1], rec[2])))),
                _ => unreachable!(),
            }
        }
        self.carry = if fed.carry_from == NONE {
            Vec::new()
        } else {
            let from = fed.carry_from as usize;
            assert!(from <= t.len(), "carry from {from} of {}", t.len());
            t.split_off(from)
        };
        // The carry is the open line's text, no more.
        assert!(
            !self.carry.contains(&10) && !self.carry.contains(&13),
            "carry {:?}",
            string(&self.carry)
        );
    }

    /// The end of a body: a new decoder, no carry, no block.
    pub fn finish(&mut self, scanner: &mut Scanner) {
        self.seen.push(Seen::Finish(scanner.finish()));
        self.decoder = decoder();
        self.carry.clear();
        self.clear_block();
    }
}
