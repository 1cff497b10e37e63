//! The connection state machine against the connection rules C2–C8 and C10,
//! D1/D4/D6 and P12 as they apply to a connection, and ssekit's extensions
//! (backoff, jitter, max attempts, retry statuses, pause). Each test is
//! named after its rule; every expected value is written out exactly.
//!
//! There is no server, no socket and no sleep: the tests play the HTTP
//! exchange and move the clock (`now`, in milliseconds) by hand.
//!
//! C1 (resolving the URL) and C9 (which DOM event classes fire) are the
//! JavaScript shell's, not the machine's, and are tested with it.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use core::ops::ControlFlow;

use ssekit::connection::{
    Cause, Config, Connection, Dispatch, Failure, Poll, ReadyState, Request, ResponseHead,
    Transition,
};
use ssekit::{ParseError, RetryPolicy};

const SSE: ResponseHead<'static> = ResponseHead {
    status: 200,
    content_type: Some("text/event-stream"),
};

fn status(status: u16) -> ResponseHead<'static> {
    ResponseHead {
        status,
        content_type: Some("text/event-stream"),
    }
}

fn request(last_event_id: Option<&str>, attempt: u32) -> Option<Request<'_>> {
    Some(Request {
        last_event_id,
        attempt,
    })
}

fn reconnecting(delay_ms: u64, cause: Cause) -> Transition {
    Transition::Reconnecting { delay_ms, cause }
}

/// A connection whose first request was made and answered with 200.
fn opened(config: Config) -> Connection {
    let mut connection = Connection::new(config);
    assert!(connection.poll_request(0).is_some());
    assert_eq!(connection.handle_response(0, SSE, 0.5), Transition::Open);
    connection
}

/// Feeds `bytes`, recording every dispatch as text.
fn feed(connection: &mut Connection, bytes: &[u8]) -> Vec<String> {
    feed_until(connection, bytes, |_| false)
}

/// Feeds `bytes`, recording every dispatch; `close_on` decides, for each
/// one, whether the handler closes the source.
fn feed_until(
    connection: &mut Connection,
    bytes: &[u8],
    mut close_on: impl FnMut(&str) -> bool,
) -> Vec<String> {
    let mut seen = Vec::new();
    connection.handle_bytes(0, bytes, |dispatch| {
        let text = match dispatch {
            Dispatch::Message(m) => format!("{} {:?} id={}", m.event_type, m.data, m.last_event_id),
            Dispatch::Comment(text) => format!("comment {text:?}"),
            Dispatch::Error(error) => format!("error {error:?}"),
        };
        let close = close_on(&text);
        seen.push(text);
        if close {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    seen
}

fn policy(initial_ms: u64, max_ms: u64, multiplier: f64) -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_ms(initial_ms)
        .with_max_ms(max_ms)
        .try_with_multiplier(multiplier)
        .unwrap()
}

fn with_retry(retry: RetryPolicy) -> Config {
    Config {
        retry,
        ..Config::default()
    }
}

// ---- C2: readyState ----

#[test]
fn c2_ready_state_starts_connecting_with_the_dom_values() {
    let connection = Connection::new(Config::default());
    assert_eq!(connection.ready_state(), ReadyState::Connecting);
    assert_eq!(
        [
            ReadyState::Connecting as u8,
            ReadyState::Open as u8,
            ReadyState::Closed as u8
        ],
        [0, 1, 2]
    );
    assert_eq!(connection.last_event_id(), "");
    assert_eq!(connection.reconnection_time_ms(), None);
    assert_eq!(connection.failed_attempts(), 0);
}

#[test]
fn c2_first_request_is_due_at_once_and_only_once() {
    let mut connection = Connection::new(Config::default());
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.poll_request(0), request(None, 0));
    // In flight: nothing more until it ends, however late.
    assert_eq!(connection.poll_request(0), None);
    assert_eq!(connection.poll_request(u64::MAX), None);
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.ready_state(), ReadyState::Connecting);
}

// ---- C3: the request ----

// ---- C4: which responses open ----

#[test]
fn c4_200_with_text_event_stream_opens() {
    let mut connection = Connection::new(Config::default());
    assert!(connection.poll_request(0).is_some());
    assert_eq!(connection.handle_response(0, SSE, 0.5), Transition::Open);
    assert_eq!(connection.ready_state(), ReadyState::Open);
    // A second response for the same request does not fit.
    assert_eq!(connection.handle_response(0, SSE, 0.5), Transition::None);
    assert_eq!(connection.ready_state(), ReadyState::Open);
}

#[test]
fn c4_content_type_parameters_and_case_are_accepted() {
    for content_type in [
        "text/event-stream; charset=utf-8",
        "Text/Event-Stream",
        "TEXT/EVENT-STREAM;charset=latin1",
        " text/event-stream ; x=y",
    ] {
        let mut connection = Connection::new(Config::default());
        let _ = connection.poll_request(0);
        let head = ResponseHead {
            status: 200,
            content_type: Some(content_type),
        };
        assert_eq!(
            connection.handle_response(0, head, 0.5),
            Transition::Open,
            "{content_type:?}"
        );
    }
}

#[test]
fn c4_other_content_types_fail_for_good() {
    for content_type in [
        None,
        Some(""),
        Some("text/plain"),
        Some("text/event-streams"),
        Some("text/event-stream-x; a=b"),
        Some("application/json; text/event-stream"),
        Some("text/html, text/event-stream"),
    ] {
        let mut connection = Connection::new(Config::default());
        let _ = connection.poll_request(0);
        let head = ResponseHead {
            status: 200,
            content_type,
        };
        assert_eq!(
            connection.handle_response(0, head, 0.5),
            Transition::Failed(Failure::ContentType),
            "{content_type:?}"
        );
        assert_eq!(connection.ready_state(), ReadyState::Closed);
        assert_eq!(connection.poll_timeout(), None);
        assert_eq!(connection.poll_request(u64::MAX), None);
    }
}

