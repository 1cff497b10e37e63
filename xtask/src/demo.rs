//! The live demo (the README's first command) and wrangler for this
//! repository.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::Child;
use std::sync::atomic::{AtomicI32, Ordering};
use std::thread;
use std::time::{Duration, SystemTime};

use anyhow::{anyhow, Context, Error, Result};

use crate::build;
use crate::cmd::{
    create_dir, npm_install, npm_install_unless, progress_to_stderr, say, Cmd, Exit, NODE22,
};
use crate::setup;

const WRANGLER: &str = "node_modules/wrangler/bin/wrangler.js";

/// Keeps wrangler off the network: no metrics, no error reports, no cf fetch.
const QUIET_WRANGLER: [(&str, &str); 6] = [
    ("WRANGLER_SEND_METRICS", "false"),
    ("WRANGLER_SEND_ERROR_REPORTS", "false"),
    ("DO_NOT_TRACK", "1"),
    ("WRANGLER_HIDE_BANNER", "true"),
    ("CLOUDFLARE_CF_FETCH_ENABLED", "false"),
    ("NO_UPDATE_NOTIFIER", "1"),
];

fn step(what: &str) {
    say(format_args!("\n==> [demo] {what}"));
}

/// The live demo: installs what it needs, builds the npm package and the
/// worker, and runs the worker in local workerd (wrangler dev) serving the
/// www/ page, with local tokens. Prints the URL and keeps running; Ctrl-C
/// (or SIGTERM) stops everything, workerd included.
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
    let mut wrangler = Cmd::new(NODE22)
        .arg(WRANGLER)
        .args(["dev", "--ip", "127.0.0.1", "--port", &port])
        .args(["--persist-to", "target/wrangler-state"])
        .arg("--var")
        .arg(format!("PUBLISH_TOKEN:{publish_token}"))
        .arg("--var")
        .arg(format!("SUBSCRIBE_TOKEN:{subscribe_token}"))
        .arg("--var")
        .arg(format!("ALLOWED_ORIGINS:http://127.0.0.1:{port}"))
        // The demo's own routes (/chat, /ticks): off in a deploy.
        .arg("--var")
        .arg("DEMO:1")
        .into_command();
    wrangler.envs(QUIET_WRANGLER);
    // Its own process group, so stopping it stops workerd and the build too.
    wrangler.process_group(0);
    catch_stop_signals();
    let child = wrangler.spawn().context("starting wrangler dev")?;
    let mut group = Group {
        child,
        stopped: false,
    };

    // Stats are a read right: the demo's subscribe token opens them.
    let stats = format!("/channels/{channel}/stats?token={subscribe_token}");
    let mut ready = false;
    for _ in 0..1200 {
        if let Some(code) = stop_signal() {
            return Err(group.stop_for(code));
        }
        if answers_ok(&port, &stats) {
            say(format_args!(
                "\n==> [demo] ready: http://127.0.0.1:{port}/   (Ctrl-C to stop)"
            ));
            ready = true;
            break;
        }
        if let Ok(Some(_)) = group.child.try_wait() {
            say("wrangler dev exited");
            group.stop();
            return Err(Exit(1).into());
        }
        thread::sleep(Duration::from_millis(500));
    }
    if !ready {
        group.stop();
        return Err(anyhow!(
            "wrangler dev did not answer {stats} on port {port} in 10 minutes"
        ));
    }
    loop {
        if let Some(code) = stop_signal() {
            return Err(group.stop_for(code));
        }
        match group.child.try_wait() {
            Ok(Some(status)) => {
                group.stop();
                return match status.code() {
                    Some(0) => Ok(()),
                    Some(code) => Err(Exit(u8::try_from(code).unwrap_or(1)).into()),
                    None => Err(anyhow!("wrangler dev ended ({status})")),
                };
            }
            Ok(None) => thread::sleep(Duration::from_millis(100)),
            Err(error) => {
                group.stop();
                return Err(anyhow!("waiting for wrangler dev: {error}"));
            }
        }
    }
}

/// wrangler's process group: stopped (TERM, then KILL after 5 s) on Ctrl-C,
/// on SIGTERM, when wrangler ends by itself and on any error.
struct Group {
    child: Child,
    stopped: bool,
}

impl Group {
    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        say("\n==> [demo] stopping (wrangler and workerd)");
        let group = -(self.child.id() as i32);
        // SAFETY: kill(2) with a process group id and a signal number.
        unsafe { libc::kill(group, libc::SIGTERM) };
        for _ in 0..50 {
            // Reap wrangler itself, so only live members keep the group.
            let _ = self.child.try_wait();
            // SAFETY: as above; signal 0 only asks whether the group lives.
            if unsafe { libc::kill(group, 0) } != 0 {
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
        // SAFETY: as above.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.child.wait();
        say("==> [demo] stopped");
    }

    /// Stops, and the error that leaves with the shell's code for `signal`.
    fn stop_for(&mut self, signal: i32) -> Error {
        self.stop();
        Exit(u8::try_from(128 + signal).unwrap_or(1)).into()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The stop signal received (SIGINT or SIGTERM), 0 for none.
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_stop_signal(signal: libc::c_int) {
    STOP_SIGNAL.store(signal, Ordering::SeqCst);
}

/// Ctrl-C and SIGTERM set [`STOP_SIGNAL`] instead of ending xtask at once,
/// which would leave wrangler's group (in a process group of its own, where
/// a terminal's Ctrl-C does not reach) running.
fn catch_stop_signals() {
    let handler: extern "C" fn(libc::c_int) = on_stop_signal;
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores into an atomic, which is
        // async-signal-safe.
        unsafe { libc::signal(signal, handler as libc::sighandler_t) };
    }
}

fn stop_signal() -> Option<i32> {
    match STOP_SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// Does `GET http://127.0.0.1:PORT{path}` answer 2xx?
fn answers_ok(port: &str, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(format!("127.0.0.1:{port}")) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match stream.read(&mut head[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    // "HTTP/1.1 200 OK": the status's first digit is at byte 9.
    read >= 12 && head.starts_with(b"HTTP/1.") && head[9] == b'2'
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
