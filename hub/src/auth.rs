//! Who may do what: the credential a request carries and the rights it
//! grants (SECURITY.md has the whole model).
//!
//! A credential is a plain token the owner set (`PUBLISH_TOKEN`,
//! `SUBSCRIBE_TOKEN`, `RELAY_<NAME>_TOKEN`) or a signed JWT (HS256 with
//! `JWT_SECRET`, ES256 with `JWT_PUBLIC_KEY`) whose claims name its rights
//! in Mercure's shape, `{"mercure": {"subscribe": [...], "publish": [...]}}`,
//! plus ssekit's own `{"ssekit": {"relay": [...]}}`, and that must carry an
//! `exp`. Mercure's shape, so that tokens a Mercure deployment already mints
//! work here unchanged; relays are not topics, so they get a claim of their
//! own instead of overloading Mercure's.
//!
//! It comes from `Authorization: Bearer`, else the cookie `AUTH_COOKIE`
//! (on GET only: a cross-site form or `no-cors` fetch carries cookies, so a
//! cookie must never authorize a write), else `?token=` (for clients that
//! cannot set headers; it ends up in access logs).

use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use worker::{Method, Request};

/// What a request wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Read a channel: subscribe, stats.
    Subscribe(&'a str),
    /// Write a channel: publish, disconnect.
    Publish(&'a str),
    /// Spend a relay's upstream credential.
    Relay(&'a str),
}

/// An accepted request: who it is (for rate limits) and until when its
/// credential holds (a subscriber is disconnected then).
#[derive(Debug, Default, PartialEq)]
pub struct Grant {
    /// The JWT's `sub`, when it has one.
    pub subject: Option<String>,
    /// The JWT's `exp`, in seconds since the epoch.
    pub expires: Option<u64>,
}

/// Why a request is refused.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// No credential where one is needed: 401.
    Missing,
    /// A credential that is not valid (wrong, expired, badly signed): 401
    /// with `error="invalid_token"`.
    Invalid(String),
    /// A valid credential without the right asked for: 403.
    Forbidden,
}

/// The owner's credentials, from the environment.
pub struct Auth {
    pub publish_token: Option<String>,
    pub subscribe_token: Option<String>,
    /// HS256 and ES256 keys; a token signed with another algorithm is invalid.
    keys: Vec<(Algorithm, DecodingKey)>,
    /// Anyone may read channels even though credentials are configured
    /// (`ANONYMOUS_SUBSCRIBE = "1"`, Mercure's "anonymous").
    pub anonymous_subscribe: bool,
    /// The cookie that may carry a token on GET requests (`AUTH_COOKIE`).
    pub cookie: Option<String>,
}

/// The claims ssekit reads; others are ignored.
#[derive(Deserialize)]
struct Claims {
    /// Required; optional here so that its absence gets its own message.
    exp: Option<u64>,
    sub: Option<String>,
    #[serde(default)]
    mercure: MercureClaim,
    #[serde(default)]
    ssekit: SsekitClaim,
}

#[derive(Default, Deserialize)]
struct MercureClaim {
    #[serde(default)]
    subscribe: Vec<String>,
    #[serde(default)]
    publish: Vec<String>,
}

#[derive(Default, Deserialize)]
struct SsekitClaim {
    #[serde(default)]
    relay: Vec<String>,
}

/// Where a request's credential was found.
#[derive(Debug, PartialEq)]
enum Source {
    Header,
    Cookie,
    Query,
}

impl Auth {
    /// From the settings' values; the error names the setting that is wrong.
    pub fn new(
        publish_token: Option<String>,
        subscribe_token: Option<String>,
        jwt_secret: Option<&str>,
        jwt_public_key: Option<&str>,
        anonymous_subscribe: bool,
        cookie: Option<String>,
    ) -> Result<Auth, String> {
        let mut keys = Vec::new();
        if let Some(secret) = jwt_secret {
            let key = DecodingKey::from_secret(secret.as_bytes())
                .map_err(|_| "JWT_SECRET cannot be used as an HS256 key".to_string())?;
            keys.push((Algorithm::HS256, key));
        }
        if let Some(pem) = jwt_public_key {
            let key = DecodingKey::from_ec_pem(pem.as_bytes())
                .map_err(|_| "JWT_PUBLIC_KEY is not a PEM EC public key".to_string())?;
            keys.push((Algorithm::ES256, key));
        }
        Ok(Auth {
            publish_token,
            subscribe_token,
            keys,
            anonymous_subscribe,
            cookie,
        })
    }

    /// Whether reading a channel needs a credential.
    pub fn subscribe_needs_credential(&self) -> bool {
        !self.anonymous_subscribe && (self.subscribe_token.is_some() || !self.keys.is_empty())
    }

    /// Checks `req`'s credential for `scope`; `relay_token` is the relay's
    /// own plain token when the scope is a relay that has one.
    pub fn check(
        &self,
        req: &Request,
        scope: Scope,
        relay_token: Option<&str>,
    ) -> Result<Grant, Refusal> {
        if matches!(scope, Scope::Subscribe(_)) && !self.subscribe_needs_credential() {
            return Ok(Grant::default());
        }
        let Some((token, source)) = self.credential(req) else {
            return Err(Refusal::Missing);
        };
        if source == Source::Cookie && !matches!(scope, Scope::Subscribe(_)) {
            // Only reads reach here with a cookie (GET), and only reads
            // may be authorized by one.
            return Err(Refusal::Missing);
        }
        self.check_token(&token, scope, relay_token, now_secs())
    }

    /// The decision for one token at time `now` (seconds): the pure part of
    /// [`check`](Self::check), tested natively.
    fn check_token(
        &self,
        token: &str,
        scope: Scope,
        relay_token: Option<&str>,
        now: u64,
    ) -> Result<Grant, Refusal> {
        // Plain tokens: each grants a fixed set of rights.
        let plain = [
            (self.publish_token.as_deref(), "publish"),
            (self.subscribe_token.as_deref(), "subscribe"),
            (relay_token, "relay"),
        ];
        for (expected, kind) in plain {
            if expected.is_some_and(|expected| same(token, expected)) {
                let granted = match (kind, scope) {
                    // The owner's token: every channel right.
                    ("publish", Scope::Subscribe(_) | Scope::Publish(_)) => true,
                    ("subscribe", Scope::Subscribe(_)) => true,
                    ("relay", Scope::Relay(_)) => true,
                    _ => false,
                };
                return if granted {
                    Ok(Grant::default())
                } else {
                    Err(Refusal::Forbidden)
                };
            }
        }
        if self.keys.is_empty() || token.split('.').count() != 3 {
            return Err(Refusal::Invalid("unknown token".into()));
        }
        let claims = self.verify(token, now)?;
        let patterns = match scope {
            Scope::Subscribe(_) => &claims.mercure.subscribe,
            Scope::Publish(_) => &claims.mercure.publish,
            Scope::Relay(_) => &claims.ssekit.relay,
        };
        let (Scope::Subscribe(name) | Scope::Publish(name) | Scope::Relay(name)) = scope;
        if !patterns.iter().any(|pattern| matches(pattern, name)) {
            return Err(Refusal::Forbidden);
        }
        Ok(Grant {
            subject: claims.sub,
            expires: claims.exp,
        })
    }

    /// The token's claims when its signature, algorithm and `exp` hold.
    fn verify(&self, token: &str, now: u64) -> Result<Claims, Refusal> {
        let invalid = |what: &str| Refusal::Invalid(what.to_string());
        let header = decode_header(token).map_err(|_| invalid("malformed token"))?;
        let Some((alg, key)) = self.keys.iter().find(|(alg, _)| *alg == header.alg) else {
            return Err(invalid(
                "token signed with an algorithm this hub does not accept",
            ));
        };
        let mut validation = Validation::new(*alg);
        // Exact: a subscriber is disconnected at `exp`, so a token is valid
        // until then and not a second longer.
        validation.leeway = 0;
        validation.validate_exp = false; // checked below against `now`
        validation.validate_aud = false;
        validation.required_spec_claims.clear(); // `exp`: checked below
        let claims = decode::<Claims>(token, key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => invalid("bad signature"),
                _ => invalid("malformed token or claims"),
            })?
            .claims;
        match claims.exp {
            None => Err(invalid("token has no exp")),
            Some(exp) if exp <= now => Err(invalid("token expired")),
            Some(_) => Ok(claims),
        }
    }

    fn credential(&self, req: &Request) -> Option<(String, Source)> {
        let header = req.headers().get("Authorization").ok().flatten();
        if let Some(token) = header.as_deref().and_then(bearer) {
            return Some((token.to_string(), Source::Header));
        }
        if let (Some(name), Method::Get) = (&self.cookie, req.method()) {
            let cookies = req
                .headers()
                .get("Cookie")
                .ok()
                .flatten()
                .unwrap_or_default();
            if let Some(token) = cookie(&cookies, name) {
                return Some((token.to_string(), Source::Cookie));
            }
        }
        let url = req.url().ok()?;
        let token = url
            .query_pairs()
            .find(|(name, _)| name == "token")
            .map(|(_, value)| value.into_owned())?;
        Some((token, Source::Query))
    }
}

/// The token of an `Authorization: Bearer <token>` value.
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The value of cookie `name` in a `Cookie` header.
fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name && !value.is_empty()).then_some(value)
    })
}

/// Whether `name` matches `pattern`, where `*` stands for any run of
/// characters (none included) and everything else for itself.
pub fn matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty(); // no `*`: the whole name
    };
    for part in middle {
        // Leftmost match is enough: a later one only leaves less room.
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Compares in time independent of where the strings differ.
fn same(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn now_secs() -> u64 {
    worker::Date::now().as_millis() / 1000
}

#[cfg(test)]
mod tests;
