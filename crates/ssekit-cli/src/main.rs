//! `ssekit`: listen to a Server-Sent Events stream, or publish to an ssekit
//! hub channel. Built on `ssekit-client`; see `ssekit --help`.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use futures_util::StreamExt;
use ssekit_client::{Error, Event, EventSource, RetryPolicy};

/// Exit codes, one per way of failing (also in `ssekit --help`).
mod exit {
    /// Done: `--until-end` saw the end, `--max-events` were printed, the
    /// server answered 204, or stdout was closed.
    pub const OK: u8 = 0;
    /// Writing the output failed.
    pub const OUTPUT: u8 = 1;
    // 2: clap's, for a usage error.
    /// The server answered a status other than 200 (or 201 to a publish).
    pub const STATUS: u8 = 3;
    /// The response was not `text/event-stream`.
    pub const NOT_EVENT_STREAM: u8 = 4;
    /// The network failed: gave up reconnecting (`--max-attempts`), or a
    /// publish could not reach the hub.
    pub const NETWORK: u8 = 5;
    /// The request cannot be made: a bad URL, header or body.
    pub const INVALID_REQUEST: u8 = 6;
}

#[derive(Parser)]
#[command(name = "ssekit", version, about = "Server-Sent Events from the command line.", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 done (end of a finite stream, --max-events reached, 204), 1 output failed, \
2 usage, 3 the server refused (status), 4 not an event stream, 5 network (gave up, unreachable), 6 invalid request.";

#[derive(Subcommand)]
enum Command {
    /// Print a stream's messages as JSON lines; reconnect and resume with
    /// Last-Event-ID as a browser does.
    Listen(Listen),
    /// Publish one event to a channel of an ssekit hub.
    Publish(Publish),
}

#[derive(Args)]
struct Listen {
    /// The stream's URL (http or https).
    url: String,
    /// A request header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// The request method.
    #[arg(
        short = 'X',
        long = "request",
        value_name = "METHOD",
        default_value = "GET"
    )]
    method: String,
    /// A request body, sent again on every reconnect; `@file` reads a file.
    /// Makes the method POST unless -X says otherwise.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    data: Option<String>,
    /// The last event ID to start from.
    #[arg(long, value_name = "ID")]
    last_event_id: Option<String>,
    /// Reconnect when no byte arrived for this many seconds.
    #[arg(long, value_name = "SECONDS")]
    idle_timeout: Option<f64>,
    /// A finite stream: stop (exit 0) when the server ends the body cleanly,
    /// instead of reconnecting.
    #[arg(long)]
    until_end: bool,
    /// Stop (exit 0) after this many messages.
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
    /// Give up (exit 5) after this many failed reconnects in a row.
    #[arg(long, value_name = "N")]
    max_attempts: Option<u32>,
    /// The first reconnect's delay in seconds (default 3); it doubles on
    /// each failure in a row, to 30 s. A server's `retry:` replaces it.
    #[arg(long, value_name = "SECONDS")]
    reconnect_delay: Option<f64>,
    /// Statuses that reconnect instead of failing, e.g. 502,503,504.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    retry_statuses: Vec<u16>,
    /// Print each message's data as it is, one message per line, instead
    /// of JSON.
    #[arg(long)]
    raw: bool,
    /// Print comment lines too (`{"comment": …}`; ignored with --raw).
    #[arg(long)]
    comments: bool,
    /// Print nothing on stderr about reconnects.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct Publish {
    /// The hub's base URL, e.g. http://127.0.0.1:8787.
    hub: String,
    /// The channel's name.
    channel: String,
    /// The event's data (a string; with --json, any JSON value).
    data: String,
    /// The event type.
    #[arg(long, value_name = "TYPE")]
    event: Option<String>,
    /// The event's id (the hub numbers it otherwise).
    #[arg(long)]
    id: Option<String>,
    /// The data is JSON, sent as a value.
    #[arg(long)]
    json: bool,
    /// A credential with a write right (also from SSEKIT_TOKEN).
    #[arg(long, env = "SSEKIT_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(exit::OUTPUT, &format!("cannot start the runtime: {error}")),
    };
    runtime.block_on(async {
        match cli.command {
            Command::Listen(args) => listen(args).await,
            Command::Publish(args) => publish(args).await,
        }
    })
}

fn fail(code: u8, text: &str) -> ExitCode {
    eprintln!("ssekit: {text}");
    ExitCode::from(code)
}

