//! The live demo (the README's first command) and wrangler for this
//! repository.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::os::unix::process::CommandExt;
use std::time::SystemTime;

use anyhow::{anyhow, Result};

use crate::build;
use crate::cmd::{
    create_dir, npm_install, npm_install_unless, progress_to_stderr, say, Cmd, NODE22,
};
use crate::setup;

const WRANGLER: &str = "node_modules/wrangler/bin/wrangler.js";

fn step(what: &str) {
    say(format_args!("\n==> [demo] {what}"));
}

/// The live demo: installs what it needs, builds the npm package and the
/// site with local tokens, then runs scripts/demo.mjs, which serves the
/// www/ page from the worker in local workerd (wrangler dev), prints the URL
/// and keeps running; Ctrl-C (or SIGTERM) stops everything, workerd
/// included.
pub fn run() -> Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8787".to_owned());
    let channel = std::env::var("SSEKIT_DEMO_CHANNEL").unwrap_or_else(|_| "demo".to_owned());
    step("install tools (skipped quickly when present)");
    setup::run()?;
    npm_install()?;

    // Local tokens: the page reads them from demo-config.json, which
    // `build site` writes from SSEKIT_DEMO_CONFIG (wrangler's build command
    // assembles the site again, and must write it too). A deployed site must
    // not ship its publish token; only this local build has the file.
    let publish_token = std::env::var("SSEKIT_DEMO_PUBLISH_TOKEN")
        .unwrap_or_else(|_| format!("demo-publish-{}", random_digits()));
    let subscribe_token = std::env::var("SSEKIT_DEMO_SUBSCRIBE_TOKEN")
        .unwrap_or_else(|_| format!("demo-subscribe-{}", random_digits()));
    let config = format!(
        r#"{{"channel":"{channel}","publishToken":"{publish_token}","subscribeToken":"{subscribe_token}"}}"#
    );
    // Read by `build site` here and in wrangler's build command; set before
    // any thread exists.
    std::env::set_var("SSEKIT_DEMO_CONFIG", &config);

    step("build the npm package and the demo site (target/site)");
    build::site()?;

    step(&format!(
        "build the worker and start it in local workerd (wrangler dev, port {port})"
    ));
    create_dir("target")?;
    // The rest is scripts/demo.mjs, under Node 22 as wrangler needs: it runs
    // wrangler dev in a process group of its own, says when the hub
    // answers, and stops the group on Ctrl-C. This process becomes it, so
    // that a signal meant for the demo reaches it.
    let error = Cmd::new(NODE22)
        .arg("scripts/demo.mjs")
        .env("PORT", &port)
        .env("SSEKIT_DEMO_CHANNEL", &channel)
        .env("SSEKIT_DEMO_PUBLISH_TOKEN", &publish_token)
        .env("SSEKIT_DEMO_SUBSCRIBE_TOKEN", &subscribe_token)
        .into_command()
        .exec();
    Err(anyhow!("running {NODE22} scripts/demo.mjs: {error}"))
}

/// Digits no other run is likely to pick (the demo's local tokens).
fn random_digits() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // RandomState is seeded from the OS's randomness.
    RandomState::new().hash_one((nanos, std::process::id())) % 10_000_000_000
}

/// wrangler for this repository, from a fresh clone: installs what it needs
/// (the tools and npm packages, skipped quickly when present; progress on
/// stderr) and runs the pinned wrangler under the pinned Node 22 (wrangler
/// needs ≥ 22.12; the machine's own node may be older). Arguments go to
/// wrangler as they are.
pub fn wrangler(args: &[String]) -> Result<()> {
    progress_to_stderr();
    setup::run()?;
    npm_install_unless(&[NODE22, WRANGLER])?;
    let error = Cmd::new(NODE22)
        .arg(WRANGLER)
        .args(args)
        .into_command()
        .exec();
    Err(anyhow!("running {NODE22} {WRANGLER}: {error}"))
}
