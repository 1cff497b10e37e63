//! The EventSource inside a Service Worker: no `window`, no
//! `document`; `fetch`, timers and `location` come from the worker's global
//! scope. The main scenarios, against the same real server.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]

mod common;

use common::browser::*;
use js_sys::Array;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_service_worker);

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
    let key = unique_key("sw-seq");
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
            "error@0",
            "open@1",
            "message@1 event 2#2",
            "error@0",
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
    let entry = log.get(1).as_string().unwrap();
    let json = entry
        .trim_start_matches("message@1 ")
        .rsplit_once('#')
        .unwrap()
        .0;
    let echo: serde_json::Value = serde_json::from_str(json).unwrap();
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
    assert_eq!(strings(&log), ["error@2 status=404"]);
}