#[test]
fn c4_statuses_other_than_200_fail_for_good() {
    for code in [204, 205, 301, 304, 400, 404, 500, 502, 503] {
        let mut connection = Connection::new(Config::default());
        let _ = connection.poll_request(0);
        assert_eq!(
            connection.handle_response(0, status(code), 0.5),
            Transition::Failed(Failure::Status(code)),
            "{code}"
        );
        assert_eq!(connection.ready_state(), ReadyState::Closed);
        assert_eq!(connection.poll_timeout(), None);
        assert_eq!(connection.poll_request(u64::MAX), None);
        assert_eq!(connection.failed_attempts(), 0);
    }
}

#[test]
fn c4_a_response_with_no_request_in_flight_is_ignored() {
    let mut connection = Connection::new(Config::default());
    assert_eq!(connection.handle_response(0, SSE, 0.5), Transition::None);
    assert_eq!(connection.ready_state(), ReadyState::Connecting);
    // The request that was due is still due.
    assert_eq!(connection.poll_request(0), request(None, 0));
}

// ---- C5: every end of the body reconnects ----

#[test]
fn c5_a_clean_end_of_the_body_reconnects() {
    let mut connection = opened(Config::default());
    assert_eq!(
        connection.handle_end(10, 0.5),
        reconnecting(3_000, Cause::Ended)
    );
    assert_eq!(connection.ready_state(), ReadyState::Connecting);
    assert_eq!(connection.poll_timeout(), Some(3_010));
    assert_eq!(connection.failed_attempts(), 1);
}

#[test]
fn c5_a_network_error_reconnects_before_or_after_the_response() {
    // fetch rejected: no response at all.
    let mut connection = Connection::new(Config::default());
    let _ = connection.poll_request(0);
    assert_eq!(
        connection.handle_network_error(5, 0.5),
        reconnecting(3_000, Cause::NetworkError)
    );
    assert_eq!(connection.poll_timeout(), Some(3_005));
    // The body could not be read.
    let mut connection = opened(Config::default());
    assert_eq!(
        connection.handle_network_error(7, 0.5),
        reconnecting(3_000, Cause::NetworkError)
    );
    assert_eq!(connection.poll_timeout(), Some(3_007));
}

#[test]
fn c5_an_end_that_does_not_fit_the_state_is_ignored() {
    let mut connection = Connection::new(Config::default());
    // Nothing in flight yet.
    assert_eq!(connection.handle_end(0, 0.5), Transition::None);
    assert_eq!(connection.handle_network_error(0, 0.5), Transition::None);
    // In flight, but a body cannot end before its response.
    let _ = connection.poll_request(0);
    assert_eq!(connection.handle_end(0, 0.5), Transition::None);
    // Waiting to reconnect: a second report of the same end changes nothing.
    let _ = connection.handle_network_error(0, 0.5);
    assert_eq!(connection.handle_network_error(1, 0.5), Transition::None);
    assert_eq!(connection.handle_end(1, 0.5), Transition::None);
    assert_eq!(connection.poll_timeout(), Some(3_000));
    assert_eq!(connection.failed_attempts(), 1);
}

// ---- C6: re-establishing the connection ----

#[test]
fn c6_the_reconnect_request_is_never_early_and_comes_once() {
    let mut connection = opened(Config::default());
    let _ = connection.handle_end(1_000, 0.5);
    assert_eq!(connection.poll_timeout(), Some(4_000));
    assert_eq!(connection.poll_request(1_000), None);
    assert_eq!(connection.poll_request(3_999), None);
    assert_eq!(connection.poll_request(4_000), request(None, 1));
    assert_eq!(connection.poll_request(4_000), None);
    assert_eq!(connection.poll_timeout(), None);
    // Late is fine: the request is due from the deadline on.
    let mut connection = opened(Config::default());
    let _ = connection.handle_end(0, 0.5);
    assert_eq!(connection.poll_request(99_999), request(None, 1));
}

