//! Benchmarks (reports, not tests). Each leaves its figures in target/; with
//! `--report` the script beside it then rewrites its section of
//! BENCHMARKS.md (`cargo xtask report NAME` does that later, from the same
//! files).

use std::path::Path;

use anyhow::Result;

use crate::build;
use crate::cmd::{
    create_dir, npm_install, npm_script, say, start_node_server, usage, write_text, Cmd,
};
use crate::report;
use crate::setup;

pub fn command(args: &[String]) -> Result<()> {
    let mut words: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = take_flag(&mut words, "--report");
    let shards = take_flag(&mut words, "--shards");
    if shards && words.first() != Some(&"edge") {
        return Err(usage("`--shards` is an option of `bench edge`"));
    }
    let section = match words.as_slice() {
        // Criterion (`benches/parse.rs`, ~5 minutes).
        ["core"] => Cmd::new("cargo")
            .args(["bench", "--locked", "--bench", "parse"])
            .run()
            .map(|()| "core"),
        ["browser"] => browser().map(|()| "browser"),
        ["runtime"] => runtime(60).map(|()| "runtime"),
        ["runtime", seconds] => {
            let seconds = seconds.parse().map_err(|_| {
                usage(format!("`bench runtime` takes seconds, not `{seconds}`"))
            })?;
            runtime(seconds).map(|()| "runtime")
        }
        ["edge"] => edge(shards).map(|()| if shards { "shards" } else { "edge" }),
        ["package"] => npm_install().and_then(|()| build::package()).map(|()| "package"),
        _ => Err(usage(format!(
            "unknown bench `{}`: core, browser, runtime [SECONDS], edge [--shards] or package, each [--report]",
            words.join(" ")
        ))),
    }?;
    if report {
        report::write(section, &[])?;
    }
    Ok(())
}

fn take_flag(words: &mut Vec<&str>, flag: &str) -> bool {
    let before = words.len();
    words.retain(|word| *word != flag);
    words.len() != before
}

// ---------------------------------------------------------------- browser

/// Headless Chromium via Playwright (~1 minute): builds the web package,
/// writes the fixtures at 1/4 scale, serves both with
/// benches/browser/server.mjs and runs the page.
fn browser() -> Result<()> {
    setup::run()?;
    npm_install()?;
    let size_line = build::web("pkg")?;
    say(&size_line);
    Cmd::new("cargo")
        .args([
            "run",
            "--locked",
            "--release",
            "--example",
            "write_fixtures",
            "--",
        ])
        .args(["target/bench-fixtures", "0.25"])
        .run()?;
    let server = start_node_server("benches/browser/server.mjs", "target/bench-server.log")?;
    npm_script("bench:browser:run")
        .arg(format!("http://127.0.0.1:{}/", server.port))
        .stdout_to("target/bench-browser.json")?
        .run()?;
    // The size line of `build web`, beside the figures for the report.
    write_text("target/bench-browser-size.txt", &format!("{size_line}\n"))?;
    Ok(())
}

// ---------------------------------------------------------------- runtime

/// The previous release, v0.1.0 (the last package with a top-level await),
/// for the slow-link comparison.
const PREVIOUS_RELEASE: &str = "41632f5";
const SOURCE: &str = "target/previous-src";

/// Headless Chromium (~5 minutes): memory over 100,000 events and 1,000
/// reconnects, main-thread time per event at a steady 1,000 events/s for
/// `seconds` (ssekit vs the native EventSource), and import + first event
/// on a slow link against the previous release, built once into
/// target/previous-pkg.
fn runtime(seconds: u32) -> Result<()> {
    setup::run()?;
    npm_install()?;
    say(build::web("pkg")?);
    if !Path::new("target/previous-pkg/index.js").exists() {
        say(format_args!(
            "==> building the previous release's package ({PREVIOUS_RELEASE}) for the slow-link comparison"
        ));
        // That release's own build script, in an export of its tree with a
        // target directory of its own (two checkouts sharing one confuse
        // cargo about workspace crates).
        let build = format!(
            "rm -rf {SOURCE} target/previous-pkg && mkdir -p {SOURCE} \
             && git archive {PREVIOUS_RELEASE} | tar -x -C {SOURCE} \
             && ln -s \"$PWD/node_modules\" {SOURCE}/node_modules && cd {SOURCE} \
             && CARGO_TARGET_DIR=\"$PWD/target\" ./scripts/build-package.sh > /dev/null \
             && cp -r pkg ../previous-pkg"
        );
        Cmd::new("sh").args(["-c", &build]).run()?;
    }
    let server = start_node_server(
        "benches/browser/server.mjs",
        "target/bench-runtime-server.log",
    )?;
    npm_script("bench:runtime:run")
        .arg(format!("http://127.0.0.1:{}", server.port))
        .arg(seconds.to_string())
        .arg("/target/previous-pkg/index.js")
        .stdout_to("target/bench-runtime.json")?
        .run()?;
    Ok(())
}

// ---------------------------------------------------------------- edge

/// workerd via Miniflare under Node 22: builds the hub worker (release)
/// and runs benches/edge/run.mjs. Without `shards` (~3 minutes), beside the
/// hono comparison worker; EDGE_EVENTS, EDGE_ROUNDS, EDGE_SUBSCRIBERS and
/// EDGE_PUBLISHES override its defaults (200000, 3, 1000, 40). With
/// `shards` (long), the sharded-channel matrix, subscribers × SHARDS ×
/// FANOUT; EDGE_MATRIX_SUBSCRIBERS, EDGE_MATRIX_SHARDS, EDGE_MATRIX_FANOUTS
/// (comma lists) and EDGE_PUBLISHES override its defaults.
fn edge(shards: bool) -> Result<()> {
    setup::run()?;
    npm_install()?;
    build::worker(false)?;
    create_dir("target/bench-edge")?;
    if shards {
        // Each subscriber is a socket at the client and one in workerd: the
        // soft open-file limit goes up to the hard one first.
        Cmd::new("sh")
            .args([
                "-c",
                "ulimit -n \"$(ulimit -Hn)\" && exec npm run --silent bench:edge:run",
            ])
            .env("EDGE_SHARD_MATRIX", "1")
            .stdout_to("target/bench-edge/shards.json")?
            .run()
    } else {
        npm_script("bench:edge:hono").run()?;
        npm_script("bench:edge:run")
            .arg("target/bench-edge/hono.js")
            .stdout_to("target/bench-edge/results.json")?
            .run()
    }
}
