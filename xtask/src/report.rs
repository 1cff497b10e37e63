//! `cargo xtask report NAME [--in DIR] [--out FILE]`: rewrites a section of
//! BENCHMARKS.md or RELIABILITY.md from results already in DIR (default
//! target/). Each section is written by a Node script beside the run whose
//! figures it reads, sharing benches/report.mjs; xtask only names them.

use ssekit_test_support::fixtures;

use anyhow::Result;

use crate::cmd::{usage, write_text, Cmd};

/// Each report's name and its script.
const REPORTS: [(&str, &str); 9] = [
    ("core", "benches/core-report.mjs"),
    ("browser", "benches/browser/report.mjs"),
    ("runtime", "benches/browser/runtime-report.mjs"),
    ("edge", "benches/edge/report.mjs"),
    ("shards", "benches/edge/shards-report.mjs"),
    ("package", "benches/package-report.mjs"),
    ("fuzz", "fuzz/report.mjs"),
    ("hostile", "tests/hostile/report.mjs"),
    ("soak", "tests/soak/report.mjs"),
];

/// Where `report core` puts the fixture list benches/parse.rs runs.
const CORE_FIXTURES: &str = "target/core-fixtures.json";

/// `report NAME [ARG…]`.
pub fn command(args: &[String]) -> Result<()> {
    let names = REPORTS.map(|(name, _)| name).join(", ");
    match args.split_first() {
        Some((name, rest)) if !name.starts_with('-') => write(name, rest),
        _ => Err(usage(format!("`report` needs a name: {names}"))),
    }
}

/// Runs report `name`'s script with `args` (`--in DIR`, `--out FILE`).
pub fn write(name: &str, args: &[String]) -> Result<()> {
    let (_, script) = REPORTS
        .iter()
        .find(|(known, _)| *known == name)
        .ok_or_else(|| usage(format!("no report named `{name}`")))?;
    let mut cmd = Cmd::new("node").arg(script);
    if name == "core" {
        // The fixtures' names, chunk sizes and kinds, in order, come from the
        // Rust suite the bench ran (the smallest scale will do); criterion's
        // results are in cargo's target directory unless `--in` says.
        write_text(
            CORE_FIXTURES,
            &fixtures::manifest_json(&fixtures::suite(0.001)),
        )?;
        cmd = cmd.args(["--fixtures", CORE_FIXTURES, "--in"]).arg(
            std::env::var("CARGO_TARGET_DIR")
                .ok()
                .filter(|dir| !dir.is_empty())
                .unwrap_or_else(|| "target".into()),
        );
    }
    cmd.args(args).run()
}
