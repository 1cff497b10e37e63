//! `EventSource` over `fetch()`: the connection loop behind the class that
//! eventsource.js defines. It implements the connection rules C1–C10 of the
//! spec with the core parser and dispatcher, plus ssekit's extensions
//! (headers, method and body, credentials, retry policy, response hook,
//! pause while hidden).

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    AbortController, AbortSignal, DomException, Headers, ReadableStreamDefaultReader, Response, Url,
};

use crate::batch::pack;
use crate::js::{get, named_error, set, type_error};
use crate::options::{Credentials, Options};
use ssekit::{Dispatcher, Parser};

#[wasm_bindgen(module = "/src/eventsource.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeEventSourceClass)]
    fn make_event_source_class(connect: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = makeEventIterator, catch)]
    fn make_event_iterator(
        class: &JsValue,
        url: &JsValue,
        init: &JsValue,
    ) -> Result<JsValue, JsValue>;
    fn sleep(ms: f64, signal: &AbortSignal) -> Promise;
    #[wasm_bindgen(js_name = baseUrl)]
    fn base_url() -> Option<String>;
    #[wasm_bindgen(js_name = isCloudflareWorkers)]
    fn is_cloudflare_workers() -> bool;
    #[wasm_bindgen(js_name = callFetch, catch)]
    fn call_fetch(fetch: &JsValue, url: &str, init: &Object) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = plainEvent)]
    fn plain_event(kind: &str, props: &JsValue) -> web_sys::Event;
    #[wasm_bindgen(js_name = isHidden)]
    fn is_hidden() -> bool;
    #[wasm_bindgen(js_name = onHidden)]
    fn on_hidden(callback: &Function, signal: &AbortSignal);
    #[wasm_bindgen(js_name = whenVisible)]
    fn when_visible(signal: &AbortSignal) -> Promise;
    fn random() -> f64;
    #[wasm_bindgen(js_name = dispatchBatch)]
    fn dispatch_batch(port: &Port, text: &str, records: &[u32], origin: &str);

    /// The instance's private side, handed to `connect`.
    type Port;
    #[wasm_bindgen(method, js_name = readyState)]
    fn ready_state(this: &Port) -> u16;
    #[wasm_bindgen(method, js_name = setReadyState)]
    fn set_ready_state(this: &Port, state: u16);
    #[wasm_bindgen(method)]
    fn dispatch(this: &Port, event: &web_sys::Event);
}

const CONNECTING: u16 = 0;
const OPEN: u16 = 1;
const CLOSED: u16 = 2;

std::thread_local! {
    static CLASS: OnceCell<JsValue> = const { OnceCell::new() };
}

/// The `EventSource` class (created once per wasm instance).
#[wasm_bindgen(js_name = eventSourceClass, unchecked_return_type = "EventSourceClass")]
pub fn event_source_class() -> JsValue {
    CLASS.with(|class| {
        class
            .get_or_init(|| {
                let connect =
                    Closure::<dyn FnMut(Port, String, JsValue) -> Result<JsValue, JsValue>>::new(
                        connect,
                    );
                let class = make_event_source_class(connect.as_ref());
                // The class calls it for as long as the page lives.
                connect.forget();
                class
            })
            .clone()
    })
}

/// `installPolyfill({ force })`: sets `globalThis.EventSource` to ssekit's
/// when there is none (or always, with `force`). Returns whether it did.
#[wasm_bindgen(js_name = installPolyfill)]
pub fn install_polyfill(
    #[wasm_bindgen(unchecked_param_type = "{ force?: boolean }")] options: JsValue,
) -> bool {
    let global = js_sys::global();
    let key = JsValue::from_str("EventSource");
    let force = options.is_object()
        && js_sys::Reflect::get(&options, &JsValue::from_str("force")).is_ok_and(|f| f.is_truthy());
    let existing = js_sys::Reflect::get(&global, &key).unwrap_or(JsValue::UNDEFINED);
    if !force && !existing.is_undefined() {
        return false;
    }
    js_sys::Reflect::set(&global, &key, &event_source_class()).is_ok()
}

/// `events(url, init)`: an async iterator over every message.
#[wasm_bindgen(unchecked_return_type = "EventStream")]
pub fn events(
    #[wasm_bindgen(unchecked_param_type = "string | URL")] url: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SsekitEventSourceInit")] init: JsValue,
) -> Result<JsValue, JsValue> {
    make_event_iterator(&event_source_class(), &url, &init)
}

