//! Small helpers for the adapters: reading option objects, and JavaScript
//! errors — real `Error` objects with a `name` that says what failed.

use js_sys::{Error, RangeError, Reflect, TypeError};
use wasm_bindgen::JsValue;

/// An `Error` whose `name` is `name`, e.g. `SseEncodeError`.
pub(crate) fn named_error(name: &str, message: &str) -> JsValue {
    let error = Error::new(message);
    error.set_name(name);
    error.into()
}

pub(crate) fn type_error(message: &str) -> JsValue {
    TypeError::new(message).into()
}

pub(crate) fn range_error(message: &str) -> JsValue {
    RangeError::new(message).into()
}

/// Sets `object[key] = value` on an object we just created (cannot fail).
pub(crate) fn set(object: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// `object[key]`, or `undefined`.
pub(crate) fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Neither `undefined` nor `null`.
pub(crate) fn present(value: &JsValue) -> bool {
    !value.is_undefined() && !value.is_null()
}

/// An optional string field; anything else is a `TypeError` saying `message`.
pub(crate) fn optional_string(
    object: &JsValue,
    key: &str,
    message: &str,
) -> Result<Option<String>, JsValue> {
    match get(object, key) {
        value if !present(&value) => Ok(None),
        value => value
            .as_string()
            .map(Some)
            .ok_or_else(|| type_error(message)),
    }
}

/// An optional number field that must pass `check`; otherwise a
/// `RangeError` saying `message`.
pub(crate) fn optional_number(
    object: &JsValue,
    key: &str,
    check: impl Fn(f64) -> bool,
    message: &str,
) -> Result<Option<f64>, JsValue> {
    let value = get(object, key);
    if !present(&value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if check(n) => Ok(Some(n)),
        _ => Err(range_error(message)),
    }
}

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// An integer JavaScript can hold exactly, from 0 up.
pub(crate) fn non_negative_integer(n: f64) -> bool {
    (0.0..=MAX_SAFE_INTEGER).contains(&n) && n.fract() == 0.0
}

/// An integer JavaScript can hold exactly, from 1 up.
pub(crate) fn positive_integer(n: f64) -> bool {
    n >= 1.0 && non_negative_integer(n)
}

/// The `maxEventBytes` option both `EventSource` and `SseParser` take: a
/// positive integer, or the parser's default.
pub(crate) fn max_event_bytes(options: &JsValue, owner: &str) -> Result<usize, JsValue> {
    let message = format!("{owner}: maxEventBytes must be a positive integer");
    Ok(
        optional_number(options, "maxEventBytes", positive_integer, &message)?
            .map_or(ssekit::DEFAULT_MAX_EVENT_BYTES, |n| n as usize),
    )
}
