// The worker scenarios, shared by tests/browser_worker.rs (dedicated
// worker) and tests/browser_service_worker.rs (service worker), which
// `include!` this file after choosing where wasm-bindgen-test runs them.

#[test]
fn runs_without_a_window() {
    let global = js_sys::global();
    assert!(
        !js_sys::Reflect::has(&global, &"document".into()).unwrap()
            && js_sys::Reflect::has(&global, &"importScripts".into()).unwrap(),
        "this test must run in a worker"
    );
    let source = open_source("/stream?n=0&end=hold", JsValue::UNDEFINED);
    assert_eq!(ready_state(&source), 0.0);
    close(&source);
}

#[test]
async fn worker_resumes_after_a_cut() {
    let key = unique_key("worker-seq");
    let source = open_source(
        &format!("/seq?n=3&drop=1&key={key}"),
        object(&[fast_retry()]),
    );
    let log = record(&source, &Array::new());
    wait_log(&log, 8).await;
    close(&source);
    // drop=1: every connection delivers one event, then is cut mid-event.
    assert_eq!(
        strings(&log)[..8],
        [
            "open@1",
            "message@1 event 1#1",
            "error@0 network",
            "open@1",
            "message@1 event 2#2",
            "error@0 network",
            "open@1",
            "message@1 event 3#3"
        ]
    );
    assert_eq!(requests(&key).await[2]["lastEventId"], "2");
    assert_eq!(requests(&key).await[1]["lastEventId"], "1");
}

#[test]
async fn worker_posts_a_body_with_custom_headers() {
    let init = object(&[
        ("method", "POST".into()),
        ("headers", object(&[("X-Token", "w".into())])),
        ("body", "from a worker".into()),
        ("withCredentials", true.into()),
    ]);
    let source = open_source("/echo", init);
    let log = record(&source, &Array::new());
    wait_log(&log, 2).await;
    close(&source);
    let echo = echo_at(&log, 1);
    assert_eq!(
        (echo["method"].as_str(), echo["body"].as_str()),
        (Some("POST"), Some("from a worker"))
    );
    assert_eq!(echo["headers"]["x-token"], "w");
}

#[test]
async fn worker_fails_for_good_on_404() {
    let source = open_source("/status/404", JsValue::UNDEFINED);
    let log = record(&source, &Array::new());
    wait_log(&log, 1).await;
    assert_eq!(strings(&log), ["error@2 status=404 http-status"]);
}

#[test]
async fn worker_a_url_that_is_not_http_fails_once_and_closes() {
    scenarios::a_url_that_is_not_http_fails_once_and_closes().await;
}

#[test]
async fn worker_a_cors_refusal_fails_for_good_after_one_request() {
    scenarios::a_cors_refusal_fails_for_good_after_one_request().await;
}

#[test]
async fn worker_last_event_id_param_resumes_without_a_preflight() {
    scenarios::last_event_id_param_resumes_cross_origin_without_a_preflight().await;
}

#[test]
async fn worker_a_server_sending_retry_0_and_hanging_up_gets_the_backoff_not_a_tight_loop() {
    scenarios::a_server_sending_retry_0_and_hanging_up_gets_the_backoff_not_a_tight_loop().await;
}

#[test]
async fn worker_comments_true_delivers_comment_events_in_stream_order() {
    scenarios::comments_true_delivers_comment_events_in_stream_order().await;
}

#[test]
async fn worker_dispatch_on_end_delivers_the_last_event_without_its_blank_line() {
    scenarios::dispatch_on_end_delivers_the_last_event_without_its_blank_line().await;
}

#[test]
async fn worker_reconnect_drops_the_response_and_reconnects_at_once() {
    scenarios::reconnect_drops_the_response_and_reconnects_at_once().await;
}

#[test]
async fn worker_redirect_error_fails_for_good_on_a_redirect() {
    scenarios::redirect_error_fails_for_good_on_a_redirect().await;
}
