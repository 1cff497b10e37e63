//! ssekit's `EventSource` in real browsers against the real fault-injecting
//! server in tests/server/sse-server.mjs (started by scripts/test.sh, which
//! passes its address in SSEKIT_TEST_SERVER at build time). Each scenario
//! asserts the exact sequence of events and readyState transitions.
#![cfg(target_arch = "wasm32")]

mod support;

use js_sys::{Array, Function, Reflect, Uint8Array};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[test]
fn constants_on_class_and_instances_and_initial_state() {
    let class = event_source_class();
    for (name, value) in [("CONNECTING", 0.0), ("OPEN", 1.0), ("CLOSED", 2.0)] {
        assert_eq!(
            Reflect::get(&class, &name.into()).unwrap().as_f64(),
            Some(value)
        );
    }
    let source = open_source("/stream?n=0&end=hold", JsValue::UNDEFINED);
    assert!(
        source.is_instance_of::<web_sys::EventTarget>(),
        "a real EventTarget"
    );
    assert_eq!(
        Reflect::get(&source, &"OPEN".into()).unwrap().as_f64(),
        Some(1.0)
    );
    assert_eq!(ready_state(&source), 0.0, "C2: starts CONNECTING");
    assert_eq!(
        Reflect::get(&source, &"url".into())
            .unwrap()
            .as_string()
            .unwrap(),
        url("/stream?n=0&end=hold")
    );
    assert_eq!(
        Reflect::get(&source, &"withCredentials".into())
            .unwrap()
            .as_bool(),
        Some(false)
    );
    close(&source);
    assert_eq!(ready_state(&source), 2.0);
}

#[test]
fn invalid_url_is_a_syntax_error() {
    let error = construct(&event_source_class(), "http://[::1", &JsValue::UNDEFINED).unwrap_err();
    let error: &web_sys::DomException = error.unchecked_ref();
    assert_eq!(error.name(), "SyntaxError");
}

#[test]
fn bad_init_is_a_type_error() {
    let class = event_source_class();
    let stream = js_sys::eval("new ReadableStream()").unwrap();
    for init in [
        object(&[("method", "POST".into()), ("body", stream)]),
        object(&[("body", "x".into())]), // GET with a body
        object(&[("credentials", "sometimes".into())]),
        object(&[("signal", "not a signal".into())]),
    ] {
        let error = construct(&class, &url("/stream"), &init).unwrap_err();
        assert!(error.is_instance_of::<js_sys::TypeError>(), "{:?}", error);
    }
}

#[test]
async fn resumes_after_a_cut_with_last_event_id_and_no_partial_event() {
    let key = unique_key("seq");
    let source = open_source(
        &format!("/seq?n=4&drop=2&key={key}"),
        object(&[fast_retry()]),
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 7).await;
    close(&source);
    assert_eq!(
        strings(&log)[..7],
        [
            "open@1",
            "message@1 event 1#1",
            "message@1 event 2#2",
            "error@0 network", // C6: CONNECTING, then error; "partial" was never dispatched
            "open@1",
            "message@1 event 3#3",
            "message@1 event 4#4",
        ]
    );
    let seen = requests(&key).await;
    assert_eq!(seen[0]["lastEventId"], serde_json::Value::Null);
    assert_eq!(seen[1]["lastEventId"], "2");
}

#[test]
async fn hostile_chunk_boundaries() {
    let source = open_source("/split", object(&[fast_retry()]));
    let log = record(&source, &Array::new());
    wait_log(&log, 4).await;
    close(&source);
    assert_eq!(
        strings(&log)[..4],
        [
            "open@1",
            "message@1 a\ncafé 😀#",
            "message@1 b#7",
            "error@0"
        ]
    );
}

#[test]
async fn clean_eof_reconnects_and_the_id_persists() {
    let key = unique_key("eof");
    let source = open_source(&format!("/stream?n=2&key={key}"), object(&[fast_retry()]));
    let log = record(&source, &Array::new());
    wait_log(&log, 5).await;
    close(&source);
    assert_eq!(
        strings(&log)[..5],
        [
            "open@1",
            "message@1 0#0",
            "message@1 1#1",
            "error@0",
            "open@1"
        ]
    );
    assert_eq!(requests(&key).await[1]["lastEventId"], "1");
}

