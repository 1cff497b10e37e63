//! The `init` dictionary of `new EventSource(url, init)`: the standard
//! `withCredentials` plus ssekit's extensions, checked once at construction
//! so that a mistake is a `TypeError`/`RangeError` from the constructor, not
//! a failure on some later reconnect.

use alloc::string::String;

use js_sys::{ArrayBuffer, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortSignal, Headers};

use super::errors::{range_error, type_error};
use crate::{RetryPolicy, DEFAULT_MAX_EVENT_BYTES};

/// Parsed `init`.
pub(crate) struct Options {
    pub credentials: Credentials,
    /// User headers, copied into a fresh `Headers` for every request.
    pub headers: Option<Headers>,
    pub method: String,
    /// A body that can be sent again on every reconnect.
    pub body: Option<JsValue>,
    pub last_event_id: String,
    pub retry: RetryPolicy,
    pub signal: Option<AbortSignal>,
    pub fetch: Option<Function>,
    pub on_response: Option<Function>,
    pub pause_when_hidden: bool,
    pub max_event_bytes: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credentials {
    Omit,
    SameOrigin,
    Include,
}

impl Credentials {
    pub fn as_str(self) -> &'static str {
        match self {
            Credentials::Omit => "omit",
            Credentials::SameOrigin => "same-origin",
            Credentials::Include => "include",
        }
    }
}

