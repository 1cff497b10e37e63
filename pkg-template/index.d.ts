// Types of the npm package `ssekit` (one file for every entry: browsers,
// bundlers, workers, Node and Cloudflare Workers export the same names).

/** Reconnection policy: the wait before reconnect n is base * multiplier^(n-1), capped at maxMs,
 * ± jitter; base is the server's last `retry` value, or initialMs until it sends one. From the
 * second consecutive reconnect on, the wait is at least initialMs * multiplier^(n-2): no server
 * (`retry: 0`) and no `maxMs: 0` makes a tight reconnect loop. */
export interface RetryPolicyInit {
  /** Base delay before the server sends `retry` (default 3000). */
  initialMs?: number;
  /** Upper bound on any delay. */
  maxMs?: number;
  /** Growth per consecutive failed attempt, 1–1000 (default 1: constant). */
  multiplier?: number;
  /** Random spread, a fraction 0–1 of the delay, either way (default 0). */
  jitter?: number;
  /** Consecutive failed reconnects before giving up (default: never). */
  maxAttempts?: number;
  /**
   * How long a connection must stay open for the count of consecutive
   * reconnects to start over (default 60000). One that ends sooner counts
   * as a failed attempt, whatever it delivered; 0: every open starts over.
   */
  resetAfterMs?: number;
  /**
   * HTTP statuses that reconnect with backoff instead of failing for good
   * (e.g. `[502, 503, 504]`); the `error` event still carries `status`.
   * Default: none, as the standard says.
   */
  statuses?: number[];
}

/** A request body that can be sent again on every reconnect. */
export type ReplayableBody = string | ArrayBuffer | ArrayBufferView | Blob | URLSearchParams | FormData;

/** The standard `EventSourceInit` plus what ssekit adds. */
export interface SsekitEventSourceInit {
  withCredentials?: boolean;
  /** Or a function (sync or async) called before every attempt, e.g. to send a fresh token; if it throws, the attempt fails and is retried. */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  method?: string;
  /** Re-sent on every reconnect, so it must be replayable (not a ReadableStream); or a function called before every attempt. */
  body?: ReplayableBody | null | (() => ReplayableBody | Promise<ReplayableBody>);
  credentials?: RequestCredentials;
  /**
   * Passed to fetch. `"error"` fails the connection for good on any
   * redirect, so custom `headers` and a `body` never follow one to another
   * origin (with the default `"follow"`, fetch keeps them).
   */
  redirect?: RequestRedirect;
  /** Sent as `Last-Event-ID` on the first request. */
  lastEventId?: string;
  /**
   * Send the last event ID in this query parameter instead of the
   * `Last-Event-ID` header: a cross-origin server then needs no CORS
   * preflight for a reconnect (e.g. `"lastEventId"`, which ssekit's hub reads).
   */
  lastEventIdParam?: string;
  retry?: RetryPolicyInit;
  /** Aborting it is `close()`. */
  signal?: AbortSignal;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Return `false` or throw to fail the connection for good. */
  onResponse?: (response: Response) => boolean | void | Promise<boolean | void>;
  /** Drop the connection while the page is hidden; reconnect when visible. */
  pauseWhenHidden?: boolean;
  /**
   * Share one connection with every page of this origin (tabs, windows,
   * iframes) that opens the same URL with the same request and options. With
   * `true` it lives in a SharedWorker (the package's share-worker.js) where
   * there is one, else in one page elected with Web Locks; `"page"` forces
   * the elected page. When the worker or page that holds it goes, another
   * resumes with `Last-Event-ID`. Each source still has its own events,
   * readyState and close(). Off (with a console warning) with function
   * options or pauseWhenHidden, a Blob or FormData body, or where Web Locks
   * are missing (an http: page that is not localhost). Default: false.
   */
  share?: boolean | "page";
  /** Per-event buffering limit in bytes (default 16 MiB). */
  maxEventBytes?: number;
  /**
   * Reconnect (with the last event ID) when no byte, not even a heartbeat
   * comment, has arrived for this many milliseconds. Default: off.
   */
  idleTimeoutMs?: number;
  /**
   * A clean end of the body ends the source: `end` event, CLOSED, no
   * reconnect (network errors still reconnect). For finite streams such as
   * a POSTed prompt's answer. Default: false (reconnect, as the standard says).
   */
  closeOnEnd?: boolean;
  /**
   * At a clean end of the body, dispatch a last event that has no blank line
   * after it instead of dropping it (the standard drops it). Default: false.
   */
  dispatchOnEnd?: boolean;
  /**
   * Deliver each comment line (`: text`) as a `comment` MessageEvent (and
   * from `events()` as a message of type `"comment"`): heartbeats become
   * visible. Default: false (ignored, as the standard says).
   */
  comments?: boolean;
}

