use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};

const SECRET: &str = "test-secret";
const NOW: u64 = 1_800_000_000;

/// An HS256 token over `claims`, signed with `secret` (with the `hmac`
/// crate, independently of the verifier), with header `alg`.
fn token(claims: &serde_json::Value, secret: &str, alg: &str) -> String {
    let header = serde_json::json!({ "alg": alg, "typ": "JWT" });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

fn auth() -> Auth {
    Auth::new(
        Some("owner".into()),
        Some("reader".into()),
        Some(SECRET),
        None,
        false,
        None,
    )
    .unwrap()
}

fn check(token: &str, scope: Scope) -> Result<Grant, Refusal> {
    auth().check_token(token, scope, Some("relay-secret"), NOW)
}

#[test]
fn patterns_match_names_with_wildcards() {
    for (pattern, name, expected) in [
        ("*", "anything", true),
        ("*", "", true),
        ("news", "news", true),
        ("news", "news-1", false),
        ("news-*", "news-1", true),
        ("news-*", "news-", true),
        ("news-*", "new", false),
        ("*-eu", "prices-eu", true),
        ("*-eu", "prices-us", false),
        ("a*b*c", "abc", true),
        ("a*b*c", "a-b-b-c", true),
        ("a*b*c", "a-c-b", false),
        ("ab*ba", "aba", false), // prefix and suffix must not overlap
        ("", "", true),
        ("", "x", false),
    ] {
        assert_eq!(matches(pattern, name), expected, "{pattern:?} vs {name:?}");
    }
}

#[test]
fn plain_tokens_grant_their_fixed_rights() {
    assert_eq!(check("owner", Scope::Publish("c")), Ok(Grant::default()));
    assert_eq!(check("owner", Scope::Subscribe("c")), Ok(Grant::default()));
    assert_eq!(check("owner", Scope::Relay("r")), Err(Refusal::Forbidden));
    assert_eq!(check("reader", Scope::Subscribe("c")), Ok(Grant::default()));
    assert_eq!(
        check("reader", Scope::Publish("c")),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        check("relay-secret", Scope::Relay("r")),
        Ok(Grant::default())
    );
    assert_eq!(
        check("relay-secret", Scope::Subscribe("c")),
        Err(Refusal::Forbidden)
    );
    assert!(matches!(
        check("owner2", Scope::Publish("c")),
        Err(Refusal::Invalid(_))
    ));
    assert!(matches!(
        check("", Scope::Publish("c")),
        Err(Refusal::Invalid(_))
    ));
}

#[test]
fn jwt_claims_name_channels_and_relays_and_exp_is_exact() {
    let claims = serde_json::json!({
        "exp": NOW + 60,
        "sub": "user-1",
        "mercure": { "subscribe": ["news-*"], "publish": ["news-eu"] },
        "ssekit": { "relay": ["openai"] },
    });
    let t = token(&claims, SECRET, "HS256");
    let grant = Grant {
        subject: Some("user-1".into()),
        expires: Some(NOW + 60),
    };
    assert_eq!(check(&t, Scope::Subscribe("news-us")), Ok(grant));
    assert_eq!(
        check(&t, Scope::Subscribe("sports")),
        Err(Refusal::Forbidden)
    );
    assert!(check(&t, Scope::Publish("news-eu")).is_ok());
    assert_eq!(
        check(&t, Scope::Publish("news-us")),
        Err(Refusal::Forbidden)
    );
    assert!(check(&t, Scope::Relay("openai")).is_ok());
    assert_eq!(check(&t, Scope::Relay("other")), Err(Refusal::Forbidden));
    // Valid up to exp, not at it.
    let auth = auth();
    assert!(auth
        .check_token(&t, Scope::Relay("openai"), None, NOW + 59)
        .is_ok());
    assert_eq!(
        auth.check_token(&t, Scope::Relay("openai"), None, NOW + 60),
        Err(Refusal::Invalid("token expired".into()))
    );
    // A Mercure token without ssekit's claim has no relay right.
    let mercure = token(
        &serde_json::json!({ "exp": NOW + 60, "mercure": { "subscribe": ["*"] } }),
        SECRET,
        "HS256",
    );
    assert!(check(&mercure, Scope::Subscribe("any")).is_ok());
    assert_eq!(
        check(&mercure, Scope::Relay("openai")),
        Err(Refusal::Forbidden)
    );
}

#[test]
fn forged_or_incomplete_tokens_are_invalid() {
    let claims = serde_json::json!({ "exp": NOW + 60, "mercure": { "publish": ["*"] } });
    let invalid = |t: &str| match check(t, Scope::Publish("c")) {
        Err(Refusal::Invalid(reason)) => reason,
        other => panic!("{t}: {other:?}"),
    };
    assert_eq!(
        invalid(&token(&claims, "other-secret", "HS256")),
        "bad signature"
    );
    // An algorithm this hub has no key for, "none" included.
    let hs512 = token(&claims, SECRET, "HS512");
    assert!(invalid(&hs512).contains("algorithm"));
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    assert!(matches!(
        check(&none, Scope::Publish("c")),
        Err(Refusal::Invalid(_))
    ));
    let no_exp = token(
        &serde_json::json!({ "mercure": { "publish": ["*"] } }),
        SECRET,
        "HS256",
    );
    assert_eq!(invalid(&no_exp), "token has no exp");
    let wrong_shape = token(
        &serde_json::json!({ "exp": NOW + 60, "mercure": { "publish": "*" } }),
        SECRET,
        "HS256",
    );
    assert_eq!(invalid(&wrong_shape), "malformed token or claims");
    assert_eq!(invalid("a.b.c"), "malformed token");
    // A tampered payload breaks the signature.
    let good = token(&claims, SECRET, "HS256");
    let parts: Vec<&str> = good.split('.').collect();
    let wider = serde_json::json!({ "exp": NOW + 6000, "mercure": { "publish": ["*"] } });
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(wider.to_string()),
        parts[2]
    );
    assert_eq!(invalid(&tampered), "bad signature");
}

#[test]
fn without_jwt_keys_only_plain_tokens_exist() {
    let plain = Auth::new(Some("owner".into()), None, None, None, false, None).unwrap();
    assert!(!plain.subscribe_needs_credential());
    let claims = serde_json::json!({ "exp": NOW + 60, "mercure": { "publish": ["*"] } });
    assert_eq!(
        plain.check_token(
            &token(&claims, SECRET, "HS256"),
            Scope::Publish("c"),
            None,
            NOW
        ),
        Err(Refusal::Invalid("unknown token".into()))
    );
    assert!(auth().subscribe_needs_credential());
    let open = Auth::new(None, Some("r".into()), None, None, true, None).unwrap();
    assert!(!open.subscribe_needs_credential());
    assert!(Auth::new(None, None, None, Some("not a key"), false, None).is_err());
}

#[test]
fn bearer_and_cookie_values_are_read_exactly() {
    assert_eq!(bearer("Bearer abc"), Some("abc"));
    assert_eq!(bearer("bearer  abc "), Some("abc"));
    assert_eq!(bearer("Basic abc"), None);
    assert_eq!(bearer("Bearer "), None);
    assert_eq!(cookie("a=1; tok=xyz; b=2", "tok"), Some("xyz"));
    assert_eq!(cookie("atok=1; tok=", "tok"), None);
    assert_eq!(cookie("", "tok"), None);
}