#[test]
async fn an_absurd_server_retry_waits_instead_of_reconnecting_at_once() {
    // 2^32 seconds: far past what one timer can hold (2^31 - 1 ms), which
    // would otherwise fire at once and turn into a reconnect loop.
    let key = unique_key("absurd-retry");
    let source = open_source(
        &format!("/stream?n=1&retry=4294967296000&key={key}"),
        JsValue::UNDEFINED,
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 3).await;
    wait(delay(300)).await;
    assert_eq!(strings(&log), ["open@1", "message@1 0#0", "error@0"]);
    assert_eq!(ready_state(&source), 0.0);
    assert_eq!(requests(&key).await.len(), 1, "no reconnect yet");
    close(&source);
}

#[test]
async fn failing_statuses_and_types_close_for_good() {
    for (path, expected) in [
        ("/status/204", "error@2 status=204 http-status"),
        ("/status/404", "error@2 status=404 http-status"),
        ("/status/500", "error@2 status=500 http-status"),
        ("/type/text%2Fplain", "error@2 status=200 content-type"),
    ] {
        let key = unique_key("fail");
        let source = open_source(&format!("{path}?key={key}"), object(&[fast_retry()]));
        let log = record(&source, &Array::new());
        wait_log(&log, 1).await;
        wait(delay(100)).await;
        assert_eq!(strings(&log), [expected], "{path}");
        assert_eq!(ready_state(&source), 2.0);
        assert_eq!(requests(&key).await.len(), 1, "{path}: no reconnect");
    }
}

#[test]
async fn content_type_parameters_are_allowed() {
    let source = open_source(
        "/type/Text%2FEvent-Stream%3B%20charset%3Dutf-8",
        object(&[fast_retry()]),
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 2).await;
    close(&source);
    assert_eq!(
        strings(&log)[..2],
        ["open@1", "message@1 must not be dispatched#"]
    );
}

#[test]
async fn follows_redirects_and_reports_the_final_origin() {
    for code in ["301", "307"] {
        let source = open_source(&format!("/redirect/{code}"), object(&[fast_retry()]));
        let origins = Array::new();
        let push = Closure::<dyn FnMut(web_sys::MessageEvent)>::new({
            let origins = origins.clone();
            move |event: web_sys::MessageEvent| {
                origins.push(&event.origin().into());
            }
        });
        let target: &web_sys::EventTarget = source.unchecked_ref();
        target
            .add_event_listener_with_callback("message", push.as_ref().unchecked_ref())
            .unwrap();
        let log = record(&source, &Array::new());
        wait_log(&log, 3).await;
        close(&source);
        assert_eq!(
            strings(&log)[..3],
            ["open@1", "message@1 0#0", "message@1 1#1"]
        );
        assert_eq!(origins.get(0).as_string().unwrap(), server());
        drop(push);
    }
}

#[test]
async fn cross_origin_redirects_keep_only_what_fetch_allows() {
    // The client leaves redirects to fetch: on a redirect to another origin
    // the Fetch Standard drops `Authorization`, taints the origin (`Origin:
    // null`), and keeps the body only for 307/308 (301/302 turn a POST into
    // a GET, 303 any method but HEAD). Another origin here is the same
    // server under `localhost`.
    let other_origin = server().replace("127.0.0.1", "localhost");
    assert_ne!(other_origin, server());
    for (code, method, body) in [
        ("301", "GET", ""),
        ("302", "GET", ""),
        ("303", "GET", ""),
        ("307", "POST", "secret-body"),
        ("308", "POST", "secret-body"),
    ] {
        let to = js_sys::encode_uri_component(&format!("{other_origin}/echo"));
        let init = object(&[
            ("method", "POST".into()),
            ("body", "secret-body".into()),
            (
                "headers",
                object(&[
                    ("Authorization", "Bearer secret".into()),
                    ("X-Token", "kept".into()),
                ]),
            ),
            ("credentials", "include".into()),
            fast_retry(),
        ]);
        let source = open_source(&format!("/redirect/{code}?to={to}"), init);
        let log = record(&source, &Array::new());
        wait_log(&log, 2).await;
        close(&source);
        assert_eq!(strings(&log)[0], "open@1", "{code}");
        let echo = echo_at(&log, 1);
        assert_eq!(echo["method"], method, "{code}");
        assert_eq!(echo["body"], body, "{code}");
        assert!(
            echo["headers"].get("authorization").is_none(),
            "{code}: {echo}"
        );
        assert_eq!(echo["headers"]["x-token"], "kept", "{code}");
        assert_eq!(echo["headers"]["origin"], "null", "{code}");
    }
}