fn get(init: &JsValue, key: &str) -> JsValue {
    Reflect::get(init, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn present(value: &JsValue) -> bool {
    !value.is_undefined() && !value.is_null()
}

fn number(
    init: &JsValue,
    key: &str,
    check: impl Fn(f64) -> bool,
    what: &str,
) -> Result<Option<f64>, JsValue> {
    let value = get(init, key);
    if !present(&value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if check(n) => Ok(Some(n)),
        _ => Err(range_error(&alloc::format!(
            "EventSource: {key} must be {what}"
        ))),
    }
}

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn non_negative_integer(n: f64) -> bool {
    (0.0..=MAX_SAFE_INTEGER).contains(&n) && n.fract() == 0.0
}

impl Options {
    pub fn from_js(init: &JsValue) -> Result<Options, JsValue> {
        if present(init) && !init.is_object() {
            return Err(type_error(
                "EventSource: the second argument must be an object",
            ));
        }
        let init = if present(init) {
            init.clone()
        } else {
            Object::new().into()
        };

        let credentials = match get(&init, "credentials").as_string().as_deref() {
            None if get(&init, "withCredentials").is_truthy() => Credentials::Include,
            None => Credentials::SameOrigin,
            Some("omit") => Credentials::Omit,
            Some("same-origin") => Credentials::SameOrigin,
            Some("include") => Credentials::Include,
            Some(other) => {
                return Err(type_error(&alloc::format!(
                    "EventSource: credentials must be \"omit\", \"same-origin\" or \"include\", not {other:?}"
                )))
            }
        };

        let raw_headers = get(&init, "headers");
        let headers = if present(&raw_headers) {
            Some(
                Headers::new_with_str_sequence_sequence(&raw_headers).map_err(|e| {
                    type_error(&alloc::format!(
                        "EventSource: invalid headers: {}",
                        describe(&e)
                    ))
                })?,
            )
        } else {
            None
        };

        let method = match get(&init, "method") {
            m if !present(&m) => String::from("GET"),
            m => m
                .as_string()
                .ok_or_else(|| type_error("EventSource: method must be a string"))?,
        };

        let body = replayable_body(&get(&init, "body"))?;
        if body.is_some() && matches!(method.to_ascii_uppercase().as_str(), "GET" | "HEAD") {
            return Err(type_error(&alloc::format!(
                "EventSource: a {method} request cannot have a body"
            )));
        }

        // An explicit lastEventId wins; otherwise a Last-Event-ID header the
        // caller set is where to resume from.
        let last_event_id = match get(&init, "lastEventId") {
            id if present(&id) => id
                .as_string()
                .ok_or_else(|| type_error("EventSource: lastEventId must be a string"))?,
            _ => headers
                .as_ref()
                .and_then(|h| h.get("last-event-id").ok().flatten())
                .unwrap_or_default(),
        };
        if last_event_id.contains(['\0', '\r', '\n']) {
            return Err(type_error(
                "EventSource: lastEventId must not contain NUL, CR or LF",
            ));
        }

        let retry = retry_policy(&get(&init, "retry"))?;

        let signal = match get(&init, "signal") {
            s if !present(&s) => None,
            s => Some(
                s.dyn_into::<AbortSignal>()
                    .map_err(|_| type_error("EventSource: signal must be an AbortSignal"))?,
            ),
        };
        let fetch = function(&init, "fetch")?;
        let on_response = function(&init, "onResponse")?;
        let max_event_bytes = number(
            &init,
            "maxEventBytes",
            |n| n >= 1.0 && non_negative_integer(n),
            "a positive integer",
        )?
        .map_or(DEFAULT_MAX_EVENT_BYTES, |n| n as usize);

        Ok(Options {
            credentials,
            headers,
            method,
            body,
            last_event_id,
            retry,
            signal,
            fetch,
            on_response,
            pause_when_hidden: get(&init, "pauseWhenHidden").is_truthy(),
            max_event_bytes,
        })
    }
}

fn function(init: &JsValue, key: &str) -> Result<Option<Function>, JsValue> {
    match get(init, key) {
        f if !present(&f) => Ok(None),
        f => f
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_| type_error(&alloc::format!("EventSource: {key} must be a function"))),
    }
}

fn retry_policy(retry: &JsValue) -> Result<RetryPolicy, JsValue> {
    let mut policy = RetryPolicy::default();
    if !present(retry) {
        return Ok(policy);
    }
    if !retry.is_object() {
        return Err(type_error("EventSource: retry must be an object"));
    }
    if let Some(ms) = number(
        retry,
        "initialMs",
        non_negative_integer,
        "a non-negative integer",
    )? {
        policy.initial_ms = ms as u64;
    }
    if let Some(ms) = number(
        retry,
        "maxMs",
        non_negative_integer,
        "a non-negative integer",
    )? {
        policy.max_ms = ms as u64;
    }
    if let Some(m) = number(
        retry,
        "multiplier",
        |m| (1.0..=1_000.0).contains(&m),
        "a number from 1 to 1000",
    )? {
        policy.multiplier = m;
    }
    if let Some(j) = number(
        retry,
        "jitter",
        |j| (0.0..=1.0).contains(&j),
        "a fraction from 0 to 1",
    )? {
        policy.jitter = j;
    }
    if let Some(n) = number(
        retry,
        "maxAttempts",
        |n| non_negative_integer(n) && n <= f64::from(u32::MAX),
        "a non-negative integer",
    )? {
        policy.max_attempts = Some(n as u32);
    }
    Ok(policy)
}

/// A body `fetch` can send again on every reconnect. Bytes are copied now,
/// so later changes to the caller's buffer do not leak into a reconnect.
fn replayable_body(body: &JsValue) -> Result<Option<JsValue>, JsValue> {
    if !present(body) {
        return Ok(None);
    }
    if body.is_string()
        || body.is_instance_of::<web_sys::Blob>()
        || body.is_instance_of::<web_sys::UrlSearchParams>()
        || body.is_instance_of::<web_sys::FormData>()
    {
        return Ok(Some(body.clone()));
    }
    if let Some(buffer) = body.dyn_ref::<ArrayBuffer>() {
        return Ok(Some(
            Uint8Array::new(buffer)
                .slice(0, buffer.byte_length())
                .into(),
        ));
    }
    if ArrayBuffer::is_view(body) {
        let view: &js_sys::DataView = body.unchecked_ref();
        let bytes = Uint8Array::new_with_byte_offset_and_length(
            &view.buffer(),
            view.byte_offset() as u32,
            view.byte_length() as u32,
        );
        return Ok(Some(bytes.slice(0, bytes.length()).into()));
    }
    if body.is_instance_of::<web_sys::ReadableStream>() {
        return Err(type_error("EventSource: a ReadableStream body cannot be sent again on reconnect; pass bytes, a string or a Blob"));
    }
    Err(type_error(
        "EventSource: body must be a string, ArrayBuffer, typed array, Blob, URLSearchParams or FormData",
    ))
}

/// The message of a thrown value, whatever was thrown.
pub(crate) fn describe(error: &JsValue) -> String {
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    error
        .as_string()
        .unwrap_or_else(|| alloc::format!("{error:?}"))
}
