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