/** The `error` event: plain for reconnects; with details when the connection fails. */
export interface SsekitErrorEvent extends Event {
  /** Status of the response that failed the connection. */
  status?: number;
  statusText?: string;
  headers?: Headers;
  response?: Response;
  /**
   * Why: an `EventSourceError` (see its `code`), an `SseParseError` (an event
   * over the limit; the connection stays open), or what a `headers`/`body`
   * function threw. None after a clean end of the body.
   */
  error?: EventSourceError | SseParseError | Error;
}

export interface SsekitEventSourceEventMap {
  open: Event;
  message: MessageEvent<string>;
  error: SsekitErrorEvent;
  /** `closeOnEnd`: the body ended cleanly and the source is CLOSED. */
  end: Event;
  /** `comments: true`: a comment line; `data` is its text (its `lastEventId` is empty). */
  comment: MessageEvent<string>;
}

/** ssekit's EventSource instance: the standard surface. */
export interface SsekitEventSource extends EventTarget {
  readonly readyState: 0 | 1 | 2;
  readonly url: string;
  readonly withCredentials: boolean;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;
  onopen: ((this: SsekitEventSource, ev: Event) => any) | null;
  onmessage: ((this: SsekitEventSource, ev: MessageEvent<string>) => any) | null;
  onerror: ((this: SsekitEventSource, ev: SsekitErrorEvent) => any) | null;
  close(): void;
  /**
   * Drops the current response and reconnects at once with the last event
   * ID: `error` (code `"reconnect"`), CONNECTING, a new request. Nothing
   * while paused or closed.
   */
  reconnect(): void;
  addEventListener<K extends keyof SsekitEventSourceEventMap>(
    type: K,
    listener: (this: SsekitEventSource, ev: SsekitEventSourceEventMap[K]) => any,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: (this: SsekitEventSource, ev: MessageEvent<string>) => any,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

export interface EventSourceClass {
  new (url: string | URL, init?: SsekitEventSourceInit): SsekitEventSource;
  readonly prototype: SsekitEventSource;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;
}

/**
 * A message as a client receives it (from `SseParser.feed` and `events()`):
 * what a MessageEvent carries, as a plain object.
 */
export interface SseMessage {
  /** The event type: `"message"` or the `event` field. */
  type: string;
  data: string;
  /** The persisted last event ID. */
  lastEventId: string;
  /** The `id` field of this very event, if it had one. */
  id: string | undefined;
  /** `events()` only: the origin of the response's final URL. */
  origin?: string;
}

/**
 * `for await (const message of events(url, init))`; `.source` is the
 * underlying EventSource (it dispatches `open`, `error` and `end` only:
 * messages go to the iterator). The loop ends on `close()`, an aborted
 * `signal` or the end of a `closeOnEnd` stream; it throws the
 * `EventSourceError` of a source that failed for good.
 */
export interface EventStream extends AsyncIterableIterator<SseMessage> {
  readonly source: SsekitEventSource;
}

export interface SseParserOptions {
  /** Per-event buffering limit in bytes (default 16 MiB). */
  maxEventBytes?: number;
  /** Initial last event ID. */
  lastEventId?: string;
  onEvent?: (message: SseMessage) => void;
  onComment?: (text: string) => void;
  onRetry?: (ms: number) => void;
  /** Receives `SseParseError`s; without it, `feed` throws them (with `.events`). */
  onError?: (error: SseParseError) => void;
}

export interface SseEventFields {
  event?: string;
  id?: string;
  data?: string;
  /** Reconnection time in milliseconds. */
  retry?: number;
  comment?: string;
}

/** ssekit's EventSource: a drop-in for the native one, over fetch(). */
export declare const EventSource: EventSourceClass;

/** Every message of a source, as an async iterator; ends on close (or a `closeOnEnd` stream's end), throws `EventSourceError` on failure. */
export declare function events(url: string | URL, init?: SsekitEventSourceInit): EventStream;

/** Sets `globalThis.EventSource` to ssekit's where there is none (or always, with `force`); returns whether it did. */
export declare function installPolyfill(options?: { force?: boolean }): boolean;

/**
 * A streaming parser with the browser's dispatch rules. Needs the wasm core:
 * in browsers and bundlers `await ready` before the first `new SseParser()`
 * (in Node and Cloudflare Workers it is ready on import).
 */
export declare class SseParser {
  constructor(options?: SseParserOptions);
  /** The persisted last event ID. */
  readonly lastEventId: string;
  /** Bytes held for the event being read (they count against `maxEventBytes`). */
  readonly bufferedBytes: number;
  /** The reconnection time the stream last asked for with `retry` (ms), if any. */
  readonly reconnectionTime: number | undefined;
  /** Parses the next chunk (lines and characters may be split anywhere); returns the events it completed. */
  feed(chunk: Uint8Array | ArrayBuffer | ArrayBufferView | string): SseMessage[];
  /** The end of the stream: a cut-off final event is dropped; returns whether one was. */
  finish(): boolean;
  /** Gives the parser's wasm memory back now; any later call throws. (Otherwise on garbage collection.) */
  free(): void;
  /** `using parser = new SseParser()`: `free()` at the end of the block. */
  [Symbol.dispose](): void;
}

/** Encodes one event; throws `SseEncodeError` rather than inject a field. */
export declare function encodeEvent(fields: SseEventFields): string;

/** An event larger than `maxEventBytes` was dropped; thrown by `feed` with the chunk's other events. */
export declare class SseParseError extends Error {
  /** The limit the event exceeded, in bytes. */
  readonly limit: number;
  /** The chunk's events, when `feed` throws it. */
  events?: SseMessage[];
}

/** A field of `encodeEvent` holds a line break or NUL. */
export declare class SseEncodeError extends Error {
  readonly field: "event" | "id" | "comment";
  /** Where in the field (UTF-16 code units). */
  readonly offset: number;
}

/** Which case an `EventSourceError` is. */
export type EventSourceErrorCode =
  /** Reconnecting: the request or the body failed (`cause` has the platform's error). */
  | "network"
  /** Reconnecting: no byte for `idleTimeoutMs`. */
  | "idle-timeout"
  /** Reconnecting: `reconnect()` was called. */
  | "reconnect"
  /** A status that is not 200: for good, or reconnecting for a `retry.statuses` one. */
  | "http-status"
  /** For good: a 200 whose Content-Type is not text/event-stream. */
  | "content-type"
  /** For good: `retry.maxAttempts` reconnects failed; `cause` is the last one's error. */
  | "gave-up"
  /** For good: a cross-origin server answered, but CORS refused the request. */
  | "cors"
  /** For good: not an http: or https: URL. */
  | "unsupported-url"
  /** For good: `onResponse` refused or threw, `fetch` returned no Response, or a redirect met `redirect: "error"`. */
  | "rejected"
  /** For good: the wasm core did not load. */
  | "load"
  /** For good: a fault inside ssekit. */
  | "internal";

/**
 * Why an attempt failed (on a reconnect's `error` event) or why the source
 * failed for good (on its last `error` event; what `events()` throws).
 */
export declare class EventSourceError extends Error {
  readonly code: EventSourceErrorCode;
  /** The response's status, when one came. */
  readonly status: number | undefined;
  /** The response, when one came (unread, except a 200 of the wrong type). */
  readonly response: Response | undefined;
  /** Consecutive failed reconnects so far. */
  readonly attempts: number;
  /** The underlying error: the platform's TypeError, what a hook threw, the last attempt's error. */
  readonly cause?: unknown;
}

/** Resolves when the wasm core is loaded (at once in Node and Cloudflare Workers). */
export declare const ready: Promise<void>;

/** Loads the wasm core from elsewhere (a URL, a Response, bytes or a compiled module); the package entry already does. */
export declare function load(source: string | URL | Response | PromiseLike<Response> | BufferSource | WebAssembly.Module): Promise<void>;

/** Loads the wasm core at once from bytes or a compiled module. */
export declare function loadSync(source: BufferSource | WebAssembly.Module): void;
