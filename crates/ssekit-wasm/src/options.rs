//! The `init` dictionary of `new EventSource(url, init)`: the standard
//! `withCredentials` plus ssekit's extensions, checked once at construction
//! so that a mistake is a `TypeError`/`RangeError` from the constructor, not
//! a failure on some later reconnect.

use js_sys::{ArrayBuffer, Function, Object, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortSignal, Headers};

use crate::js::{
    get, max_event_bytes, non_negative_integer, optional_number, optional_string, present,
    range_error, type_error,
};
use ssekit::RetryPolicy;

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
    /// Statuses that reconnect (with backoff) instead of failing for good.
    pub retry_statuses: Vec<u16>,
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
            Some(_) => {
                return Err(type_error(
                    "EventSource: credentials must be \"omit\", \"same-origin\" or \"include\"",
                ))
            }
        };

        let raw_headers = get(&init, "headers");
        let headers = if present(&raw_headers) {
            Some(
                Headers::new_with_str_sequence_sequence(&raw_headers).map_err(|e| {
                    type_error(&format!("EventSource: invalid headers: {}", describe(&e)))
                })?,
            )
        } else {
            None
        };

        let method = optional_string(&init, "method", "EventSource: method must be a string")?
            .unwrap_or_else(|| String::from("GET"));

        let body = replayable_body(&get(&init, "body"))?;
        if body.is_some() && matches!(method.to_ascii_uppercase().as_str(), "GET" | "HEAD") {
            return Err(type_error(&format!(
                "EventSource: a {method} request cannot have a body"
            )));
        }

        // An explicit lastEventId wins; otherwise a Last-Event-ID header the
        // caller set is where to resume from.
        let last_event_id = match optional_string(
            &init,
            "lastEventId",
            "EventSource: lastEventId must be a string",
        )? {
            Some(id) => id,
            None => headers
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
        let retry_statuses = retry_statuses(&get(&init, "retry"))?;

        let signal = match get(&init, "signal") {
            s if !present(&s) => None,
            s => Some(
                s.dyn_into::<AbortSignal>()
                    .map_err(|_| type_error("EventSource: signal must be an AbortSignal"))?,
            ),
        };
        let fetch = function(&init, "fetch", "EventSource: fetch must be a function")?;
        let on_response = function(
            &init,
            "onResponse",
            "EventSource: onResponse must be a function",
        )?;
        let max_event_bytes = max_event_bytes(&init, "EventSource")?;

        Ok(Options {
            credentials,
            headers,
            method,
            body,
            last_event_id,
            retry,
            retry_statuses,
            signal,
            fetch,
            on_response,
            pause_when_hidden: get(&init, "pauseWhenHidden").is_truthy(),
            max_event_bytes,
        })
    }
}

fn function(init: &JsValue, key: &str, message: &str) -> Result<Option<Function>, JsValue> {
    match get(init, key) {
        f if !present(&f) => Ok(None),
        f => f
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_| type_error(message)),
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
    let integer =
        "EventSource: retry.initialMs, maxMs and maxAttempts must be non-negative integers";
    if let Some(ms) = optional_number(retry, "initialMs", non_negative_integer, integer)? {
        policy = policy.with_initial_ms(ms as u64);
    }
    if let Some(ms) = optional_number(retry, "maxMs", non_negative_integer, integer)? {
        policy = policy.with_max_ms(ms as u64);
    }
    // The policy itself refuses NaN, infinities and out-of-range values;
    // its error becomes the RangeError `optional_number` would have thrown.
    let multiplier = "EventSource: retry.multiplier must be a number from 1 to 1000";
    if let Some(m) = optional_number(retry, "multiplier", |_| true, multiplier)? {
        policy = policy
            .try_with_multiplier(m)
            .map_err(|_| range_error(multiplier))?;
    }
    let jitter = "EventSource: retry.jitter must be a fraction from 0 to 1";
    if let Some(j) = optional_number(retry, "jitter", |_| true, jitter)? {
        policy = policy.try_with_jitter(j).map_err(|_| range_error(jitter))?;
    }
    let attempts = |n: f64| non_negative_integer(n) && n <= f64::from(u32::MAX);
    if let Some(n) = optional_number(retry, "maxAttempts", attempts, integer)? {
        policy = policy.with_max_attempts(Some(n as u32));
    }
    Ok(policy)
}

/// `retry.statuses`: HTTP statuses (other than 200) after which the source
/// reconnects with backoff, like after a network error, instead of failing
/// for good as the standard requires. For servers that answer 502/503/504
/// while restarting.
fn retry_statuses(retry: &JsValue) -> Result<Vec<u16>, JsValue> {
    let message =
        "EventSource: retry.statuses must be an array of HTTP statuses (100-599, not 200)";
    let value = if retry.is_object() {
        get(retry, "statuses")
    } else {
        JsValue::UNDEFINED
    };
    if !present(&value) {
        return Ok(Vec::new());
    }
    if !js_sys::Array::is_array(&value) {
        return Err(type_error(message));
    }
    let mut statuses = Vec::new();
    for item in js_sys::Array::from(&value).iter() {
        match item.as_f64() {
            Some(n) if non_negative_integer(n) && (100.0..=599.0).contains(&n) && n != 200.0 => {
                statuses.push(n as u16)
            }
            _ => return Err(type_error(message)),
        }
    }
    Ok(statuses)
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
        .or_else(|| js_sys::JSON::stringify(error).ok().map(String::from))
        .unwrap_or_else(|| String::from("a value that is not an Error"))
}
