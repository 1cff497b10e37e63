//! Every test ssekit has, as named steps (`cargo xtask test --list`),
//! installing what it needs first (idempotent). `./scripts/test.sh`, the
//! command README.md names and .ci/run calls, runs them all.
//!
//! Environment: SSEKIT_SKIP_FIREFOX=1 skips the Firefox runs.

use std::fs;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};

use crate::build;
use crate::cmd::{npm_install, npm_script, say, start_node_server, usage, Cmd, NodeServer, NODE22};
use crate::reliability;
use crate::setup;

/// What a step needs that is not a step: the fault-injecting SSE test
/// server, started once, before the first step that names it.
const SERVER: &str = "the test server";

struct Step {
    name: &'static str,
    /// The progress line.
    title: &'static str,
    /// The steps it needs (the installs, the npm package, the hub worker),
    /// run first unless --no-deps; and [`SERVER`].
    needs: &'static [&'static str],
    run: Action,
}

enum Action {
    /// `cargo ARG…`, each list in turn.
    Cargo(&'static [&'static [&'static str]]),
    /// Node 22's test runner over test files (a directory: its `*.test.mjs`),
    /// with SSEKIT_PKG=pkg and these variables.
    Node(
        &'static [&'static str],
        &'static [(&'static str, &'static str)],
    ),
    /// The same with the machine's own Node (any ≥ 20).
    MachineNode(&'static [&'static str]),
    /// Anything else.
    Run(fn() -> Result<Outcome>),
}

use Action::{Cargo, MachineNode, Node};

