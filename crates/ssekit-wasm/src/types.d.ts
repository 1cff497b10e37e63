/** Reconnection policy: the wait before reconnect n is base * multiplier^(n-1), capped at maxMs,
 * ± jitter; base is the server's last `retry` value, or initialMs until it sends one. */
export interface RetryPolicyInit {
  /** Base delay before the server sends `retry` (default 3000). */
  initialMs?: number;
  /** Upper bound on any delay. */
  maxMs?: number;
  /** Growth per consecutive failed attempt, 1–1000 (default 1: constant). */
  multiplier?: number;
  /** Random spread, a fraction 0–1 of the delay, either way (default 0). */
  jitter?: number;
  /** Consecutive reconnects without a successful open before giving up (default: never). */
  maxAttempts?: number;
  /**
   * HTTP statuses that reconnect with backoff instead of failing for good
   * (e.g. `[502, 503, 504]`); the `error` event still carries `status`.
   * Default: none, as the standard says.
   */
  statuses?: number[];
}

/** The standard `EventSourceInit` plus what ssekit adds. */
export interface SsekitEventSourceInit {
  withCredentials?: boolean;
  headers?: HeadersInit;
  method?: string;
  /** Re-sent on every reconnect, so it must be replayable (not a ReadableStream). */
  body?: string | ArrayBuffer | ArrayBufferView | Blob | URLSearchParams | FormData | null;
  credentials?: RequestCredentials;
  /** Sent as `Last-Event-ID` on the first request. */
  lastEventId?: string;
  retry?: RetryPolicyInit;
  /** Aborting it is `close()`. */
  signal?: AbortSignal;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Return `false` or throw to fail the connection for good. */
  onResponse?: (response: Response) => boolean | void | Promise<boolean | void>;
  /** Drop the connection while the page is hidden; reconnect when visible. */
  pauseWhenHidden?: boolean;
  /** Per-event buffering limit in bytes (default 16 MiB). */
  maxEventBytes?: number;
}

/** The `error` event: plain for reconnects; with details when the connection fails. */
export interface SsekitErrorEvent extends Event {
  /** Status of the response that failed the connection. */
  status?: number;
  statusText?: string;
  headers?: Headers;
  response?: Response;
  /** `EventSourceError` (gave up, hook rejected), `SseParseError` (event over the limit), or what was thrown. */
  error?: Error;
}

export interface SsekitEventSourceEventMap {
  open: Event;
  message: MessageEvent<string>;
  error: SsekitErrorEvent;
}

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

/** `for await (const message of events(url, init))`; `.source` is the underlying EventSource. */
export interface EventStream extends AsyncIterableIterator<MessageEvent<string>> {
  readonly source: SsekitEventSource;
}

/** An event as `SseParser.feed` returns it. */
export interface SseEvent {
  /** The `event` field, or "message". */
  type: string;
  data: string;
  /** The persisted last event ID. */
  lastEventId: string;
  /** The `id` field of this very event, if it had one. */
  id: string | undefined;
}

export interface SseParserOptions {
  /** Per-event buffering limit in bytes (default 16 MiB). */
  maxEventBytes?: number;
  /** Initial last event ID. */
  lastEventId?: string;
  onEvent?: (event: SseEvent) => void;
  onComment?: (text: string) => void;
  onRetry?: (ms: number) => void;
  /** Receives `SseParseError`s; without it, `feed` throws them (with `.events`). */
  onError?: (error: Error) => void;
}

export interface SseEventFields {
  event?: string;
  id?: string;
  data?: string;
  /** Reconnection time in milliseconds. */
  retry?: number;
  comment?: string;
}
