//! What the client must do, written once and run natively (tests/native.rs,
//! on tokio) and in headless Chromium (tests/browser.rs, wasm-pack test),
//! against the project's fault-injecting SSE server (tests/server).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use ssekit_client::{Error, Event, EventSource, EventStream, Message, RetryPolicy};
use ssekit_test_support::base64url as b64url;

/// Calls `$run!(case, ...)` with every case: each platform's test file
/// turns them into tests of its own kind.
macro_rules! for_each_case {
    ($run:ident) => {
        $run!(
            every_chunking_of_every_line_end_gives_the_same_messages,
            hostile_chunk_boundaries_from_the_server,
            the_method_body_and_headers_are_sent_again_on_every_reconnect_with_last_event_id,
            an_initial_last_event_id_resumes_and_a_cut_event_is_never_delivered,
            a_header_last_event_id_is_where_it_starts_and_the_machine_takes_over,
            a_cut_connection_drops_the_half_event,
            status_204_ends_the_stream_without_an_error,
            a_status_other_than_200_fails_with_the_response_readable,
            a_wrong_content_type_fails,
            retry_statuses_reconnect_and_others_do_not,
            it_gives_up_after_max_attempts,
            redirects_are_followed,
            a_clean_end_reconnects_unless_the_stream_is_finite,
            the_idle_timeout_reconnects_a_silent_connection,
            reconnect_resumes_after_the_last_message_yielded_not_the_last_parsed,
            a_handle_reconnects_and_closes_from_another_task,
            per_attempt_headers_carry_a_fresh_token_each_time,
            a_failing_headers_function_is_retried,
            comments_only_when_asked,
            an_event_over_the_limit_is_dropped_and_the_stream_goes_on,
            a_server_retry_of_zero_does_not_loop_hot,
            dropping_the_stream_aborts_the_request,
            requests_that_can_never_be_made_fail_at_connect
        );
    };
}

#[cfg(not(target_arch = "wasm32"))]
mod platform {
    use std::future::Future;
    use std::time::Duration;

    pub use ssekit_test_support::server::{key, url};

    pub async fn sleep(duration: Duration) {
        tokio::time::sleep(duration).await
    }

    pub fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        tokio::spawn(future);
    }
}

#[cfg(target_arch = "wasm32")]
mod platform {
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// The test server the test command started (`Needs::Server`).
    pub fn url(path: &str) -> String {
        let Some(server) = option_env!("SSEKIT_TEST_SERVER") else {
            panic!("SSEKIT_TEST_SERVER is not set: run ./scripts/test.sh, which starts tests/server/sse-server.mjs");
        };
        format!("{server}{path}")
    }

    /// A key for /stats that no other run uses (the server outlives a run).
    pub fn key(name: &str) -> String {
        static N: AtomicUsize = AtomicUsize::new(0);
        format!(
            "{name}-{}-{}",
            js_sys::Date::now() as u64,
            N.fetch_add(1, Ordering::Relaxed)
        )
    }

    pub async fn sleep(duration: Duration) {
        gloo_timers::future::sleep(duration).await
    }

    pub fn spawn(future: impl Future<Output = ()> + 'static) {
        wasm_bindgen_futures::spawn_local(future);
    }
}

use platform::{key, sleep, spawn, url};

