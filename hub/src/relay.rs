//! `POST /relay/{name}`: forwards the client's JSON body to a configured
//! upstream SSE endpoint with a server-side credential, and relays the
//! upstream's events back ([`ssekit_workers::Relay`]). The credential never
//! reaches the client; the client may only set the body fields allowed.
//!
//! Configuration, per relay name (`NAME` is the name upper-cased, `-` as
//! `_`; vars or secrets):
//!
//! - `RELAY_<NAME>_URL` (required; without it the name is unknown: 404): the
//!   upstream `http(s)` URL, POSTed with `Content-Type: application/json` and
//!   `Accept: text/event-stream`.
//! - `RELAY_<NAME>_AUTHORIZATION` (a secret, optional): the upstream
//!   request's `Authorization` header, e.g. `Bearer sk-...`.
//! - `RELAY_<NAME>_FIELDS` (optional): comma-separated top-level fields the
//!   client's JSON object may have; any other is refused with 400 and
//!   nothing is sent upstream. Unset: any JSON body.
//! - `RELAY_<NAME>_BODY` (optional): a JSON object whose fields are set on
//!   every upstream body, over the client's (say the model).
//!
//! Every relay: `RELAY_MAX_BODY_BYTES` (client body, default 1 MiB: 413
//! above), `RELAY_MAX_EVENT_BYTES` (upstream event, default 16 MiB),
//! `HEARTBEAT_MS`.

use serde_json::{Map, Value};
use ssekit_workers::Relay;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit, Response, Result, Url};