/// One `EventSource` instance's connection.
struct Connection {
    port: Port,
    url: String,
    options: Options,
    /// Aborted by `close()` (or the caller's signal): ends everything.
    closer: AbortController,
    closed: Cell<bool>,
    /// The request in flight, aborted when the page hides.
    attempt: RefCell<Option<AbortController>>,
    hidden_abort: Cell<bool>,
}

/// How one connection attempt ended.
enum End {
    /// EOF or a network error: reconnect (C5).
    Lost,
    /// A status listed in `retry.statuses`: reconnect, the `error` event
    /// carrying the response's details.
    Retry(JsValue),
    /// Fail the connection for good (C4, C7), with the error event's extras.
    Fail(JsValue),
    /// `close()` was called.
    Closed,
    /// The page was hidden with `pauseWhenHidden`.
    Hidden,
}

fn syntax_error(message: &str) -> JsValue {
    DomException::new_with_message_and_name(message, "SyntaxError").map_or_else(|e| e, Into::into)
}

/// Called by the class constructor: validates, starts the loop, returns
/// `{ url, withCredentials, close }`.
fn connect(port: Port, url: String, init: JsValue) -> Result<JsValue, JsValue> {
    let options = Options::from_js(&init)?;
    // C1: resolve against the base URL; an invalid URL is a SyntaxError.
    let resolved = match base_url() {
        Some(base) => Url::new_with_base(&url, &base),
        None => Url::new(&url),
    }
    .map_err(|_| {
        syntax_error(&format!(
            "Failed to construct 'EventSource': The URL '{url}' is invalid."
        ))
    })?;
    let with_credentials = options.credentials == Credentials::Include;
    let connection = Rc::new(Connection {
        port,
        url: resolved.href(),
        options,
        closer: AbortController::new()?,
        closed: Cell::new(false),
        attempt: RefCell::new(None),
        hidden_abort: Cell::new(false),
    });

    if let Some(signal) = &connection.options.signal {
        let weak = Rc::downgrade(&connection);
        let on_abort = Closure::once_into_js(move || {
            if let Some(connection) = weak.upgrade() {
                connection.close();
            }
        });
        let listen = web_sys::AddEventListenerOptions::new();
        listen.set_once(true);
        listen.set_signal(&connection.closer.signal());
        signal.add_event_listener_with_callback_and_add_event_listener_options(
            "abort",
            on_abort.unchecked_ref(),
            &listen,
        )?;
    }
    if connection.options.pause_when_hidden {
        let weak = Rc::downgrade(&connection);
        let hide = Closure::<dyn FnMut()>::new(move || {
            if let Some(connection) = weak.upgrade() {
                connection.pause();
            }
        });
        on_hidden(hide.as_ref().unchecked_ref(), &connection.closer.signal());
        hide.forget(); // removed from the document when `closer` aborts
    }

    let result = Object::new();
    set(&result, "url", &JsValue::from_str(&connection.url));
    set(
        &result,
        "withCredentials",
        &JsValue::from_bool(with_credentials),
    );
    let weak = Rc::downgrade(&connection);
    let close = Closure::<dyn FnMut()>::new(move || {
        if let Some(connection) = weak.upgrade() {
            connection.close();
        }
    });
    set(&result, "close", &close.into_js_value());

    let aborted_already = connection
        .options
        .signal
        .as_ref()
        .is_some_and(AbortSignal::aborted);
    spawn_local(async move {
        if aborted_already {
            connection.close();
        }
        run(&connection).await;
    });
    Ok(result.into())
}

impl Connection {
    /// C8: abort, CLOSED, no event.
    fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        self.port.set_ready_state(CLOSED);
        self.closer.abort();
        if let Some(attempt) = self.attempt.borrow().as_ref() {
            attempt.abort();
        }
    }

    fn pause(&self) {
        if let Some(attempt) = self.attempt.borrow().as_ref() {
            self.hidden_abort.set(true);
            attempt.abort();
        }
    }

    /// C7: CLOSED, `error`, never reconnect.
    fn fail(&self, extras: &JsValue) {
        if self.closed.replace(true) {
            return;
        }
        self.port.set_ready_state(CLOSED);
        self.closer.abort();
        self.port.dispatch(&plain_event("error", extras));
    }

    fn is_closed(&self) -> bool {
        self.closed.get()
    }
}