#[test]
async fn sends_method_headers_body_and_initial_last_event_id() {
    let headers = object(&[
        ("X-Token", "secret".into()),
        ("Content-Type", "text/plain".into()),
    ]);
    let init = object(&[
        ("method", "POST".into()),
        ("headers", headers),
        ("body", "hello body".into()),
        ("lastEventId", "41".into()),
        fast_retry(),
    ]);
    let key = unique_key("echo");
    let source = open_source(&format!("/echo?key={key}"), init);
    let messages = record(&source, &Array::new());
    wait_log(&messages, 2).await;
    close(&source);
    let echo = echo_at(&messages, 1);
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["headers"]["x-token"], "secret");
    assert_eq!(echo["headers"]["accept"], "text/event-stream");
    assert_eq!(echo["headers"]["last-event-id"], "41");
    assert_eq!(echo["body"], "hello body");
    // The custom headers were preflighted; C3: no Cache-Control set by hand
    // (the browser may add its own for cache mode no-store, unpreflighted).
    let seen = seen(&key).await;
    assert_eq!(seen[0]["method"], "OPTIONS");
    assert_eq!(seen[0]["requestHeaders"], "last-event-id,x-token");
    assert_eq!(seen[1]["method"], "POST");
}

#[test]
async fn binary_and_form_bodies_are_replayed_on_reconnect() {
    let bytes = Uint8Array::from(&[0u8, 1, 2, 255][..]);
    let params = js_sys::eval("new URLSearchParams({ a: '1', b: 'two' })").unwrap();
    let blob = js_sys::eval("new Blob(['blob body'])").unwrap();
    for (body, expected) in [
        (JsValue::from(bytes.clone()), "AAEC/w=="),
        (params, "YT0xJmI9dHdv"),
        (blob, "YmxvYiBib2R5"),
    ] {
        let init = object(&[("method", "PUT".into()), ("body", body), fast_retry()]);
        let source = open_source("/echo", init);
        // The bytes were copied at construction: changing them now, before
        // any request went out, must not change what is sent.
        bytes.set_index(0, 9);
        let log = record(&source, &Array::new());
        // open, message, error (EOF), open, message: the body went twice.
        wait_log(&log, 5).await;
        close(&source);
        for index in [1, 4] {
            let echo = echo_at(&log, index);
            assert_eq!(echo["bodyBase64"], expected);
        }
        bytes.set_index(0, 0);
    }
}

#[test]
async fn gives_up_after_max_attempts() {
    let key = unique_key("reset");
    let init = object(&[(
        "retry",
        object(&[("initialMs", 5.into()), ("maxAttempts", 2.into())]),
    )]);
    let source = open_source(&format!("/reset?key={key}"), init);
    let log = record(&source, &Array::new());
    wait_log(&log, 3).await;
    wait(delay(100)).await;
    assert_eq!(
        strings(&log),
        ["error@0 network", "error@0 network", "error@2 gave-up"]
    );
    // The first request and two reconnects, each followed by the probe that
    // tells a network error from a CORS refusal (this page is cross-origin).
    assert_eq!(
        methods(&key).await,
        ["GET", "HEAD", "GET", "HEAD", "GET", "HEAD"]
    );
}

#[test]
async fn listed_statuses_reconnect_with_backoff_instead_of_failing() {
    let key = unique_key("flaky");
    let init = object(&[(
        "retry",
        object(&[
            ("initialMs", 10.into()),
            ("statuses", Array::of2(&503.into(), &502.into()).into()),
        ]),
    )]);
    let source = open_source(&format!("/flaky?key={key}&fail=2"), init);
    let log = record(&source, &Array::new());
    wait_log(&log, 4).await;
    close(&source);
    // Two 503s: each an error while CONNECTING, with the status; then it opens.
    assert_eq!(
        strings(&log)[..4],
        [
            "error@0 status=503 http-status",
            "error@0 status=503 http-status",
            "open@1",
            "message@1 recovered#"
        ]
    );
    // Anything not listed still fails for good, as the standard says.
    let unlisted = open_source(
        "/status/500",
        object(&[(
            "retry",
            object(&[("statuses", Array::of1(&503.into()).into())]),
        )]),
    );
    let log = record(&unlisted, &Array::new());
    wait_log(&log, 1).await;
    assert_eq!(strings(&log), ["error@2 status=500 http-status"]);
    let bad = construct(
        &event_source_class(),
        &url("/stream"),
        &object(&[(
            "retry",
            object(&[("statuses", Array::of1(&200.into()).into())]),
        )]),
    );
    assert!(bad.unwrap_err().has_type::<js_sys::TypeError>());
}

