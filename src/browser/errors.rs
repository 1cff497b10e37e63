//! JavaScript errors for the adapters: real `Error` objects with a `name`
//! that says what failed, never a bare string.

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