#[test]
fn c6_last_event_id_is_sent_after_a_reconnect() {
    let mut connection = opened(Config::default());
    assert_eq!(
        feed(&mut connection, b"id: 7\ndata: a\n\n"),
        [r#"message "a" id=7"#]
    );
    let _ = connection.handle_end(0, 0.5);
    assert_eq!(connection.poll_request(3_000), request(Some("7"), 1));
    // An empty id resets it: no header at all.
    assert_eq!(
        connection.handle_response(3_000, SSE, 0.5),
        Transition::Open
    );
    assert_eq!(
        feed(&mut connection, b"id\ndata: b\n\n"),
        [r#"message "b" id="#]
    );
    // Open for a minute: the next reconnect is the first again.
    let _ = connection.handle_end(63_000, 0.5);
    assert_eq!(connection.poll_request(66_000), request(None, 1));
}

#[test]
fn c6_last_event_id_from_the_config_is_sent_on_the_first_request() {
    let mut connection = Connection::new(Config {
        last_event_id: "resume-9".into(),
        ..Config::default()
    });
    assert_eq!(connection.last_event_id(), "resume-9");
    assert_eq!(connection.poll_request(0), request(Some("resume-9"), 0));
    assert_eq!(connection.handle_response(0, SSE, 0.5), Transition::Open);
    // It is every message's lastEventId until the stream sets another.
    assert_eq!(
        feed(&mut connection, b"data: x\n\n"),
        [r#"message "x" id=resume-9"#]
    );
    let _ = connection.handle_network_error(0, 0.5);
    assert_eq!(connection.poll_request(3_000), request(Some("resume-9"), 1));
}

#[test]
fn c6_a_last_event_id_that_cannot_be_a_header_is_ignored() {
    for bad in ["a\nb", "a\rb", "a\0b"] {
        let mut connection = Connection::new(Config {
            last_event_id: bad.into(),
            ..Config::default()
        });
        assert_eq!(connection.poll_request(0), request(None, 0), "{bad:?}");
        connection.set_last_event_id("ok");
        connection.set_last_event_id(bad);
        assert_eq!(connection.last_event_id(), "ok");
    }
}

// ---- C7: failing the connection ----

#[test]
fn c7_fail_closes_for_good_from_any_state() {
    // In flight (e.g. the shell's response hook said no).
    let mut connection = Connection::new(Config::default());
    let _ = connection.poll_request(0);
    assert_eq!(
        connection.fail(Failure::Rejected),
        Transition::Failed(Failure::Rejected)
    );
    assert_eq!(connection.ready_state(), ReadyState::Closed);
    assert_eq!(connection.fail(Failure::Rejected), Transition::None);
    // Waiting for a reconnect: it is cancelled.
    let mut connection = opened(Config::default());
    let _ = connection.handle_end(0, 0.5);
    assert_eq!(
        connection.fail(Failure::Rejected),
        Transition::Failed(Failure::Rejected)
    );
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.poll_request(u64::MAX), None);
    // Before the first request (e.g. a URL that is not http).
    let mut connection = Connection::new(Config::default());
    assert_eq!(
        connection.fail(Failure::Rejected),
        Transition::Failed(Failure::Rejected)
    );
    assert_eq!(connection.poll_request(0), None);
}

#[test]
fn c7_failures_explain_themselves() {
    assert_eq!(
        Failure::Status(204).to_string(),
        "the server answered with status 204, not 200"
    );
    assert_eq!(
        Failure::ContentType.to_string(),
        "the response's Content-Type is not text/event-stream"
    );
    assert_eq!(
        Failure::GaveUp { attempts: 3 }.to_string(),
        "gave up after 3 failed reconnection attempts"
    );
    assert_eq!(
        Failure::GaveUp { attempts: 1 }.to_string(),
        "gave up after 1 failed reconnection attempt"
    );
    assert_eq!(
        Failure::GaveUp { attempts: 0 }.to_string(),
        "the connection failed and the retry policy allows no reconnection"
    );
    assert_eq!(Failure::Rejected.to_string(), "the connection was refused");
}

// ---- C8: close() ----

#[test]
fn c8_close_is_silent_and_final() {
    let mut connection = opened(Config::default());
    connection.close();
    assert_eq!(connection.ready_state(), ReadyState::Closed);
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.poll_request(u64::MAX), None);
}

#[test]
fn c8_close_during_a_pending_reconnect_cancels_it() {
    let mut connection = opened(Config::default());
    let _ = connection.handle_end(0, 0.5);
    assert_eq!(connection.poll_timeout(), Some(3_000));
    connection.close();
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.poll_request(3_000), None);
    assert_eq!(connection.poll_request(u64::MAX), None);
}

