//! `SseParser` for JavaScript.

use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::batch::pack;
use crate::js::{max_event_bytes, optional_string, present, type_error};
use ssekit::{Dispatcher, Parser};

#[wasm_bindgen(module = "/src/batch.js")]
extern "C" {
    #[wasm_bindgen(js_name = deliverBatch, catch)]
    fn deliver_batch(text: &str, records: &[u32], handlers: &JsValue) -> Result<Array, JsValue>;
}

/// A streaming Server-Sent Events parser with the browser's dispatch rules.
///
/// ```js
/// const parser = new SseParser({ onComment: (text) => console.log("heartbeat", text) });
/// for await (const chunk of response.body) {
///   for (const { type, data, lastEventId } of parser.feed(chunk)) { … }
/// }
/// parser.finish();
/// ```
///
/// `feed` takes a `Uint8Array`, an `ArrayBuffer` or a string (chunks may split
/// lines and characters anywhere) and returns the events completed by it, as
/// `{ type, data, lastEventId, id }` objects (`type` defaults to `"message"`,
/// `lastEventId` is the persisted last event ID, `id` the `id` field of that
/// very event or `undefined`). Optional callbacks in the options, called in
/// stream order: `onEvent(event)`, `onComment(text)`, `onRetry(ms)`,
/// `onError(error)`.
///
/// An event larger than `maxEventBytes` (default 16 MiB) is dropped and
/// reported as an `Error` named `SseParseError`: to `onError` if given;
/// otherwise `feed` throws it after parsing the whole chunk, with the chunk's
/// other events in its `events` property.
#[wasm_bindgen(js_name = SseParser)]
pub struct SseParser {
    parser: Parser,
    dispatcher: Dispatcher,
    handlers: JsValue,
    input: Vec<u8>,
    text: String,
    records: Vec<u32>,
}

#[wasm_bindgen(js_class = SseParser)]
impl SseParser {
    /// `new SseParser({ maxEventBytes?, lastEventId?, onEvent?, onComment?, onRetry?, onError? })`
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SseParserOptions")] options: JsValue,
    ) -> Result<SseParser, JsValue> {
        if present(&options) && !options.is_object() {
            return Err(type_error("SseParser options must be an object"));
        }
        let limit = max_event_bytes(&options, "SseParser")?;
        let last_event_id = optional_string(
            &options,
            "lastEventId",
            "SseParser: lastEventId must be a string",
        )?;
        Ok(SseParser {
            parser: Parser::with_max_event_bytes(limit),
            dispatcher: Dispatcher::with_last_event_id(last_event_id.unwrap_or_default()),
            handlers: if options.is_object() {
                options
            } else {
                js_sys::Object::new().into()
            },
            input: Vec::new(),
            text: String::new(),
            records: Vec::new(),
        })
    }

    /// Parses the next chunk; returns the events it completed.
    #[wasm_bindgen(unchecked_return_type = "SseEvent[]")]
    pub fn feed(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | string")] chunk: &JsValue,
    ) -> Result<Array, JsValue> {
        if let Some(text) = chunk.as_string() {
            self.input.clear();
            self.input.extend_from_slice(text.as_bytes());
        } else if let Some(bytes) = chunk.dyn_ref::<Uint8Array>() {
            self.copy_in(bytes);
        } else if let Some(buffer) = chunk.dyn_ref::<ArrayBuffer>() {
            self.copy_in(&Uint8Array::new(buffer));
        } else {
            return Err(type_error(
                "SseParser.feed takes a Uint8Array, an ArrayBuffer or a string",
            ));
        }
        self.text.clear();
        self.records.clear();
        let SseParser {
            parser,
            dispatcher,
            input,
            text,
            records,
            ..
        } = self;
        parser.feed(input, |item| pack(item, dispatcher, text, records));
        if self.records.is_empty() {
            return Ok(Array::new());
        }
        deliver_batch(&self.text, &self.records, &self.handlers)
    }

    /// Ends the stream: a cut-off event is dropped, as browsers do, and the
    /// parser is ready for a new stream (a reconnect). Returns `true` if an
    /// event was cut off.
    pub fn finish(&mut self) -> bool {
        self.parser.finish()
    }

    /// The persisted last event ID (what a reconnect sends as `Last-Event-ID`).
    #[wasm_bindgen(getter, js_name = lastEventId)]
    pub fn last_event_id(&self) -> String {
        self.dispatcher.last_event_id().into()
    }

    /// The reconnection time the stream last asked for with `retry`, in
    /// milliseconds, or `undefined`.
    #[wasm_bindgen(getter, js_name = reconnectionTime)]
    pub fn reconnection_time(&self) -> Option<f64> {
        self.dispatcher.reconnection_time().map(|ms| ms as f64)
    }

    /// Bytes held for the event being read.
    #[wasm_bindgen(getter, js_name = bufferedBytes)]
    pub fn buffered_bytes(&self) -> usize {
        self.parser.buffered_bytes()
    }

    /// The configured limit on bytes buffered for one event.
    #[wasm_bindgen(getter, js_name = maxEventBytes)]
    pub fn max_event_bytes(&self) -> f64 {
        self.parser.max_event_bytes() as f64
    }
}

impl SseParser {
    fn copy_in(&mut self, bytes: &Uint8Array) {
        let len = bytes.length() as usize;
        self.input.clear();
        self.input.resize(len, 0);
        bytes.copy_to(&mut self.input);
    }
}
