//! CORS for cross-origin SSE clients that send custom headers.
//!
//! `worker::Cors` writes one fixed set of headers whatever the request;
//! browsers need the allowed origin echoed per request (a list is not a valid
//! `Access-Control-Allow-Origin`) and credentials granted only to trusted
//! origins, so the decision is made here, from the request's `Origin`.

use worker::{Headers, Request, Response};

/// Which origins may read responses, and with which request headers.
///
/// ```
/// use ssekit_workers::Cors;
///
/// let cors = Cors::new(["https://app.example"]).with_credentials(true);
/// let trusted = cors.decide(Some("https://app.example"));
/// assert_eq!(trusted.allow_origin.as_deref(), Some("https://app.example"));
/// assert!(trusted.allow_credentials);
/// assert!(cors.decide(Some("https://evil.example")).allow_origin.is_none());
///
/// // "*" lets any origin read, but never with credentials.
/// let open = Cors::new(["*", "https://app.example"]).with_credentials(true);
/// let other = open.decide(Some("https://elsewhere.example"));
/// assert_eq!(other.allow_origin.as_deref(), Some("*"));
/// assert!(!other.allow_credentials);
/// ```
#[derive(Clone, Debug)]
pub struct Cors {
    origins: Vec<String>,
    any_origin: bool,
    credentials: bool,
    allow_headers: Vec<String>,
    allow_methods: Vec<String>,
    expose_headers: Vec<String>,
    max_age_secs: u32,
}

/// The CORS headers one request gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsDecision {
    /// `Access-Control-Allow-Origin`, or `None` when the origin is not allowed.
    pub allow_origin: Option<String>,
    /// Whether `Access-Control-Allow-Credentials: true` is sent.
    pub allow_credentials: bool,
}

impl Cors {
    /// Allows the listed origins (exact `scheme://host[:port]` strings; `"*"`
    /// allows every origin without credentials). Request headers allowed by
    /// default: `Authorization`, `Content-Type`, `Last-Event-ID`,
    /// `Cache-Control`; methods: `GET`, `POST`.
    pub fn new<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut cors = Cors {
            origins: Vec::new(),
            any_origin: false,
            credentials: false,
            allow_headers: [
                "Authorization",
                "Content-Type",
                "Last-Event-ID",
                "Cache-Control",
            ]
            .map(String::from)
            .to_vec(),
            allow_methods: ["GET", "POST"].map(String::from).to_vec(),
            expose_headers: Vec::new(),
            max_age_secs: 86_400,
        };
        for origin in origins {
            let origin = origin.as_ref().trim();
            if origin == "*" {
                cors.any_origin = true;
            } else if !origin.is_empty() {
                cors.origins.push(origin.trim_end_matches('/').to_string());
            }
        }
        cors
    }

    /// Sends `Access-Control-Allow-Credentials: true` to the listed origins
    /// (never to `"*"`), so `credentials: "include"` requests work.
    pub fn with_credentials(mut self, credentials: bool) -> Self {
        self.credentials = credentials;
        self
    }

    /// Replaces the allowed request headers.
    pub fn with_allowed_headers<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        headers: I,
    ) -> Self {
        self.allow_headers = headers.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the allowed methods.
    pub fn with_methods<I: IntoIterator<Item = S>, S: Into<String>>(mut self, methods: I) -> Self {
        self.allow_methods = methods.into_iter().map(Into::into).collect();
        self
    }

    /// Response headers scripts may read (`Access-Control-Expose-Headers`).
    pub fn with_exposed_headers<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        headers: I,
    ) -> Self {
        self.expose_headers = headers.into_iter().map(Into::into).collect();
        self
    }

    /// How long browsers may cache a preflight answer.
    pub fn with_max_age(mut self, seconds: u32) -> Self {
        self.max_age_secs = seconds;
        self
    }

    /// What a request from `origin` (its `Origin` header) is allowed.
    pub fn decide(&self, origin: Option<&str>) -> CorsDecision {
        let denied = CorsDecision {
            allow_origin: None,
            allow_credentials: false,
        };
        let Some(origin) = origin else { return denied };
        if self.origins.iter().any(|allowed| allowed == origin) {
            CorsDecision {
                allow_origin: Some(origin.to_string()),
                allow_credentials: self.credentials,
            }
        } else if self.any_origin {
            CorsDecision {
                allow_origin: Some("*".into()),
                allow_credentials: false,
            }
        } else {
            denied
        }
    }

    /// Whether `req` is a CORS preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`).
    pub fn is_preflight(req: &Request) -> bool {
        req.method() == worker::Method::Options
            && header(req, "Origin").is_some()
            && header(req, "Access-Control-Request-Method").is_some()
    }

    /// The answer to a preflight: 204 with the allowed methods and headers
    /// for an allowed origin, 403 otherwise.
    pub fn preflight(&self, req: &Request) -> worker::Result<Response> {
        let decision = self.decide(header(req, "Origin").as_deref());
        if decision.allow_origin.is_none() {
            return Response::error("origin not allowed", 403);
        }
        let headers = Headers::new();
        self.write(&decision, &headers)?;
        headers.set(
            "Access-Control-Allow-Methods",
            &self.allow_methods.join(", "),
        )?;
        headers.set(
            "Access-Control-Allow-Headers",
            &self.allow_headers.join(", "),
        )?;
        headers.set("Access-Control-Max-Age", &self.max_age_secs.to_string())?;
        Ok(Response::empty()?.with_status(204).with_headers(headers))
    }

    /// Adds the CORS headers `req`'s origin gets to `headers`.
    pub fn apply(&self, req: &Request, headers: &Headers) -> worker::Result<()> {
        let decision = self.decide(header(req, "Origin").as_deref());
        self.write(&decision, headers)?;
        if !self.expose_headers.is_empty() && decision.allow_origin.is_some() {
            headers.set(
                "Access-Control-Expose-Headers",
                &self.expose_headers.join(", "),
            )?;
        }
        Ok(())
    }

    fn write(&self, decision: &CorsDecision, headers: &Headers) -> worker::Result<()> {
        // The answer depends on Origin, so caches must key on it.
        headers.append("Vary", "Origin")?;
        if let Some(origin) = &decision.allow_origin {
            headers.set("Access-Control-Allow-Origin", origin)?;
        }
        if decision.allow_credentials {
            headers.set("Access-Control-Allow-Credentials", "true")?;
        }
        Ok(())
    }
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}