enum Outcome {
    Passed,
    /// Not run, for the reason given (Firefox not installed).
    Skipped(&'static str),
}

/// In the order the full run takes them.
const STEPS: &[Step] = &[
    Step {
        name: "setup",
        title: "install tools",
        needs: &[],
        run: Action::Run(|| setup::run().map(passed)),
    },
    Step {
        name: "fmt",
        title: "rustfmt",
        needs: &[],
        run: Cargo(&[&["fmt", "--all", "--", "--check"]]),
    },
    Step {
        name: "clippy",
        title: "clippy, warnings denied (native: every crate, all targets and features)",
        needs: &[],
        run: Cargo(&[&["clippy", "--locked", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"]]),
    },
    Step {
        name: "docs",
        title: "rustdoc, warnings denied (every crate but xtask: no link to an item that does not exist or is private)",
        needs: &[],
        // `--config` rather than RUSTDOCFLAGS: one place for the flag.
        run: Cargo(&[&[
            "doc", "--locked", "--no-deps", "--workspace", "--exclude", "xtask",
            "--config", "build.rustdocflags=['-D','warnings']",
        ]]),
    },
    Step {
        name: "clippy-wasm",
        title: "clippy, warnings denied (wasm32: the core, the Workers adapters, the hub worker; the npm package's no_std crate on its own)",
        needs: &["setup"],
        // Apart: built together, features unify and the hub's wasm-bindgen
        // would link std into the package's no_std module. xtask and the
        // command line are native programs, never built for wasm32.
        run: Cargo(&[
            &[
                "clippy", "--locked", "--workspace", "--exclude", "ssekit-wasm", "--exclude", "xtask",
                "--exclude", "ssekit-cli", "--target", "wasm32-unknown-unknown", "--lib", "--all-features",
                "--", "-D", "warnings",
            ],
            &[
                "clippy", "--locked", "-p", "ssekit-wasm", "--target", "wasm32-unknown-unknown", "--lib",
                "--", "-D", "warnings",
            ],
        ]),
    },
    Step {
        name: "native",
        title: "native tests (unit, spec, oracle, encoder, property, stream adapter, sse2json, fuzz regressions, doc; Workers adapters and hub unit tests; the Rust client and the ssekit command line against the test server)",
        needs: &[],
        run: Cargo(&[&["test", "--locked", "--workspace", "--all-features"]]),
    },
    Step {
        name: "hostile",
        title: "hostile streams, natively, heap measured (tests/hostile: 1 GiB lines, no blank lines, 10M tiny events, invalid UTF-8 floods, absurd retry)",
        needs: &[],
        run: Cargo(&[&["test", "--locked", "--release", "--test", "hostile"]]),
    },
    Step {
        name: "fuzz",
        title: "fuzzing, bounded: each cargo-fuzz target 30 s from the fixture-seeded corpus (cargo xtask fuzz 30)",
        needs: &["setup"],
        run: Action::Run(|| reliability::fuzz(30).map(passed)),
    },
    Step {
        name: "no-std",
        title: "no_std build of the core (--no-default-features; alone, with json, with stream)",
        needs: &[],
        run: Cargo(&[
            &["build", "--locked", "-p", "ssekit", "--lib", "--no-default-features"],
            &["build", "--locked", "-p", "ssekit", "--lib", "--no-default-features", "--features", "json"],
            &["build", "--locked", "-p", "ssekit", "--lib", "--no-default-features", "--features", "stream"],
        ]),
    },
    Step {
        name: "wasm32",
        title: "wasm32 build (the core with and without std, and no_std with stream)",
        needs: &["setup"],
        run: Cargo(&[
            &["build", "--locked", "--target", "wasm32-unknown-unknown", "--release", "-p", "ssekit"],
            &[
                "build", "--locked", "--target", "wasm32-unknown-unknown", "--release", "-p", "ssekit",
                "--lib", "--no-default-features",
            ],
            &[
                "build", "--locked", "--target", "wasm32-unknown-unknown", "--release", "-p", "ssekit",
                "--lib", "--no-default-features", "--features", "stream",
            ],
        ]),
    },
    Step {
        name: "package",
        title: "the npm package (cargo xtask build package: the wasm core, wasm-opt, the JS shell and entries, pkg-template, npm pack)",
        needs: &["setup"],
        run: Action::Run(|| npm_install().and_then(|()| build::package()).map(passed)),
    },
    Step {
        name: "publish",
        title: "packaging as published: cargo publish --dry-run (ssekit, ssekit-workers, ssekit-client, ssekit-cli), npm publish --dry-run (pkg/)",
        needs: &["package"],
        run: Action::Run(|| {
            // All crates at once: each is verified against the workspace
            // crates about to be published, not ones from crates.io.
            Cmd::new("cargo")
                .args(["publish", "--dry-run", "--locked", "--allow-dirty"])
                .args(["-p", "ssekit", "-p", "ssekit-workers", "-p", "ssekit-client", "-p", "ssekit-cli"])
                .run()?;
            Cmd::new("npm").args(["publish", "--dry-run"]).dir("pkg").run().map(passed)
        }),
    },
    Step {
        name: "types",
        title: "TypeScript declarations of the package (tsc -p tests/types)",
        needs: &["package"],
        run: Action::Run(|| npm_script("test:types").run().map(passed)),
    },
    Step {
        name: "node",
        title: "Node: the package's SseParser, encodeEvent and EventSource shell (tests/node: injected fetch, then the test server); the report writers (benches/*.test.mjs)",
        needs: &["package", SERVER],
        run: MachineNode(&["tests/node", "benches"]),
    },
    Step {
        name: "worker-build",
        title: "build the hub worker (cargo xtask build worker: worker-build, release) and the Rust client's test worker (tests/client-worker)",
        needs: &["setup"],
        run: Action::Run(|| {
            build::worker(false)?;
            build::worker_in("tests/client-worker", false).map(passed)
        }),
    },
    Step {
        name: "worker",
        title: "hub worker in workerd (Miniflare, Node 22): raw readers, eventsource package, headless Chromium; the Rust client and the ssekit command line against it",
        needs: &["package", "worker-build"],
        run: Action::Run(|| {
            node_tests(NODE22, &["tests/worker"], &[])?;
            // The hub's tests again with the other fan-out (the object holds the streams).
            node_tests(NODE22, &["tests/worker/hub.test.mjs"], &[("SSEKIT_FANOUT", "streams")]).map(passed)
        }),
    },
    Step {
        name: "hostile-browser",
        title: "hostile streams in headless Chromium: SseParser fed gigabytes, EventSource on hostile server streams, wasm memory measured",
        needs: &["package"],
        run: Node(&["tests/hostile/browser.test.mjs"], &[]),
    },
    Step {
        name: "share",
        title: "share: true: five tabs on one connection, different requests apart, the holding tab closed mid-stream (resume, no gap or duplicate), close() per tab; in Chromium tabs (Playwright), and in Firefox and Chromium frames (WebDriver)",
        needs: &["package"],
        run: Node(&["tests/share"], &[]),
    },
    Step {
        name: "soak",
        title: "reconnect soak, bounded: Chromium client, hub in workerd, 200 mixed faults, 2,000 cycles (full: cargo xtask soak)",
        needs: &["package", "worker-build"],
        run: Node(&["tests/soak/soak.test.mjs"], &[]),
    },
    Step {
        name: "consumers",
        title: "package consumers: Node by name, CommonJS in Node 20 and 22, a plain module page, Vite 7 and webpack 5 apps in headless Chromium, a Cloudflare Worker in workerd",
        needs: &["package", "worker-build"],
        run: Node(&["tests/package"], &[]),
    },
    Step {
        name: "demo",
        title: "the demo (./scripts/demo.sh under wrangler dev), driven in headless Chromium; screenshot in target/",
        needs: &["package"],
        run: Node(&["tests/demo/demo.test.mjs"], &[("SSEKIT_REUSE_PKG", "1")]),
    },
    Step {
        name: "readme",
        title: "the README's wrangler commands from a clean clone (wrangler dev, curl, deploy --dry-run)",
        needs: &["setup"],
        run: Node(&["tests/readme/wrangler.test.mjs"], &[]),
    },
    Step {
        name: "browser",
        title: "browser tests: headless Chromium (the core's spec, oracle and encoder tests; the package's EventSource, SseParser, encodeEvent, dedicated worker; the Rust client on wasm32)",
        needs: &["package", SERVER],
        run: Action::Run(|| browser_tests("chrome").map(passed)),
    },
    Step {
        name: "service-worker",
        title: "browser tests in a Service Worker: headless Chromium",
        needs: &["package", SERVER],
        run: Action::Run(|| service_worker_tests("chrome").map(passed)),
    },
    Step {
        name: "firefox",
        title: "browser tests: headless Firefox",
        needs: &["package", SERVER],
        run: Action::Run(|| match firefox_missing() {
            Some(reason) => Ok(Outcome::Skipped(reason)),
            None => browser_tests("firefox").map(passed),
        }),
    },
    Step {
        name: "firefox-service-worker",
        title: "browser tests in a Service Worker: headless Firefox",
        needs: &["package", SERVER],
        run: Action::Run(|| match firefox_missing() {
            Some(reason) => Ok(Outcome::Skipped(reason)),
            None => service_worker_tests("firefox").map(passed),
        }),
    },
];

impl Action {
    fn run(&self) -> Result<Outcome> {
        match self {
            Cargo(commands) => {
                for args in *commands {
                    Cmd::new("cargo").args(*args).run()?;
                }
            }
            Node(tests, env) => node_tests(NODE22, tests, env)?,
            MachineNode(tests) => node_tests("node", tests, &[])?,
            Action::Run(custom) => return custom(),
        }
        Ok(Outcome::Passed)
    }
}

/// `node --test` over `tests` (a directory: its `*.test.mjs`), with
/// SSEKIT_PKG=pkg and `env`.
fn node_tests(node: &str, tests: &[&str], env: &[(&str, &str)]) -> Result<()> {
    let mut files = Vec::new();
    for test in tests {
        if test.ends_with(".mjs") {
            files.push(test.to_string());
        } else {
            files.extend(files_in(test, ".test.mjs")?);
        }
    }
    let mut cmd = Cmd::new(node).env("SSEKIT_PKG", "pkg");
    for (name, value) in env {
        cmd = cmd.env(name, value);
    }
    cmd.arg("--test").args(files).run()
}

fn passed(_: ()) -> Outcome {
    Outcome::Passed
}

fn firefox_missing() -> Option<&'static str> {
    if std::env::var("SSEKIT_SKIP_FIREFOX").as_deref() == Ok("1") {
        return Some("SSEKIT_SKIP_FIREFOX=1");
    }
    let installed =
        crate::cmd::which("firefox-esr").is_some() && crate::cmd::which("geckodriver").is_some();
    (!installed).then_some("firefox-esr or geckodriver not installed")
}

/// A run of the test command: the clock, the tally, the test server.
struct Run {
    started: Instant,
    passed: usize,
    server: Option<NodeServer>,
}

fn step_line(title: &str) {
    say(format_args!("\n==> [test] {title}"));
}

impl Run {
    fn elapsed(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    fn done(&mut self) {
        self.passed += 1;
        say(format_args!("    ok ({}s elapsed)", self.elapsed()));
    }

    /// Starts the test server (as a step of its own) unless it runs.
    fn start_server(&mut self) -> Result<()> {
        if self.server.is_none() {
            step_line("start the fault-injecting SSE test server (tests/server/sse-server.mjs)");
            let server = start_node_server("tests/server/sse-server.mjs", "target/sse-server.log")?;
            let url = format!("http://127.0.0.1:{}", server.port);
            // For every later step: the Node tests, the hostile streams in
            // Chromium, and the browser tests, which bake it in at build time
            // (option_env!). Set before any thread exists.
            std::env::set_var("SSEKIT_TEST_SERVER", &url);
            say(format_args!("    serving on {url}"));
            self.server = Some(server);
            self.done();
        }
        Ok(())
    }
}

/// The core's test files that are not native-only, and the package's
/// browser tests but the service-worker one (it runs on its own), in
/// `browser` through wasm-pack.
fn browser_tests(browser: &str) -> Result<()> {
    let browser = format!("--{browser}");
    let test_args = |dir: &str, wanted: &dyn Fn(&str) -> bool| -> Result<Vec<String>> {
        let mut args = Vec::new();
        for file in files_in(dir, ".rs")? {
            if wanted(&file) {
                let name = file
                    .trim_start_matches(&format!("{dir}/"))
                    .trim_end_matches(".rs");
                args.extend(["--test".to_owned(), name.to_owned()]);
            }
        }
        Ok(args)
    };
    let native_only = |file: &str| {
        fs::read_to_string(file).is_ok_and(|text| {
            text.lines()
                .any(|line| line == "#![cfg(not(target_arch = \"wasm32\"))]")
        })
    };
    let core_tests = test_args("tests", &|file| !native_only(file))?;
    let package_tests = test_args("crates/ssekit-wasm/tests", &|file| {
        !file.ends_with("/browser_service_worker.rs")
    })?;
    let wasm_pack = |dir: &str, tests: &[String]| {
        Cmd::new("wasm-pack")
            .args(["test", "--headless", &browser, dir])
            .args(tests)
            .run()
    };
    wasm_pack(".", &core_tests)?;
    wasm_pack("crates/ssekit-wasm", &package_tests)?;
    // The Rust client compiled to wasm32: reqwest over the page's fetch.
    wasm_pack("crates/ssekit-client", &["--test".into(), "browser".into()])
}

/// wasm-bindgen-test's service-worker harness sometimes never starts the
/// worker ("Failed to detect test as having been run"), before any test
/// code runs. Only that harness failure is retried, up to three tries; a
/// failing test fails at once.
fn service_worker_tests(browser: &str) -> Result<()> {
    let browser_flag = format!("--{browser}");
    for attempt in 1.. {
        let args = ["test", "--headless", &browser_flag, "crates/ssekit-wasm"];
        let outcome = Cmd::new("wasm-pack")
            .args(args)
            .args(["--test", "browser_service_worker"])
            .read_all();
        let text = match outcome {
            Ok(text) => {
                let results =
                    |line: &&str| line.starts_with("test ") || line.contains("test result");
                text.lines().filter(results).for_each(say);
                return Ok(());
            }
            // The error carries both output streams.
            Err(error) => format!("{error:#}"),
        };
        let harness_only = text.contains("Failed to detect test as having been run")
            && !text
                .lines()
                .any(|line| line.starts_with("test ") && line.contains(" FAIL"));
        if !harness_only || attempt == 3 {
            say(&text);
            return Err(anyhow!("the service-worker tests in {browser} failed"));
        }
        say(format_args!(
            "    the service-worker harness did not start (try {attempt} of 3); retrying"
        ));
    }
    unreachable!("the third try returns")
}

/// The files in `dir` whose names end with `suffix`, sorted.
fn files_in(dir: &str, suffix: &str) -> Result<Vec<String>> {
    let entries = fs::read_dir(dir).with_context(|| format!("listing {dir}"))?;
    let mut files: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(suffix))
        .map(|name| format!("{dir}/{name}"))
        .collect();
    files.sort();
    Ok(files)
}

pub fn run(args: &[String]) -> Result<()> {
    let mut names = Vec::new();
    let mut with_needs = true;
    for arg in args {
        match arg.as_str() {
            "--list" => {
                list();
                return Ok(());
            }
            "--no-deps" => with_needs = false,
            name if !name.starts_with('-') => names.push(name),
            other => return Err(usage(format!("`test` has no option `{other}`"))),
        }
    }
    for name in &names {
        if !STEPS.iter().any(|step| step.name == *name) {
            return Err(usage(format!(
                "no test step named `{name}` (`cargo xtask test --list` names them)"
            )));
        }
    }
    let selected: Vec<&Step> = if names.is_empty() {
        STEPS.iter().collect()
    } else {
        // The named steps, and (unless --no-deps) the steps that provide
        // what they need, in the order of the full run.
        let mut wanted: Vec<&str> = names.clone();
        if with_needs {
            let mut i = 0;
            while i < wanted.len() {
                let step = STEPS
                    .iter()
                    .find(|s| s.name == wanted[i])
                    .expect("checked above");
                for &provider in step.needs.iter().filter(|needs| **needs != SERVER) {
                    if !wanted.contains(&provider) {
                        wanted.push(provider);
                    }
                }
                i += 1;
            }
        }
        STEPS
            .iter()
            .filter(|step| wanted.contains(&step.name))
            .collect()
    };

    if std::env::var_os("CARGO_TERM_COLOR").is_none() {
        // Set once at start-up, before any thread exists.
        std::env::set_var("CARGO_TERM_COLOR", "never");
    }
    let mut run = Run {
        started: Instant::now(),
        passed: 0,
        server: None,
    };
    for step in selected {
        // The test server is a step of its own in the progress, before the
        // first step that needs it.
        if step.needs.contains(&SERVER) {
            run.start_server()?;
        }
        step_line(step.title);
        match step.run.run() {
            Ok(Outcome::Passed) => run.done(),
            Ok(Outcome::Skipped(reason)) => say(format_args!("    skipped ({reason})")),
            Err(error) => {
                say(format_args!(
                    "\n==> [test] failed after {}s: {}",
                    run.elapsed(),
                    step.name
                ));
                say(format_args!("steps: {} passed, 1 failed", run.passed));
                return Err(anyhow!("test step `{}`: {error}", step.name));
            }
        }
    }
    say(format_args!("\n==> [test] finished in {}s", run.elapsed()));
    say(format_args!("steps: {} passed, 0 failed", run.passed));
    Ok(())
}

fn list() {
    let mut text = String::from(
        "Test steps, in the order `cargo xtask test` runs them (name them to run some: `cargo xtask test native browser`;\n\
         the steps they need run first, unless --no-deps):\n\n",
    );
    for step in STEPS {
        let needs: Vec<&str> = step
            .needs
            .iter()
            .copied()
            .filter(|needs| *needs != SERVER)
            .collect();
        let needs = if needs.is_empty() {
            String::new()
        } else {
            format!("  [needs: {}]", needs.join(", "))
        };
        text.push_str(&format!("  {:<24}{}{needs}\n", step.name, step.title));
    }
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
}