async fn listen(args: Listen) -> ExitCode {
    let mut builder = EventSource::get(&args.url);
    let mut method = args.method.to_ascii_uppercase();
    if let Some(data) = &args.data {
        let body = match data.strip_prefix('@') {
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(error) => {
                    return fail(
                        exit::INVALID_REQUEST,
                        &format!("cannot read {path}: {error}"),
                    )
                }
            },
            None => data.clone().into_bytes(),
        };
        builder = builder.body(body);
        if method == "GET" {
            method = "POST".into();
        }
    }
    match reqwest::Method::from_bytes(method.as_bytes()) {
        Ok(method) => builder = builder.method(method),
        Err(_) => {
            return fail(
                exit::INVALID_REQUEST,
                &format!("{method:?} is not a method"),
            )
        }
    }
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return fail(
                exit::INVALID_REQUEST,
                &format!("{header:?} is not a header (Name: value)"),
            );
        };
        builder = builder.header(name.trim(), value.trim());
    }
    if let Some(id) = &args.last_event_id {
        builder = builder.last_event_id(id.clone());
    }
    if let Some(seconds) = args.idle_timeout {
        match Duration::try_from_secs_f64(seconds) {
            Ok(timeout) if !timeout.is_zero() => builder = builder.idle_timeout(timeout),
            _ => {
                return fail(
                    exit::INVALID_REQUEST,
                    "--idle-timeout must be a positive number of seconds",
                )
            }
        }
    }
    let mut policy = RetryPolicy::default().with_max_attempts(args.max_attempts);
    if let Some(seconds) = args.reconnect_delay {
        match Duration::try_from_secs_f64(seconds) {
            Ok(delay) => {
                policy =
                    policy.with_initial_ms(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX))
            }
            Err(_) => {
                return fail(
                    exit::INVALID_REQUEST,
                    "--reconnect-delay must be a number of seconds",
                )
            }
        }
    }
    builder = builder.retry(policy);
    let mut events = match builder
        .retry_statuses(args.retry_statuses.iter().copied())
        .close_on_end(args.until_end)
        .comments(args.comments && !args.raw)
        .connect()
    {
        Ok(events) => events,
        Err(error) => return fail(exit::INVALID_REQUEST, &error.to_string()),
    };

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut printed = 0u64;
    if args.max_events == Some(0) {
        return ExitCode::from(exit::OK);
    }
    while let Some(item) = events.next().await {
        let line = match item {
            Ok(Event::Message(message)) if args.raw => message.data,
            Ok(Event::Message(message)) => serde_json::json!({
                "event": message.event_type,
                "data": message.data,
                "id": message.id,
                "lastEventId": message.last_event_id,
            })
            .to_string(),
            Ok(Event::Comment(text)) => serde_json::json!({ "comment": text }).to_string(),
            Ok(_) => continue,
            Err(error) if !error.is_fatal() => {
                if !args.quiet {
                    eprintln!("ssekit: {error}");
                }
                continue;
            }
            Err(error) => return fatal(error).await,
        };
        // Each line is flushed at once: a pipe's reader sees events live.
        if let Err(error) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            return match error.kind() {
                io::ErrorKind::BrokenPipe => ExitCode::from(exit::OK),
                _ => fail(exit::OUTPUT, &format!("writing the output failed: {error}")),
            };
        }
        printed += 1;
        if args.max_events == Some(printed) {
            break;
        }
    }
    ExitCode::from(exit::OK)
}

/// Reports a fatal error with its exit code; a refused response's body
/// (what the server said) is shown, at most 1 KiB of it.
async fn fatal(error: Error) -> ExitCode {
    let code = match &error {
        Error::Status(_) => exit::STATUS,
        Error::ContentType(_) => exit::NOT_EVENT_STREAM,
        Error::GaveUp { .. } => exit::NETWORK,
        _ => exit::INVALID_REQUEST,
    };
    let text = error.to_string();
    let body = match error {
        Error::Status(response) | Error::ContentType(response) => body_excerpt(*response).await,
        _ => String::new(),
    };
    fail(code, &format!("{text}{body}"))
}

async fn body_excerpt(response: reqwest::Response) -> String {
    match response.text().await {
        Ok(text) if !text.trim().is_empty() => {
            let mut end = text.len().min(1024);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            format!(": {}", text[..end].trim())
        }
        _ => String::new(),
    }
}

async fn publish(args: Publish) -> ExitCode {
    let data = if args.json {
        match serde_json::from_str::<serde_json::Value>(&args.data) {
            Ok(value) => value,
            Err(error) => {
                return fail(
                    exit::INVALID_REQUEST,
                    &format!("the data is not JSON: {error}"),
                )
            }
        }
    } else {
        serde_json::Value::String(args.data)
    };
    let mut body = serde_json::json!({ "data": data });
    if let Some(event) = args.event {
        body["event"] = event.into();
    }
    if let Some(id) = args.id {
        body["id"] = id.into();
    }
    let mut url = match reqwest::Url::parse(&args.hub) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url,
        _ => {
            return fail(
                exit::INVALID_REQUEST,
                &format!("{:?} is not an http(s) URL", args.hub),
            )
        }
    };
    match url.path_segments_mut() {
        Ok(mut segments) => {
            segments
                .pop_if_empty()
                .extend(["channels", &args.channel, "events"]);
        }
        Err(()) => {
            return fail(
                exit::INVALID_REQUEST,
                &format!("{:?} cannot be a base URL", args.hub),
            )
        }
    }
    let mut request = reqwest::Client::new().post(url).json(&body);
    if let Some(token) = args.token {
        request = request.bearer_auth(token);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            return fail(
                exit::NETWORK,
                &format!("the hub cannot be reached: {error}"),
            )
        }
    };
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status != reqwest::StatusCode::CREATED {
        return fail(
            exit::STATUS,
            &format!("the hub answered {status}: {}", text.trim()),
        );
    }
    println!("{}", text.trim());
    ExitCode::from(exit::OK)
}