#[test]
async fn server_retry_sets_the_reconnection_delay() {
    let key = unique_key("retry");
    // The server asks for 300 ms; the policy's own base is 10 ms.
    let source = open_source(
        &format!("/stream?n=1&retry=300&key={key}"),
        object(&[fast_retry()]),
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 4).await;
    close(&source);
    let seen = requests(&key).await;
    let gap = seen[1]["at"].as_f64().unwrap() - seen[0]["at"].as_f64().unwrap();
    assert!(
        gap >= 290.0,
        "reconnected after {gap} ms, before the server's 300 ms"
    );
}

#[test]
// Stops whatever the chunking; that the rest of one chunk is dropped is
// checked deterministically with one scripted chunk in tests/node.
async fn close_inside_a_handler_stops_delivery() {
    let source = open_source("/stream?n=3&end=hold", JsValue::UNDEFINED);
    let closer = Function::new_with_args("e", "this.close()");
    Reflect::set(&source, &"onmessage".into(), &closer).unwrap();
    let log = record(&source, &Array::new());
    wait_log(&log, 2).await;
    wait(delay(100)).await;
    assert_eq!(strings(&log), ["open@1", "message@2 0#0"]);
    assert_eq!(ready_state(&source), 2.0);
}

#[test]
async fn abort_signal_closes_like_close() {
    let controller = web_sys::AbortController::new().unwrap();
    let init = object(&[("signal", controller.signal().into())]);
    let source = open_source("/stream?n=1&end=hold", init);
    let log = record(&source, &Array::new());
    wait_log(&log, 2).await;
    controller.abort();
    assert_eq!(ready_state(&source), 2.0);
    wait(delay(50)).await;
    assert_eq!(strings(&log), ["open@1", "message@1 0#0"]);
}

#[test]
async fn injected_fetch_and_rejecting_response_hook() {
    let calls = Array::new();
    let fetch = Function::new_with_args(
        "calls",
        "return (url, init) => { calls.push(init.method); return fetch(url, init); }",
    )
    .call1(&JsValue::NULL, &calls)
    .unwrap();
    let hook = Function::new_with_args(
        "r",
        "return r.headers.get('content-type').includes('event-stream') ? false : true",
    );
    let source = open_source(
        "/stream?n=1",
        object(&[("fetch", fetch), ("onResponse", hook.into())]),
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 1).await;
    assert_eq!(strings(&log), ["error@2 status=200 rejected"]);
    assert_eq!(calls.length(), 1);
}

#[test]
async fn events_iterates_messages_and_ends_on_close() {
    let iterator = events(url("/seq?n=3").into(), object(&[fast_retry()])).unwrap();
    let got = wait(collect(&iterator, 3)).await;
    let got: Vec<String> = Array::from(&got)
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect();
    assert_eq!(
        got,
        [
            "message event 1#1",
            "message event 2#2",
            "message event 3#3"
        ]
    );
    // Leaving the loop ended the iteration: the source is closed and the
    // iterator is done.
    let source = Reflect::get(&iterator, &"source".into()).unwrap();
    assert_eq!(ready_state(&source), 2.0);
    let next: Function = Reflect::get(&iterator, &"next".into()).unwrap().into();
    let result = wait(next.call0(&iterator).unwrap().into()).await;
    assert_eq!(
        Reflect::get(&result, &"done".into()).unwrap(),
        JsValue::TRUE
    );
}

#[test]
async fn events_throws_when_the_source_fails() {
    let iterator = events(url("/status/500").into(), JsValue::UNDEFINED).unwrap();
    let got = wait(collect_until_error(&iterator)).await;
    let got: Vec<String> = Array::from(&got)
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect();
    assert_eq!(got, ["threw EventSourceError"]);
}

