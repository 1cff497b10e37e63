//! The Rust client beside reqwest-eventsource and LaunchDarkly's
//! eventsource-client: events per second and client CPU per event, reading
//! one long stream from a local server, in the same run.
//!
//! The server is this binary in a child process (`serve`), so the CPU time
//! measured (getrusage of this process) is the client's alone. Each client
//! runs on a current-thread tokio runtime; the rounds interleave the
//! clients, and the table shows each one's median.
//!
//!   cargo run --release --manifest-path benches/rust-client/Cargo.toml [-- ROUNDS]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Instant;

use futures_util::StreamExt;

/// A stream of `n` events shaped like a real feed: an id, a type, a JSON
/// data line of about 80 bytes.
fn feed(n: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..n {
        write!(body, "id: {i}\nevent: update\ndata: {{\"n\":{i},\"text\":\"the quick brown fox jumps over the lazy dog\"}}\n\n").unwrap();
    }
    body
}

/// `n` tiny events (`data: x`): the cost per event, not per byte.
fn tiny(n: usize) -> Vec<u8> {
    b"data: x\n\n".repeat(n)
}

fn serve(scenario: &str, n: usize) {
    let body = match scenario {
        "feed" => feed(n),
        _ => tiny(n),
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    println!("{}", listener.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).unwrap_or(0) == 0 {
                break;
            }
            head.push(byte[0]);
        }
        let header = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream
            .write_all(header.as_bytes())
            .and_then(|()| stream.write_all(&body));
    }
}

fn cpu_seconds() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let time = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    time(usage.ru_utime) + time(usage.ru_stime)
}

async fn ssekit_client(url: &str) -> usize {
    let mut events = ssekit_client::EventSource::get(url)
        .close_on_end(true)
        .connect()
        .unwrap();
    let mut count = 0;
    while let Some(item) = events.next().await {
        if let ssekit_client::Event::Message(message) = item.unwrap() {
            std::hint::black_box(&message.data);
            count += 1;
        }
    }
    count
}

async fn reqwest_eventsource(url: &str) -> usize {
    use reqwest_eventsource::{Error, Event, EventSource};
    let mut events = EventSource::get(url);
    let mut count = 0;
    while let Some(item) = events.next().await {
        match item {
            Ok(Event::Message(message)) => {
                std::hint::black_box(&message.data);
                count += 1;
            }
            Ok(Event::Open) => {}
            Err(Error::StreamEnded) => {
                events.close();
                break;
            }
            Err(error) => panic!("reqwest-eventsource: {error}"),
        }
    }
    count
}

async fn eventsource_client(url: &str) -> usize {
    use eventsource_client::{Client, ClientBuilder, ReconnectOptions, SSE};
    let client = ClientBuilder::for_url(url)
        .unwrap()
        .reconnect(ReconnectOptions::reconnect(false).build())
        .build_http();
    let mut events = client.stream();
    let mut count = 0;
    while let Some(item) = events.next().await {
        match item {
            Ok(SSE::Event(event)) => {
                std::hint::black_box(&event.data);
                count += 1;
            }
            Ok(_) => {}
            // The end of the body, with reconnects off.
            Err(_) => break,
        }
    }
    count
}

const CLIENTS: [&str; 3] = ["ssekit-client", "reqwest-eventsource", "eventsource-client"];

fn run(client: &str, url: &str) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        match client {
            "ssekit-client" => ssekit_client(url).await,
            "reqwest-eventsource" => reqwest_eventsource(url).await,
            _ => eventsource_client(url).await,
        }
    })
}

/// 1234567.8 as "1,234,568".
fn thousands(value: f64) -> String {
    let digits = format!("{value:.0}");
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        return serve(&args[2], args[3].parse().unwrap());
    }
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    println!("| stream | client | events/s (median of {rounds}) | client CPU per event | vs the faster peer |");
    println!("|---|---|---:|---:|---:|");
    for (scenario, n, what) in [
        (
            "feed",
            200_000,
            "200,000 feed events (~110 B: id, type, JSON data)",
        ),
        ("tiny", 1_000_000, "1,000,000 tiny events (`data: x`)"),
    ] {
        let mut server = Command::new(std::env::current_exe().unwrap())
            .args(["serve", scenario, &n.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut port = String::new();
        BufReader::new(server.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        let url = format!("http://127.0.0.1:{}/", port.trim());
        let mut rates = vec![Vec::new(); CLIENTS.len()];
        let mut cpus = vec![Vec::new(); CLIENTS.len()];
        // One unmeasured run each warms the server's and the clients' paths.
        for client in CLIENTS {
            assert_eq!(run(client, &url), n, "{client} lost events");
        }
        for _ in 0..rounds {
            for (i, client) in CLIENTS.iter().enumerate() {
                let (cpu, start) = (cpu_seconds(), Instant::now());
                let count = run(client, &url);
                let (wall, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu);
                assert_eq!(count, n, "{client} lost events");
                rates[i].push(n as f64 / wall);
                cpus[i].push(cpu / n as f64 * 1e9);
            }
        }
        server.kill().unwrap();
        let rates: Vec<f64> = rates.iter_mut().map(|r| median(r)).collect();
        let cpus: Vec<f64> = cpus.iter_mut().map(|c| median(c)).collect();
        let faster_peer = rates[1].max(rates[2]);
        for (i, client) in CLIENTS.iter().enumerate() {
            println!(
                "| {what} | {client} | {} | {} ns | {:.2}x |",
                thousands(rates[i]),
                thousands(cpus[i]),
                rates[i] / faster_peer
            );
        }
    }
}
