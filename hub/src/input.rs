//! What the front Worker reads from a client's request, each read bounded
//! and each refusal a 4xx that says what was wrong.

use futures_util::StreamExt;
use ssekit_workers::{check_last_event_id, sent_last_event_id};
use worker::{Request, Response, Result};

use crate::auth::Grant;
use crate::reply::error;

/// A refusal: the response to send instead of going on.
pub type Refused = Response;

/// The body, read chunk by chunk: 413 as soon as it passes `limit` (a
/// declared `Content-Length` over it is refused before reading), so at most
/// `limit` plus one chunk is ever held, however long the body goes on.
pub async fn body(
    req: &mut Request,
    limit: usize,
) -> Result<std::result::Result<Vec<u8>, Refused>> {
    let too_large = || error(413, &format!("body larger than {limit} bytes"));
    let declared = req
        .headers()
        .get("Content-Length")?
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Ok(Err(too_large()?));
    }
    if req.inner().body().is_none() {
        return Ok(Ok(Vec::new()));
    }
    let mut chunks = req.stream()?;
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            // Dropping the stream cancels the rest of the body.
            return Ok(Err(too_large()?));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Ok(body))
}

/// 415 unless the body is declared `application/json`. A cross-site page
/// can send `text/plain`, form types or none without a CORS preflight
/// (`mode: "no-cors"`), and cannot send JSON without one, so this keeps
/// every write behind the preflight and the allowed origins.
pub fn json_only(req: &Request) -> Result<Option<Refused>> {
    let content_type = req.headers().get("Content-Type")?.unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if media.eq_ignore_ascii_case("application/json") {
        return Ok(None);
    }
    Ok(Some(error(
        415,
        "the body must be sent with Content-Type: application/json",
    )?))
}

/// The resume point a client sent (`Last-Event-ID`, or `?lastEventId=` for
/// clients that cannot set headers), or 400 for one no SSE stream could
/// have given it (`ssekit_workers::check_last_event_id` says why).
pub fn resume_point(req: &Request) -> Result<std::result::Result<Option<String>, Refused>> {
    let Some(value) = raw_resume_point(req) else {
        return Ok(Ok(None));
    };
    if let Err(reason) = check_last_event_id(&value) {
        return Ok(Err(error(400, reason)?));
    }
    // Empty means "no id", as a client that never saw one sends it.
    Ok(Ok(Some(value).filter(|v| !v.is_empty())))
}

/// The resume point as sent, checked or not: whether a request is a
/// reconnect at all.
pub fn raw_resume_point(req: &Request) -> Option<String> {
    sent_last_event_id(req, "lastEventId")
}

/// Who is calling, for rate limits: the credential's subject, else the
/// client's address (which Cloudflare sets and a client cannot).
pub fn caller(req: &Request, grant: &Grant) -> String {
    if let Some(subject) = &grant.subject {
        return format!("sub:{subject}");
    }
    let address = req.headers().get("CF-Connecting-IP").ok().flatten();
    format!("ip:{}", address.as_deref().unwrap_or("unknown"))
}
