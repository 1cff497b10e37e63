//! `POST /relay/{name}`: forwards the client's JSON body to a configured
//! upstream SSE endpoint with a server-side credential, and relays the
//! upstream's events back ([`ssekit_workers::Relay`]). The credential never
//! reaches the client; the client may only set the body fields allowed.
//!
//! Every call spends the owner's upstream key, so before anything is sent
//! upstream a call must have, in this order: a relay of that name (404), a
//! credential for it (401/403: the relay's own token or a JWT naming it), no
//! resume point (a reconnect gets 204: an answer is never bought twice), a
//! JSON body (415: a cross-site page cannot send one without a preflight),
//! room in its caller's rate (429), a body within the cap (413, read as a
//! stream) and only allowed fields within their caps (400).
//!
//! Configuration, per relay name (`NAME` is the name upper-cased, `-` as
//! `_`; vars or secrets):
//!
//! - `RELAY_<NAME>_URL` (required; without it the name is unknown: 404): the
//!   upstream `http(s)` URL, POSTed with `Content-Type: application/json` and
//!   `Accept: text/event-stream`.
//! - `RELAY_<NAME>_AUTHORIZATION` (a secret, optional): the upstream
//!   request's `Authorization` header, e.g. `Bearer sk-...`.
//! - `RELAY_<NAME>_TOKEN` (a secret, optional): a token that lets a caller
//!   use this relay; JWTs with `{"ssekit": {"relay": [...]}}` do as well.
//!   With neither, nobody can use the relay.
//! - `RELAY_<NAME>_RATE` (default `20/min`): calls per caller (the JWT's
//!   `sub`, else the client address).
//! - `RELAY_<NAME>_FIELDS` (optional): comma-separated top-level fields the
//!   client's JSON object may have; any other is refused with 400 and
//!   nothing is sent upstream. Unset: any JSON body.
//! - `RELAY_<NAME>_LIMITS` (optional): numeric caps on top-level fields,
//!   e.g. `max_tokens<=1024,n<=1`; a field over its cap, or not a number,
//!   is refused with 400 naming it.
//! - `RELAY_<NAME>_BODY` (optional): a JSON object whose fields are set on
//!   every upstream body, over the client's (say the model).
//! - `RELAY_<NAME>_MAX_BODY_BYTES` (default `RELAY_MAX_BODY_BYTES`, 1 MiB):
//!   the client's body (413 above).
//!
//! Every relay: `RELAY_MAX_EVENT_BYTES` (upstream event, default 16 MiB),
//! `HEARTBEAT_MS`.
//!
//! The answer starts with `id: 0` (no event; it sets the client's last
//! event ID) and each relayed event gets the next number as its id, so a
//! reconnecting client always sends `Last-Event-ID`, and gets 204, which
//! ends a native `EventSource` and ssekit's alike.

use futures_util::{stream, StreamExt};
use serde_json::{Map, Value};
use ssekit::{EncodedEvent, Event};
use ssekit_workers::{Relay, RelayStep, SseResponse};
use worker::{Env, Fetch, Headers, Method, Request, RequestInit, Response, Result, Url};

use crate::auth::{Auth, Scope};
use crate::config::{raw_text, text, Config};
use crate::input;
use crate::limits::{self, Rate};
use crate::reply::{error, refused, retry_after};

/// Calls per caller of a relay without `RELAY_<NAME>_RATE`.
const DEFAULT_RATE: Rate = Rate {
    count: 20,
    period_ms: 60_000,
};

/// Longest relay name, in bytes.
const MAX_RELAY_NAME: usize = 64;

/// One relay's settings.
#[derive(Debug, PartialEq)]
pub struct RelayConfig {
    url: Url,
    authorization: Option<String>,
    /// Top-level fields the client may set; `None`: any body.
    fields: Option<Vec<String>>,
    /// Fields set on every upstream body, over the client's.
    fixed: Map<String, Value>,
    /// Numeric caps on top-level fields of the client's body.
    caps: Vec<(String, f64)>,
    /// The relay's own plain token.
    token: Option<String>,
    rate: Rate,
    /// The client's body cap.
    max_body_bytes: Option<usize>,
}