async fn run(connection: &Connection) {
    let options = &connection.options;
    let mut parser = Parser::with_max_event_bytes(options.max_event_bytes);
    let mut dispatcher = Dispatcher::with_last_event_id(options.last_event_id.clone());
    let mut failed_attempts = 0u32;
    loop {
        if connection.is_closed() {
            return;
        }
        if options.pause_when_hidden && is_hidden() {
            connection.port.set_ready_state(CONNECTING);
            let _ = JsFuture::from(when_visible(&connection.closer.signal())).await;
            continue;
        }
        let mut opened = false;
        let end = attempt(connection, &mut parser, &mut dispatcher, &mut opened).await;
        // P12: whatever was cut off is dropped, its id not committed.
        parser.finish();
        if opened {
            // Backoff starts over after a successful open.
            failed_attempts = 0;
        }
        let extras = match end {
            End::Closed => return,
            End::Fail(extras) => return connection.fail(&extras),
            End::Hidden => continue,
            End::Lost => JsValue::UNDEFINED,
            End::Retry(extras) => extras,
        };
        // C6: reestablish the connection.
        if connection.is_closed() {
            return;
        }
        if options.retry.gives_up_after(failed_attempts) {
            let error = named_error(
                "EventSourceError",
                &format!("EventSource gave up after {failed_attempts} reconnection attempts"),
            );
            let extras = Object::new();
            set(&extras, "error", &error);
            return connection.fail(&extras.into());
        }
        connection.port.set_ready_state(CONNECTING);
        connection.port.dispatch(&plain_event("error", &extras));
        if connection.is_closed() {
            return;
        }
        failed_attempts += 1;
        let delay =
            options
                .retry
                .delay_ms(failed_attempts, dispatcher.reconnection_time(), random());
        let _ = JsFuture::from(sleep(delay as f64, &connection.closer.signal())).await;
    }
}

/// One request: fetch, check, open, stream until it ends.
async fn attempt(
    connection: &Connection,
    parser: &mut Parser,
    dispatcher: &mut Dispatcher,
    opened: &mut bool,
) -> End {
    let Ok(controller) = AbortController::new() else {
        return End::Lost;
    };
    connection.hidden_abort.set(false);
    *connection.attempt.borrow_mut() = Some(controller.clone());
    let end = stream(connection, &controller, parser, dispatcher, opened).await;
    *connection.attempt.borrow_mut() = None;
    if connection.is_closed() {
        return End::Closed;
    }
    if connection.hidden_abort.get() && matches!(end, End::Lost) {
        connection.port.set_ready_state(CONNECTING);
        return End::Hidden;
    }
    end
}

fn request_init(
    connection: &Connection,
    dispatcher: &Dispatcher,
    signal: &AbortSignal,
) -> Result<Object, JsValue> {
    let options = &connection.options;
    let init = Object::new();
    let headers = match &options.headers {
        Some(user) => Headers::new_with_headers(user)?,
        None => Headers::new()?,
    };
    // C3: Accept: text/event-stream (unless the caller chose one).
    if !headers.has("accept")? {
        headers.set("accept", "text/event-stream")?;
    }
    // C6: Last-Event-ID when the last event ID string is not empty.
    headers.delete("last-event-id")?;
    if !dispatcher.last_event_id().is_empty() {
        headers.set("last-event-id", dispatcher.last_event_id())?;
    }
    set(&init, "method", &JsValue::from_str(&options.method));
    set(&init, "headers", &headers);
    if let Some(body) = &options.body {
        set(&init, "body", body);
    }
    set(&init, "signal", signal);
    // C3: cache mode no-store, but no Cache-Control header (it would force a
    // CORS preflight). Workers' fetch rejects `cache` and `credentials`;
    // elsewhere `same-origin` is fetch's default, so it needs no field.
    if !is_cloudflare_workers() {
        set(&init, "cache", &JsValue::from_str("no-store"));
        if options.credentials != Credentials::SameOrigin {
            set(
                &init,
                "credentials",
                &JsValue::from_str(options.credentials.as_str()),
            );
        }
    }
    Ok(init)
}

/// The extras of an `error` event for a response that fails the connection.
fn response_failure(response: &Response, error: Option<JsValue>) -> JsValue {
    let extras = Object::new();
    set(
        &extras,
        "status",
        &JsValue::from_f64(f64::from(response.status())),
    );
    set(
        &extras,
        "statusText",
        &JsValue::from_str(&response.status_text()),
    );
    set(&extras, "headers", &response.headers());
    set(&extras, "response", response);
    if let Some(error) = error {
        set(&extras, "error", &error);
    }
    extras.into()
}