#[test]
fn c8_inputs_after_close_are_ignored() {
    let mut connection = opened(Config {
        retry_statuses: vec![503],
        ..Config::default()
    });
    assert_eq!(
        feed(&mut connection, b"id: 1\nretry: 10\ndata: a\n\n"),
        [r#"message "a" id=1"#]
    );
    connection.close();
    assert_eq!(
        feed(&mut connection, b"id: 2\nretry: 20\ndata: b\n\n: c\n\n"),
        Vec::<String>::new()
    );
    assert_eq!(connection.handle_response(0, SSE, 0.5), Transition::None);
    assert_eq!(
        connection.handle_response(0, status(503), 0.5),
        Transition::None
    );
    assert_eq!(connection.handle_end(0, 0.5), Transition::None);
    assert_eq!(connection.handle_network_error(0, 0.5), Transition::None);
    assert_eq!(connection.fail(Failure::Rejected), Transition::None);
    connection.set_last_event_id("3");
    connection.set_reconnection_time(30);
    connection.pause(0);
    connection.resume(0);
    connection.close();
    assert_eq!(connection.ready_state(), ReadyState::Closed);
    assert_eq!(connection.last_event_id(), "1");
    assert_eq!(connection.reconnection_time_ms(), Some(10));
    assert_eq!(connection.poll_request(u64::MAX), None);
    assert_eq!(connection.poll_timeout(), None);
}

// ---- C10: the reconnection time ----

#[test]
fn c10_default_reconnection_time_is_3000_ms() {
    let mut connection = Connection::new(Config::default());
    for n in 1..=5u64 {
        let now = (n - 1) * 3_000;
        assert!(connection.poll_request(now).is_some());
        assert_eq!(
            connection.handle_network_error(now, 0.9),
            reconnecting(3_000, Cause::NetworkError)
        );
    }
}

#[test]
fn c10_server_retry_takes_effect_at_once_and_persists_across_reconnects() {
    let mut connection = opened(Config::default());
    // No blank line after it, and the stream is cut: it applies all the same.
    assert_eq!(
        feed(&mut connection, b"data: x\nretry: 250\n"),
        Vec::<String>::new()
    );
    assert_eq!(connection.reconnection_time_ms(), Some(250));
    assert_eq!(
        connection.handle_end(0, 0.5),
        reconnecting(250, Cause::Ended)
    );
    // The next stream says nothing about retry and lasts a minute: 250
    // still holds.
    assert!(connection.poll_request(250).is_some());
    assert_eq!(connection.handle_response(250, SSE, 0.5), Transition::Open);
    assert_eq!(
        connection.handle_end(60_250, 0.5),
        reconnecting(250, Cause::Ended)
    );
    assert!(connection.poll_request(60_500).is_some());
    assert_eq!(
        connection.handle_response(60_500, SSE, 0.5),
        Transition::Open
    );
    assert_eq!(
        connection.handle_network_error(120_500, 0.5),
        reconnecting(250, Cause::NetworkError)
    );
    assert_eq!(connection.reconnection_time_ms(), Some(250));
}

// ---- D1, D4, D6 and P12 through the connection ----

#[test]
fn d1_d4_ids_persist_and_the_type_defaults_to_message() {
    let mut connection = opened(Config::default());
    assert_eq!(
        feed(
            &mut connection,
            b"id: 5\n\n: hi\ndata: a\n\nevent: add\ndata: b\nid: 6\n\n"
        ),
        [r#"comment "hi""#, r#"message "a" id=5"#, r#"add "b" id=6"#]
    );
    assert_eq!(connection.last_event_id(), "6");
}

#[test]
fn d6_a_handler_that_closes_drops_the_rest_of_the_chunk() {
    let mut connection = opened(Config::default());
    let seen = feed_until(
        &mut connection,
        b"data: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\n: c\nretry: 9\n\n",
        |text| text.contains("\"2\""),
    );
    assert_eq!(seen, [r#"message "1" id="#, r#"message "2" id=2"#]);
    assert_eq!(connection.ready_state(), ReadyState::Closed);
    // Nothing after the close took effect: not the id, not the retry.
    assert_eq!(connection.last_event_id(), "2");
    assert_eq!(connection.reconnection_time_ms(), None);
    assert_eq!(feed(&mut connection, b"data: 4\n\n"), Vec::<String>::new());
    assert_eq!(connection.poll_request(u64::MAX), None);
}

#[test]
fn d6_closing_on_a_comment_or_an_error_stops_too() {
    let mut connection = opened(Config::default());
    let seen = feed_until(&mut connection, b": bye\ndata: x\n\n", |_| true);
    assert_eq!(seen, [r#"comment "bye""#]);
    assert_eq!(connection.ready_state(), ReadyState::Closed);

    let mut connection = opened(Config {
        max_event_bytes: 8,
        ..Config::default()
    });
    let seen = feed_until(&mut connection, b"data: 0123456789\n\ndata: x\n\n", |_| {
        true
    });
    assert_eq!(seen, ["error EventTooLarge { limit: 8 }"]);
    assert_eq!(connection.ready_state(), ReadyState::Closed);
}

#[test]
fn p12_the_id_of_a_cut_off_event_is_not_committed() {
    let mut connection = opened(Config::default());
    assert_eq!(
        feed(&mut connection, b"id: 1\ndata: a\n\nid: 2\ndata: b"),
        [r#"message "a" id=1"#]
    );
    let _ = connection.handle_network_error(0, 0.5);
    assert_eq!(connection.last_event_id(), "1");
    assert_eq!(connection.poll_request(3_000), request(Some("1"), 1));
    // The next body starts afresh: its first blank line does not complete
    // the cut-off event.
    assert_eq!(
        connection.handle_response(3_000, SSE, 0.5),
        Transition::Open
    );
    assert_eq!(
        feed(&mut connection, b"\ndata: c\n\n"),
        [r#"message "c" id=1"#]
    );
}

#[test]
fn bytes_before_the_response_are_ignored() {
    let mut connection = Connection::new(Config::default());
    assert_eq!(feed(&mut connection, b"data: a\n\n"), Vec::<String>::new());
    let _ = connection.poll_request(0);
    assert_eq!(feed(&mut connection, b"id: 4\n\n"), Vec::<String>::new());
    assert_eq!(connection.last_event_id(), "");
    assert_eq!(connection.handle_response(0, SSE, 0.5), Transition::Open);
    assert_eq!(
        feed(&mut connection, b"data: b\n\n"),
        [r#"message "b" id="#]
    );
}

#[test]
fn parse_errors_are_passed_through_and_the_connection_stays_open() {
    let mut connection = opened(Config {
        max_event_bytes: 16,
        ..Config::default()
    });
    assert_eq!(
        feed(
            &mut connection,
            b"data: small\n\nid: 9\ndata: far too long for the limit\n\ndata: after\n\n"
        ),
        [
            r#"message "small" id="#,
            "error EventTooLarge { limit: 16 }",
            r#"message "after" id="#,
        ]
    );
    assert_eq!(connection.ready_state(), ReadyState::Open);
    assert_eq!(connection.last_event_id(), "", "the dropped event's id");
    let mut errors = Vec::new();
    connection.handle_bytes(0, b"data: 0123456789abcdef\n\n", |dispatch| {
        if let Dispatch::Error(error) = dispatch {
            errors.push(error);
        }
        ControlFlow::Continue(())
    });
    assert_eq!(errors, [ParseError::EventTooLarge { limit: 16 }]);
}

// ---- Extension: backoff, jitter, max attempts ----

#[test]
fn ext_backoff_grows_by_the_multiplier_up_to_the_cap() {
    let mut connection = Connection::new(with_retry(policy(1_000, 5_000, 2.0)));
    let mut now = 0;
    let mut seen = Vec::new();
    for _ in 0..6 {
        let attempt = connection.poll_request(now).unwrap().attempt;
        let Transition::Reconnecting { delay_ms, .. } = connection.handle_network_error(now, 0.5)
        else {
            panic!("gave up")
        };
        seen.push((attempt, delay_ms));
        now = connection.poll_timeout().unwrap();
    }
    assert_eq!(
        seen,
        [
            (0, 1_000),
            (1, 2_000),
            (2, 4_000),
            (3, 5_000),
            (4, 5_000),
            (5, 5_000)
        ]
    );
    assert_eq!(now, 22_000);
    assert_eq!(connection.failed_attempts(), 6);
}

/// The delays of three reconnects in a row under `policy(1_000, 60_000,
/// 3.0)` after the server sent `retry: server_ms`: the end of the body, then
/// two failed requests.
fn delays_after_a_server_retry(server_ms: u64) -> Vec<Transition> {
    let mut connection = opened(with_retry(policy(1_000, 60_000, 3.0)));
    let _ = feed(&mut connection, format!("retry: {server_ms}\n").as_bytes());
    let mut now = 0;
    let mut delays = vec![connection.handle_end(now, 0.5)];
    for _ in 0..2 {
        if let Some(Transition::Reconnecting { delay_ms, .. }) = delays.last() {
            now += delay_ms;
        }
        assert!(connection.poll_request(now).is_some());
        delays.push(connection.handle_network_error(now, 0.5));
    }
    delays
}

#[test]
fn ext_backoff_grows_from_the_server_retry() {
    assert_eq!(
        delays_after_a_server_retry(2_000),
        [
            reconnecting(2_000, Cause::Ended),
            reconnecting(6_000, Cause::NetworkError),
            reconnecting(18_000, Cause::NetworkError)
        ]
    );
}

#[test]
fn ext_a_server_retry_below_the_initial_delay_holds_once_then_the_backoff_grows_from_initial() {
    assert_eq!(
        delays_after_a_server_retry(100),
        [
            reconnecting(100, Cause::Ended),
            reconnecting(1_000, Cause::NetworkError),
            reconnecting(3_000, Cause::NetworkError)
        ]
    );
}

/// The server answers `retry: 0` and ends the body at once, for ever.
fn hang_up_at_once(connection: &mut Connection, now: u64) -> Transition {
    assert!(connection.poll_request(now).is_some(), "due at {now}");
    assert_eq!(connection.handle_response(now, SSE, 0.5), Transition::Open);
    let _ = feed(connection, b"retry: 0\ndata: hi\n\n");
    connection.handle_end(now, 0.5)
}

#[test]
fn ext_no_hot_loop_against_retry_0_and_an_immediate_end() {
    let mut connection = Connection::new(Config::default());
    let mut now = 0;
    let mut requests = 0;
    // Bounded: a hot loop would never reach 10 s.
    while now < 10_000 && requests < 1_000 {
        requests += 1;
        let Transition::Reconnecting { delay_ms, .. } = hang_up_at_once(&mut connection, now)
        else {
            panic!("gave up");
        };
        now += delay_ms;
    }
    // t=0 (then 0 ms), 0, 3000, 6000, 9000: the server's 0 once, then the
    // policy's 3 s, though every connection delivered an event.
    assert_eq!(requests, 5);
    assert_eq!(connection.failed_attempts(), 5);
}

#[test]
fn ext_no_hot_loop_with_max_ms_0() {
    let retry = RetryPolicy::default().with_max_ms(0);
    let mut connection = Connection::new(with_retry(retry));
    let delays: Vec<_> = (0..4)
        .map(|i| match hang_up_at_once(&mut connection, i * 3_000) {
            Transition::Reconnecting { delay_ms, .. } => delay_ms,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(delays, [0, 3_000, 3_000, 3_000]);
}

#[test]
fn ext_a_server_that_ends_streams_every_few_minutes_gets_exactly_its_retry() {
    let mut connection = opened(Config::default());
    let mut now = 0;
    for _ in 0..5 {
        let _ = feed(&mut connection, b"retry: 500\ndata: x\n\n");
        now += 120_000;
        assert_eq!(
            connection.handle_end(now, 0.5),
            reconnecting(500, Cause::Ended)
        );
        now += 500;
        assert_eq!(connection.poll_request(now), request(None, 1));
        assert_eq!(connection.handle_response(now, SSE, 0.5), Transition::Open);
    }
}

#[test]
fn ext_short_connections_count_toward_max_attempts() {
    let retry = RetryPolicy::default()
        .with_initial_ms(10)
        .with_max_attempts(Some(2));
    let mut connection = Connection::new(with_retry(retry));
    assert!(matches!(
        hang_up_at_once(&mut connection, 0),
        Transition::Reconnecting { .. }
    ));
    assert!(matches!(
        hang_up_at_once(&mut connection, 1_000),
        Transition::Reconnecting { .. }
    ));
    assert_eq!(
        hang_up_at_once(&mut connection, 2_000),
        Transition::Failed(Failure::GaveUp { attempts: 2 })
    );
}

#[test]
fn ext_reset_after_ms_0_starts_over_at_every_open() {
    let retry = RetryPolicy::default().with_reset_after_ms(0);
    let mut connection = Connection::new(with_retry(retry));
    for i in 0..4 {
        assert_eq!(
            hang_up_at_once(&mut connection, i),
            reconnecting(0, Cause::Ended)
        );
    }
}

#[test]
fn ext_jitter_spreads_the_delay_by_the_random_value() {
    let jittery = RetryPolicy::default().try_with_jitter(0.5).unwrap();
    for (random, delay) in [(0.0, 1_500), (0.5, 3_000), (1.0, 4_500), (0.25, 2_250)] {
        let mut connection = opened(with_retry(jittery));
        assert_eq!(
            connection.handle_end(100, random),
            reconnecting(delay, Cause::Ended),
            "random {random}"
        );
        assert_eq!(connection.poll_timeout(), Some(100 + delay));
    }
    // A random value from a broken source cannot make the delay 0.
    let mut connection = opened(with_retry(jittery));
    assert_eq!(
        connection.handle_end(0, f64::NAN),
        reconnecting(3_000, Cause::Ended)
    );
}

#[test]
fn ext_max_attempts_gives_up_with_the_count() {
    let retry = policy(1_000, 1_000, 1.0).with_max_attempts(Some(3));
    let mut connection = Connection::new(with_retry(retry));
    let mut now = 0;
    for attempt in 0..3 {
        assert_eq!(connection.poll_request(now), request(None, attempt));
        assert_eq!(
            connection.handle_network_error(now, 0.5),
            reconnecting(1_000, Cause::NetworkError)
        );
        now += 1_000;
    }
    assert_eq!(connection.poll_request(now), request(None, 3));
    assert_eq!(
        connection.handle_network_error(now, 0.5),
        Transition::Failed(Failure::GaveUp { attempts: 3 })
    );
    assert_eq!(connection.ready_state(), ReadyState::Closed);
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.poll_request(u64::MAX), None);
}

#[test]
fn ext_max_attempts_zero_never_reconnects() {
    let retry = RetryPolicy::default().with_max_attempts(Some(0));
    let mut connection = opened(with_retry(retry));
    assert_eq!(
        connection.handle_end(0, 0.5),
        Transition::Failed(Failure::GaveUp { attempts: 0 })
    );
}

#[test]
fn ext_a_successful_open_resets_the_failed_attempts() {
    let retry = policy(1_000, 60_000, 2.0).with_max_attempts(Some(2));
    let mut connection = Connection::new(with_retry(retry));
    let _ = connection.poll_request(0);
    assert_eq!(
        connection.handle_network_error(0, 0.5),
        reconnecting(1_000, Cause::NetworkError)
    );
    let _ = connection.poll_request(1_000);
    assert_eq!(
        connection.handle_network_error(1_000, 0.5),
        reconnecting(2_000, Cause::NetworkError)
    );
    assert_eq!(connection.failed_attempts(), 2);
    // The third request opens, then the stream drops.
    assert_eq!(connection.poll_request(3_000), request(None, 2));
    assert_eq!(
        connection.handle_response(3_000, SSE, 0.5),
        Transition::Open
    );
    assert_eq!(
        connection.handle_end(63_000, 0.5),
        reconnecting(1_000, Cause::Ended),
        "open for a minute, the count starts over: not GaveUp, and the first delay again"
    );
    assert_eq!(connection.failed_attempts(), 1);
    assert_eq!(connection.poll_request(64_000), request(None, 1));
}

// ---- Extension: retry statuses ----

#[test]
fn ext_retry_statuses_reconnect_and_are_not_an_open() {
    let retry = policy(1_000, 60_000, 2.0).with_max_attempts(Some(2));
    let mut connection = Connection::new(Config {
        retry,
        retry_statuses: vec![502, 503],
        ..Config::default()
    });
    let _ = connection.poll_request(0);
    assert_eq!(
        connection.handle_response(0, status(503), 0.5),
        reconnecting(1_000, Cause::Status(503))
    );
    assert_eq!(connection.ready_state(), ReadyState::Connecting);
    // Its body is not read.
    assert_eq!(feed(&mut connection, b"data: x\n\n"), Vec::<String>::new());
    let _ = connection.poll_request(1_000);
    assert_eq!(
        connection.handle_response(1_000, status(502), 0.5),
        reconnecting(2_000, Cause::Status(502)),
        "the 503 did not reset the count"
    );
    assert_eq!(connection.poll_request(3_000), request(None, 2));
    assert_eq!(
        connection.handle_response(3_000, status(503), 0.5),
        Transition::Failed(Failure::GaveUp { attempts: 2 })
    );
    // A status that is not listed still fails at once.
    let mut connection = Connection::new(Config {
        retry_statuses: vec![503],
        ..Config::default()
    });
    let _ = connection.poll_request(0);
    assert_eq!(
        connection.handle_response(0, status(500), 0.5),
        Transition::Failed(Failure::Status(500))
    );
}

#[test]
fn ext_a_retry_status_needs_no_content_type_and_200_cannot_be_one() {
    let mut connection = Connection::new(Config {
        retry_statuses: vec![200, 504],
        ..Config::default()
    });
    let _ = connection.poll_request(0);
    let head = ResponseHead {
        status: 504,
        content_type: None,
    };
    assert_eq!(
        connection.handle_response(0, head, 0.5),
        reconnecting(3_000, Cause::Status(504))
    );
    let _ = connection.poll_request(3_000);
    assert_eq!(
        connection.handle_response(3_000, SSE, 0.5),
        Transition::Open
    );
}

// ---- Extension: pause and resume (pauseWhenHidden) ----

#[test]
fn ext_pause_while_open_is_silent_and_drops_the_partial_event() {
    let mut connection = opened(Config::default());
    assert_eq!(
        feed(&mut connection, b"id: 1\ndata: a\n\nid: 2\ndata: b"),
        [r#"message "a" id=1"#]
    );
    connection.pause(0);
    assert_eq!(connection.ready_state(), ReadyState::Connecting);
    assert_eq!(connection.last_event_id(), "1");
    assert_eq!(connection.poll_request(u64::MAX), None);
    assert_eq!(connection.poll_timeout(), None);
    // The aborted body's last bytes are ignored.
    assert_eq!(feed(&mut connection, b"\n\n"), Vec::<String>::new());
    assert_eq!(connection.handle_end(0, 0.5), Transition::None);
    assert_eq!(connection.handle_network_error(0, 0.5), Transition::None);
    connection.resume(50_000);
    assert_eq!(connection.poll_request(50_000), request(Some("1"), 0));
    assert_eq!(connection.failed_attempts(), 0);
}

#[test]
fn ext_pause_in_flight_abandons_the_attempt_without_counting_it() {
    let mut connection = Connection::new(Config::default());
    let _ = connection.poll_request(0);
    let _ = connection.handle_network_error(0, 0.5);
    let _ = connection.poll_request(3_000);
    connection.pause(0);
    // The aborted request's late response does not count.
    assert_eq!(
        connection.handle_response(3_001, SSE, 0.5),
        Transition::None
    );
    assert_eq!(connection.ready_state(), ReadyState::Connecting);
    connection.resume(9_000);
    assert_eq!(connection.poll_request(9_000), request(None, 1));
    assert_eq!(connection.failed_attempts(), 1);
}

#[test]
fn ext_pause_before_the_first_request_holds_it() {
    let mut connection = Connection::new(Config::default());
    connection.pause(0);
    assert_eq!(connection.poll_request(0), None);
    connection.pause(0);
    connection.resume(0);
    assert_eq!(connection.poll_request(0), request(None, 0));
    // resume when not paused changes nothing.
    connection.resume(0);
    assert_eq!(connection.poll_request(0), None);
}

#[test]
fn ext_pause_keeps_a_pending_backoff() {
    let mut connection = opened(Config::default());
    let _ = connection.handle_end(0, 0.5);
    connection.pause(0);
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.poll_request(3_000), None);
    // Resumed before the deadline: the backoff still runs to its end.
    connection.resume(1_000);
    assert_eq!(connection.poll_timeout(), Some(3_000));
    assert_eq!(connection.poll_request(2_999), None);
    assert_eq!(connection.poll_request(3_000), request(None, 1));
    // Resumed after the deadline (6,000), or at it: due at once, with no
    // timer left to set.
    let _ = connection.handle_network_error(3_000, 0.5);
    connection.pause(3_000);
    connection.resume(10_000);
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.poll_request(10_000), request(None, 2));
    let _ = connection.handle_network_error(10_000, 0.5);
    connection.pause(10_000);
    connection.resume(13_000);
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.poll_request(13_000), request(None, 3));
}

// ---- Extension: idle timeout ----

fn idle(ms: u64) -> Config {
    Config {
        idle_timeout_ms: Some(ms),
        ..Config::default()
    }
}

#[test]
fn ext_idle_timeout_is_off_by_default() {
    let mut connection = opened(Config::default());
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.handle_timeout(u64::MAX, 0.5), Transition::None);
    assert_eq!(connection.ready_state(), ReadyState::Open);
}

#[test]
fn ext_idle_timeout_counts_from_the_last_byte_comments_included() {
    let mut connection = Connection::new(idle(10_000));
    assert_eq!(connection.poll_request(100), request(None, 0));
    // Waiting for the response head counts too.
    assert_eq!(connection.poll_timeout(), Some(10_100));
    assert_eq!(
        connection.handle_response(2_000, SSE, 0.5),
        Transition::Open
    );
    assert_eq!(connection.poll_timeout(), Some(12_000));
    connection.handle_bytes(5_000, b"id: 1\ndata: a\n\n", |_| ControlFlow::Continue(()));
    assert_eq!(connection.poll_timeout(), Some(15_000));
    // A heartbeat comment is a byte like any other.
    connection.handle_bytes(9_000, b":\n", |_| ControlFlow::Continue(()));
    assert_eq!(connection.poll_timeout(), Some(19_000));
    // Before the deadline: nothing.
    assert_eq!(connection.handle_timeout(18_999, 0.5), Transition::None);
    assert_eq!(connection.ready_state(), ReadyState::Open);
    // At it: reconnect with the last event ID, after the reconnection time;
    // the attempt after an open is the first again.
    assert_eq!(
        connection.handle_timeout(19_000, 0.5),
        reconnecting(3_000, Cause::IdleTimeout)
    );
    assert_eq!(connection.ready_state(), ReadyState::Connecting);
    assert_eq!(connection.poll_timeout(), Some(22_000));
    assert_eq!(connection.poll_request(22_000), request(Some("1"), 1));
    assert_eq!(connection.poll_timeout(), Some(32_000));
}

#[test]
fn ext_idle_timeout_without_a_response_is_a_failed_attempt() {
    let mut connection = Connection::new(Config {
        retry: RetryPolicy::default()
            .with_initial_ms(1_000)
            .with_max_attempts(Some(1)),
        ..idle(500)
    });
    assert!(connection.poll_request(0).is_some());
    assert_eq!(
        connection.handle_timeout(500, 0.5),
        reconnecting(1_000, Cause::IdleTimeout)
    );
    assert_eq!(connection.poll_request(1_500), request(None, 1));
    assert_eq!(
        connection.handle_timeout(2_000, 0.5),
        Transition::Failed(Failure::GaveUp { attempts: 1 })
    );
    assert_eq!(connection.poll_timeout(), None);
}

#[test]
fn ext_idle_timeout_drops_the_cut_off_event() {
    let mut connection = opened(idle(1_000));
    let _ = feed(&mut connection, b"id: 5\ndata: half");
    assert_eq!(
        connection.handle_timeout(1_000, 0.5),
        reconnecting(3_000, Cause::IdleTimeout)
    );
    assert_eq!(connection.last_event_id(), "");
}

#[test]
fn ext_idle_timeout_does_not_run_while_waiting_paused_or_closed() {
    let mut connection = opened(idle(1_000));
    // A pending reconnect's deadline is the reconnect, not the idle timeout.
    let _ = connection.handle_end(0, 0.5);
    assert_eq!(connection.poll_timeout(), Some(3_000));
    assert_eq!(connection.handle_timeout(2_000, 0.5), Transition::None);
    assert!(connection.poll_request(3_000).is_some());
    connection.pause(0);
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.handle_timeout(9_000, 0.5), Transition::None);
    connection.resume(9_000);
    assert!(connection.poll_request(9_000).is_some());
    connection.close();
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.handle_timeout(99_000, 0.5), Transition::None);
}

#[test]
fn ext_idle_timeout_is_put_off_by_bytes_a_foreign_parser_saw() {
    let mut connection = opened(idle(1_000));
    connection.handle_progress(800);
    assert_eq!(connection.poll_timeout(), Some(1_800));
    assert_eq!(connection.handle_timeout(1_000, 0.5), Transition::None);
}

// ---- Extension: close on end (finite streams) ----

#[test]
fn ext_close_on_end_ends_for_good_at_a_clean_end() {
    let mut connection = opened(Config {
        close_on_end: true,
        ..Config::default()
    });
    assert_eq!(
        feed(&mut connection, b"data: answer\n\ndata: cut"),
        [r#"message "answer" id="#]
    );
    assert_eq!(connection.handle_end(0, 0.5), Transition::Ended);
    assert_eq!(connection.ready_state(), ReadyState::Closed);
    assert_eq!(connection.poll_timeout(), None);
    assert_eq!(connection.poll_request(u64::MAX), None);
}

#[test]
fn ext_close_on_end_still_reconnects_after_a_network_error() {
    let mut connection = opened(Config {
        close_on_end: true,
        ..Config::default()
    });
    assert_eq!(
        connection.handle_network_error(0, 0.5),
        reconnecting(3_000, Cause::NetworkError)
    );
    assert!(connection.poll_request(3_000).is_some());
    assert_eq!(
        connection.handle_response(3_000, SSE, 0.5),
        Transition::Open
    );
    assert_eq!(connection.handle_end(4_000, 0.5), Transition::Ended);
}

// ---- A foreign parser reporting fields ----

#[test]
fn foreign_parser_fields_set_the_id_and_the_reconnection_time() {
    let mut connection = opened(Config::default());
    connection.set_last_event_id("from-js");
    connection.set_reconnection_time(1_234);
    assert_eq!(connection.last_event_id(), "from-js");
    assert_eq!(
        connection.handle_end(0, 0.5),
        reconnecting(1_234, Cause::Ended)
    );
    assert_eq!(connection.poll_request(1_234), request(Some("from-js"), 1));
}

// ---- No input panics ----

#[test]
fn extreme_times_and_delays_saturate() {
    let mut connection = opened(Config::default());
    let _ = feed(&mut connection, b"retry: 99999999999999999999999\n");
    assert_eq!(
        connection.handle_end(u64::MAX - 10, 0.5),
        reconnecting(u64::MAX, Cause::Ended)
    );
    assert_eq!(connection.poll_timeout(), Some(u64::MAX));
    assert_eq!(connection.poll_request(u64::MAX - 1), None);
    assert_eq!(connection.poll_request(u64::MAX), request(None, 1));
}

// ---- poll: what to do now ----

#[test]
fn poll_answers_every_phase() {
    let mut connection = Connection::new(Config {
        idle_timeout_ms: Some(5_000),
        ..Config::default()
    });
    assert_eq!(connection.poll(0), Poll::Request(request(None, 0).unwrap()));
    assert_eq!(
        connection.poll(10),
        Poll::Until(5_000),
        "idle timeout in flight"
    );
    assert_eq!(connection.handle_response(10, SSE, 0.5), Transition::Open);
    assert_eq!(connection.poll(10), Poll::Until(5_010));
    let _ = connection.handle_network_error(20, 0.5);
    assert_eq!(
        connection.poll(20),
        Poll::Until(3_020),
        "the reconnect's deadline"
    );
    connection.pause(30);
    assert_eq!(connection.poll(30), Poll::Paused);
    connection.resume(4_000);
    assert_eq!(
        connection.poll(4_000),
        Poll::Request(request(None, 1).unwrap())
    );
    connection.close();
    assert_eq!(connection.poll(4_000), Poll::Closed);

    let mut untimed = Connection::new(Config::default());
    let _ = untimed.poll(0);
    assert_eq!(
        untimed.poll(0),
        Poll::Io,
        "no deadline: wait for the response"
    );
}

// ---- reconnect(): a restart asked for by the caller ----

#[test]
fn reconnect_drops_the_response_and_requests_at_once_with_the_last_event_id() {
    let mut connection = opened(Config::default());
    assert_eq!(
        feed(&mut connection, b"id: 4\ndata: a\n\nid: 5\ndata: cut"),
        [r#"message "a" id=4"#]
    );
    assert_eq!(connection.reconnect(100), reconnecting(0, Cause::Requested));
    assert_eq!(connection.ready_state(), ReadyState::Connecting);
    assert_eq!(
        connection.poll(100),
        Poll::Request(request(Some("4"), 0).unwrap()),
        "at once, the cut event's id not committed, and no failed attempt"
    );
    // While a reconnect waits, it happens now.
    let _ = connection.handle_network_error(200, 0.5);
    assert_eq!(connection.poll(200), Poll::Until(3_200));
    assert_eq!(connection.reconnect(300), reconnecting(0, Cause::Requested));
    assert!(matches!(connection.poll(300), Poll::Request(_)));
    // Not while paused, not after close.
    connection.pause(400);
    assert_eq!(connection.reconnect(400), Transition::None);
    connection.close();
    assert_eq!(connection.reconnect(500), Transition::None);
}
