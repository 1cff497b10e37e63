//! The JavaScript-facing `SseParser` and `encodeEvent` (the npm package),
//! exercised through their JS values in headless browsers: inputs are real
//! `Uint8Array`s, `ArrayBuffer`s and strings, outputs real JS objects and
//! `Error`s, callbacks real JS functions.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

mod support;

// The package's JavaScript, as users call it.
#[wasm_bindgen(module = "/js/ssekit.js")]
extern "C" {
    type SseParser;
    #[wasm_bindgen(constructor, catch)]
    fn new(options: JsValue) -> Result<SseParser, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn feed(this: &SseParser, chunk: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(method)]
    fn finish(this: &SseParser) -> bool;
    #[wasm_bindgen(method, getter, js_name = lastEventId)]
    fn last_event_id(this: &SseParser) -> String;
    #[wasm_bindgen(method, getter, js_name = reconnectionTime)]
    fn reconnection_time(this: &SseParser) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = bufferedBytes)]
    fn buffered_bytes(this: &SseParser) -> f64;
    #[wasm_bindgen(js_name = encodeEvent, catch)]
    fn encode_event(fields: JsValue) -> Result<String, JsValue>;
}

wasm_bindgen_test_configure!(run_in_browser);

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap()
}

fn string(object: &JsValue, key: &str) -> String {
    get(object, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key} is not a string"))
}

fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

/// A JS function that appends its argument to `log` (a JS array).
fn recorder(log: &Array) -> JsValue {
    Function::new_with_args("log", "return (x) => log.push(x)")
        .call1(&JsValue::NULL, log)
        .unwrap()
}

/// `(type, data, lastEventId, id)` of each event object.
fn events(array: &Array) -> Vec<(String, String, String, Option<String>)> {
    array
        .iter()
        .map(|e| {
            (
                string(&e, "type"),
                string(&e, "data"),
                string(&e, "lastEventId"),
                get(&e, "id").as_string(),
            )
        })
        .collect()
}

fn ev(t: &str, d: &str, l: &str, id: Option<&str>) -> (String, String, String, Option<String>) {
    (t.into(), d.into(), l.into(), id.map(Into::into))
}

#[test]
async fn feeds_bytes_split_anywhere_and_returns_event_objects() {
    support::loaded().await;
    let stream =
        "id: 1\nevent: grüße\ndata: 😀 multi\ndata: line\r\n\r\ndata: no id\r\r".as_bytes();
    for size in 1..=stream.len() {
        let parser = SseParser::new(JsValue::UNDEFINED).unwrap();
        let mut all = Vec::new();
        for chunk in stream.chunks(size) {
            all.extend(events(
                &parser.feed(&Uint8Array::from(chunk).into()).unwrap(),
            ));
        }
        assert_eq!(
            all,
            [
                ev("grüße", "😀 multi\nline", "1", Some("1")),
                ev("message", "no id", "1", None)
            ],
            "chunk size {size}"
        );
        assert_eq!(parser.last_event_id(), "1");
        assert!(!parser.finish());
    }
}

#[test]
async fn feeds_strings_and_array_buffers() {
    support::loaded().await;
    let parser = SseParser::new(JsValue::UNDEFINED).unwrap();
    let first = parser.feed(&JsValue::from_str("data: é")).unwrap();
    assert_eq!(first.length(), 0);
    let buffer = Uint8Array::from(&b"\n\n"[..]).buffer();
    assert_eq!(
        events(&parser.feed(&buffer.into()).unwrap()),
        [ev("message", "é", "", None)]
    );
    let error = parser.feed(&JsValue::from_f64(1.0)).unwrap_err();
    assert!(error.is_instance_of::<js_sys::TypeError>());
}

#[test]
async fn callbacks_run_in_stream_order() {
    support::loaded().await;
    let log = Array::new();
    let options = object(&[
        ("onEvent", recorder(&log)),
        ("onComment", recorder(&log)),
        ("onRetry", recorder(&log)),
        ("lastEventId", JsValue::from_str("41")),
    ]);
    let parser = SseParser::new(options).unwrap();
    parser
        .feed(&JsValue::from_str(
            ": ping\nretry: 2500\ndata: x\n\nretry: nope\n",
        ))
        .unwrap();
    assert_eq!(log.length(), 3);
    assert_eq!(log.get(0).as_string().unwrap(), "ping");
    assert_eq!(log.get(1).as_f64().unwrap(), 2500.0);
    assert_eq!(
        string(&log.get(2), "lastEventId"),
        "41",
        "the initial last event ID carries over"
    );
    assert_eq!(parser.reconnection_time(), Some(2500.0));
}