/// The requests the server saw with `key`, in order; a browser's CORS
/// preflights left out.
pub async fn stats(key: &str) -> Vec<serde_json::Value> {
    let text = reqwest::get(url(&format!("/stats?key={key}")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let seen: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    seen.into_iter()
        .filter(|request| request["method"] != "OPTIONS")
        .collect()
}

/// The `Last-Event-ID` of each request the server saw with `key`.
pub async fn sent_ids(key: &str) -> Vec<serde_json::Value> {
    stats(key)
        .await
        .iter()
        .map(|r| r["lastEventId"].clone())
        .collect()
}

/// Fast retries, so that reconnects take milliseconds.
pub fn fast() -> RetryPolicy {
    RetryPolicy::default().with_initial_ms(10).with_max_ms(50)
}

/// Everything the stream yields up to its end, as text: `open`, each
/// message as `type:data#id`, comments as `:text`, errors by kind.
pub async fn drain(mut events: EventStream, limit: usize) -> Vec<String> {
    let mut seen = Vec::new();
    while let Some(item) = events.next().await {
        seen.push(describe(item));
        if seen.len() == limit {
            break;
        }
    }
    seen
}

pub fn describe(item: Result<Event, Error>) -> String {
    match item {
        Ok(Event::Open { .. }) => "open".into(),
        Ok(Event::Message(Message {
            event_type,
            data,
            last_event_id,
            ..
        })) => format!("{event_type}:{data}#{last_event_id}"),
        Ok(Event::Comment(text)) => format!(":{text}"),
        Ok(other) => format!("{other:?}"),
        Err(Error::Network(_)) => "network error".into(),
        Err(Error::Ended) => "ended".into(),
        Err(Error::RetryStatus(status)) => format!("retry status {}", status.as_u16()),
        Err(Error::IdleTimeout(_)) => "idle timeout".into(),
        Err(Error::Status(response)) => format!("status {}", response.status().as_u16()),
        Err(Error::ContentType(_)) => "content type".into(),
        Err(Error::GaveUp { attempts, last }) => {
            format!("gave up after {attempts}: {}", describe(Err(*last)))
        }
        Err(error) => format!("{error:?}"),
    }
}

/// A body with LF, CR and CRLF line ends (a CR that a chunk may end with), a
/// BOM, comments, multi-byte characters, an id, a named event, and an event
/// cut off at the end.
const BODY: &[u8] =
    "\u{feff}: hi\ndata: a\r\ndata: é😀\r\rid: 7\revent: x\ndata: b\n\n:c\r\nretry: 5\n\ndata: cut"
        .as_bytes();

pub async fn every_chunking_of_every_line_end_gives_the_same_messages() {
    let mut chunkings: Vec<Vec<usize>> = (0..=BODY.len()).map(|cut| vec![cut]).collect();
    chunkings.push((1..BODY.len()).collect()); // one byte per chunk
    for cuts in chunkings {
        let cuts_text = cuts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let events = EventSource::get(&url(&format!(
            "/chunks?b64={}&cuts={cuts_text}",
            b64url(BODY)
        )))
        .comments(true)
        .close_on_end(true)
        .connect()
        .unwrap();
        assert_eq!(
            drain(events, 100).await,
            ["open", ":hi", "message:a\né😀#", "x:b#7", ":c"],
            "cut at {cuts_text}"
        );
    }
}

pub async fn hostile_chunk_boundaries_from_the_server() {
    let events = EventSource::get(&url("/split"))
        .close_on_end(true)
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 10).await,
        ["open", "message:a\ncafé 😀#", "message:b#7"]
    );
}

pub async fn the_method_body_and_headers_are_sent_again_on_every_reconnect_with_last_event_id() {
    let events = EventSource::post(&url("/echo"))
        .header("x-custom", "yes")
        .header("content-type", "application/json")
        .body(r#"{"prompt":"hi"}"#)
        .last_event_id("start")
        .retry(fast())
        .connect()
        .unwrap();
    let mut echoes = Vec::new();
    let mut events = events;
    while echoes.len() < 2 {
        if let Ok(Event::Message(message)) = events.next().await.unwrap() {
            echoes.push(serde_json::from_str::<serde_json::Value>(&message.data).unwrap());
        }
    }
    for echo in &echoes {
        assert_eq!(echo["method"], "POST");
        assert_eq!(echo["body"], r#"{"prompt":"hi"}"#);
        assert_eq!(echo["headers"]["x-custom"], "yes");
        assert_eq!(echo["headers"]["accept"], "text/event-stream");
        assert_eq!(echo["lastEventId"], "start");
        // No Cache-Control set by hand (in a browser it would cost a
        // preflight); a browser adds its own for cache mode no-store.
        if cfg!(not(target_arch = "wasm32")) {
            assert!(echo["headers"]["cache-control"].is_null());
        }
    }
}

pub async fn an_initial_last_event_id_resumes_and_a_cut_event_is_never_delivered() {
    // /seq cuts the connection mid-event after 2 events; the client resumes
    // with the last id it saw, and the half event is dropped (P12).
    let key = key("seq");
    let events = EventSource::get(&url(&format!("/seq?key={key}&n=6&drop=2")))
        .last_event_id("1")
        .retry(fast())
        .close_on_end(true)
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 20).await,
        [
            "open",
            "message:event 2#2",
            "message:event 3#3",
            "network error",
            "open",
            "message:event 4#4",
            "message:event 5#5",
            "network error",
            "open",
            "message:event 6#6"
        ]
    );
    let sent = sent_ids(&key).await;
    assert_eq!(sent, ["1", "3", "5"]);
}

