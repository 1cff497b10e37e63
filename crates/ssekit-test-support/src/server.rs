//! The project's fault-injecting SSE server (tests/server/sse-server.mjs),
//! for native tests of HTTP clients: started once per test process with the
//! machine's `node` (or `$NODE`), on a free port; it exits when the test
//! process does (its stdin closes).

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

struct Server {
    port: u16,
    // Held for the life of the process: the server exits when it closes.
    _stdin: ChildStdin,
    _child: Child,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/server/sse-server.mjs"
        );
        let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
        let mut child = Command::new(node)
            .args([script, "0"])
            .env("SSE_SERVER_EXIT_ON_STDIN_END", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the test server needs node on PATH (or $NODE)");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the test server's first line");
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the test server said {line:?}"));
        let stdin = child.stdin.take().expect("piped");
        Server {
            port,
            _stdin: stdin,
            _child: child,
        }
    })
}

/// The server's URL for `path` (which starts with `/`), e.g.
/// `url("/stream?n=3")`.
pub fn url(path: &str) -> String {
    format!("http://127.0.0.1:{}{path}", server().port)
}

/// A `key` for the server's `/stats` no other test of this process uses.
pub fn key(name: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
