//! The ways the tests cut a stream into chunks: the parser must not care.

/// A small deterministic PRNG (xorshift64*): the same splits on every run and
/// every target, and no dependency that would need wasm-specific entropy.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`; any seed works, 0 included.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Cuts `bytes` at the given ascending offsets (each at most `bytes.len()`);
/// an offset given twice makes an empty chunk.
pub fn split_at_offsets<'a>(bytes: &'a [u8], offsets: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::with_capacity(offsets.len() + 1);
    let mut start = 0;
    for &offset in offsets {
        chunks.push(&bytes[start..offset]);
        start = offset;
    }
    chunks.push(&bytes[start..]);
    chunks
}

/// Every way the tests cut a stream: whole, in fixed sizes 1, 2, 3, … up
/// to `max_fixed`, and in `random` random splits (which include empty
/// chunks), drawn from `seed`.
pub fn chunkings(bytes: &[u8], max_fixed: usize, random: usize, seed: u64) -> Vec<Vec<&[u8]>> {
    let mut all = vec![vec![bytes]];
    for size in 1..=max_fixed.min(bytes.len().max(1)) {
        all.push(bytes.chunks(size).collect());
    }
    let mut rng = Rng::new(seed);
    for _ in 0..random {
        let mut offsets: Vec<usize> = (0..rng.below(bytes.len() + 1) + 1)
            .map(|_| rng.below(bytes.len() + 1))
            .collect();
        offsets.sort_unstable();
        all.push(split_at_offsets(bytes, &offsets));
    }
    all
}

/// A chunked stream for a failure message: the stream, escaped (its first
/// 2 KiB), and the chunk sizes.
pub fn describe(chunks: &[&[u8]]) -> String {
    const SHOWN: usize = 2048;
    let stream = chunks.concat();
    let sizes: Vec<usize> = chunks.iter().map(|chunk| chunk.len()).collect();
    let escaped = stream[..stream.len().min(SHOWN)].escape_ascii();
    let more = if stream.len() > SHOWN {
        format!("… ({} bytes in all)", stream.len())
    } else {
        String::new()
    };
    if sizes.len() > 64 {
        format!(
            "b\"{escaped}\"{more} in {} chunks of sizes {:?}…",
            sizes.len(),
            &sizes[..64]
        )
    } else {
        format!("b\"{escaped}\"{more} in chunks of sizes {sizes:?}")
    }
}