/// The optional settings of one relay, as text.
#[derive(Default)]
pub struct Extra<'a> {
    pub caps: Option<&'a str>,
    pub token: Option<String>,
    pub rate: Option<&'a str>,
    pub max_body_bytes: Option<&'a str>,
}

/// The prefix of a relay's settings, `RELAY_<NAME>_`, or `None` for a name
/// no relay can have.
pub fn env_prefix(name: &str) -> Option<String> {
    let valid = !name.is_empty()
        && name.len() <= MAX_RELAY_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    valid.then(|| format!("RELAY_{}_", name.to_ascii_uppercase().replace('-', "_")))
}

impl RelayConfig {
    /// The settings of the relay whose settings start with `prefix`, from
    /// their values (`url`: `<prefix>URL`, and so on). The error names the
    /// setting that is wrong, never its value (a URL may hold a key).
    pub fn parse(
        prefix: &str,
        url: &str,
        authorization: Option<String>,
        fields: Option<&str>,
        fixed: Option<&str>,
        extra: Extra,
    ) -> std::result::Result<RelayConfig, String> {
        let url = Url::parse(url.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| format!("{prefix}URL is not an http(s) URL"))?;
        let fields = fields.map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|field| !field.is_empty())
                .map(String::from)
                .collect()
        });
        let fixed = match fixed {
            None => Map::new(),
            Some(json) => match serde_json::from_str::<Value>(json) {
                Ok(Value::Object(fields)) => fields,
                _ => return Err(format!("{prefix}BODY is not a JSON object")),
            },
        };
        let caps = match extra.caps {
            None => Vec::new(),
            Some(list) => parse_caps(list).ok_or_else(|| {
                format!("{prefix}LIMITS is not a list of field<=number, comma-separated")
            })?,
        };
        let rate = match extra.rate {
            None => DEFAULT_RATE,
            Some(rate) => Rate::parse(rate)
                .ok_or_else(|| format!("{prefix}RATE is not a rate such as 20/min"))?,
        };
        let max_body_bytes = match extra.max_body_bytes {
            None => None,
            Some(bytes) => Some(
                bytes
                    .trim()
                    .parse()
                    .map_err(|_| format!("{prefix}MAX_BODY_BYTES is not a number"))?,
            ),
        };
        Ok(RelayConfig {
            url,
            authorization,
            fields,
            fixed,
            caps,
            token: extra.token,
            rate,
            max_body_bytes,
        })
    }

    /// The settings of relay `name` from the environment: `None` when it has
    /// no URL (an unknown relay).
    fn from_env(env: &Env, name: &str) -> Option<std::result::Result<RelayConfig, String>> {
        let prefix = env_prefix(name)?;
        let url = text(env, &format!("{prefix}URL"))?;
        let setting = |name: &str| text(env, &format!("{prefix}{name}"));
        let (caps, rate, max_body_bytes) = (
            setting("LIMITS"),
            setting("RATE"),
            setting("MAX_BODY_BYTES"),
        );
        Some(RelayConfig::parse(
            &prefix,
            &url,
            setting("AUTHORIZATION"),
            raw_text(env, &format!("{prefix}FIELDS")).as_deref(),
            setting("BODY").as_deref(),
            Extra {
                caps: caps.as_deref(),
                token: setting("TOKEN"),
                rate: rate.as_deref(),
                max_body_bytes: max_body_bytes.as_deref(),
            },
        ))
    }

    /// The upstream request's body from the client's, or why the client's
    /// is refused (a 400).
    pub fn upstream_body(&self, client: &[u8]) -> std::result::Result<Vec<u8>, String> {
        let value: Value =
            serde_json::from_slice(client).map_err(|e| format!("expected a JSON body: {e}"))?;
        if self.fields.is_none() && self.fixed.is_empty() && self.caps.is_empty() {
            // Nothing to check or add: the client's bytes as they came.
            return Ok(client.to_vec());
        }
        let Value::Object(mut body) = value else {
            return Err("expected a JSON object".into());
        };
        if let Some(allowed) = &self.fields {
            if let Some(field) = body.keys().find(|field| !allowed.contains(field)) {
                return Err(if allowed.is_empty() {
                    format!("field {field:?} is not allowed: this relay takes no fields")
                } else {
                    format!(
                        "field {field:?} is not allowed; allowed: {}",
                        allowed.join(", ")
                    )
                });
            }
        }
        for (field, cap) in &self.caps {
            match body.get(field) {
                None => {}
                Some(Value::Number(n)) if n.as_f64().is_some_and(|n| n <= *cap) => {}
                Some(Value::Number(_)) => {
                    return Err(format!("field {field:?} must be at most {cap}"))
                }
                Some(_) => return Err(format!("field {field:?} must be a number")),
            }
        }
        for (field, value) in &self.fixed {
            body.insert(field.clone(), value.clone());
        }
        serde_json::to_vec(&body).map_err(|e| e.to_string())
    }

    /// The upstream request for a checked body.
    fn request(&self, body: &[u8]) -> Result<Request> {
        let headers = Headers::new();
        headers.set("Content-Type", "application/json")?;
        headers.set("Accept", "text/event-stream")?;
        if let Some(authorization) = &self.authorization {
            headers.set("Authorization", authorization)?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(js_sys::Uint8Array::from(body).into()));
        Request::new_with_init(self.url.as_str(), &init)
    }
}

