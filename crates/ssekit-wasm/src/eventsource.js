// The JavaScript face of ssekit's EventSource: a real EventTarget subclass
// with the standard surface (readyState, url, withCredentials, the three
// constants, onopen/onmessage/onerror, close()). The connection itself — the
// fetch loop, parsing, dispatch rules, retries — lives in Rust, behind the
// `connect` function handed to makeEventSourceClass.

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

export function makeEventSourceClass(connect) {
  class EventSource extends EventTarget {
    #readyState = CONNECTING;
    #url;
    #withCredentials;
    #close;
    #handlers = { open: null, message: null, error: null };
    #tap = null;

    constructor(url, init = undefined) {
      super();
      if (arguments.length === 0) {
        throw new TypeError("Failed to construct 'EventSource': 1 argument required, but only 0 present.");
      }
      const port = {
        readyState: () => this.#readyState,
        setReadyState: (state) => {
          this.#readyState = state;
        },
        dispatch: (event) => {
          if (this.#tap !== null && event.type !== "open") this.#tap(event);
          this.dispatchEvent(event);
        },
      };
      const started = connect(port, String(url), init ?? {});
      this.#url = started.url;
      this.#withCredentials = started.withCredentials;
      this.#close = started.close;
    }

    get readyState() {
      return this.#readyState;
    }
    get url() {
      return this.#url;
    }
    get withCredentials() {
      return this.#withCredentials;
    }

    close() {
      if (this.#readyState === CLOSED) return;
      this.#readyState = CLOSED;
      this.#close();
    }

    // Used by events(): sees every message and error, whatever its type.
    static _tap(source, fn) {
      source.#tap = fn;
    }
  }

  // Event handler attributes: one listener, added on first assignment, that
  // calls whatever handler is current (so its place in the listener order
  // is that of the first assignment, as in the HTML event handler model).
  for (const type of ["open", "message", "error"]) {
    const listeners = new WeakMap();
    Object.defineProperty(EventSource.prototype, `on${type}`, {
      configurable: true,
      enumerable: true,
      get() {
        return listeners.get(this)?.handler ?? null;
      },
      set(handler) {
        let entry = listeners.get(this);
        if (!entry) {
          entry = { handler: null };
          listeners.set(this, entry);
          this.addEventListener(type, (event) => {
            if (typeof entry.handler === "function") entry.handler.call(this, event);
          });
        }
        entry.handler = typeof handler === "function" || typeof handler === "object" ? handler : null;
      },
    });
  }
  for (const [name, value] of [["CONNECTING", CONNECTING], ["OPEN", OPEN], ["CLOSED", CLOSED]]) {
    Object.defineProperty(EventSource, name, { value, enumerable: true });
    Object.defineProperty(EventSource.prototype, name, { value, enumerable: true });
  }
  return EventSource;
}

// `for await (const message of events(url, init))`: every message, of any
// type; ends when the source closes cleanly or `init.signal` aborts; throws
// when the source fails for good.
export function makeEventIterator(EventSource, url, init) {
  const source = new EventSource(url, init);
  const queue = [];
  let wake = null;
  let failure = null;
  const notify = () => {
    if (wake) {
      const resolve = wake;
      wake = null;
      resolve();
    }
  };
  EventSource._tap(source, (event) => {
    if (event.type === "error") {
      if (source.readyState === CLOSED) {
        failure = event.error ?? new Error(event.status ? `EventSource failed: HTTP ${event.status}` : "EventSource failed");
      }
    } else {
      queue.push(event);
    }
    notify();
  });
  const signal = init?.signal;
  if (signal) signal.addEventListener("abort", notify, { once: true });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      for (;;) {
        if (queue.length > 0) return { value: queue.shift(), done: false };
        if (failure) {
          const error = failure;
          failure = null;
          source.close();
          throw error;
        }
        if (source.readyState === CLOSED) return { value: undefined, done: true };
        await new Promise((resolve) => {
          wake = resolve;
        });
      }
    },
    async return() {
      source.close();
      return { value: undefined, done: true };
    },
    source,
  };
}

// Timers and globals, bound to whatever global scope this runs in (Window,
// dedicated or service worker, Node): never `window`.
// Timers take at most 2^31 - 1 ms; a longer delay (a server may send any
// `retry`) would fire at once, so it is slept in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let remaining = ms;
    let timer;
    const step = () => {
      if (remaining <= 0) return resolve();
      const now = Math.min(remaining, MAX_TIMER_MS);
      remaining -= now;
      timer = setTimeout(step, now);
    };
    step();
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

export function baseUrl() {
  return globalThis.location?.href;
}

export function isCloudflareWorkers() {
  return globalThis.navigator?.userAgent === "Cloudflare-Workers";
}

export function callFetch(fetchFn, url, init) {
  return typeof fetchFn === "function" ? fetchFn(url, init) : globalThis.fetch(url, init);
}

export function plainEvent(type, props) {
  const event = new Event(type);
  if (props) Object.assign(event, props);
  return event;
}

// Page visibility, for pauseWhenHidden. Outside a document nothing hides.
export function isHidden() {
  return globalThis.document?.visibilityState === "hidden";
}

// Calls `callback` whenever the page becomes hidden, until `signal` aborts.
export function onHidden(callback, signal) {
  globalThis.document?.addEventListener(
    "visibilitychange",
    () => {
      if (isHidden()) callback();
    },
    { signal },
  );
}

// Resolves when the page is visible again (or `signal` aborts).
export function whenVisible(signal) {
  return new Promise((resolve) => {
    if (!isHidden() || signal.aborted) return resolve();
    const done = new AbortController();
    const check = () => {
      if (!isHidden() || signal.aborted) {
        done.abort();
        resolve();
      }
    };
    globalThis.document.addEventListener("visibilitychange", check, { signal: done.signal });
    signal.addEventListener("abort", check, { once: true, signal: done.signal });
  });
}

export function random() {
  return Math.random();
}

// Dispatches one chunk's events, packed by Rust (see batch.rs):
// a MessageEvent per EVENT record, an `error` event per ERROR record. Stops
// as soon as a handler closes the source: nothing is dispatched after
// close(), not even the rest of the chunk.
export function dispatchBatch(port, text, records, origin) {
  let at = 0;
  const take = (len) => {
    const s = text.substring(at, at + len);
    at += len;
    return s;
  };
  for (let i = 0; i < records.length; ) {
    if (port.readyState() === CLOSED) return;
    switch (records[i]) {
      case 0: {
        const type = take(records[i + 1]);
        const data = take(records[i + 2]);
        const lastEventId = take(records[i + 3]);
        if (records[i + 4] !== 0xffffffff) at += records[i + 4];
        port.dispatch(new MessageEvent(type, { data, lastEventId, origin }));
        i += 5;
        break;
      }
      case 3: {
        const error = new Error(take(records[i + 1]));
        error.name = "SseParseError";
        port.dispatch(plainEvent("error", { error }));
        i += 2;
        break;
      }
      default: // comments and retry fields: nothing to dispatch
        at += records[i + 1];
        i += 2;
    }
  }
}
