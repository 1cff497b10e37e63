// ssekit for JavaScript: the thin shell around the wasm core.
//
// This file does the I/O — fetch(), the body reader, TextDecoder, timers,
// page visibility, AbortSignal, EventTarget — and what the wasm answers.
// Every rule of the standard and every decision of an EventSource is the
// Rust core's, running in wasm: an SseParser is the core's parser and
// dispatcher, an EventSource its connection machine (`ssekit::connection`),
// which owns readyState, the last event ID, the retry time and the backoff.
// This file keeps none of that state; it fires the events the records
// (crates/ssekit-wasm/src/record.rs) describe.
//
// The wasm is loaded lazily: importing this module never waits for it. An
// EventSource awaits it before its first request; SseParser needs it at
// construction (`await ready` first where the entry cannot load it
// synchronously). The package entries (index.js, node.js, workerd.js) start
// the load; wasm-bindgen-test harnesses call `load` themselves.
//
// One file on purpose: wasm-bindgen copies a snippet without the modules it
// imports, and the browser tests load this very file as a snippet.

// ---- The wasm engine --------------------------------------------------------

let wasm = null; // the instance's exports, once loaded
let header = 0; // word index of the wasm's shared header (lib.rs `Shared`)
let loading = null; // the pending load, if any
let settle; // [resolve, reject] of `ready`

/** Resolves (to undefined) when the wasm core is loaded (at once in Node and workerd). */
export const ready = new Promise((resolve, reject) => {
  settle = [resolve, reject];
});
// Nobody has to await `ready`: a failed load is reported by each EventSource
// and SseParser that needs the wasm, not as an unhandled rejection.
ready.catch(() => {});

// The wasm-bindgen output imports one intrinsic, which sets up the table of
// JS values; ssekit's exports take and return only numbers, so the table is
// never used. Any other import would be a build mistake: it throws if called.
function imports(module) {
  const table = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function") continue;
    table[from] ??= {};
    table[from][name] =
      name === "__wbindgen_init_externref_table"
        ? () => {}
        : () => {
            throw new Error(`ssekit: unexpected wasm import ${from}.${name}`);
          };
  }
  return table;
}

function start(module) {
  // One instance for good: handles and memory views belong to it (a
  // loadSync while a load is in flight must not be replaced by the load).
  if (wasm) return wasm;
  const instance = new WebAssembly.Instance(module, imports(module));
  instance.exports.__wbindgen_start?.();
  wasm = instance.exports;
  header = wasm.shared_header() >>> 2;
  settle[0]();
  return wasm;
}

/**
 * Loads the wasm core from a URL, a `Response` (or a promise of one), bytes
 * or a compiled `WebAssembly.Module`. Called once by the package entry; later
 * calls return the same promise, which resolves to undefined.
 */
export function load(source) {
  if (loading) return loading.then(() => {});
  loading = (async () => {
    let module = await source;
    if (typeof module === "string" || module instanceof URL) module = await fetch(module);
    if (module instanceof Response) {
      const response = module;
      if (!response.ok) throw new Error(`ssekit: loading the wasm failed: HTTP ${response.status}`);
      // compileStreaming needs the application/wasm type; fall back to bytes.
      module = await WebAssembly.compileStreaming(response.clone()).catch(async () =>
        WebAssembly.compile(await response.arrayBuffer()),
      );
    } else if (!(module instanceof WebAssembly.Module)) {
      module = await WebAssembly.compile(module);
    }
    return start(module);
  })();
  loading.catch((error) => settle[1](error));
  return loading.then(() => {});
}

/** Loads the wasm core at once from bytes or a compiled module (Node, workerd). */
export function loadSync(source) {
  if (wasm) return;
  const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
  loading = Promise.resolve(start(module));
}

function engine() {
  if (wasm) return Promise.resolve(wasm);
  if (!loading) {
    return Promise.reject(new Error("ssekit: the wasm core was never loaded; import the package entry, or call load()"));
  }
  return loading;
}

// Views of wasm memory, rebuilt when the memory grows: its old buffer is
// detached then, and a view of a detached buffer has length 0 (checked so,
// not by comparing buffers: reading `memory.buffer` costs a call into the
// engine, twice per chunk).
let u8 = new Uint8Array(0);
let u32 = new Uint32Array(0);
function memory() {
  if (u8.length === 0) {
    u8 = new Uint8Array(wasm.memory.buffer);
    u32 = new Uint32Array(wasm.memory.buffer);
  }
}

const encoder = new TextEncoder();

// Copies a string's UTF-8 into the input area; returns its length.
function putString(text) {
  const room = text.length * 3;
  const at = wasm.input(room);
  memory();
  return encoder.encodeInto(text, u8.subarray(at, at + room)).written;
}

// ---- The wire format between the wasm and this file --------------------------
// Defined in crates/ssekit-wasm/src/record.rs; a native test there checks
// that the constants below match it.
const MESSAGE = 1;
const COMMENT = 2;
const RETRY = 3;
const TOO_LARGE = 4;
const CUSTOM_TYPE = 1;
const OWN_ID = 2;
const NEW_LAST_ID = 4;
// Flags of a new stream: which optional records the wasm writes.
const WANT_COMMENTS = 1;
const WANT_RETRY = 2;
// Largest chunk handed to the wasm in one call; bigger ones go in pieces, so
// its memory stays bounded by the event size limit, not the chunk size.
const WINDOW = 64 * 1024;

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

// Where a walk copies its records; a walk inside a walk (a handler feeding
// a parser) gets its own copy.
let scratch = new Uint32Array(256);
let depth = 0;

// Feeds `bytes` to the stream `handle`, which parses them (the core's
// parser, dispatcher and connection machine keep every rule and all state),
// and hands what it found to `on` in stream order: `message(type, data,
// lastEventId, id)`, `comment(text)`, `retry(ms)`, `error()`. A handler that
// returns false stops the delivery: the rest is dropped (D6). Returns
// whether it went on. `now`: when the bytes came (an idle timeout).
function feed(handle, bytes, on, now) {
  for (let at = 0; at < bytes.length; at += WINDOW) {
    const piece = bytes.length <= WINDOW ? bytes : bytes.subarray(at, at + WINDOW);
    memory();
    if (u32[header + 5] < piece.length) {
      wasm.input(piece.length);
      memory();
    }
    const input = u32[header + 4];
    // A short chunk is copied by hand: `set` has a fixed cost that a few
    // bytes do not repay.
    if (piece.length <= 32) for (let i = 0; i < piece.length; i++) u8[input + i] = piece[i];
    else u8.set(piece, input);
    const words = wasm.stream_feed(handle, piece.length, now);
    if (words === 0) continue;
    memory();
    // Every string of the records, decoded at once; short ASCII without a
    // TextDecoder call.
    const textAt = u32[header + 1];
    const textLength = u32[header + 2];
    const bytesOfText = u8.subarray(textAt, textAt + textLength);
    const text = textLength <= 64 && textLength === u32[header + 3] ? String.fromCharCode.apply(null, bytesOfText) : decoder.decode(bytesOfText);
    // Copied out of wasm memory first: a handler may make it grow (and
    // detach the view) or feed another stream.
    const from = u32[header] >>> 2;
    let records;
    if (depth === 0) {
      if (scratch.length < words) scratch = new Uint32Array(Math.max(words, scratch.length * 2));
      if (words <= 32) for (let i = 0; i < words; i++) scratch[i] = u32[from + i];
      else scratch.set(u32.subarray(from, from + words));
      records = scratch;
    } else {
      records = u32.slice(from, from + words);
    }
    depth++;
    try {
      if (!walk(records, words, text, on)) return false;
    } finally {
      depth--;
    }
  }
  return true;
}

