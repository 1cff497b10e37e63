//! What JavaScript's `TextDecoder` makes of bytes, counted without decoding.
//!
//! The scanner needs two lengths of the text the WHATWG UTF-8 decoder emits:
//! in UTF-16 code units, where JavaScript slices, and in UTF-8 bytes, which
//! the event size limit counts (as `ssekit::Parser` does). The decoder emits
//! one U+FFFD REPLACEMENT CHARACTER (one unit, three bytes) for each maximal
//! invalid subpart of the input, holds an incomplete sequence back until the
//! bytes after it decide it, and emits a character in the text of the chunk
//! that completes it. A character outside the Basic Multilingual Plane (four
//! bytes in UTF-8) takes two units, a surrogate pair.
//!
//! Line ends are ASCII, and an ASCII byte never continues a sequence: a
//! sequence still open where its line ends is broken there, and
//! [`Decoder::flush`] counts the U+FFFD the decoder emits for it.

/// A length of decoded text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Count {
    /// In UTF-16 code units.
    pub(crate) units: u32,
    /// In UTF-8 bytes.
    pub(crate) bytes: usize,
}

impl Count {
    pub(crate) const ZERO: Count = Count { units: 0, bytes: 0 };

    /// The length of `len` bytes of ASCII, which decode to themselves.
    #[inline]
    pub(crate) fn ascii(len: usize) -> Count {
        Count {
            units: units(len),
            bytes: len,
        }
    }

    #[inline]
    fn add(&mut self, units: u32, bytes: usize) {
        self.units = self.units.saturating_add(units);
        self.bytes = self.bytes.saturating_add(bytes);
    }

    /// One U+FFFD.
    #[inline]
    fn replacement(&mut self) {
        self.add(1, 3);
    }

    /// The length of `text`, valid UTF-8.
    #[inline]
    pub(crate) fn of_valid(text: &[u8]) -> Count {
        let mut count = Count::ZERO;
        count.valid(text);
        count
    }

    /// Valid UTF-8: one unit per character, two for the four-byte ones.
    #[inline]
    fn valid(&mut self, text: &[u8]) {
        if text.is_ascii() {
            self.add(units(text.len()), text.len());
            return;
        }
        // Every byte but a continuation byte starts a character; a lead byte
        // of 0xF0 or more starts a four-byte one. Summed in bytes, up to 64
        // bytes at a time (at most 128), so that it vectorises.
        fn block(bytes: &[u8]) -> usize {
            let n = bytes.iter().fold(0u8, |n, &b| {
                n.wrapping_add(u8::from(b & 0xC0 != 0x80) + u8::from(b >= 0xF0))
            });
            usize::from(n)
        }
        let mut blocks = text.chunks_exact(64);
        let n = (&mut blocks).fold(0usize, |n, bytes| n.saturating_add(block(bytes)));
        let n = n.saturating_add(block(blocks.remainder()));
        self.add(units(n), text.len());
    }
}

/// A length in UTF-16 code units as the scanner's `u32` (saturating: a
/// JavaScript string is far shorter than `u32::MAX` units).
#[inline]
pub(crate) fn units(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The decoder's state between bytes: the multi-byte sequence being read
/// (the Encoding Standard's UTF-8 decoder: bytes needed, bytes seen, and the
/// range the next byte must fall in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decoder {
    needed: u8,
    seen: u8,
    lower: u8,
    upper: u8,
}

impl Decoder {
    /// Between characters.
    pub(crate) const IDLE: Decoder = Decoder {
        needed: 0,
        seen: 0,
        lower: 0x80,
        upper: 0xBF,
    };

    /// Whether no sequence is open (the decoder holds no bytes back).
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.needed == 0
    }

    /// Adds to `count` what the decoder emits for `bytes`; an incomplete
    /// sequence at their end stays pending.
    pub(crate) fn run(&mut self, bytes: &[u8], count: &mut Count) {
        if self.is_idle() && bytes.is_ascii() {
            count.add(units(bytes.len()), bytes.len());
            return;
        }
        let mut rest = bytes;
        // A sequence begun in earlier bytes: byte by byte until it is over
        // (at most three bytes).
        while !self.is_idle() {
            let Some((&byte, after)) = rest.split_first() else {
                return;
            };
            if self.step(byte, count) {
                rest = after;
            }
        }
        // Then a run of valid text at a time: the standard library's
        // validator finds the errors, and its error lengths are the maximal
        // subparts the decoder replaces.
        loop {
            match core::str::from_utf8(rest) {
                Ok(_) => {
                    count.valid(rest);
                    return;
                }
                Err(error) => {
                    let (valid, after) = rest
                        .split_at_checked(error.valid_up_to())
                        .unwrap_or((rest, &[]));
                    count.valid(valid);
                    match error.error_len() {
                        Some(len) => {
                            count.replacement();
                            rest = after.get(len..).unwrap_or_default();
                        }
                        None => {
                            // The start of a sequence the next bytes decide.
                            self.run_bytes(after, count);
                            return;
                        }
                    }
                }
            }
        }
    }

    /// [`run`](Decoder::run), one byte at a time.
    fn run_bytes(&mut self, bytes: &[u8], count: &mut Count) {
        let mut rest = bytes;
        while let Some((&byte, after)) = rest.split_first() {
            if self.step(byte, count) {
                rest = after;
            }
        }
    }

    /// The Encoding Standard's UTF-8 decoder handler for one byte; returns
    /// whether the byte was consumed (a byte that breaks a sequence is not:
    /// it is read again, after the U+FFFD, as the start of what follows).
    #[inline]
    fn step(&mut self, byte: u8, count: &mut Count) -> bool {
        if self.needed == 0 {
            match byte {
                0x00..=0x7F => count.add(1, 1),
                0xC2..=0xDF => self.needed = 1,
                0xE0..=0xEF => {
                    match byte {
                        0xE0 => self.lower = 0xA0,
                        0xED => self.upper = 0x9F,
                        _ => {}
                    }
                    self.needed = 2;
                }
                0xF0..=0xF4 => {
                    match byte {
                        0xF0 => self.lower = 0x90,
                        0xF4 => self.upper = 0x8F,
                        _ => {}
                    }
                    self.needed = 3;
                }
                _ => count.replacement(),
            }
            return true;
        }
        if byte < self.lower || byte > self.upper {
            *self = Decoder::IDLE;
            count.replacement();
            return false;
        }
        self.lower = 0x80;
        self.upper = 0xBF;
        self.seen = self.seen.saturating_add(1);
        if self.seen == self.needed {
            let (units, bytes) = if self.needed == 3 {
                (2, 4)
            } else {
                (1, usize::from(self.needed) + 1)
            };
            count.add(units, bytes);
            *self = Decoder::IDLE;
        }
        true
    }

    /// An ASCII byte (a line end) follows: an open sequence is broken, one
    /// U+FFFD.
    #[inline]
    pub(crate) fn flush(&mut self, count: &mut Count) {
        if !self.is_idle() {
            *self = Decoder::IDLE;
            count.replacement();
        }
    }
}

/// The decoded length of a whole line (its line end follows it).
#[inline]
pub(crate) fn measure_line(line: &[u8]) -> Count {
    if line.is_ascii() {
        return Count::ascii(line.len());
    }
    let mut decoder = Decoder::IDLE;
    let mut count = Count::ZERO;
    decoder.run(line, &mut count);
    decoder.flush(&mut count);
    count
}
