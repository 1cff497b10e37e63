//! Small response helpers shared by the routes.

use ssekit_workers::Cors;
use worker::{Headers, Request, Response, Result};

use crate::auth::Refusal;

/// A JSON error body `{ "error": message }` with `status`.
pub fn error(status: u16, message: &str) -> Result<Response> {
    Ok(Response::from_json(&serde_json::json!({ "error": message }))?.with_status(status))
}

/// A JSON body with `status`.
pub fn json(status: u16, value: &serde_json::Value) -> Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// `response` with the CORS headers `req`'s origin gets. The headers are
/// copied into a new set because a response fetched from a Durable Object
/// has immutable headers.
pub fn with_cors(response: Response, cors: &Cors, req: &Request) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        headers.append(&name, &value)?;
    }
    cors.apply(req, &headers)?;
    let status = response.status_code();
    let (builder, body) = response.into_parts();
    Ok(builder.with_status(status).with_headers(headers).body(body))
}

/// The answer to a refused credential (RFC 6750's `WWW-Authenticate`).
pub fn refused(refusal: Refusal) -> Result<Response> {
    let (status, challenge, message) = match refusal {
        Refusal::Missing => (
            401,
            r#"Bearer realm="ssekit""#.to_string(),
            "this needs a credential: Authorization: Bearer <token>".to_string(),
        ),
        Refusal::Invalid(reason) => (
            401,
            format!(
                r#"Bearer realm="ssekit", error="invalid_token", error_description="{reason}""#
            ),
            format!("invalid credential: {reason}"),
        ),
        Refusal::Forbidden => (
            403,
            r#"Bearer realm="ssekit", error="insufficient_scope""#.to_string(),
            "the credential does not allow this".to_string(),
        ),
    };
    let mut response = error(status, &message)?;
    response.headers_mut().set("WWW-Authenticate", &challenge)?;
    Ok(response)
}

/// `status` (429, 503) with `Retry-After: seconds`.
pub fn retry_after(status: u16, seconds: u64, message: &str) -> Result<Response> {
    let mut response = error(status, message)?;
    response
        .headers_mut()
        .set("Retry-After", &seconds.max(1).to_string())?;
    Ok(response)
}

/// A 500 that tells the client nothing but a request id, which the log
/// line carrying the real error has too.
pub fn internal_error(req: &Request, e: &worker::Error) -> Result<Response> {
    let id = req
        .headers()
        .get("CF-Ray")
        .ok()
        .flatten()
        .unwrap_or_else(|| format!("{:016x}", (js_sys::Math::random() * 2f64.powi(53)) as u64));
    worker::console_error!("request {id}: {e}");
    let mut response = json(
        500,
        &serde_json::json!({ "error": "internal error", "request_id": id }),
    )?;
    response.headers_mut().set("X-Request-Id", &id)?;
    Ok(response)
}
