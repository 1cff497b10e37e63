//! Writes the benchmark fixtures (the same generators as `benches/parse.rs`)
//! to a directory, for benchmarks that run outside Rust (the browser bench):
//!
//!     cargo run --example write_fixtures -- target/bench-fixtures 0.25
//!
//! Each fixture becomes `<name>.sse`; `manifest.json` lists name, file, chunk
//! size (null: whole) and whether it is data-heavy.

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/bench-fixtures".into()),
    );
    let scale: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    std::fs::create_dir_all(&dir)?;
    let mut manifest = String::from("[\n");
    for (i, fixture) in fixtures::suite(scale).into_iter().enumerate() {
        let file = format!("{}.sse", fixture.name);
        std::fs::write(dir.join(&file), &fixture.bytes)?;
        let chunk = fixture.chunk.map_or("null".to_string(), |c| c.to_string());
        let comma = if i == 0 { "" } else { ",\n" };
        write!(
            manifest,
            "{comma}  {{\"name\": \"{}\", \"file\": \"{file}\", \"chunk\": {chunk}, \"dataHeavy\": {}}}",
            fixture.name, fixture.data_heavy
        )
        .unwrap();
    }
    manifest.push_str("\n]\n");
    std::fs::write(dir.join("manifest.json"), manifest)?;
    println!("wrote {} (scale {scale})", dir.display());
    Ok(())
}