// Hands one feed's records to `on` (see `feed`); each string is the next
// `length` units of `text`.
function walk(records, words, text, on) {
  let at = 0;
  let lastEventId = ""; // every feed's first message carries it

  for (let i = 0; i < words; ) {
    switch (records[i]) {
      case MESSAGE: {
        const flags = records[i + 1];
        const type = flags & CUSTOM_TYPE ? text.slice(at, (at += records[i + 2])) : "message";
        const data = text.slice(at, (at += records[i + 3]));
        if (flags & NEW_LAST_ID) lastEventId = text.slice(at, (at += records[i + 4]));
        i += 5;
        if (on.message(type, data, lastEventId, flags & OWN_ID ? lastEventId : undefined) === false) return false;
        break;
      }
      case COMMENT: {
        const comment = text.slice(at, (at += records[i + 1]));
        i += 2;
        if (on.comment(comment) === false) return false;
        break;
      }
      case RETRY:
        on.retry(records[i + 2] * 2 ** 32 + records[i + 1]);
        i += 3;
        break;
      case TOO_LARGE:
        i += 1;
        if (on.error() === false) return false;
        break;
      default:
        throw new Error(`ssekit: corrupt record ${records[i]}`);
    }
  }
  return true;
}

// A stream's last event ID, read from the machine that owns it.
function lastEventIdOf(handle) {
  const length = wasm.stream_last_event_id_len(handle);
  if (length === 0) return "";
  memory();
  const at = wasm.stream_last_event_id(handle);
  return decoder.decode(u8.subarray(at, at + length));
}

/** An event larger than `maxEventBytes` was dropped. */
export const { SseParseError } = {
  // A class expression named by its key: minifiers keep the key, so the
  // class is `SseParseError` in stack traces without keeping every other name.
  SseParseError: class extends Error {
    constructor(limit) {
      super(`An SSE event exceeded the limit of ${limit} buffered bytes (maxEventBytes); it was discarded up to the next blank line.`);
      this.name = "SseParseError";
      /** The limit it exceeded, in bytes. */
      this.limit = limit;
    }
  },
};

/** An `encodeEvent` field would inject a line (`field`, `offset` say where). */
export const { SseEncodeError } = {
  SseEncodeError: class extends Error {
    constructor(message, field, offset) {
      super(message);
      this.name = "SseEncodeError";
      this.field = field;
      this.offset = offset;
    }
  },
};

/**
 * Why an EventSource attempt failed (on a reconnect's `error` event) or why
 * the source failed for good (on the last `error` event, and what `events()`
 * throws). `code` says which case it is; `status` and `response` are the
 * HTTP response's when there was one; `attempts` counts the consecutive
 * failed reconnects; `cause` is the underlying error.
 */
export const { EventSourceError } = {
  EventSourceError: class extends Error {
    constructor(message, options = undefined) {
      super(message, options?.cause === undefined ? undefined : { cause: options.cause });
      this.name = "EventSourceError";
      this.code = options?.code ?? "internal";
      this.status = options?.status;
      this.response = options?.response;
      this.attempts = options?.attempts ?? 0;
    }
  },
};

const registry = typeof FinalizationRegistry === "function" ? new FinalizationRegistry((handle) => wasm.stream_free(handle)) : null;

// ---- Option checks (at construction, so a mistake throws at once) ----------

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const isCount = (n) => Number.isInteger(n) && n >= 0 && n <= MAX_SAFE;

function number(object, key, owner, ok, message) {
  const value = object?.[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !ok(value)) throw new RangeError(`${owner}: ${message}`);
  return value;
}

function maxEventBytes(options, owner) {
  return number(options, "maxEventBytes", owner, (n) => isCount(n) && n >= 1, "maxEventBytes must be a positive integer") ?? 16 * 1024 * 1024;
}