pub async fn a_header_last_event_id_is_where_it_starts_and_the_machine_takes_over() {
    let key = key("lei-header");
    let events = EventSource::get(&url(&format!("/seq?key={key}&n=4&drop=1")))
        .header("last-event-id", "2")
        .retry(fast())
        .close_on_end(true)
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 20).await,
        [
            "open",
            "message:event 3#3",
            "network error",
            "open",
            "message:event 4#4"
        ]
    );
    let sent = sent_ids(&key).await;
    assert_eq!(sent, ["2", "3"]);
}

pub async fn a_cut_connection_drops_the_half_event() {
    let events = EventSource::get(&url("/cut"))
        .retry(fast())
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 4).await,
        ["open", "message:whole#1", "network error", "open"]
    );
}

pub async fn status_204_ends_the_stream_without_an_error() {
    let events = EventSource::get(&url("/status/204")).connect().unwrap();
    assert_eq!(drain(events, 10).await, Vec::<String>::new());
}

pub async fn a_status_other_than_200_fails_with_the_response_readable() {
    let mut events = EventSource::get(&url("/status/500")).connect().unwrap();
    let Some(Err(Error::Status(response))) = events.next().await else {
        panic!("expected a status error")
    };
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["x-test-reason"], "status 500");
    assert_eq!(
        response.text().await.unwrap(),
        "data: must not be dispatched\n\n"
    );
    assert!(
        events.next().await.is_none(),
        "a fatal error ends the stream"
    );
}

pub async fn a_wrong_content_type_fails() {
    let mut events = EventSource::get(&url("/type/text%2Fplain"))
        .connect()
        .unwrap();
    let Some(Err(error @ Error::ContentType(_))) = events.next().await else {
        panic!("expected a content type error")
    };
    assert!(error.is_fatal());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
    assert!(events.next().await.is_none());
}

pub async fn retry_statuses_reconnect_and_others_do_not() {
    let key = key("flaky");
    let events = EventSource::get(&url(&format!("/flaky?key={key}&fail=2")))
        .retry_statuses([503])
        .retry(fast())
        .close_on_end(true)
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 10).await,
        [
            "retry status 503",
            "retry status 503",
            "open",
            "message:recovered#"
        ]
    );
    let events = EventSource::get(&url(&format!("/flaky?key={}&fail=2", self::key("flaky"))))
        .connect()
        .unwrap();
    assert_eq!(drain(events, 10).await, ["status 503"]);
}

pub async fn it_gives_up_after_max_attempts() {
    let events = EventSource::get(&url("/reset"))
        .retry(fast().with_max_attempts(Some(2)))
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 10).await,
        [
            "network error",
            "network error",
            "gave up after 2: network error"
        ]
    );
}

pub async fn redirects_are_followed() {
    let events = EventSource::get(&url("/redirect/307?to=/stream%3Fn%3D2"))
        .close_on_end(true)
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 10).await,
        ["open", "message:0#0", "message:1#1"]
    );
}

