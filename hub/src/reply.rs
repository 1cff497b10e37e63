//! Small response helpers shared by the routes.

use ssekit_workers::Cors;
use worker::{Headers, Request, Response, Result};

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