#[test]
async fn oversized_event_throws_a_named_error_carrying_the_other_events() {
    support::loaded().await;
    let parser = SseParser::new(object(&[("maxEventBytes", JsValue::from_f64(16.0))])).unwrap();
    let error = parser
        .feed(&JsValue::from_str(
            "data: a\n\ndata: far too long for sixteen\n\ndata: b\n\n",
        ))
        .unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(string(&error, "name"), "SseParseError");
    assert!(string(&error, "message").contains("limit of 16 buffered bytes"));
    let carried: Array = get(&error, "events").dyn_into().unwrap();
    assert_eq!(
        events(&carried),
        [ev("message", "a", "", None), ev("message", "b", "", None)]
    );
}

#[test]
async fn oversized_event_goes_to_on_error_when_given() {
    support::loaded().await;
    let log = Array::new();
    let parser = SseParser::new(object(&[
        ("maxEventBytes", JsValue::from_f64(16.0)),
        ("onError", recorder(&log)),
    ]))
    .unwrap();
    let got = parser
        .feed(&JsValue::from_str(
            "data: far too long for sixteen\n\ndata: b\n\n",
        ))
        .unwrap();
    assert_eq!(events(&got), [ev("message", "b", "", None)]);
    assert_eq!(log.length(), 1);
    assert_eq!(string(&log.get(0), "name"), "SseParseError");
}

#[test]
async fn a_throwing_callback_loses_no_events() {
    support::loaded().await;
    let thrower = Function::new_with_args("e", "if (e.data === '1') throw new Error('boom')");
    let parser = SseParser::new(object(&[("onEvent", thrower.into())])).unwrap();
    let error = parser
        .feed(&JsValue::from_str("data: 1\n\ndata: 2\n\n"))
        .unwrap_err();
    assert_eq!(string(&error, "message"), "boom");
    // Both events travel with the exception, and the parser moved past them:
    // nothing is replayed or lost.
    let carried: Array = get(&error, "events").dyn_into().unwrap();
    assert_eq!(
        events(&carried),
        [ev("message", "1", "", None), ev("message", "2", "", None)]
    );
    assert_eq!(parser.buffered_bytes(), 0.0);
}

#[test]
async fn bad_options_are_type_and_range_errors() {
    support::loaded().await;
    let error = |options: JsValue| SseParser::new(options).err().expect("refused");
    assert!(error(JsValue::from_str("x")).is_instance_of::<js_sys::TypeError>());
    assert!(error(object(&[("maxEventBytes", JsValue::from_f64(0.0))]))
        .is_instance_of::<js_sys::RangeError>());
    assert!(error(object(&[("maxEventBytes", JsValue::from_f64(1.5))]))
        .is_instance_of::<js_sys::RangeError>());
}

#[test]
async fn encode_event_round_trips_through_the_parser() {
    support::loaded().await;
    let wire = encode_event(object(&[
        ("event", JsValue::from_str("update")),
        ("id", JsValue::from_str("7")),
        ("data", JsValue::from_str("a\r\nb")),
        ("retry", JsValue::from_f64(1000.0)),
        ("comment", JsValue::from_str("hi")),
    ]))
    .unwrap();
    assert_eq!(
        wire,
        ": hi\nevent: update\nid: 7\nretry: 1000\ndata: a\ndata: b\n\n"
    );
    let parser = SseParser::new(JsValue::UNDEFINED).unwrap();
    assert_eq!(
        events(&parser.feed(&JsValue::from_str(&wire)).unwrap()),
        [ev("update", "a\nb", "7", Some("7"))]
    );
}

#[test]
async fn encode_event_refuses_injection_with_a_named_error() {
    support::loaded().await;
    let error = encode_event(object(&[("id", JsValue::from_str("é\ndata: forged"))])).unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(string(&error, "name"), "SseEncodeError");
    assert_eq!(string(&error, "field"), "id");
    assert_eq!(
        get(&error, "offset").as_f64(),
        Some(1.0),
        "offset in UTF-16 code units"
    );
    let bad_retry = encode_event(object(&[("retry", JsValue::from_f64(-1.0))])).unwrap_err();
    assert!(bad_retry.is_instance_of::<js_sys::RangeError>());
    let unknown = encode_event(object(&[("dta", JsValue::from_str("typo"))])).unwrap_err();
    assert!(unknown.is_instance_of::<js_sys::TypeError>());
}
