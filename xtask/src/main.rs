//! ssekit's tasks: `cargo xtask help` lists them. `./scripts/test.sh` and
//! `./scripts/demo.sh`, the README's two commands, are `cargo xtask test` and
//! `cargo xtask demo`.
//!
//! It builds with a bare rustup toolchain (no wasm target, no node): on a
//! fresh machine it is the first thing to run, and `setup` installs the rest.

mod bench;
mod build;
mod cmd;
mod demo;
mod reliability;
mod report;
mod setup;
mod test;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use cmd::usage;

const USAGE: &str = "\
usage: cargo xtask <command> [arguments]

  setup                        install the tools the tests and builds need (idempotent, with progress;
                               SSEKIT_SKIP_FIREFOX=1: not Firefox)
  test [SUBSET…]               every test (what ./scripts/test.sh runs), or the named subsets and the
                               steps they need; --list names them; --no-deps skips those steps
  demo                         the live demo in local workerd (PORT=…, default 8787); Ctrl-C stops it
  wrangler [ARG…]              the pinned wrangler under the pinned Node 22, after the installs
  build web [OUT-DIR]          the npm package's files into OUT-DIR (default pkg/), then their gzip size
  build package                pkg/ and target/ssekit.tgz, npm pack's file list and the gzip size
  build worker [--dev]         the hub worker (hub/) into hub/build/ (release unless --dev)
  build site                   the demo site into target/site (SSEKIT_REUSE_PKG=1 reuses pkg/)
  bench core                   criterion (benches/parse.rs); the core section of BENCHMARKS.md
  bench browser                headless Chromium parser, EventSource and size figures; the browser section
  bench runtime [SECONDS]      memory, main-thread time, slow-link first event; the runtime section
  bench edge [--shards]        workerd fan-out and single-stream figures; the edge section, or with
                               --shards the sharded-channel matrix and the shards section
  bench package                npm pack list and gzip size of pkg/; the package section
  fuzz [SECONDS] [--report]    each fuzz target SECONDS (default 30); --report: RELIABILITY.md's section
  soak                         the full reconnect soak; the soak section of RELIABILITY.md
  hostile                      hostile streams natively and in Chromium; the hostile section
  report <NAME> [--in DIR] [--out FILE]
                               rewrite a section from results already in DIR (default target/):
                               core, browser, runtime, edge, shards, package, fuzz, hostile, soak

`bench …` only rewrites its section with --report (`bench core --report`); without it the figures are
left in target/ and `report` writes them later.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    cmd::cargo_bin_on_path();
    if let Err(error) = std::env::set_current_dir(root()) {
        eprintln!(
            "error: entering the repository {}: {error}",
            root().display()
        );
        return ExitCode::FAILURE;
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The repository: cargo names xtask's manifest directory when it runs it;
/// the one it was built in otherwise.
fn root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn run(args: &[String]) -> Result<()> {
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    if let (Some(extra), "setup" | "demo" | "soak" | "hostile") = (rest.first(), command) {
        return Err(usage(format!(
            "`{command}` takes no arguments (got `{extra}`)"
        )));
    }
    match command {
        "help" | "-h" | "--help" => {
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            Ok(())
        }
        "setup" => setup::run(),
        "test" => test::run(rest),
        "demo" => demo::run(),
        "wrangler" => demo::wrangler(rest),
        "build" => build::command(rest),
        "bench" => bench::command(rest),
        "fuzz" => reliability::fuzz_command(rest),
        "soak" => reliability::soak(),
        "hostile" => reliability::hostile(),
        "report" => report::command(rest),
        other => Err(usage(format!("unknown command `{other}`"))),
    }
}