fn error_extras(error: JsValue) -> JsValue {
    let extras = Object::new();
    set(&extras, "error", &error);
    extras.into()
}

/// C4: the MIME type's essence, whatever its parameters and case.
fn is_event_stream(content_type: Option<String>) -> bool {
    content_type.is_some_and(|value| {
        let essence = value.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("text/event-stream")
    })
}

async fn stream(
    connection: &Connection,
    controller: &AbortController,
    parser: &mut Parser,
    dispatcher: &mut Dispatcher,
    opened: &mut bool,
) -> End {
    let options = &connection.options;
    let init = match request_init(connection, dispatcher, &controller.signal()) {
        Ok(init) => init,
        Err(error) => return End::Fail(error_extras(error)),
    };
    let fetch: JsValue = options.fetch.clone().map_or(JsValue::UNDEFINED, Into::into);
    // C6: always the original URL, not where a redirect led.
    let promise = match call_fetch(&fetch, &connection.url, &init) {
        Ok(promise) => promise,
        // Thrown synchronously: the request itself is invalid.
        Err(error) => return End::Fail(error_extras(error)),
    };
    let response = match JsFuture::from(promise).await {
        Ok(value) => match value.dyn_into::<Response>() {
            Ok(response) => response,
            Err(_) => {
                return End::Fail(error_extras(type_error(
                    "EventSource: fetch did not return a Response",
                )))
            }
        },
        // A rejected fetch is a network error (or our own abort).
        Err(_) => return End::Lost,
    };
    if connection.is_closed() {
        return End::Closed;
    }

    if let Some(hook) = &options.on_response {
        let verdict = match hook.call1(&JsValue::UNDEFINED, &response) {
            Ok(value) => match value.dyn_into::<Promise>() {
                Ok(promise) => JsFuture::from(promise).await,
                Err(value) => Ok(value),
            },
            Err(error) => Err(error),
        };
        match verdict {
            Err(error) => return End::Fail(response_failure(&response, Some(error))),
            Ok(value) if value == JsValue::FALSE => {
                let error = named_error(
                    "EventSourceError",
                    "EventSource: onResponse rejected the response",
                );
                return End::Fail(response_failure(&response, Some(error)));
            }
            Ok(_) => {}
        }
        if connection.is_closed() {
            return End::Closed;
        }
    }

    if options.retry_statuses.contains(&response.status()) {
        return End::Retry(response_failure(&response, None));
    }
    // C4: only 200 with text/event-stream opens; anything else fails for good.
    let content_type = response.headers().get("content-type").ok().flatten();
    if response.status() != 200 || !is_event_stream(content_type) {
        return End::Fail(response_failure(&response, None));
    }
    connection.port.set_ready_state(OPEN);
    *opened = true;
    connection
        .port
        .dispatch(&plain_event("open", &JsValue::UNDEFINED));
    if connection.is_closed() {
        return End::Closed;
    }

    // D4: origin of the final URL (after redirects).
    let final_url = response.url();
    let origin = Url::new(if final_url.is_empty() {
        &connection.url
    } else {
        &final_url
    })
    .map(|url| url.origin())
    .unwrap_or_default();
    let Some(body) = response.body() else {
        return End::Lost;
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    let mut text = String::new();
    let mut records = Vec::new();
    loop {
        // A rejected read is a network error (or our own abort).
        let Ok(result) = JsFuture::from(reader.read()).await else {
            break;
        };
        if get(&result, "done").is_truthy() {
            break;
        }
        let Ok(chunk) = get(&result, "value").dyn_into::<Uint8Array>() else {
            break;
        };
        bytes.resize(chunk.length() as usize, 0);
        chunk.copy_to(&mut bytes);
        text.clear();
        records.clear();
        parser.feed(&bytes, |item| {
            pack(item, dispatcher, &mut text, &mut records)
        });
        // One call per chunk: the events are built and dispatched in
        // JavaScript, which stops at close() (D6).
        if !records.is_empty() && !connection.is_closed() {
            dispatch_batch(&connection.port, &text, &records, &origin);
        }
        if connection.is_closed() {
            return End::Closed;
        }
    }
    End::Lost
}
