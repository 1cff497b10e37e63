//! Scenarios that run in a window and in workers alike: each test file
//! calls them from a `#[test]` of its own, so one body checks every realm.

use js_sys::Array;

use super::*;

/// A URL that is not http(s) fails once, CLOSED, without a request.
pub async fn a_url_that_is_not_http_fails_once_and_closes() {
    let class = event_source_class();
    for url in [
        "ftp://example.not/",
        "about:blank",
        "mailto:someone@example.not",
        "javascript:void(0)",
    ] {
        let source = construct(&class, url, &object(&[fast_retry()])).unwrap();
        let log = record(&source, &Array::new());
        wait_log(&log, 1).await;
        wait(delay(50)).await;
        assert_eq!(strings(&log), ["error@2 unsupported-url"], "{url}");
        assert_eq!(ready_state(&source), 2.0, "{url}");
    }
}

/// The test page's origin is not the server's: every request is
/// cross-origin. Without (or with a wrong or empty)
/// Access-Control-Allow-Origin the source fails for good, as the native one
/// does, after the request and the no-cors probe that showed the server
/// answered.
pub async fn a_cors_refusal_fails_for_good_after_one_request() {
    for fault in ["none", "wrong", "empty"] {
        let key = unique_key("cors");
        let source = open_source(
            &format!("/stream?n=1&cors={fault}&key={key}"),
            object(&[fast_retry()]),
        );
        let log = record(&source, &Array::new());
        wait_log(&log, 1).await;
        wait(delay(100)).await;
        assert_eq!(strings(&log), ["error@2 cors"], "cors={fault}");
        assert_eq!(ready_state(&source), 2.0);
        assert_eq!(methods(&key).await, ["GET", "HEAD"], "cors={fault}");
    }
}

/// With `lastEventIdParam` the id goes in the URL: a server whose preflight
/// refuses the Last-Event-ID header sees no preflight, and the stream
/// resumes exactly.
pub async fn last_event_id_param_resumes_cross_origin_without_a_preflight() {
    let key = unique_key("lei-param");
    let source = open_source(
        &format!("/seq?n=4&drop=2&cors=nolei&key={key}"),
        object(&[fast_retry(), ("lastEventIdParam", "lastEventId".into())]),
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
            "error@0 network",
            "open@1",
            "message@1 event 3#3",
            "message@1 event 4#4",
        ]
    );
    assert_eq!(methods(&key).await[..2], ["GET", "GET"], "no preflight");
}

/// A server that asks for `retry: 0` and hangs up at once gets its 0 ms
/// once, then the policy's delay: no tight reconnect loop.
pub async fn a_server_sending_retry_0_and_hanging_up_gets_the_backoff_not_a_tight_loop() {
    let key = unique_key("hot-loop");
    // Every connection delivers an event and ends at once, asking for 0 ms.
    // The policy's 1.5 s is far from both bounds: a loaded machine may take
    // most of a second to reconnect at once, and one that waited the
    // policy's delay the first time cannot come in under 1 s.
    let source = open_source(
        &format!("/stream?n=1&retry=0&key={key}"),
        object(&[("retry", object(&[("initialMs", 1_500.into())]))]),
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 9).await; // (open, message, error) x 3
    close(&source);
    let seen = requests(&key).await;
    let at = |i: usize| seen[i]["at"].as_f64().unwrap();
    assert!(
        at(1) - at(0) < 1_000.0,
        "the server's 0 ms once: {} ms",
        at(1) - at(0)
    );
    assert!(
        at(2) - at(1) >= 1_490.0,
        "then the policy's 1,500 ms: {} ms",
        at(2) - at(1)
    );
}

/// `comments: true`: each comment line is a `comment` event, in order.
pub async fn comments_true_delivers_comment_events_in_stream_order() {
    let source = open_source(
        "/stream?n=2&comments=1&end=hold",
        object(&[("comments", true.into())]),
    );
    let log = record(&source, &Array::of1(&"comment".into()));
    wait_log(&log, 5).await;
    close(&source);
    assert_eq!(
        strings(&log),
        [
            "open@1",
            "comment@1 ping 0#",
            "message@1 0#0",
            "comment@1 ping 1#",
            "message@1 1#1"
        ]
    );
}

/// `dispatchOnEnd`: the last event of a finite stream, cut off before its
/// blank line, is dispatched at the clean end.
pub async fn dispatch_on_end_delivers_the_last_event_without_its_blank_line() {
    let init = object(&[("closeOnEnd", true.into()), ("dispatchOnEnd", true.into())]);
    let source = open_source("/stream?n=1&tail=data:%20last", init);
    let log = record(&source, &Array::of1(&"end".into()));
    wait_log(&log, 4).await;
    assert_eq!(
        strings(&log),
        ["open@1", "message@1 0#0", "message@1 last#0", "end@2"]
    );
}

/// `reconnect()` drops the response and makes a new request at once, with
/// the last event ID.
pub async fn reconnect_drops_the_response_and_reconnects_at_once() {
    let key = unique_key("reconnect");
    // The policy's first delay is a minute: only reconnect() is this fast.
    let source = open_source(
        &format!("/stream?n=1&end=hold&key={key}"),
        object(&[("retry", object(&[("initialMs", 60_000.into())]))]),
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 2).await;
    call(&source, "reconnect");
    wait_log(&log, 5).await;
    close(&source);
    assert_eq!(
        strings(&log),
        [
            "open@1",
            "message@1 0#0",
            "error@0 reconnect",
            "open@1",
            "message@1 0#0"
        ]
    );
    assert_eq!(requests(&key).await[1]["lastEventId"], "0");
}

/// `redirect: "error"`: a redirect fails the source for good, after one
/// request (and the probe that tells it from a network error), where the
/// default follows it.
pub async fn redirect_error_fails_for_good_on_a_redirect() {
    let key = unique_key("redirect-error");
    let init = object(&[fast_retry(), ("redirect", "error".into())]);
    let source = open_source(&format!("/redirect/307?key={key}"), init);
    let log = record(&source, &Array::new());
    wait_log(&log, 1).await;
    assert_eq!(strings(&log), ["error@2 rejected"]);
    let followed = open_source("/redirect/307", object(&[fast_retry()]));
    let log = record(&followed, &Array::new());
    wait_log(&log, 2).await;
    close(&followed);
    assert_eq!(strings(&log)[..2], ["open@1", "message@1 0#0"]);
}