/// `POST /relay/{name}`: the checks in the order the module describes,
/// then the upstream's events with ids stamped.
pub async fn route(
    req: &mut Request,
    env: &Env,
    config: &Config,
    auth: &Auth,
    name: &str,
) -> Result<Response> {
    let relay = match RelayConfig::from_env(env, name) {
        None => return error(404, &format!("no relay named {name:?}")),
        Some(Err(setting)) => {
            return Err(worker::Error::RustError(format!(
                "relay misconfigured: {setting}"
            )))
        }
        Some(Ok(relay)) => relay,
    };
    let grant = match auth.check(req, Scope::Relay(name), relay.token.as_deref()) {
        Ok(grant) => grant,
        Err(refusal) => return refused(refusal),
    };
    if input::raw_resume_point(req).is_some() {
        // A reconnect of an answer this relay gave: every answer starts with
        // an id, so every reconnect carries one. Its events are gone (an
        // upstream call cannot be replayed) and a new one would be paid for.
        return Ok(Response::empty()?.with_status(204));
    }
    if let Some(response) = input::json_only(req)? {
        return Ok(response);
    }
    let key = format!("relay:{name}:{}", input::caller(req, &grant));
    if let Some(seconds) = limits::take(env, &key, relay.rate).await? {
        return retry_after(
            429,
            seconds,
            &format!("relay {name:?}: rate limit reached; retry later"),
        );
    }
    let limit = relay.max_body_bytes.unwrap_or(config.relay_max_body_bytes);
    let body = match input::body(req, limit).await? {
        Ok(body) => body,
        Err(response) => return Ok(response),
    };
    let body = match relay.upstream_body(&body) {
        Ok(body) => body,
        Err(reason) => return error(400, &reason),
    };
    let mut next_id = 0u64;
    let events = Relay::fetch(Fetch::Request(relay.request(&body)?))
        .max_event_bytes(config.relay_max_event_bytes)
        .on_message(move |message| {
            next_id += 1;
            let id = next_id.to_string();
            let event = Event::new()
                .event(message.event_type.as_str())
                .id(id.as_str())
                .data(message.data.as_str());
            match EncodedEvent::new(&event) {
                Ok(event) => RelayStep::Send(event),
                // A NUL in the upstream's event type: not sendable as is.
                Err(_) => RelayStep::Skip,
            }
        })
        .into_events()?;
    let first = EncodedEvent::new(&Event::new().id("0"))
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    SseResponse::new(
        stream::once(async move { first })
            .chain(events)
            .boxed_local(),
    )
    .heartbeat(config.heartbeat)
    .into_response()
}

/// `field<=number, …` as pairs; `None` when any part is not one.
fn parse_caps(list: &str) -> Option<Vec<(String, f64)>> {
    list.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (field, cap) = part.split_once("<=")?;
            let field = field.trim();
            let cap: f64 = cap.trim().parse().ok().filter(|c: &f64| c.is_finite())?;
            (!field.is_empty()).then(|| (field.to_string(), cap))
        })
        .collect()
}

#[cfg(test)]
mod tests;