#[test]
fn install_polyfill_only_when_missing_unless_forced() {
    let global = js_sys::global();
    let native = Reflect::get(&global, &"EventSource".into()).unwrap();
    assert!(!install_polyfill(JsValue::UNDEFINED), "the browser has one");
    assert!(install_polyfill(object(&[("force", true.into())])));
    assert_eq!(
        Reflect::get(&global, &"EventSource".into()).unwrap(),
        event_source_class()
    );
    Reflect::set(&global, &"EventSource".into(), &native).unwrap();
}

#[test]
async fn pauses_while_hidden_and_resumes_without_duplicates() {
    let key = unique_key("hidden");
    // Counts the requests in the page, as fetch() is called: one made while
    // hidden is counted before the page is visible again, where the server
    // might see it only later. (What comes after the resume cannot tell: a
    // source that reconnected while hidden has nothing to resume, and logs
    // the same events and requests in the end.)
    let fetches = Array::new();
    let fetch = Function::new_with_args(
        "calls",
        "return (url, init) => { calls.push(url); return fetch(url, init); }",
    )
    .call1(&JsValue::NULL, &fetches)
    .unwrap();
    let source = open_source(
        &format!("/stream?n=1&end=hold&key={key}"),
        object(&[("pauseWhenHidden", true.into()), ("fetch", fetch)]),
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 2).await;
    set_hidden(true);
    set_hidden(true); // a second notification must not start anything
    assert_eq!(ready_state(&source), 0.0, "paused: CONNECTING");
    // The source reacts to the abort in microtasks, which run before this
    // answer comes: a request that followed the pause is made by then.
    assert_eq!(requests(&key).await.len(), 1);
    assert_eq!(fetches.length(), 1, "no request while hidden");
    set_hidden(false);
    wait_log(&log, 4).await;
    wait(delay(100)).await;
    close(&source);
    assert_eq!(
        strings(&log),
        ["open@1", "message@1 0#0", "open@1", "message@1 0#0"]
    );
    let seen = requests(&key).await;
    assert_eq!(seen.len(), 2, "exactly one request after becoming visible");
    assert_eq!(fetches.length(), 2);
    assert_eq!(seen[1]["lastEventId"], "0");
}

#[test]
async fn a_last_event_id_beyond_latin_1_is_sent_as_its_utf8_bytes() {
    let key = unique_key("utf8-id");
    // "café…": é is in Latin-1, … (U+2026) is not; Headers refuses such a
    // string, so the shell sends the UTF-8 bytes, one char each, as
    // browsers send the native EventSource's.
    let source = open_source(
        &format!("/stream?n=1&idtext=caf%C3%A9%E2%80%A6&key={key}"),
        object(&[fast_retry()]),
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 5).await; // open, message, error (EOF), open, message
    close(&source);
    assert_eq!(strings(&log)[1], "message@1 0#caf\u{e9}\u{2026}");
    let seen = requests(&key).await;
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0]["lastEventId"], serde_json::Value::Null);
    // Node reads header bytes as Latin-1: the UTF-8 bytes, one char each.
    assert_eq!(seen[1]["lastEventId"], "caf\u{c3}\u{a9}\u{e2}\u{80}\u{a6}");
}