function optionalString(object, key, owner) {
  const value = object?.[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new TypeError(`${owner}: ${key} must be a string`);
  return value;
}

function isObject(value) {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

// ---- SseParser ----------------------------------------------------------------

// What one SseParser.feed collects: the events, the first exception a
// callback threw (rethrown at the end: a throwing callback must not swallow
// the rest of the chunk), the first SseParseError (thrown at the end when
// there is no onError).
class ParserSink {
  constructor(handlers, limit) {
    this.handlers = handlers;
    this.limit = limit;
    this.onEvent = handlers.onEvent ?? null;
    this.busy = false;
    this.events = null;
    this.thrown = undefined;
    this.failure = undefined;
  }
  call(fn, value) {
    try {
      fn(value);
    } catch (error) {
      this.thrown ??= { error };
    }
  }
  message(type, data, lastEventId, id) {
    const event = { type, data, lastEventId, id };
    this.events.push(event);
    if (this.onEvent !== null) this.call(this.onEvent, event);
  }
  retry(ms) {
    this.call(this.handlers.onRetry, ms);
  }
  comment(text) {
    this.call(this.handlers.onComment, text);
  }
  error() {
    const error = new SseParseError(this.limit);
    if (this.handlers.onError) this.call(this.handlers.onError, error);
    else this.failure ??= error;
  }
}

/**
 * A streaming parser with the browser's dispatch rules. `feed` takes a
 * Uint8Array, an ArrayBuffer (or view) or a string and returns the events it
 * completed as `{ type, data, lastEventId, id }`.
 */
export const { SseParser } = {
  SseParser: class {
    #handle = 0;
    #handlers;
    #limit;
    #sink;

    constructor(options = undefined) {
      if (options !== undefined && options !== null && !isObject(options)) throw new TypeError("SseParser options must be an object");
      this.#limit = maxEventBytes(options, "SseParser");
      const lastEventId = optionalString(options, "lastEventId", "SseParser") ?? "";
      for (const key of ["onEvent", "onComment", "onRetry", "onError"]) {
        if (options?.[key] != null && typeof options[key] !== "function") throw new TypeError(`SseParser: ${key} must be a function`);
      }
      if (!wasm) throw new Error("ssekit: the wasm core is still loading; `await ready` (exported by ssekit) before creating an SseParser");
      this.#handlers = options ?? {};
      const flags = (this.#handlers.onComment ? WANT_COMMENTS : 0) | (this.#handlers.onRetry ? WANT_RETRY : 0);
      this.#handle = wasm.parser_new(this.#limit, flags, putString(lastEventId));
      this.#sink = new ParserSink(this.#handlers, this.#limit);
      registry?.register(this, this.#handle, this);
    }

    // The wasm stream, unless free() gave its memory back.
    #live() {
      if (this.#handle === 0) throw new TypeError("SseParser: used after free()");
      return this.#handle;
    }

    /** The persisted last event ID. */
    get lastEventId() {
      return lastEventIdOf(this.#live());
    }

    /** Parses the next chunk; returns the events it completed. */
    feed(chunk) {
      const handle = this.#live();
      let bytes;
      if (typeof chunk === "string") bytes = encoder.encode(chunk);
      else if (chunk instanceof Uint8Array) bytes = chunk;
      else if (chunk instanceof ArrayBuffer) bytes = new Uint8Array(chunk);
      else if (ArrayBuffer.isView(chunk)) bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      else throw new TypeError("SseParser.feed takes a Uint8Array, an ArrayBuffer, a typed array or a string");
      // One sink per parser, reused; a feed from inside a callback of the
      // same parser gets its own.
      const sink = this.#sink.busy ? new ParserSink(this.#handlers) : this.#sink;
      sink.busy = true;
      sink.events = [];
      sink.thrown = undefined;
      sink.failure = undefined;
      try {
        feed(handle, bytes, sink, 0);
      } finally {
        sink.busy = false;
      }
      const { events, thrown, failure } = sink;
      sink.events = null;
      // Nothing is lost: the chunk's events travel with whatever is thrown.
      if (thrown) {
        if (isObject(thrown.error) && Object.isExtensible(thrown.error)) thrown.error.events = events;
        throw thrown.error;
      }
      if (failure) {
        failure.events = events;
        throw failure;
      }
      return events;
    }

    /** Bytes held for the event being read (they count against `maxEventBytes`). */
    get bufferedBytes() {
      return wasm.stream_buffered(this.#live());
    }

    /** The reconnection time the stream last asked for with `retry` (ms), or undefined. */
    get reconnectionTime() {
      const ms = wasm.stream_retry(this.#live());
      return ms < 0 ? undefined : ms;
    }

    /**
     * The end of the stream: a cut-off final event is dropped, as browsers do.
     * Returns whether anything was.
     */
    finish() {
      return wasm.stream_finish(this.#live()) !== 0;
    }

    /**
     * Gives the parser's wasm memory back now, rather than when it is
     * garbage-collected; any later call throws. `using parser = new
     * SseParser()` calls it at the end of the block.
     */
    free() {
      if (this.#handle === 0) return;
      registry?.unregister(this);
      wasm.stream_free(this.#handle);
      this.#handle = 0;
    }

    [Symbol.dispose ?? Symbol.for("Symbol.dispose")]() {
      this.free();
    }
  },
};

// ---- encodeEvent -----------------------------------------------------------------

const FIELDS = ["event", "id", "data", "retry", "comment"];
const utf8Length = (text) => encoder.encode(text).length;

function checkLine(field, value, noNul) {
  const at = value.search(/[\r\n]/);
  if (at >= 0) {
    throw new SseEncodeError(`SSE ${field} contains a line break at byte ${utf8Length(value.slice(0, at))}; it would inject a new field`, field, at);
  }
  const nul = noNul ? value.indexOf("\0") : -1;
  if (nul >= 0) throw new SseEncodeError(`SSE ${field} contains a NUL at byte ${utf8Length(value.slice(0, nul))}`, field, nul);
}

const line = (name, value) => (value === "" ? `${name}:\n` : `${name}: ${value}\n`);

/**
 * Encodes one event: `encodeEvent({ event?, id?, data?, retry?, comment? })`.
 * A CR, LF or NUL in `event` or `id`, or a CR or LF in `comment`, throws an
 * SseEncodeError instead of injecting a field.
 */
export function encodeEvent(fields) {
  if (!isObject(fields)) throw new TypeError("encodeEvent takes an object: { event?, id?, data?, retry?, comment? }");
  for (const key of Object.keys(fields)) {
    if (!FIELDS.includes(key)) throw new TypeError(`encodeEvent: unknown field "${key}"; expected event, id, data, retry or comment`);
  }
  const owner = "encodeEvent";
  const text = (key) => {
    const value = fields[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw new TypeError(`${owner}: event, id, data and comment must be strings`);
    return value;
  };
  const comment = text("comment");
  const event = text("event");
  const id = text("id");
  const data = text("data");
  const retry = number(fields, "retry", owner, isCount, "retry must be a non-negative integer");
  if (comment !== undefined) checkLine("comment", comment, false);
  if (event !== undefined) checkLine("event", event, true);
  if (id !== undefined) checkLine("id", id, true);
  let out = "";
  if (comment !== undefined) out += line("", comment);
  if (event !== undefined) out += line("event", event);
  if (id !== undefined) out += line("id", id);
  if (retry !== undefined) out += line("retry", String(retry));
  if (data !== undefined) for (const part of data.split(/\r\n|\r|\n/)) out += line("data", part);
  return out + "\n";
}

// ---- EventSource ---------------------------------------------------------------

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

// Transitions as the wasm packs them: kind | detail << 3
// (defined in crates/ssekit-wasm/src/lib.rs `transition`; a test there checks
// these values).
const T_OPEN = 1;
const T_RECONNECT = 2;
const T_FAIL = 3;
const T_ENDED = 4;
const CAUSE_STATUS = 2;
const CAUSE_IDLE = 3;
const CAUSE_REQUESTED = 4;
const FAIL_STATUS = 0;
const FAIL_CONTENT_TYPE = 1;
const FAIL_GAVE_UP = 2;
// What source_poll answers besides a time (lib.rs `poll`).
const P_REQUEST = -1;
const P_IO = -2;
const P_PAUSED = -3;
const P_CLOSED = -4;
// The configuration record source_start reads (lib.rs `config`): byte
// offsets, and its flags.
const C_INITIAL_MS = 0;
const C_MAX_MS = 8;
const C_MULTIPLIER = 16;
const C_JITTER = 24;
const C_RESET_AFTER_MS = 32;
const C_IDLE_MS = 40;
const C_MAX_EVENT_BYTES = 48;
const C_MAX_ATTEMPTS = 56;
const C_FLAGS = 60;
const C_ID_LEN = 64;
const C_STATUSES = 68;
const C_SIZE = 72;
const C_HAS_MAX_MS = 1 << 8;
const C_HAS_MAX_ATTEMPTS = 1 << 9;
const C_HAS_IDLE = 1 << 10;
const C_CLOSE_ON_END = 1 << 11;
// What a clean end feeds the stream with dispatchOnEnd: the line end and the
// blank line the body did not send (a CR before the first LF makes one CRLF).
const END = new Uint8Array([10, 10]);

const MAX_TIMER_MS = 2 ** 31 - 1;
// A no-cors probe that has not answered in this long proves nothing.
const PROBE_MS = 10_000;
const now = () => Math.floor(performance.now());
const isWorkers = () => globalThis.navigator?.userAgent === "Cloudflare-Workers";
const hidden = () => globalThis.document?.visibilityState === "hidden";

// Does this platform's EventTarget call `on<type>` properties itself
// (workerd does)? Then the handler attributes must not add a listener too,
// or every handler would run twice.
const platformCallsHandlers = (() => {
  try {
    let called = false;
    class Probe extends EventTarget {
      get onprobe() {
        return () => {
          called = true;
        };
      }
    }
    new Probe().dispatchEvent(new Event("probe"));
    return called;
  } catch {
    return false;
  }
})();

function plainEvent(type, props) {
  const event = new Event(type);
  if (props) Object.assign(event, props);
  return event;
}

function responseDetails(response) {
  return { status: response.status, statusText: response.statusText, headers: response.headers, response };
}

const statusLine = (response) => `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;

function replayableBody(body) {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string" || body instanceof URLSearchParams) return body;
  if (typeof Blob === "function" && body instanceof Blob) return body;
  if (typeof FormData === "function" && body instanceof FormData) return body;
  // Copied now, so later changes to the caller's buffer do not leak into a reconnect.
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  if (typeof ReadableStream === "function" && body instanceof ReadableStream) {
    throw new TypeError("EventSource: a ReadableStream body cannot be sent again on reconnect; pass bytes, a string or a Blob");
  }
  throw new TypeError("EventSource: body must be a string, ArrayBuffer, typed array, Blob, URLSearchParams or FormData");
}

// The user's headers as [name, value] pairs (lower-case names), without
// Last-Event-ID, which the machine sends.
function headerList(init) {
  try {
    return [...new Headers(init)].filter(([name]) => name !== "last-event-id");
  } catch (error) {
    throw new TypeError(`EventSource: invalid headers: ${error?.message ?? error}`);
  }
}

// Request headers a cross-origin fetch may send without a CORS preflight
// (Fetch's CORS-safelisted request-headers, as far as an EventSource sends
// them).
const SAFELISTED = new Set(["accept", "accept-language", "content-language", "content-type"]);
const SIMPLE_TYPE = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\s*(;|$)/i;

// Reads `init` once, at construction: a mistake is a TypeError or RangeError
// from the constructor, not a failure on some later reconnect.
function readOptions(init) {
  const owner = "EventSource";
  if (init !== undefined && init !== null && !isObject(init)) throw new TypeError("EventSource: the second argument must be an object");
  init ??= {};
  let credentials = init.credentials;
  if (credentials === undefined) credentials = init.withCredentials ? "include" : "same-origin";
  if (!["omit", "same-origin", "include"].includes(credentials)) throw new TypeError('EventSource: credentials must be "omit", "same-origin" or "include"');
  // Headers and body may be functions (sync or async), called before every
  // attempt: a token refreshed for each reconnect.
  let headers = init.headers ?? [];
  if (typeof headers !== "function") headers = headerList(headers);
  const method = optionalString(init, "method", owner) ?? "GET";
  const body = typeof init.body === "function" ? init.body : replayableBody(init.body);
  if (body !== undefined && /^(get|head)$/i.test(method)) throw new TypeError(`EventSource: a ${method} request cannot have a body`);
  // An explicit lastEventId wins; otherwise a Last-Event-ID header the caller set.
  const lastEventId =
    optionalString(init, "lastEventId", owner) ?? (typeof headers === "function" ? undefined : headers.find(([name]) => name === "last-event-id")?.[1]) ?? "";
  if (/[\0\r\n]/.test(lastEventId)) throw new TypeError("EventSource: lastEventId must not contain NUL, CR or LF");
  const lastEventIdParam = optionalString(init, "lastEventIdParam", owner);
  if (lastEventIdParam === "") throw new TypeError("EventSource: lastEventIdParam must be a query parameter name, not empty");
  const retry = init.retry ?? {};
  if (!isObject(retry)) throw new TypeError("EventSource: retry must be an object");
  const integer = "retry.initialMs, maxMs, maxAttempts and resetAfterMs must be non-negative integers";
  const policy = {
    initialMs: number(retry, "initialMs", owner, isCount, integer) ?? 3000,
    maxMs: number(retry, "maxMs", owner, isCount, integer),
    multiplier: number(retry, "multiplier", owner, (m) => m >= 1 && m <= 1000, "retry.multiplier must be a number from 1 to 1000") ?? 1,
    jitter: number(retry, "jitter", owner, (j) => j >= 0 && j <= 1, "retry.jitter must be a fraction from 0 to 1") ?? 0,
    maxAttempts: number(retry, "maxAttempts", owner, (n) => isCount(n) && n <= 0xffffffff, integer),
    resetAfterMs: number(retry, "resetAfterMs", owner, isCount, integer) ?? 60_000,
  };
  const statuses = retry.statuses ?? [];
  const statusMessage = "EventSource: retry.statuses must be an array of HTTP statuses (100-599, not 200)";
  if (!Array.isArray(statuses) || !statuses.every((s) => Number.isInteger(s) && s >= 100 && s <= 599 && s !== 200)) throw new TypeError(statusMessage);
  const idleTimeoutMs = number(init, "idleTimeoutMs", owner, (n) => isCount(n) && n >= 1, "idleTimeoutMs must be a positive integer (milliseconds)");
  const fn = (key) => {
    if (init[key] != null && typeof init[key] !== "function") throw new TypeError(`EventSource: ${key} must be a function`);
    return init[key] ?? undefined;
  };
  const signal = init.signal ?? undefined;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError("EventSource: signal must be an AbortSignal");
  if (![undefined, null, true, false, "page"].includes(init.share)) throw new TypeError('EventSource: share must be true, false or "page"');
  const redirect = init.redirect ?? undefined;
  if (redirect !== undefined && !["follow", "error", "manual"].includes(redirect)) throw new TypeError('EventSource: redirect must be "follow", "error" or "manual"');
  return {
    redirect,
    comments: Boolean(init.comments),
    dispatchOnEnd: Boolean(init.dispatchOnEnd),
    credentials,
    headers,
    method,
    body,
    lastEventId,
    lastEventIdParam,
    policy,
    statuses,
    idleTimeoutMs,
    closeOnEnd: Boolean(init.closeOnEnd),
    signal,
    fetch: fn("fetch"),
    onResponse: fn("onResponse"),
    pauseWhenHidden: Boolean(init.pauseWhenHidden),
    maxEventBytes: maxEventBytes(init, owner),
    share: init.share === "page" ? "page" : Boolean(init.share),
  };
}

// share.js, loaded when a source shares. The shared worker's own copy of
// this file is built with __SHARE__ false: it never shares (its sources are
// the connections), and a bundler then sees no dynamic import in the worker
// (Vite's default worker format cannot split one out). Without the build,
// __SHARE__ is undefined and sharing is on.
const shareModule = typeof __SHARE__ === "undefined" || __SHARE__ ? () => import("./share.js") : null;

// share: the name every page gives the same request and stream options, or
// null (said on the console) when this source cannot share.
function shareKey(url, o) {
  const why =
    typeof globalThis.navigator?.locks?.request !== "function" || typeof BroadcastChannel !== "function"
      ? "no Web Locks or BroadcastChannel here (an http: page that is not localhost, or an old browser)"
      : [o.headers, o.body, o.fetch, o.onResponse].some((v) => typeof v === "function")
        ? "functions (headers, body, fetch, onResponse) cannot run in another page"
        : o.pauseWhenHidden
          ? "pauseWhenHidden would pause every page with the holder's"
          : o.body !== undefined && typeof o.body !== "string" && !(o.body instanceof Uint8Array) && !(o.body instanceof URLSearchParams)
            ? "a Blob or FormData body cannot name the stream"
            : null;
  if (why) {
    console.warn(`EventSource ${url}: share is off: ${why}`);
    return null;
  }
  const body = o.body instanceof Uint8Array ? byteString(o.body) : o.body?.toString();
  const { share, method, credentials, headers, lastEventId, lastEventIdParam, redirect, comments, dispatchOnEnd, closeOnEnd, policy, statuses, idleTimeoutMs, maxEventBytes } = o;
  return JSON.stringify([share, url, method, credentials, headers, body, lastEventId, lastEventIdParam, redirect, comments, dispatchOnEnd, closeOnEnd, policy, statuses, idleTimeoutMs, maxEventBytes]);
}

// Writes the configuration record (lib.rs `config`); returns the new
// machine's handle.
function startSource({ policy, idleTimeoutMs, closeOnEnd, comments, maxEventBytes, lastEventId, statuses }) {
  const id = encoder.encode(lastEventId);
  const idLength = id.length;
  const at = wasm.input(C_SIZE + idLength + 2 * statuses.length);
  memory();
  const record = new DataView(wasm.memory.buffer, at);
  const flags =
    (policy.maxMs === undefined ? 0 : C_HAS_MAX_MS) |
    (policy.maxAttempts === undefined ? 0 : C_HAS_MAX_ATTEMPTS) |
    (idleTimeoutMs === undefined ? 0 : C_HAS_IDLE) |
    (closeOnEnd ? C_CLOSE_ON_END : 0) |
    (comments ? WANT_COMMENTS : 0);
  record.setFloat64(C_INITIAL_MS, policy.initialMs, true);
  record.setFloat64(C_MAX_MS, policy.maxMs ?? 0, true);
  record.setFloat64(C_MULTIPLIER, policy.multiplier, true);
  record.setFloat64(C_JITTER, policy.jitter, true);
  record.setFloat64(C_RESET_AFTER_MS, policy.resetAfterMs, true);
  record.setFloat64(C_IDLE_MS, idleTimeoutMs ?? 0, true);
  record.setFloat64(C_MAX_EVENT_BYTES, maxEventBytes, true);
  record.setUint32(C_MAX_ATTEMPTS, policy.maxAttempts ?? 0, true);
  record.setUint32(C_FLAGS, flags, true);
  record.setUint32(C_ID_LEN, idLength, true);
  record.setUint32(C_STATUSES, statuses.length, true);
  u8.set(id, at + C_SIZE);
  statuses.forEach((status, i) => record.setUint16(C_SIZE + idLength + 2 * i, status, true));
  return wasm.source_new();
}

// The bytes of a last event ID as a header value: each byte one character
// (a byte string), in steps, so an ID of any length fits the call stack.
function byteString(bytes) {
  let text = "";
  for (let at = 0; at < bytes.length; at += 8192) text += String.fromCharCode.apply(null, bytes.subarray(at, at + 8192));
  return text;
}

// `promise`, or a rejection once `signal` aborts: a custom fetch may ignore
// the signal, and an attempt must end when it is aborted all the same.
function untilAborted(promise, signal) {
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    Promise.resolve(promise).then(
      (value) => {
        signal.removeEventListener("abort", abort);
        if (signal.aborted) value?.body?.cancel?.().catch(() => {});
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", abort);
        reject(error);
      },
    );
  });
}

// Would a failed fetch of `url` have been cross-origin in this realm? Only
// there can CORS refuse it (Node, Deno and workerd have no origin).
function crossOrigin(url) {
  const origin = globalThis.location?.origin;
  return typeof origin === "string" && origin !== "null" && new URL(url).origin !== origin;
}

// The text of every EventSourceError, one per failure, here and nowhere else.
// The key is the error's `code`, or `code/variant`; `f` holds the facts.
const describe = (f) => f.cause?.message ?? f.cause;
const TEXTS = {
  reconnect: () => "reconnect() was called",
  internal: (f) => `failed inside ssekit: ${describe(f)}`,
  load: (f) => `ssekit's wasm core did not load: ${describe(f)}`,
  "unsupported-url": () => "only http: and https: URLs can be fetched",
  "idle-timeout": (f) => `no byte arrived for ${f.ms} ms (idleTimeoutMs); reconnecting`,
  network: (f) => `the request failed: ${describe(f)}`,
  "network/read": (f) => `reading the response failed: ${describe(f)}`,
  rejected: () => "fetch did not return a Response",
  "rejected/threw": (f) => `onResponse threw: ${describe(f)}`,
  "rejected/refused": (f) => `onResponse refused the response (${statusLine(f.response)})`,
  "rejected/redirect": () => 'the server redirected the request, and redirect is "error"',
  "http-status": (f) => `the server answered ${statusLine(f.response)}, not 200`,
  "http-status/retry": (f) => `the server answered ${statusLine(f.response)}`,
  "content-type": (f) => `the response's Content-Type is ${f.contentType === null ? "missing" : JSON.stringify(f.contentType)}, not text/event-stream`,
  cors: (f) =>
    `the server answered, but CORS refused the request (no or a wrong Access-Control-Allow-Origin${f.credentials ? ", or no Access-Control-Allow-Credentials" : ""}${f.preflighted.length > 0 ? `, or its preflight does not allow ${f.preflighted.join(", ")}` : ""})` +
    (f.preflighted.includes("last-event-id")
      ? "; to resume without the Last-Event-ID header, which needs a preflight cross-origin, send the ID in the URL with the lastEventIdParam option"
      : ""),
  "gave-up": (f) =>
    (f.attempts === 0 ? "the connection failed and retry.maxAttempts allows no reconnection" : `gave up after ${f.attempts} failed reconnection attempt${f.attempts === 1 ? "" : "s"}`) +
    (f.cause ? `; the last: ${describe(f)}` : ""),
};

// Per-instance private state lives in fields; `events()` taps an instance
// through this module-private hook.
let tap;

/** ssekit's EventSource: a drop-in for the native one, over fetch(). */
export const { EventSource } = {
  EventSource: class extends EventTarget {
    static CONNECTING = CONNECTING;
    static OPEN = OPEN;
    static CLOSED = CLOSED;
    // Clients of MCP and A2A check this before passing a custom `fetch`.
    static [Symbol.for("eventsource.supports-fetch-override")] = true;

    #url;
    #withCredentials;
    #options;
    // readyState's owner is the machine in wasm (`#machine`). Before it
    // exists (the wasm is loading) the source is CONNECTING, and after its
    // handle is freed CLOSED: `#state` holds that, never both at once.
    #state = CONNECTING;
    #machine = 0;
    #closed = new AbortController(); // aborted by close(): ends every wait and request
    #attempt = null; // the request in flight, aborted by close() or a hidden page
    #wake = null; // resolves the current wait early (close, visible again)
    #handlers = { open: null, message: null, error: null };
    #tap = null; // events(): { message(plain), control(event) }
    #leave = null; // share: leaves the shared stream (close)

    constructor(url, init = undefined) {
      super();
      if (arguments.length === 0) throw new TypeError("Failed to construct 'EventSource': 1 argument required, but only 0 present.");
      // C1: resolve against the base URL; an invalid URL is a SyntaxError.
      try {
        this.#url = new URL(String(url), globalThis.location?.href).href;
      } catch {
        throw new DOMException(`Failed to construct 'EventSource': The URL '${url}' is invalid.`, "SyntaxError");
      }
      this.#options = readOptions(init);
      this.#withCredentials = this.#options.credentials === "include";
      const signal = this.#options.signal;
      if (signal?.aborted) {
        this.#state = CLOSED;
        return;
      }
      signal?.addEventListener("abort", () => this.close(), { once: true, signal: this.#closed.signal });
      const key = shareModule && this.#options.share && shareKey(this.#url, this.#options);
      (key ? this.#runShared(key, init) : this.#run()).catch((cause) => this.#fail(cause));
    }

    get url() {
      return this.#url;
    }
    get withCredentials() {
      return this.#withCredentials;
    }
    get readyState() {
      return this.#machine ? wasm.source_ready_state(this.#machine) : this.#state;
    }
    get [Symbol.toStringTag]() {
      return "EventSource";
    }

    /** C8: abort, CLOSED, no event; nothing is dispatched afterwards. */
    close() {
      if (this.#machine) wasm.source_close(this.#machine);
      else this.#state = CLOSED;
      this.#leave?.();
      this.#leave = null;
      this.#closed.abort();
      this.#attempt?.abort();
      this.#wake?.();
    }

    /**
     * Drops the current response, if any, and reconnects at once with the
     * last event ID: `error` (code "reconnect"), CONNECTING, then a new
     * request. Nothing while paused (the resume reconnects) or closed, nor
     * on a shared source (other pages read the same connection).
     */
    reconnect() {
      if (!this.#machine) return;
      const verdict = wasm.source_reconnect(this.#machine, now());
      if ((verdict & 7) !== T_RECONNECT) return;
      this.#attempt?.abort();
      this.#apply(verdict, { error: this.#error("reconnect") });
      this.#wake?.();
    }

    #dispatch(event) {
      this.#tap?.control(event);
      this.dispatchEvent(event);
    }

    // The error of a failure (see TEXTS); `facts` fill its text, and its
    // `cause`, `status` and `response` are the error's fields too.
    #error(key, facts = {}) {
      const attempts = this.#machine ? wasm.source_failed_attempts(this.#machine) : 0;
      const text = TEXTS[key]({ attempts, ...facts });
      const { cause, response } = facts;
      return new EventSourceError(`EventSource ${this.#url}: ${text}`, { code: key.split("/")[0], attempts, cause, status: response?.status, response });
    }

    // C7 outside the machine's knowledge: the wasm did not load, or this file
    // failed. CLOSED, `error`.
    #fail(cause) {
      if (this.readyState === CLOSED) return;
      const error = cause instanceof EventSourceError ? cause : this.#error("internal", { cause });
      this.close();
      this.#dispatch(plainEvent("error", { error }));
    }

    // share: this source is a view of a stream one page of the origin holds
    // (share.js). Its readyState and events are the holder's, as posted.
    async #runShared(key, init) {
      const { join } = await shareModule();
      if (this.#state === CLOSED) return;
      const url = this.#url;
      const { headers, body, lastEventId } = this.#options;
      const plain = { ...init, share: false, signal: undefined, headers, body: body instanceof URLSearchParams ? `${body}` : body, lastEventId };
      // Nothing reaches a view after its close() (C8).
      const live = (fn) => (...args) => this.#state !== CLOSED && fn(...args);
      this.#leave = join(
        key,
        {
          state: live((state) => (this.#state = state)),
          open: live(() => {
            this.#state = OPEN;
            this.#dispatch(plainEvent("open"));
          }),
          message: live((m) => {
            if (this.#tap) this.#tap.message(m);
            else this.dispatchEvent(new MessageEvent(m.type, { data: m.data, lastEventId: m.lastEventId, origin: m.origin }));
          }),
          // `e`: the holder's error's text, code and status (none for a
          // clean end that reconnects).
          error: live((e, state) => {
            if (state === CLOSED) this.close();
            else this.#state = state;
            this.#dispatch(plainEvent("error", e && { status: e.status, error: new EventSourceError(e.message, e) }));
          }),
          end: live(() => {
            this.close();
            this.#dispatch(plainEvent("end"));
          }),
        },
        // This page holds the stream: an unshared source, from the last ID
        // the page saw (or the one asked for).
        (lastEventId, sink) => {
          const source = new EventSource(url, { ...plain, lastEventId: lastEventId || plain.lastEventId });
          tap(source, { ...sink, full: () => false });
          return source;
        },
        // Or a shared worker holds it (share: true, where there is one):
        // what it needs to open the same stream, as cloneable data.
        this.#options.share === true && { url, init: plain },
      );
    }

    async #run() {
      const options = this.#options;
      // The first request is due at once (C2): while the wasm loads, it is
      // on its way already, and the machine takes it as its first attempt
      // (a page on a slow link waits for both at the same time). Not when
      // the machine would not make it: a URL that is not http(s), a hidden
      // page with pauseWhenHidden.
      let early = null;
      if (!wasm && /^https?:$/.test(new URL(this.#url).protocol) && !(options.pauseWhenHidden && hidden())) {
        const controller = new AbortController();
        this.#attempt = controller; // close() aborts it
        const id = options.lastEventId;
        early = { controller, sent: this.#send(controller, id === "" ? null : encoder.encode(id)) };
      }
      try {
        await engine();
      } catch (cause) {
        early?.controller.abort();
        throw this.#error("load", { cause });
      }
      if (this.#state === CLOSED) return;
      const handle = startSource(options);
      this.#machine = handle;
      const closed = this.#closed.signal;
      try {
        // Only http(s) can be fetched: anything else (ftp:, about:, mailto:,
        // javascript:) fails for good at once, one `error`, as with the native
        // class (a rejected fetch would otherwise look like a network error
        // and be retried forever).
        if (!/^https?:$/.test(new URL(this.#url).protocol)) {
          const error = this.#error("unsupported-url");
          this.#apply(wasm.source_reject(handle), { error });
          return;
        }
        if (options.pauseWhenHidden && globalThis.document) {
          globalThis.document.addEventListener(
            "visibilitychange",
            () => {
              if (hidden()) {
                wasm.source_pause(handle, now());
                this.#attempt?.abort();
              } else {
                wasm.source_resume(handle, now());
                this.#wake?.();
              }
            },
            { signal: closed },
          );
          if (hidden()) wasm.source_pause(handle, now());
        }
        // The machine says what to do; this loop only does it.
        for (let next; !closed.aborted && (next = wasm.source_poll(handle, now())) !== P_CLOSED; ) {
          const sent = early;
          early = null;
          if (next === P_REQUEST) {
            await this.#connect(sent);
            continue;
          }
          // The machine did not want the early request (a pause): it goes.
          sent?.controller.abort();
          if (next === P_IO) throw new Error("the machine waits for a request that was never made");
          else await this.#wait(next === P_PAUSED ? Infinity : next - now());
        }
      } catch (cause) {
        // A fault in this file: fail for good, with it as the cause.
        const error = this.#error("internal", { cause });
        this.#attempt?.abort();
        this.#apply(wasm.source_reject(handle), { error });
      } finally {
        early?.controller.abort(); // paused before the machine asked for it
        // The machine's last word: CLOSED. The handle goes; #state keeps it.
        this.#state = CLOSED;
        this.#machine = 0;
        wasm.stream_free(handle);
        this.#closed.abort();
      }
    }

    // Sleeps `ms` (in steps: timers take at most 2^31-1 ms), or until close()
    // or a resume wakes it. Leaves no listener or timer behind.
    #wait(ms) {
      return new Promise((resolve) => {
        let timer;
        const done = () => {
          clearTimeout(timer);
          this.#wake = null;
          resolve();
        };
        this.#wake = done;
        if (ms !== Infinity) {
          timer = setTimeout(done, Math.max(0, Math.min(ms, MAX_TIMER_MS)));
          // In Node, a pending reconnect must not keep the process alive.
          timer?.unref?.();
        }
      });
    }

    // The idle timeout of one attempt: a timer at the machine's deadline; when
    // it fires early (bytes came meanwhile) it is set again for the new one,
    // so a chunk costs no timer call. Returns its stop function.
    #watchIdle(controller) {
      const handle = this.#machine;
      const ms = this.#options.idleTimeoutMs;
      let timer;
      const arm = () => {
        const due = wasm.source_poll(handle, now());
        if (due < 0) return;
        timer = setTimeout(check, Math.max(0, Math.min(due - now(), MAX_TIMER_MS)));
        timer?.unref?.();
      };
      const check = () => {
        if (controller.signal.aborted || this.#machine !== handle) return;
        const verdict = wasm.source_timeout(handle, now(), Math.random());
        if ((verdict & 7) === 0) return arm();
        controller.abort();
        this.#apply(verdict, { error: this.#error("idle-timeout", { ms }) });
      };
      arm();
      return () => clearTimeout(timer);
    }

    // One request: fetch, C4, stream the body until it ends.
    // `early`: the first request, sent while the wasm loaded.
    async #connect(early) {
      const controller = early?.controller ?? new AbortController();
      this.#attempt = controller;
      const stopIdle = this.#options.idleTimeoutMs === undefined ? null : this.#watchIdle(controller);
      try {
        await this.#request(controller, early?.sent);
      } finally {
        stopIdle?.();
        if (this.#attempt === controller) this.#attempt = null;
      }
    }

    // Builds and sends one request; resolves to what came of it: `{ response }`,
    // `{ failed }` (fetch rejected) or `{ thrown }` (a headers or body
    // function threw). `idBytes`: the last event ID's UTF-8, or null.
    async #send(controller, idBytes) {
      const options = this.#options;
      const headers = { accept: "text/event-stream" };
      let body = options.body;
      try {
        const list = typeof options.headers === "function" ? headerList(await options.headers()) : options.headers;
        for (const [name, value] of list) headers[name] = value;
        if (typeof body === "function") body = replayableBody(await body());
      } catch (error) {
        return { thrown: { error } };
      }
      // C6: the last event ID when not empty: its UTF-8 bytes as a byte string
      // in Last-Event-ID, or in a query parameter (lastEventIdParam), which a
      // cross-origin server can read without allowing the header in a
      // preflight.
      let url = this.#url;
      if (idBytes !== null) {
        if (options.lastEventIdParam === undefined) {
          headers["last-event-id"] = byteString(idBytes);
        } else {
          const withId = new URL(url);
          withId.searchParams.set(options.lastEventIdParam, decoder.decode(idBytes));
          url = withId.href;
        }
      }
      const init = { method: options.method, headers, signal: controller.signal };
      if (body !== undefined) init.body = body;
      if (options.redirect !== undefined) init.redirect = options.redirect;
      // C3: cache mode no-store, never a Cache-Control header (it would force
      // a CORS preflight). Workers' fetch rejects `cache` and `credentials`.
      if (!isWorkers()) {
        init.cache = "no-store";
        init.credentials = options.credentials;
      }
      try {
        return { response: await untilAborted((options.fetch ?? globalThis.fetch)(url, init), controller.signal) };
      } catch (cause) {
        return { failed: { cause, url, init } };
      }
    }

    // One attempt: send (unless `sent` already did), C4, stream the body
    // until it ends.
    async #request(controller, sent) {
      const options = this.#options;
      const handle = this.#machine;
      const random = Math.random;
      const gone = () => controller.signal.aborted || this.readyState === CLOSED;
      if (!sent) {
        const length = wasm.stream_last_event_id_len(handle);
        memory();
        const at = wasm.stream_last_event_id(handle);
        sent = this.#send(controller, length === 0 ? null : u8.slice(at, at + length));
      }
      const { response, thrown, failed } = await sent;
      if (gone()) return response?.body?.cancel?.().catch(() => {});
      // The caller's function failed: this attempt fails with its error, and
      // the retry policy counts it like a network error.
      if (thrown) return this.#apply(wasm.source_network_error(handle, now(), random()), thrown);
      if (failed) {
        // A rejected fetch is a network error, a redirect that `redirect:
        // "error"` refused, a CORS refusal or our own abort.
        const { cause, url, init } = failed;
        const refusal = options.fetch ? null : ((await this.#redirectRefusal(url, init, cause)) ?? (await this.#corsRefusal(url, init, cause)));
        if (gone()) return;
        if (refusal) return this.#apply(wasm.source_reject(handle), { error: refusal });
        const error = this.#error("network", { cause });
        return this.#apply(wasm.source_network_error(handle, now(), random()), { error });
      }
      if (!response || typeof response.status !== "number" || !response.headers) {
        return this.#apply(wasm.source_reject(handle), { error: this.#error("rejected") });
      }
      if (options.onResponse) {
        let verdict;
        try {
          verdict = await options.onResponse(response);
        } catch (cause) {
          const error = this.#error("rejected/threw", { cause, response });
          return this.#apply(wasm.source_reject(handle), { ...responseDetails(response), error });
        }
        if (controller.signal.aborted) return;
        if (verdict === false) {
          const error = this.#error("rejected/refused", { response });
          return this.#apply(wasm.source_reject(handle), { ...responseDetails(response), error });
        }
      }
      const contentType = response.headers.get("content-type");
      const typeLength = contentType === null ? 0xffffffff : putString(contentType);
      const verdict = wasm.source_response(handle, now(), response.status, typeLength, random());
      if ((verdict & 7) !== T_OPEN) {
        // A refused response is the user's to read (error.response), except
        // a 200 of another type: it may never end.
        if (response.status === 200) response.body?.cancel?.().catch(() => {});
        // Its body must outlive the attempt: close() no longer aborts it.
        if (this.#attempt === controller) this.#attempt = null;
        return this.#apply(verdict, { ...responseDetails(response), error: this.#refusal(verdict, response, contentType) });
      }
      this.#dispatch(plainEvent("open"));
      // D4: the origin of the final URL (after redirects), once per connection.
      let origin = "";
      try {
        origin = new URL(response.url || this.#url).origin;
      } catch {}
      const tap = this.#tap;
      // Whether to go on after a handler: not once it called close() or
      // reconnect() (D6), or the page was hidden. Each of them aborts this
      // attempt, so its signal says it without asking the machine (a wasm
      // call per message).
      const going = () => !controller.signal.aborted;
      // The last event ID of the last message delivered (see below).
      let delivered = null;
      const dispatch = tap
        ? // events(): the iterator takes plain messages; no event is built.
          (type, data, lastEventId, id) => {
            tap.message({ type, data, lastEventId, id, origin });
            return going();
          }
        : (type, data, lastEventId) => {
            delivered = lastEventId;
            this.dispatchEvent(new MessageEvent(type, { data, lastEventId, origin }));
            return going();
          };
      const sink = {
        message: dispatch,
        retry() {},
        // Only with `comments: true` (the wasm writes no comment record
        // otherwise): each comment line is a `comment` event.
        comment: (text) => dispatch("comment", text, "", undefined),
        error: () => {
          this.#dispatch(plainEvent("error", { error: new SseParseError(options.maxEventBytes) }));
          return going();
        },
      };
      const timed = options.idleTimeoutMs !== undefined;
      let ended = false;
      let stopped = false;
      let failure;
      try {
        const reader = response.body.getReader();
        // A custom fetch may ignore the signal: cancelling the reader ends
        // the read all the same (close, pause, idle timeout).
        controller.signal.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            ended = true;
            break;
          }
          if (!going()) break;
          // Only the idle timeout needs to know when bytes came.
          if (!feed(handle, value instanceof Uint8Array ? value : new Uint8Array(value), sink, timed ? now() : 0)) {
            stopped = true;
            break;
          }
          if (!going()) break;
          // events(): read on only as fast as the consumer takes messages.
          if (tap?.full()) await untilAborted(tap.drained(), controller.signal);
        }
        // dispatchOnEnd: a last event cut off without its blank line at a
        // clean end is dispatched, not dropped.
        if (ended && options.dispatchOnEnd && going()) feed(handle, END, sink, 0);
      } catch (cause) {
        // A failed read is a network error (or our own abort: close, pause,
        // idle timeout).
        failure = cause;
      }
      // D1 when a handler called reconnect() in the middle of a chunk: the
      // machine parsed the whole chunk, but the next request must resume
      // after the last message delivered, not after ones never seen.
      if (stopped && delivered !== null && this.readyState === CONNECTING) wasm.source_set_last_event_id(handle, putString(delivered));
      if (this.readyState !== OPEN || controller.signal.aborted) return;
      // C5: any end that is not an abort re-establishes the connection,
      // unless closeOnEnd makes a clean end final.
      if (ended) return this.#apply(wasm.source_end(handle, now(), random()));
      const error = this.#error("network/read", { cause: failure });
      this.#apply(wasm.source_network_error(handle, now(), random()), { error });
    }

    // The error of a response the machine did not open.
    #refusal(verdict, response, contentType) {
      const kind = verdict & 7;
      const detail = (verdict >>> 3) & 31;
      // A retry status: reconnecting, or the last straw for the retry policy.
      if ((kind === T_RECONNECT && detail === CAUSE_STATUS) || (kind === T_FAIL && detail === FAIL_GAVE_UP)) return this.#error("http-status/retry", { response });
      if (kind === T_FAIL && detail === FAIL_STATUS) return this.#error("http-status", { response });
      if (kind === T_FAIL && detail === FAIL_CONTENT_TYPE) return this.#error("content-type", { response, contentType });
      return undefined;
    }

    // With `redirect: "error"`, a redirect rejects the fetch as a network
    // error would: a HEAD that does not follow redirects tells them apart
    // (a browser answers an opaque redirect, Node the 3xx itself). A refused
    // redirect fails for good: it will not stop redirecting. Returns the
    // EventSourceError, or null.
    async #redirectRefusal(url, init, cause) {
      if (init.redirect !== "error") return null;
      const response = await this.#probe(url, init, { redirect: "manual" });
      const redirected = response !== null && (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400));
      return redirected ? this.#error("rejected/redirect", { cause }) : null;
    }

    // A HEAD request to `url` with `extra` fetch options, given up after
    // PROBE_MS or when the attempt is aborted: its response (body
    // cancelled), or null if it failed.
    async #probe(url, init, extra) {
      const probe = new AbortController();
      const stop = () => probe.abort();
      init.signal.addEventListener("abort", stop, { once: true });
      const timer = setTimeout(stop, PROBE_MS);
      try {
        const response = await globalThis.fetch(url, { method: "HEAD", cache: "no-store", credentials: init.credentials, signal: probe.signal, ...extra });
        response.body?.cancel?.().catch(() => {});
        return response;
      } catch {
        return null;
      } finally {
        clearTimeout(timer);
        init.signal.removeEventListener("abort", stop);
        probe.abort();
      }
    }

    // After a cross-origin fetch rejected: did CORS refuse it, or is the
    // server unreachable? fetch() rejects both with the same TypeError. A
    // no-cors HEAD needs no CORS permission and resolves (opaque) whenever the
    // server answers, so if it resolves, the server is there and the refusal
    // was CORS: for good, as the native EventSource fails. If it rejects too,
    // the network is to blame and the attempt is retried. Returns the
    // EventSourceError of a refusal, or null.
    async #corsRefusal(url, init, cause) {
      if (!crossOrigin(url) || (await this.#probe(url, init, { mode: "no-cors" })) === null) return null;
      // What needed a preflight, if anything: the preflight may be what the
      // server refused.
      const unsafe = Object.entries(init.headers)
        .filter(([name, value]) => !SAFELISTED.has(name) || (name === "content-type" && !SIMPLE_TYPE.test(value)))
        .map(([name]) => name);
      const simple = /^(GET|HEAD|POST)$/i.test(init.method);
      return this.#error("cors", { cause, credentials: this.#withCredentials, preflighted: [...(simple ? [] : [init.method]), ...unsafe] });
    }

    // Fires what a transition asks for (the machine already moved readyState).
    #apply(verdict, details = undefined) {
      const kind = verdict & 7;
      if (kind === T_RECONNECT) {
        this.#dispatch(plainEvent("error", details));
      } else if (kind === T_FAIL) {
        if (((verdict >>> 3) & 31) === FAIL_GAVE_UP) {
          const last = details?.error;
          details = { ...details, error: this.#error("gave-up", { cause: last, response: last?.response }) };
        }
        this.#closed.abort();
        this.#dispatch(plainEvent("error", details));
      } else if (kind === T_ENDED) {
        this.#closed.abort();
        this.#dispatch(plainEvent("end"));
      }
    }

    static {
      tap = (source, sink) => {
        source.#tap = sink;
      };
      // Event handler attributes: one listener, added on first assignment,
      // that calls whatever handler is current (so it keeps the place in the
      // listener order of the first assignment, as in the HTML model). Where
      // the platform calls on<type> itself (workerd), the attribute only holds
      // the handler.
      for (const type of ["open", "message", "error"]) {
        Object.defineProperty(this.prototype, `on${type}`, {
          configurable: true,
          enumerable: true,
          get() {
            return this.#handlers[type];
          },
          set(handler) {
            const first = this.#handlers[type] === null;
            this.#handlers[type] = typeof handler === "function" || isObject(handler) ? handler : null;
            if (first && this.#handlers[type] !== null && !platformCallsHandlers) {
              this.addEventListener(type, (event) => {
                const current = this.#handlers[type];
                if (typeof current === "function") current.call(this, event);
              });
            }
          },
        });
      }
      for (const [name, value] of [["CONNECTING", CONNECTING], ["OPEN", OPEN], ["CLOSED", CLOSED]]) {
        Object.defineProperty(this.prototype, name, { value, enumerable: true });
      }
    }
  },
};

// events() stops reading the body while this many messages wait for the
// consumer, and reads on once it has taken them all.
const QUEUE = 256;

/**
 * `for await (const message of events(url, init))`: every message, of any
 * type, as a plain `{ type, data, lastEventId, id, origin }` (no MessageEvent is
 * built, and the iterator's `source` dispatches only `open`, `error` and
 * `end`); with `comments: true`, each comment line too, as type `comment`.
 * The body is read only as fast as the loop takes messages. Ends when the
 * source closes, `init.signal` aborts or a finite stream (`closeOnEnd`)
 * ends; throws the EventSourceError when the source fails for good.
 */
export function events(url, init = undefined) {
  const source = new EventSource(url, init);
  // A queue with a read index: taking a message is O(1), and it is emptied
  // whole, so it never holds more than QUEUE plus one chunk's messages.
  let queue = [];
  let head = 0;
  let wake = null; // the consumer waiting for a message
  let drained = null; // the reader waiting for the consumer
  let failure = null;
  const ended = new AbortController(); // removes the listener on init.signal
  const notify = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  tap(source, {
    message(message) {
      queue.push(message);
      notify();
    },
    control(event) {
      if (event.type === "error" && source.readyState === CLOSED) failure = event.error;
      notify();
    },
    full: () => queue.length - head >= QUEUE,
    drained: () => new Promise((resolve) => (drained = resolve)),
  });
  init?.signal?.addEventListener("abort", notify, { once: true, signal: ended.signal });
  const finish = () => {
    ended.abort();
    source.close();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      for (;;) {
        if (head < queue.length) {
          const value = queue[head++];
          if (head === queue.length) {
            queue = [];
            head = 0;
            const resolve = drained;
            drained = null;
            resolve?.();
          }
          return { value, done: false };
        }
        if (failure) {
          const error = failure;
          failure = null;
          finish();
          throw error;
        }
        if (source.readyState === CLOSED) {
          ended.abort();
          return { value: undefined, done: true };
        }
        await new Promise((resolve) => {
          wake = resolve;
        });
      }
    },
    async return() {
      finish();
      return { value: undefined, done: true };
    },
    source,
  };
}

/** Sets `globalThis.EventSource` to ssekit's where there is none (or always, with `force`). */
export function installPolyfill(options = undefined) {
  if (!options?.force && globalThis.EventSource !== undefined) return false;
  globalThis.EventSource = EventSource;
  return true;
}
