//! `POST /chat`: streams an answer token by token, the way LLM APIs do, so
//! that a POST body and a streamed SSE reply are exercised end to end.
//!
//! The "model" is deterministic: it restates the prompt and explains what is
//! happening, one word per event. Because the answer depends only on the
//! prompt, a client that reconnects (re-sending the same body, with
//! `Last-Event-ID: k`) resumes at token `k + 1` without loss or repetition.
//!
//! Request: `{ "prompt": "..." }` (1 to 4,000 characters). Events:
//! `token` (id `n`, data: the token text, with its leading space) and a final
//! `done` (data: `{"tokens": n}`). `?token_ms=` overrides the pause between
//! tokens (at most 1000).

use std::time::Duration;

use futures_util::stream::{self, LocalBoxStream};
use futures_util::StreamExt;
use serde::Deserialize;
use ssekit::{EncodedEvent, Event};
use ssekit_workers::{last_event_id, SseResponse};
use worker::{Delay, Request, Response, Result};

use crate::config::Config;
use crate::input;
use crate::reply::error;

/// Largest accepted request body.
const MAX_PROMPT_BODY: usize = 16 * 1024;
const MAX_PROMPT_CHARS: usize = 4_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Prompt {
    prompt: String,
}

/// `POST /chat` (`DEMO = "1"`): a JSON body of at most [`MAX_PROMPT_BODY`].
pub async fn route(req: &mut Request, config: &Config) -> Result<Response> {
    if let Some(response) = input::json_only(req)? {
        return Ok(response);
    }
    match input::body(req, MAX_PROMPT_BODY).await? {
        Ok(body) => answer(req, &body, config),
        Err(response) => Ok(response),
    }
}

fn answer(req: &Request, body: &[u8], config: &Config) -> Result<Response> {
    let prompt = match serde_json::from_slice::<Prompt>(body) {
        Ok(p) => p.prompt,
        Err(e) => return error(400, &format!("expected JSON {{\"prompt\": string}}: {e}")),
    };
    let chars = prompt.chars().count();
    if chars == 0 || chars > MAX_PROMPT_CHARS {
        return error(
            400,
            &format!("prompt must have 1 to {MAX_PROMPT_CHARS} characters"),
        );
    }
    let url = req.url()?;
    let delay = url
        .query_pairs()
        .find(|(k, _)| k == "token_ms")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .map(|ms| Duration::from_millis(ms.min(1_000)))
        .unwrap_or(config.chat_token_delay);
    let tokens = tokenize(&reply_to(&prompt));
    let total = tokens.len();
    let resume_after = last_event_id(req, "lastEventId")
        .and_then(|id| id.parse::<usize>().ok())
        .unwrap_or(0)
        .min(total);
    let pending: Vec<(usize, String)> = tokens.into_iter().enumerate().skip(resume_after).collect();
    let token_events = stream::iter(pending).then(move |(index, token)| async move {
        if !delay.is_zero() {
            Delay::from(delay).await;
        }
        let id = (index + 1).to_string();
        EncodedEvent::new(&Event::new().event("token").id(id.as_str()).data(token))
            .expect("a constant event name and a number hold no line breaks")
    });
    let done = stream::once(async move {
        let data = format!("{{\"tokens\":{total}}}");
        EncodedEvent::new(&Event::new().event("done").data(data)).expect("a constant event name")
    });
    let events: LocalBoxStream<'static, EncodedEvent> = token_events.chain(done).boxed_local();
    SseResponse::new(events).into_response()
}

fn reply_to(prompt: &str) -> String {
    let words = prompt.split_whitespace().count();
    format!(
        "You wrote {words} word{s}: \u{201c}{prompt}\u{201d}. This reply is streamed one token at a time \
         as Server-Sent Events from a POST request, the way LLM APIs answer. Each token carries an id, \
         so a client that loses its connection reconnects with Last-Event-ID and continues exactly \
         where it stopped.",
        s = if words == 1 { "" } else { "s" },
        prompt = prompt.trim(),
    )
}

/// Splits into words, each but the first keeping the whitespace before it,
/// so that concatenating the tokens gives the text back.
fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut start = 0;
    for (at, ch) in text.char_indices() {
        if ch.is_whitespace() && at > start && !text[start..at].trim().is_empty() {
            tokens.push(text[start..at].to_string());
            start = at;
        }
    }
    if start < text.len() {
        tokens.push(text[start..].to_string());
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_concatenate_to_the_reply() {
        let reply = reply_to("  hello\nworld  ");
        let tokens = tokenize(&reply);
        assert_eq!(tokens.concat(), reply);
        assert!(tokens.len() > 20);
        assert!(tokens
            .iter()
            .skip(1)
            .all(|t| t.starts_with(char::is_whitespace)));
    }
}
