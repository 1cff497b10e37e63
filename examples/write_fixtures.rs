//! Writes the benchmark fixtures (the same generators as `benches/parse.rs`,
//! from `ssekit_test_support::fixtures`) to a directory, for benchmarks that
//! run outside Rust (the browser bench):
//!
//!     cargo run --example write_fixtures -- target/bench-fixtures 0.25
//!
//! Each fixture becomes `<name>.sse`; `manifest.json` lists name, file, chunk
//! size (null: whole) and whether it is data-heavy.

use std::path::PathBuf;

use ssekit_test_support::fixtures;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/bench-fixtures".into()),
    );
    let scale: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    std::fs::create_dir_all(&dir)?;
    let suite = fixtures::suite(scale);
    for fixture in &suite {
        std::fs::write(dir.join(fixture.file_name()), &fixture.bytes)?;
    }
    std::fs::write(dir.join("manifest.json"), fixtures::manifest_json(&suite))?;
    println!("wrote {} (scale {scale})", dir.display());
    Ok(())
}