#[test]
async fn an_async_headers_function_is_called_for_every_attempt() {
    let headers = Function::new_no_args(
        "let n = 0; return async () => ({ Authorization: `Bearer token-${++n}` })",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    let source = open_source("/echo", object(&[("headers", headers), fast_retry()]));
    let log = record(&source, &Array::new());
    // open, message, error (EOF), open, message: two requests.
    wait_log(&log, 5).await;
    close(&source);
    for (index, token) in [(1, "Bearer token-1"), (4, "Bearer token-2")] {
        assert_eq!(echo_at(&log, index)["headers"]["authorization"], token);
    }
}

#[test]
async fn a_url_that_is_not_http_fails_once_and_closes() {
    scenarios::a_url_that_is_not_http_fails_once_and_closes().await;
}

#[test]
async fn pause_when_hidden_leaves_no_listener_after_close() {
    let tracker = track_visibility_listeners();
    let active = || Reflect::get(&tracker, &"active".into()).unwrap().as_f64();
    let key = unique_key("hidden-close");
    let source = open_source(
        &format!("/stream?n=1&end=hold&key={key}"),
        object(&[("pauseWhenHidden", true.into())]),
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 2).await;
    assert_eq!(active(), Some(1.0), "one visibility listener while it runs");
    // close() aborts the signal the listener was added with, and an abort
    // dispatches at once: the listener is gone when close() returns.
    close(&source);
    assert_eq!(active(), Some(0.0), "none once closed");
    // Hiding and showing the page does nothing for a closed source.
    set_hidden(true);
    set_hidden(false);
    wait(delay(50)).await;
    assert_eq!(requests(&key).await.len(), 1);
    let stop: Function = Reflect::get(&tracker, &"stop".into()).unwrap().into();
    stop.call0(&tracker).unwrap();
}

#[test]
async fn an_oversized_event_is_reported_and_the_stream_goes_on() {
    let init = object(&[("maxEventBytes", 1000.into()), fast_retry()]);
    let source = open_source("/huge?bytes=5000", init);
    let log = record(&source, &Array::new());
    wait_log(&log, 3).await;
    close(&source);
    assert_eq!(
        strings(&log)[..3],
        ["open@1", "error@1 SseParseError", "error@0"]
    );
}

#[test]
async fn a_slow_drip_is_one_event() {
    let source = open_source("/drip?ms=5", object(&[fast_retry()]));
    let log = record(&source, &Array::new());
    wait_log(&log, 2).await;
    close(&source);
    assert_eq!(strings(&log)[..2], ["open@1", "message@1 drip#"]);
}

#[test]
async fn backoff_resets_after_a_connection_that_stayed_open_reset_after_ms() {
    let key = unique_key("reset-backoff");
    // Every connection delivers an event and ends at once. With resetAfterMs
    // 0 each open starts the count over, so every reconnect waits 20 ms.
    // Without the reset the second end is a second failed attempt in a row,
    // and the third request would wait 20 * 1000 ms: far past both the bound
    // here (2 s, a hundred times the delay, for a loaded machine) and
    // wait_log's 5 s.
    let init = object(&[(
        "retry",
        object(&[
            ("initialMs", 20.into()),
            ("multiplier", 1000.into()),
            ("resetAfterMs", 0.into()),
        ]),
    )]);
    let source = open_source(&format!("/stream?n=1&key={key}"), init);
    let log = record(&source, &Array::new());
    wait_log(&log, 8).await; // (open, message, error) x 2, open, message
    close(&source);
    let seen = requests(&key).await;
    let gap = seen[2]["at"].as_f64().unwrap() - seen[1]["at"].as_f64().unwrap();
    assert!(
        gap < 2_000.0,
        "third request came {gap} ms after the second"
    );
}

#[test]
async fn a_server_sending_retry_0_and_hanging_up_gets_the_backoff_not_a_tight_loop() {
    scenarios::a_server_sending_retry_0_and_hanging_up_gets_the_backoff_not_a_tight_loop().await;
}
#[test]
async fn comments_true_delivers_comment_events_in_stream_order() {
    scenarios::comments_true_delivers_comment_events_in_stream_order().await;
}
#[test]
async fn dispatch_on_end_delivers_the_last_event_without_its_blank_line() {
    scenarios::dispatch_on_end_delivers_the_last_event_without_its_blank_line().await;
}
#[test]
async fn reconnect_drops_the_response_and_reconnects_at_once() {
    scenarios::reconnect_drops_the_response_and_reconnects_at_once().await;
}
#[test]
async fn events_ends_when_its_signal_aborts() {
    let controller = web_sys::AbortController::new().unwrap();
    let init = object(&[("signal", controller.signal().into())]);
    let iterator = events(url("/stream?n=5&interval=20&end=hold").into(), init).unwrap();
    let got = wait(collect_until_abort(&iterator, &controller.into(), 2)).await;
    let got: Vec<String> = Array::from(&got)
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect();
    assert_eq!(got, ["0", "1", "done"]);
}

// ---- CORS: a refusal is final, a network error is retried ----

#[test]
async fn a_cors_refusal_fails_for_good_after_one_request() {
    scenarios::a_cors_refusal_fails_for_good_after_one_request().await;
}

#[test]
async fn a_network_error_cross_origin_is_still_retried() {
    // /reset accepts and drops every connection: no answer, so the probe
    // fails too, and the attempt is a network error, retried. And what stays
    // indistinguishable: this page is cross-origin isolated (COEP
    // require-corp), so a no-cors response without
    // Cross-Origin-Resource-Policy is blocked like a network failure, and a
    // CORS refusal there is retried the same way.
    for path in ["/reset?", "/stream?n=1&cors=none&corp=none&"] {
        let key = unique_key("cors-retried");
        let init = object(&[(
            "retry",
            object(&[("initialMs", 5.into()), ("maxAttempts", 1.into())]),
        )]);
        let source = open_source(&format!("{path}key={key}"), init);
        let log = record(&source, &Array::new());
        wait_log(&log, 2).await;
        assert_eq!(
            strings(&log),
            ["error@0 network", "error@2 gave-up"],
            "{path}"
        );
        assert_eq!(
            methods(&key).await,
            ["GET", "HEAD", "GET", "HEAD"],
            "{path}"
        );
    }
}

#[test]
async fn a_preflight_that_refuses_last_event_id_is_reported_not_retried_blind() {
    // The server allows the origin, but its preflight does not allow the
    // Last-Event-ID header, which a fetch cannot send cross-origin without
    // one (the native EventSource is exempt).
    let key = unique_key("cors-lei");
    let source = open_source(
        &format!("/seq?n=4&drop=2&cors=nolei&key={key}"),
        object(&[fast_retry()]),
    );
    let message = last_error_message(&source);
    let log = record(&source, &Array::new());
    wait_log(&log, 5).await;
    wait(delay(100)).await;
    assert_eq!(
        strings(&log),
        [
            "open@1",
            "message@1 event 1#1",
            "message@1 event 2#2",
            "error@0 network",
            "error@2 cors"
        ]
    );
    let message = wait(message).await.as_string().unwrap();
    assert!(
        message.contains("Last-Event-ID") && message.contains("lastEventIdParam"),
        "{message}"
    );
    assert_eq!(methods(&key).await, ["GET", "OPTIONS", "HEAD"]);
}

#[test]
async fn last_event_id_param_resumes_cross_origin_without_a_preflight() {
    scenarios::last_event_id_param_resumes_cross_origin_without_a_preflight().await;
}

// ---- Idle timeout, finite streams, errors events() throws ----

#[test]
async fn idle_timeout_reconnects_a_silent_stream_with_the_last_event_id() {
    let key = unique_key("idle");
    let source = open_source(
        &format!("/stream?n=1&end=hold&key={key}"),
        object(&[fast_retry(), ("idleTimeoutMs", 300.into())]),
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 5).await;
    close(&source);
    assert_eq!(
        strings(&log)[..5],
        [
            "open@1",
            "message@1 0#0",
            "error@0 idle-timeout",
            "open@1",
            "message@1 0#0"
        ]
    );
    let seen = requests(&key).await;
    assert_eq!(seen[1]["lastEventId"], "0");
}

#[test]
async fn close_on_end_ends_a_finite_stream_without_reconnecting() {
    let key = unique_key("finite");
    let source = open_source(
        &format!("/stream?n=2&key={key}"),
        object(&[fast_retry(), ("closeOnEnd", true.into())]),
    );
    let log = record(&source, &Array::of1(&"end".into()));
    wait_log(&log, 4).await;
    wait(delay(100)).await;
    assert_eq!(
        strings(&log),
        ["open@1", "message@1 0#0", "message@1 1#1", "end@2"]
    );
    assert_eq!(requests(&key).await.len(), 1);
}

#[test]
async fn events_throws_the_status_and_the_readable_response() {
    let failure = events(url("/status/404").into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(
        wait(events_failure(&failure)).await.as_string().unwrap(),
        "EventSourceError http-status 404 data: must not be dispatched\n\n"
    );
    let finite = events(
        url("/stream?n=0").into(),
        object(&[("closeOnEnd", true.into())]),
    )
    .unwrap();
    assert_eq!(
        wait(events_failure(&finite)).await.as_string().unwrap(),
        "done"
    );
}

#[test]
async fn redirect_error_fails_for_good_on_a_redirect() {
    scenarios::redirect_error_fails_for_good_on_a_redirect().await;
}
