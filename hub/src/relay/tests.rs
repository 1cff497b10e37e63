use super::*;
use serde_json::json;

fn config(fields: Option<&str>, fixed: Option<&str>) -> RelayConfig {
    RelayConfig::parse(
        "RELAY_T_",
        "https://api.example/v1/chat",
        None,
        fields,
        fixed,
        Extra::default(),
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
        Extra {
            caps: Some("max_tokens<=1024, n <= 1"),
            token: Some("t".into()),
            rate: Some("3/min"),
            max_body_bytes: Some("4096"),
        },
    )
    .unwrap();
    assert_eq!(
        relay.caps,
        [("max_tokens".to_string(), 1024.0), ("n".to_string(), 1.0)]
    );
    assert_eq!((relay.rate.count, relay.rate.period_ms), (3, 60_000));
    assert_eq!(relay.max_body_bytes, Some(4096));
    assert_eq!(relay.token.as_deref(), Some("t"));
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
            RelayConfig::parse("RELAY_X_", url, None, None, None, Extra::default()),
            Err(url_error.into())
        );
    }
    for body in ["[1]", "\"model\"", "{", "null"] {
        assert_eq!(
            RelayConfig::parse(
                "RELAY_X_",
                "http://a/",
                None,
                None,
                Some(body),
                Extra::default()
            ),
            Err("RELAY_X_BODY is not a JSON object".into())
        );
    }
}

#[test]
fn bad_caps_rates_and_sizes_name_their_setting() {
    let parse = |extra: Extra| {
        RelayConfig::parse("RELAY_X_", "http://a/", None, None, None, extra).unwrap_err()
    };
    for caps in ["max_tokens", "max_tokens<=x", "<=3", "a<=inf", "a<=1,b"] {
        assert_eq!(
            parse(Extra {
                caps: Some(caps),
                ..Extra::default()
            }),
            "RELAY_X_LIMITS is not a list of field<=number, comma-separated",
            "{caps:?}"
        );
    }
    assert_eq!(
        parse(Extra {
            rate: Some("20 per minute"),
            ..Extra::default()
        }),
        "RELAY_X_RATE is not a rate such as 20/min"
    );
    assert_eq!(
        parse(Extra {
            max_body_bytes: Some("1M"),
            ..Extra::default()
        }),
        "RELAY_X_MAX_BODY_BYTES is not a number"
    );
}

#[test]
fn numeric_caps_refuse_fields_over_them_or_not_numbers() {
    let relay = RelayConfig::parse(
        "RELAY_T_",
        "https://api.example/v1/chat",
        None,
        None,
        None,
        Extra {
            caps: Some("max_tokens<=1024,temperature<=2"),
            ..Extra::default()
        },
    )
    .unwrap();
    let ok = json!({"max_tokens": 1024, "temperature": 0.5, "messages": []});
    assert_eq!(upstream(&relay, &ok).unwrap(), ok);
    assert_eq!(upstream(&relay, &json!({})).unwrap(), json!({}));
    assert_eq!(
        upstream(&relay, &json!({"max_tokens": 1025})),
        Err("field \"max_tokens\" must be at most 1024".into())
    );
    assert_eq!(
        upstream(&relay, &json!({"max_tokens": 1e300})),
        Err("field \"max_tokens\" must be at most 1024".into())
    );
    assert_eq!(
        upstream(&relay, &json!({"temperature": "hot"})),
        Err("field \"temperature\" must be a number".into())
    );
    assert_eq!(
        upstream(&relay, &json!({"max_tokens": null})),
        Err("field \"max_tokens\" must be a number".into())
    );
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