use crate::config::{raw_text, text, Config};
use crate::reply::error;

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
        Ok(RelayConfig {
            url,
            authorization,
            fields,
            fixed,
        })
    }

    /// The settings of relay `name` from the environment: `None` when it has
    /// no URL (an unknown relay).
    fn from_env(env: &Env, name: &str) -> Option<std::result::Result<RelayConfig, String>> {
        let prefix = env_prefix(name)?;
        let url = text(env, &format!("{prefix}URL"))?;
        Some(RelayConfig::parse(
            &prefix,
            &url,
            text(env, &format!("{prefix}AUTHORIZATION")),
            raw_text(env, &format!("{prefix}FIELDS")).as_deref(),
            text(env, &format!("{prefix}BODY")).as_deref(),
        ))
    }

    /// The upstream request's body from the client's, or why the client's
    /// is refused (a 400).
    pub fn upstream_body(&self, client: &[u8]) -> std::result::Result<Vec<u8>, String> {
        let value: Value =
            serde_json::from_slice(client).map_err(|e| format!("expected a JSON body: {e}"))?;
        if self.fields.is_none() && self.fixed.is_empty() {
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

/// `POST /relay/{name}` with the client's `body`.
pub fn relay(env: &Env, config: &Config, name: &str, body: &[u8]) -> Result<Response> {
    let relay = match RelayConfig::from_env(env, name) {
        None => return error(404, &format!("no relay named {name:?}")),
        Some(Err(setting)) => return error(500, &format!("relay misconfigured: {setting}")),
        Some(Ok(relay)) => relay,
    };
    let body = match relay.upstream_body(body) {
        Ok(body) => body,
        Err(reason) => return error(400, &reason),
    };
    Relay::fetch(Fetch::Request(relay.request(&body)?))
        .max_event_bytes(config.relay_max_event_bytes)
        .into_sse()?
        .heartbeat(config.heartbeat)
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(fields: Option<&str>, fixed: Option<&str>) -> RelayConfig {
        RelayConfig::parse(
            "RELAY_T_",
            "https://api.example/v1/chat",
            None,
            fields,
            fixed,
        )
        .unwrap()
    }

    fn upstream(config: &RelayConfig, client: &Value) -> std::result::Result<Value, String> {
        let body = config.upstream_body(client.to_string().as_bytes())?;
        Ok(serde_json::from_slice(&body).unwrap())
    }

    #[test]
    fn names_map_to_setting_prefixes() {
        assert_eq!(env_prefix("openai").as_deref(), Some("RELAY_OPENAI_"));
        assert_eq!(env_prefix("My-api_2").as_deref(), Some("RELAY_MY_API_2_"));
        assert_eq!(
            env_prefix(&"a".repeat(MAX_RELAY_NAME)).map(|p| p.len()),
            Some(MAX_RELAY_NAME + 7)
        );
        for bad in [
            "",
            "a.b",
            "a b",
            "é",
            "a/b",
            &"a".repeat(MAX_RELAY_NAME + 1),
        ] {
            assert_eq!(env_prefix(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn settings_parse_and_say_which_one_is_wrong_without_its_value() {
        let relay = RelayConfig::parse(
            "RELAY_X_",
            " https://api.example/v1?key=k ",
            Some("Bearer s".into()),
            Some(" messages, temperature ,,"),
            Some(r#"{"model":"m","stream":true}"#),
        )
        .unwrap();
        assert_eq!(relay.url.as_str(), "https://api.example/v1?key=k");
        assert_eq!(relay.authorization.as_deref(), Some("Bearer s"));
        assert_eq!(
            relay.fields,
            Some(vec!["messages".to_string(), "temperature".to_string()])
        );
        assert_eq!(relay.fixed.len(), 2);

        let url_error = "RELAY_X_URL is not an http(s) URL";
        for url in ["", "not a url", "ftp://api.example/", "file:///etc/passwd"] {
            assert_eq!(
                RelayConfig::parse("RELAY_X_", url, None, None, None),
                Err(url_error.into())
            );
        }
        for body in ["[1]", "\"model\"", "{", "null"] {
            assert_eq!(
                RelayConfig::parse("RELAY_X_", "http://a/", None, None, Some(body)),
                Err("RELAY_X_BODY is not a JSON object".into())
            );
        }
    }

    #[test]
    fn without_fields_or_fixed_fields_any_json_passes_byte_for_byte() {
        let relay = config(None, None);
        let client = br#"{ "model": "any",  "x": [1, 2] }"#;
        assert_eq!(relay.upstream_body(client).unwrap(), client);
        assert_eq!(relay.upstream_body(b"[1]").unwrap(), b"[1]");
        assert!(relay
            .upstream_body(b"not json")
            .unwrap_err()
            .starts_with("expected a JSON body"));
        assert!(relay.upstream_body(b"").is_err());
    }

    #[test]
    fn only_allowed_fields_pass() {
        let relay = config(Some("messages,temperature"), None);
        let ok = json!({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5});
        assert_eq!(upstream(&relay, &ok).unwrap(), ok);
        assert_eq!(upstream(&relay, &json!({})).unwrap(), json!({}));
        assert_eq!(
            upstream(&relay, &json!({"messages": [], "model": "expensive"})),
            Err("field \"model\" is not allowed; allowed: messages, temperature".into())
        );
        assert_eq!(
            upstream(&relay, &json!([1])),
            Err("expected a JSON object".into())
        );
        let closed = config(Some(""), None);
        assert_eq!(
            upstream(&closed, &json!({"a": 1})),
            Err("field \"a\" is not allowed: this relay takes no fields".into())
        );
        assert_eq!(upstream(&closed, &json!({})).unwrap(), json!({}));
    }

    #[test]
    fn fixed_fields_are_set_over_the_clients() {
        let relay = config(None, Some(r#"{"model":"cheap","stream":true}"#));
        assert_eq!(
            upstream(&relay, &json!({"model": "expensive", "messages": []})).unwrap(),
            json!({"model": "cheap", "stream": true, "messages": []})
        );
        let both = config(Some("messages"), Some(r#"{"model":"cheap","stream":true}"#));
        assert_eq!(
            upstream(&both, &json!({"messages": ["m"]})).unwrap(),
            json!({"model": "cheap", "stream": true, "messages": ["m"]})
        );
        assert!(upstream(&both, &json!({"model": "expensive"})).is_err());
    }
}
