// Helpers for the EventSource browser tests: record every event a source
// fires, in order, with the readyState at that moment; wait for conditions.

export function record(source, extraTypes = []) {
  const log = [];
  for (const type of ["open", "message", "error", ...extraTypes]) {
    source.addEventListener(type, (event) => {
      let entry = `${type}@${source.readyState}`;
      if (event instanceof MessageEvent) entry += ` ${event.data}#${event.lastEventId}`;
      if (event.status !== undefined) entry += ` status=${event.status}`;
      // An EventSourceError by its code, anything else by its class name.
      if (event.error !== undefined) entry += ` ${event.error.code ?? event.error.name}`;
      log.push(entry);
    });
  }
  return log;
}

export function until(predicate, timeoutMs = 5000) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      let result;
      try {
        result = predicate();
      } catch (error) {
        return reject(error);
      }
      if (result) return resolve(true);
      if (Date.now() - start > timeoutMs) return reject(new Error(`timed out after ${timeoutMs} ms`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

export function untilLogLength(log, n, timeoutMs = 5000) {
  return until(() => log.length >= n, timeoutMs).catch(() => {
    throw new Error(`expected ${n} events, got ${log.length}: ${JSON.stringify(log)}`);
  });
}

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function stats(server, key) {
  const response = await fetch(`${server}/stats?key=${encodeURIComponent(key)}`);
  return JSON.stringify(await response.json());
}

export function construct(Class, url, init) {
  return init === undefined ? new Class(url) : new Class(url, init);
}

export async function collect(iterable, n) {
  const out = [];
  for await (const event of iterable) {
    out.push(`${event.type} ${event.data}#${event.lastEventId}`);
    if (out.length === n) break;
  }
  return out;
}

export async function collectUntilError(iterable) {
  const out = [];
  try {
    for await (const event of iterable) out.push(`${event.type} ${event.data}`);
    out.push("done");
  } catch (error) {
    out.push(`threw ${error.name}`);
  }
  return out;
}

export function uniqueKey(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2)}`;
}

// Pretends the page became hidden or visible again (headless pages never
// change visibility on their own).
export function setHidden(hidden) {
  if (hidden) {
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
  } else {
    delete document.visibilityState;
  }
  document.dispatchEvent(new Event("visibilitychange"));
}

export async function collectUntilAbort(iterable, controller, abortAfter) {
  const out = [];
  for await (const event of iterable) {
    out.push(event.data);
    if (out.length === abortAfter) controller.abort();
  }
  out.push("done");
  return out;
}

// Counts the document's live `visibilitychange` listeners that were added
// with an AbortSignal (which is how the EventSource removes its own): the
// count drops when the signal aborts or the listener is removed.
export function trackVisibilityListeners() {
  const tracker = { active: 0 };
  const add = document.addEventListener;
  document.addEventListener = function (type, listener, options) {
    if (type === "visibilitychange") {
      tracker.active++;
      let live = true;
      const gone = () => {
        if (live) tracker.active--;
        live = false;
      };
      options?.signal?.addEventListener("abort", gone, { once: true });
    }
    return add.call(this, type, listener, options);
  };
  tracker.stop = () => {
    document.addEventListener = add;
  };
  return tracker;
}

// What events() throws: `code status body` of the EventSourceError.
export async function eventsFailure(iterable) {
  try {
    for await (const message of iterable) return `message ${message.data}`;
    return "done";
  } catch (error) {
    const body = error.response ? await error.response.text() : "";
    return `${error.name} ${error.code} ${error.status} ${body}`;
  }
}

// The message of the last error event's error.
export function lastErrorMessage(source) {
  return new Promise((resolve) => {
    source.addEventListener("error", (event) => {
      if (source.readyState === 2) resolve(event.error?.message ?? "");
    });
  });
}
