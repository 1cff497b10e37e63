//! `encodeEvent` for JavaScript.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::js::{
    named_error, non_negative_integer, optional_number, optional_string, set, type_error,
};
use ssekit::{EncodeError, Event, Field};

const FIELD_NAMES: [&str; 5] = ["event", "id", "data", "retry", "comment"];

/// The fields, read from the caller's object.
struct Fields {
    event: Option<String>,
    id: Option<String>,
    data: Option<String>,
    retry: Option<f64>,
    comment: Option<String>,
}

/// Encodes one event: `encodeEvent({ event?, id?, data?, retry?, comment? })`
/// returns its text, ready to write to a `text/event-stream` response.
///
/// Multi-line `data` is split on CR, LF and CRLF; `data: ""` still dispatches.
/// A CR, LF or NUL in `event` or `id`, or a CR or LF in `comment`, throws an
/// `Error` named `SseEncodeError` (with `field` and `offset` properties)
/// instead of producing an injected field. Wrong types throw a `TypeError`,
/// a `retry` that is not a non-negative integer a `RangeError`.
#[wasm_bindgen(js_name = encodeEvent)]
pub fn encode_event(
    #[wasm_bindgen(unchecked_param_type = "SseEventFields")] fields: JsValue,
) -> Result<String, JsValue> {
    if !fields.is_object() {
        return Err(type_error(
            "encodeEvent takes an object: { event?, id?, data?, retry?, comment? }",
        ));
    }
    // Reject typos (`dta`) rather than silently sending an event without data.
    for key in js_sys::Object::keys(fields.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !FIELD_NAMES.contains(&key.as_str()) {
            return Err(type_error(&format!(
                "encodeEvent: unknown field \"{key}\"; expected event, id, data, retry or comment"
            )));
        }
    }
    let text = |key: &str| {
        optional_string(
            &fields,
            key,
            "encodeEvent: event, id, data and comment must be strings",
        )
    };
    let fields = Fields {
        event: text("event")?,
        id: text("id")?,
        data: text("data")?,
        comment: text("comment")?,
        retry: optional_number(
            &fields,
            "retry",
            non_negative_integer,
            "encodeEvent: retry must be a non-negative integer",
        )?,
    };
    let mut event = Event::new();
    if let Some(text) = &fields.comment {
        event = event.comment(text);
    }
    if let Some(name) = &fields.event {
        event = event.event(name);
    }
    if let Some(id) = &fields.id {
        event = event.id(id);
    }
    if let Some(ms) = fields.retry {
        event = event.retry(ms as u64);
    }
    if let Some(data) = &fields.data {
        event = event.data(data.as_str());
    }
    event
        .encode()
        .map_err(|error| encode_error(&error, &fields))
}

fn encode_error(error: &EncodeError, fields: &Fields) -> JsValue {
    let js = named_error("SseEncodeError", &format!("{error}"));
    // Irrefutable unless the `json` feature adds a variant.
    #[allow(irrefutable_let_patterns)]
    if let EncodeError::LineBreak { field, at } | EncodeError::Nul { field, at } = error {
        let (name, value) = match field {
            Field::Event => ("event", &fields.event),
            Field::Id => ("id", &fields.id),
            Field::Comment => ("comment", &fields.comment),
        };
        // JavaScript indexes strings in UTF-16 code units, not bytes.
        let offset = value
            .as_deref()
            .map_or(0, |v| v[..*at].encode_utf16().count());
        set(&js, "field", &JsValue::from_str(name));
        set(&js, "offset", &JsValue::from_f64(offset as f64));
    }
    js
}