pub async fn a_clean_end_reconnects_unless_the_stream_is_finite() {
    let key = key("end");
    let events = EventSource::get(&url(&format!("/stream?n=1&key={key}")))
        .retry(fast())
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 5).await,
        ["open", "message:0#0", "ended", "open", "message:0#0"]
    );
    let sent = sent_ids(&key).await;
    assert_eq!(
        sent[..2],
        ["null".parse::<serde_json::Value>().unwrap(), "0".into()]
    );

    let events = EventSource::get(&url("/stream?n=2"))
        .close_on_end(true)
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 10).await,
        ["open", "message:0#0", "message:1#1"]
    );
}

pub async fn the_idle_timeout_reconnects_a_silent_connection() {
    let key = key("idle");
    let events = EventSource::get(&url(&format!("/stream?n=1&end=hold&key={key}")))
        .idle_timeout(Duration::from_millis(300))
        .retry(fast())
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 5).await,
        ["open", "message:0#0", "idle timeout", "open", "message:0#0"]
    );
    let sent = sent_ids(&key).await;
    assert_eq!(sent[1], "0");
}

pub async fn reconnect_resumes_after_the_last_message_yielded_not_the_last_parsed() {
    // Four events in one chunk, then the connection is held: after the
    // second is yielded, reconnect() must resume from id 2, though the
    // machine has parsed up to 4.
    let key = key("reconnect");
    let body = "id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\nid: 4\ndata: d\n\n";
    let mut events = EventSource::get(&url(&format!(
        "/chunks?key={key}&end=hold&b64={}",
        b64url(body.as_bytes())
    )))
    .connect()
    .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        seen.push(describe(events.next().await.unwrap()));
    }
    assert_eq!(seen, ["open", "message:a#1", "message:b#2"]);
    events.reconnect();
    assert_eq!(events.last_event_id(), "2");
    assert_eq!(describe(events.next().await.unwrap()), "open");
    assert_eq!(describe(events.next().await.unwrap()), "message:a#1");
    let sent = sent_ids(&key).await;
    assert_eq!(sent, [serde_json::Value::Null, "2".into()]);
}

pub async fn a_handle_reconnects_and_closes_from_another_task() {
    let key = key("handle");
    let mut events = EventSource::get(&url(&format!("/stream?n=1&end=hold&key={key}")))
        .connect()
        .unwrap();
    let handle = events.handle();
    assert_eq!(describe(events.next().await.unwrap()), "open");
    assert_eq!(describe(events.next().await.unwrap()), "message:0#0");
    // The stream is waiting on a held connection; the handle wakes it.
    spawn({
        let handle = handle.clone();
        async move { handle.reconnect() }
    });
    assert_eq!(describe(events.next().await.unwrap()), "open");
    assert_eq!(describe(events.next().await.unwrap()), "message:0#0");
    spawn(async move { handle.close() });
    assert!(events.next().await.is_none());
    assert_eq!(events.ready_state(), ssekit::connection::ReadyState::Closed);
}

pub async fn per_attempt_headers_carry_a_fresh_token_each_time() {
    // /once accepts each Authorization value once, as a server does with a
    // token that expires: fixed headers fail on the first reconnect...
    let events = EventSource::get(&url(&format!("/once?key={}", key("fixed"))))
        .header("authorization", "Bearer 1")
        .retry(fast())
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 10).await,
        ["open", "message:Bearer 1#", "ended", "status 401"]
    );

    // ...and a headers function gets a new one for every attempt.
    let minted = Arc::new(AtomicUsize::new(0));
    let events = EventSource::get(&url(&format!("/once?key={}", key("fresh"))))
        .headers_with({
            let minted = Arc::clone(&minted);
            move || {
                let n = minted.fetch_add(1, Ordering::Relaxed) + 1;
                async move {
                    let mut headers = reqwest::header::HeaderMap::new();
                    headers.insert("authorization", format!("Bearer {n}").parse()?);
                    Ok(headers)
                }
            }
        })
        .retry(fast())
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 6).await,
        [
            "open",
            "message:Bearer 1#",
            "ended",
            "open",
            "message:Bearer 2#",
            "ended"
        ]
    );
}

