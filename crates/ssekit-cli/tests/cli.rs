//! The `ssekit` binary against the project's fault-injecting SSE server: its
//! output and its exit codes. (`ssekit publish` to a real hub runs in the
//! worker tests, tests/worker.)

use std::process::{Command, Output};

use ssekit_test_support::server::{key, url};

fn ssekit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ssekit"))
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(output: &Output) -> &str {
    std::str::from_utf8(&output.stdout).unwrap()
}

fn stderr(output: &Output) -> &str {
    std::str::from_utf8(&output.stderr).unwrap()
}

#[test]
fn listen_prints_one_json_line_per_message() {
    let output = ssekit(&["listen", &url("/stream?n=2&event=tick"), "--until-end"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"data\":\"0\",\"event\":\"tick\",\"id\":\"0\",\"lastEventId\":\"0\"}\n\
         {\"data\":\"1\",\"event\":\"tick\",\"id\":\"1\",\"lastEventId\":\"1\"}\n"
    );
}

#[test]
fn raw_prints_the_data_and_comments_print_when_asked() {
    let output = ssekit(&["listen", &url("/split"), "--until-end", "--raw"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "a\ncafé 😀\nb\n");
    let output = ssekit(&[
        "listen",
        &url("/stream?n=1&comments=1&ids=0"),
        "--until-end",
        "--comments",
    ]);
    assert_eq!(stdout(&output), "{\"comment\":\"ping 0\"}\n{\"data\":\"0\",\"event\":\"message\",\"id\":null,\"lastEventId\":\"\"}\n");
}

#[test]
fn max_events_stops_a_stream_that_never_ends() {
    let output = ssekit(&[
        "listen",
        &url("/stream?n=3&end=hold"),
        "--max-events",
        "2",
        "--raw",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "0\n1\n");
}

#[test]
fn a_post_with_headers_and_a_body_is_sent_again_on_reconnect() {
    let output = ssekit(&[
        "listen",
        &url("/echo"),
        "-d",
        "{\"q\":1}",
        "-H",
        "Content-Type: application/json",
        "-H",
        "X-Custom:  yes ",
        "--max-events",
        "2",
        "--raw",
        "--reconnect-delay",
        "0.01",
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for echo in lines {
        assert_eq!(echo["method"], "POST");
        assert_eq!(echo["body"], "{\"q\":1}");
        assert_eq!(echo["headers"]["x-custom"], "yes");
        assert_eq!(echo["headers"]["content-type"], "application/json");
    }
    assert_eq!(stderr(&output), "");
}

#[test]
fn last_event_id_resumes_and_reconnects_say_so_on_stderr() {
    let key = key("cli-seq");
    let output = ssekit(&[
        "listen",
        &url(&format!("/seq?key={key}&n=4&drop=1")),
        "--last-event-id",
        "1",
        "--until-end",
        "--raw",
        "--reconnect-delay",
        "0.01",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "event 2\nevent 3\nevent 4\n");
    assert_eq!(stderr(&output).lines().count(), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("ssekit: the request or its body failed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn idle_timeout_reconnects() {
    let output = ssekit(&[
        "listen",
        &url("/stream?n=1&end=hold"),
        "--idle-timeout",
        "0.3",
        "--max-events",
        "2",
        "--raw",
        "--reconnect-delay",
        "0.01",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "0\n0\n");
    assert!(
        stderr(&output).contains("no byte arrived for 300ms"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn exit_codes_say_how_it_failed() {
    let status = ssekit(&["listen", &url("/status/500")]);
    assert_eq!(status.status.code(), Some(3));
    assert_eq!(stderr(&status), "ssekit: the server answered 500 Internal Server Error, not 200: data: must not be dispatched\n");

    let wrong_type = ssekit(&["listen", &url("/type/text%2Fhtml")]);
    assert_eq!(wrong_type.status.code(), Some(4));
    assert!(
        stderr(&wrong_type).contains("\"text/html\""),
        "{}",
        stderr(&wrong_type)
    );

    let gave_up = ssekit(&[
        "listen",
        &url("/reset"),
        "--max-attempts",
        "1",
        "--reconnect-delay",
        "0.01",
        "--quiet",
    ]);
    assert_eq!(gave_up.status.code(), Some(5));
    assert!(
        stderr(&gave_up).starts_with("ssekit: gave up after 1 failed reconnection attempt;"),
        "{}",
        stderr(&gave_up)
    );

    for args in [
        &["listen", "not a url"][..],
        &["listen", "ftp://example.com/"],
        &["listen", "http://example.com/", "-H", "no colon"],
        &["listen", "http://example.com/", "-X", "BAD METHOD"],
        &["listen", "http://example.com/", "--idle-timeout=0"],
        &["listen", "http://example.com/", "-d", "@/no/such/file"],
        &["publish", "not a url", "c", "x"],
        &["publish", "http://example.com/", "c", "{", "--json"],
    ] {
        let output = ssekit(args);
        assert_eq!(
            output.status.code(),
            Some(6),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty());
    }

    let usage = ssekit(&["listen"]);
    assert_eq!(usage.status.code(), Some(2));

    // A 204 is the server saying "nothing more": done.
    let no_content = ssekit(&["listen", &url("/status/204")]);
    assert_eq!(no_content.status.code(), Some(0));
}

#[test]
fn publish_reports_a_refusal_and_an_unreachable_hub() {
    // The test server has no /channels route: it answers 404, as a hub
    // at a wrong address would.
    let refused = ssekit(&["publish", &url(""), "news", "hello", "--token", "t"]);
    assert_eq!(refused.status.code(), Some(3));
    assert_eq!(
        stderr(&refused),
        "ssekit: the hub answered 404 Not Found: no such endpoint\n"
    );

    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = ssekit(&[
        "publish",
        &format!("http://127.0.0.1:{port}"),
        "news",
        "hello",
    ]);
    assert_eq!(unreachable.status.code(), Some(5));
    assert!(
        stderr(&unreachable).starts_with("ssekit: the hub cannot be reached"),
        "{}",
        stderr(&unreachable)
    );
}
