//! The client natively, on tokio: every case of tests/cases against the
//! fault-injecting test server (started once per test binary with the
//! machine's `node`), and what only a native build can check.
#![cfg(not(target_arch = "wasm32"))]

#[macro_use]
mod cases;

use ssekit_client::{Error, EventSource};

macro_rules! tokio_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                cases::$name().await
            }
        )*
    };
}

for_each_case!(tokio_tests);

#[test]
fn a_streaming_body_cannot_be_replayed() {
    let client = reqwest::Client::new();
    let body =
        reqwest::Body::wrap_stream(futures_util::stream::iter([Ok::<_, std::io::Error>("x")]));
    let request = client
        .post("http://example.com/")
        .body(body)
        .build()
        .unwrap();
    assert!(matches!(
        EventSource::from_request(client.clone(), request),
        Err(Error::BodyNotReplayable)
    ));
    let request = client
        .post("http://example.com/")
        .body("x")
        .header("x-a", "1")
        .build()
        .unwrap();
    assert!(EventSource::from_request(client, request).is_ok());
}

#[test]
fn a_stream_and_its_handle_can_move_between_threads() {
    // Natively a stream may be polled on any of tokio's threads, and a
    // handle used from another (a compile-time check).
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<ssekit_client::EventStream>();
    send::<ssekit_client::Handle>();
    sync::<ssekit_client::Handle>();
    send::<Error>();
}