pub async fn a_failing_headers_function_is_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let events = EventSource::get(&url("/stream?n=1"))
        .headers_with({
            let calls = Arc::clone(&calls);
            move || {
                let n = calls.fetch_add(1, Ordering::Relaxed);
                async move {
                    if n == 0 {
                        return Err("the token service is down".into());
                    }
                    Ok(reqwest::header::HeaderMap::new())
                }
            }
        })
        .retry(fast())
        .close_on_end(true)
        .connect()
        .unwrap();
    let seen = drain(events, 10).await;
    assert!(seen[0].starts_with("Headers("), "{seen:?}");
    assert_eq!(seen[1..], ["open", "message:0#0"]);
}

pub async fn comments_only_when_asked() {
    let events = EventSource::get(&url("/stream?n=2&comments=1"))
        .close_on_end(true)
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 10).await,
        ["open", "message:0#0", "message:1#1"]
    );
    let events = EventSource::get(&url("/stream?n=2&comments=1"))
        .comments(true)
        .close_on_end(true)
        .connect()
        .unwrap();
    assert_eq!(
        drain(events, 10).await,
        ["open", ":ping 0", "message:0#0", ":ping 1", "message:1#1"]
    );
}

pub async fn an_event_over_the_limit_is_dropped_and_the_stream_goes_on() {
    let body = format!("data: {}\n\ndata: small\n\n", "x".repeat(5000));
    let events = EventSource::get(&url(&format!("/chunks?b64={}", b64url(body.as_bytes()))))
        .max_event_bytes(1024)
        .close_on_end(true)
        .connect()
        .unwrap();
    let seen = drain(events, 10).await;
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[1].starts_with("EventTooLarge"), "{seen:?}");
    assert_eq!(seen[2], "message:small#");
}

pub async fn a_server_retry_of_zero_does_not_loop_hot() {
    // retry: 0 and an immediate end: the server's 0 ms once, then from the
    // second reconnect in a row the policy's 100 ms, each time.
    let key = key("hot");
    let events = EventSource::get(&url(&format!("/stream?n=0&retry=0&key={key}")))
        .retry(RetryPolicy::default().with_initial_ms(100).with_max_ms(100))
        .connect()
        .unwrap();
    let seen = drain(events, 12).await; // 6 × (open, ended)
    assert!(seen.iter().all(|s| s == "open" || s == "ended"), "{seen:?}");
    // When the server saw each request. A delay starts at its connection's
    // end, after the server saw that request: each gap is at least the delay
    // (99 in whole milliseconds), however slow the machine; no upper bound.
    let at: Vec<f64> = stats(&key)
        .await
        .iter()
        .map(|request| request["at"].as_f64().unwrap())
        .collect();
    assert!(at.len() >= 6, "{at:?}");
    let gaps: Vec<f64> = at.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert!(
        gaps[1..5].iter().all(|&gap| gap >= 99.0),
        "the gaps between requests after the first reconnect: {gaps:?} ms"
    );
}

pub async fn dropping_the_stream_aborts_the_request() {
    let key = key("drop");
    let mut events = EventSource::get(&url(&format!("/stream?n=1&end=hold&key={key}")))
        .connect()
        .unwrap();
    assert_eq!(describe(events.next().await.unwrap()), "open");
    drop(events);
    // Asks the server until it has seen the connection close.
    for _ in 0..200 {
        if stats(&key).await[0]["closed"] == true {
            return;
        }
        sleep(Duration::from_millis(10)).await;
    }
    panic!("the server never saw the connection close");
}

pub async fn requests_that_can_never_be_made_fail_at_connect() {
    for (builder, text) in [
        (EventSource::get("not a url"), "the URL does not parse"),
        (EventSource::get("ftp://example.com/"), "not http or https"),
        (
            EventSource::get("http://example.com/").header("bad header", "x"),
            "invalid header",
        ),
        (
            EventSource::get("http://example.com/").header("x", "a\nb"),
            "invalid header",
        ),
    ] {
        let Err(error) = builder.connect() else {
            panic!("{text}: expected an error")
        };
        assert!(error.is_fatal());
        assert!(error.to_string().contains(text), "{error}");
    }
}
