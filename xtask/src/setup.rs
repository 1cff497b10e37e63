//! Installs, idempotently and with progress, every tool the tests and builds
//! need. Versions are pinned so a fresh machine gets exactly what main was
//! tested with (each step says why each pin and each registry).

use std::path::Path;

use anyhow::{anyhow, Context, Result};

use crate::cmd::{say, which, Cmd};

const WASM_PACK_VERSION: &str = "0.15.1";
/// Must equal the wasm-bindgen pin in Cargo.toml / Cargo.lock.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
const GECKODRIVER_VERSION: &str = "0.37.1";
/// Must match the worker crate pin in Cargo.toml / hub/Cargo.toml.
const WORKER_BUILD_VERSION: &str = "0.8.7";
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// A tool `cargo install` builds: its program, crate, pinned version, what
/// it is for, and whether its own lockfile is used.
struct CargoTool(&'static str, &'static str, &'static str, &'static str, bool);

/// The build and test tools from crates.io, in the order they install.
const CARGO_TOOLS: [CargoTool; 4] = [
    // Not --locked: its lockfile names a webpki-roots release this registry lacks.
    CargoTool(
        "wasm-bindgen",
        "wasm-bindgen-cli",
        WASM_BINDGEN_VERSION,
        " (provides wasm-bindgen-test-runner)",
        false,
    ),
    CargoTool("wasm-pack", "wasm-pack", WASM_PACK_VERSION, "", true),
    CargoTool(
        "cargo-fuzz",
        "cargo-fuzz",
        CARGO_FUZZ_VERSION,
        " (cargo xtask fuzz)",
        true,
    ),
    CargoTool(
        "worker-build",
        "worker-build",
        WORKER_BUILD_VERSION,
        " (builds the hub worker, hub/)",
        true,
    ),
];

const APT_UPDATED: &str = "/tmp/.ssekit-apt-updated";

fn step(what: &str) {
    say(format_args!("\n==> [install] {what}"));
}

pub fn run() -> Result<()> {
    step("rust target wasm32-unknown-unknown");
    let installed = Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .read()?;
    if installed
        .lines()
        .any(|line| line == "wasm32-unknown-unknown")
    {
        say("already installed");
    } else {
        Cmd::new("rustup")
            .args(["target", "add", "wasm32-unknown-unknown"])
            .run()?;
    }

    step("apt packages: chromium chromium-driver binaryen");
    apt_install(&["chromium", "chromium-driver", "binaryen"])?;

    step("node (runs the browser tests' SSE server)");
    match Cmd::new("node").arg("--version").probe() {
        Some(version) => say(format_args!("already installed: node {}", version.trim())),
        None => apt_install(&["nodejs"])?,
    }

    for CargoTool(program, krate, version, purpose, locked) in &CARGO_TOOLS {
        step(&format!("{krate} {version}{purpose}"));
        if have_version(program, version) {
            say("already installed");
        } else {
            cargo_install(krate, version, *locked)?;
        }
    }

    if std::env::var("SSEKIT_SKIP_FIREFOX").as_deref() != Ok("1") {
        step(&format!(
            "optional: firefox-esr + geckodriver {GECKODRIVER_VERSION}"
        ));
        // Optional: without them the Firefox runs are skipped, not failed.
        match apt_install(&["firefox-esr"]) {
            Ok(()) => {
                if have_version("geckodriver", GECKODRIVER_VERSION) {
                    say("geckodriver already installed");
                } else if let Err(error) = cargo_install("geckodriver", GECKODRIVER_VERSION, true) {
                    say(format_args!(
                        "geckodriver did not install ({error}); Firefox tests will be skipped"
                    ));
                }
            }
            Err(error) => say(format_args!(
                "firefox-esr did not install ({error}); Firefox tests will be skipped"
            )),
        }
    }

    step("tools ready");
    Ok(())
}

/// Runs [`run`] unless the build tools are all there at their versions (a
/// few `--version` calls): what the build commands need on a fresh machine,
/// without the full installs' progress on every build.
pub fn ensure_build_tools() -> Result<()> {
    let wasm_target = Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .probe()
        .is_some_and(|out| out.lines().any(|line| line == "wasm32-unknown-unknown"));
    let ready = wasm_target
        && CARGO_TOOLS
            .iter()
            .all(|CargoTool(program, _, version, _, _)| have_version(program, version));
    if ready {
        Ok(())
    } else {
        run()
    }
}

/// Does `PROGRAM --version` succeed and mention `expected`?
fn have_version(program: &str, expected: &str) -> bool {
    Cmd::new(program)
        .arg("--version")
        .probe()
        .is_some_and(|out| out.contains(expected))
}

/// Installs the missing ones of `packages` with apt.
fn apt_install(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|package| Cmd::new("dpkg").args(["-s", package]).probe().is_none())
        .collect();
    if missing.is_empty() {
        say(format_args!("already installed: {}", packages.join(" ")));
        return Ok(());
    }
    say(format_args!("installing: {}", missing.join(" ")));
    if which("apt-get").is_none() {
        return Err(anyhow!(
            "apt-get is not here to install {}",
            missing.join(" ")
        ));
    }
    if !Path::new(APT_UPDATED).exists() {
        Cmd::new("apt-get").args(["update", "-qq"]).run()?;
        std::fs::write(APT_UPDATED, "").with_context(|| format!("writing {APT_UPDATED}"))?;
    }
    Cmd::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing)
        .run()
}

fn cargo_install(krate: &str, version: &str, locked: bool) -> Result<()> {
    let mut cargo = Cmd::new("cargo").arg("install");
    if locked {
        cargo = cargo.arg("--locked");
    }
    cargo.args([krate, "--version", version, "--force"]).run()
}
