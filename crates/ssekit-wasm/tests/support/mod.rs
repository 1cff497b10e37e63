//! Helpers for the EventSource tests that run in browsers and workers.
//!
//! The code under test is the package's JavaScript shell, `js/ssekit.js`,
//! imported as a snippet, over the package's real wasm (`pkg/ssekit.wasm`,
//! built by `cargo xtask build web`), which the test server serves.
#![allow(dead_code)]

pub mod scenarios;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/js/ssekit.js")]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = EventSource)]
    static EVENT_SOURCE: JsValue;
    #[wasm_bindgen(js_name = load)]
    fn load_wasm(source: &str) -> Promise;
    #[wasm_bindgen(js_name = events, catch)]
    fn events_js(url: JsValue, init: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = installPolyfill)]
    pub fn install_polyfill(options: JsValue) -> bool;
}

/// The shell's `events(url, init)`.
pub fn events(url: JsValue, init: JsValue) -> Result<JsValue, JsValue> {
    let _ = load();
    events_js(url, init)
}

/// The wasm core, loaded once from the test server.
pub fn load() -> Promise {
    load_wasm(&url("/pkg/ssekit.wasm"))
}

/// Waits for the wasm core (what `await ready` does in an application).
pub async fn loaded() {
    wait(load()).await;
}

/// The shell's `EventSource` class; the wasm starts loading if it was not.
pub fn event_source_class() -> JsValue {
    let _ = load();
    EVENT_SOURCE.with(JsValue::clone)
}

#[wasm_bindgen(module = "/tests/js/harness.js")]
extern "C" {
    pub fn record(source: &JsValue, extra_types: &Array) -> Array;
    #[wasm_bindgen(js_name = untilLogLength)]
    pub fn until_log_length(log: &Array, n: u32, timeout_ms: u32) -> Promise;
    pub fn delay(ms: u32) -> Promise;
    #[wasm_bindgen(js_name = trackVisibilityListeners)]
    pub fn track_visibility_listeners() -> JsValue;
    pub fn stats(server: &str, key: &str) -> Promise;
    #[wasm_bindgen(catch)]
    pub fn construct(class: &JsValue, url: &str, init: &JsValue) -> Result<JsValue, JsValue>;
    pub fn collect(iterable: &JsValue, n: u32) -> Promise;
    #[wasm_bindgen(js_name = collectUntilError)]
    pub fn collect_until_error(iterable: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = uniqueKey)]
    pub fn unique_key(prefix: &str) -> String;
    #[wasm_bindgen(js_name = setHidden)]
    pub fn set_hidden(hidden: bool);
    #[wasm_bindgen(js_name = eventsFailure)]
    pub fn events_failure(iterable: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = lastErrorMessage)]
    pub fn last_error_message(source: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = collectUntilAbort)]
    pub fn collect_until_abort(
        iterable: &JsValue,
        controller: &JsValue,
        abort_after: u32,
    ) -> Promise;
}

pub fn server() -> &'static str {
    option_env!("SSEKIT_TEST_SERVER")
        .expect("SSEKIT_TEST_SERVER is not set: run ./scripts/test.sh, which starts tests/server/sse-server.mjs")
}

pub fn url(path: &str) -> String {
    format!("{}{path}", server())
}

pub fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

/// A retry policy fast enough for tests.
pub fn fast_retry() -> (&'static str, JsValue) {
    ("retry", object(&[("initialMs", 10.into())]))
}

pub fn open_source(path: &str, init: JsValue) -> JsValue {
    construct(&event_source_class(), &url(path), &init).unwrap()
}

pub fn ready_state(source: &JsValue) -> f64 {
    Reflect::get(source, &"readyState".into())
        .unwrap()
        .as_f64()
        .unwrap()
}

pub fn close(source: &JsValue) {
    call(source, "close");
}

/// Calls a method of `source` that takes no argument.
pub fn call(source: &JsValue, method: &str) {
    let method: Function = Reflect::get(source, &method.into()).unwrap().into();
    method.call0(source).unwrap();
}

pub fn strings(log: &Array) -> Vec<String> {
    log.iter().map(|v| v.as_string().unwrap()).collect()
}

pub async fn wait(promise: Promise) -> JsValue {
    JsFuture::from(promise).await.unwrap_or_else(|e| {
        panic!(
            "{}",
            js_sys::JSON::stringify(&e)
                .map(String::from)
                .unwrap_or_default()
        )
    })
}

pub async fn wait_log(log: &Array, n: u32) {
    if let Err(error) = JsFuture::from(until_log_length(log, n, 5000)).await {
        panic!(
            "{}",
            Reflect::get(&error, &"message".into())
                .unwrap()
                .as_string()
                .unwrap()
        );
    }
}

/// Everything the server saw with `?key=`, preflights included, in order.
pub async fn seen(key: &str) -> Vec<serde_json::Value> {
    let text = wait(stats(server(), key)).await.as_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The real requests (not CORS preflights) the server saw with `?key=`.
pub async fn requests(key: &str) -> Vec<serde_json::Value> {
    seen(key)
        .await
        .into_iter()
        .filter(|r| r["method"] != "OPTIONS")
        .collect()
}

/// The request the `/echo` endpoint saw, from the message at `index` of a
/// `record` log.
pub fn echo_at(log: &Array, index: u32) -> serde_json::Value {
    let entry = log.get(index).as_string().unwrap();
    let json = entry
        .trim_start_matches("message@1 ")
        .rsplit_once('#')
        .unwrap()
        .0;
    serde_json::from_str(json).unwrap()
}

/// The methods of everything the server saw with `?key=`, preflights
/// included, in order.
pub async fn methods(key: &str) -> Vec<String> {
    seen(key)
        .await
        .into_iter()
        .map(|r| r["method"].as_str().unwrap().to_owned())
        .collect()
}
