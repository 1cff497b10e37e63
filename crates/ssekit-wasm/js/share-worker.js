// The shared worker of `share: true` (see share.js): one connection per
// stream for every page of the origin. A page joins a stream with its key,
// URL and init, and leaves it; the worker runs an ordinary `events()` for
// each stream that has pages and posts to each page what happens. A page
// that goes without leaving (its tab closed) is seen through the lock it
// holds for its life.
import { events, load } from "./ssekit.js";

// Its own copy of the core (the package's build bundles the shell into this
// file), from beside it, as the entry loads it.
load(new URL("./ssekit.wasm", import.meta.url));

// Held for the worker's life: a page granted it knows the worker is gone.
// Pages learn its name only once it is held (else one could get it first).
const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
const held = new Promise((ready) => navigator.locks.request(`ssekit-share-worker:${id}`, () => (ready(), new Promise(() => {}))));

const streams = new Map(); // key -> { ports, state, iterator }
const watched = new WeakSet(); // ports whose page's lock is asked for

globalThis.onconnect = ({ ports: [port] }) => {
  port.onmessage = ({ data }) => (data.t === "join" ? join(port, data) : leave(port, data.key));
  held.then(() => port.postMessage({ t: "worker", id }));
};

function join(port, { key, url, init, lastEventId, page }) {
  if (!watched.has(port)) {
    watched.add(port);
    navigator.locks.request(`ssekit-share-page:${page}`, () => {
      for (const key of [...streams.keys()]) leave(port, key);
    });
  }
  let stream = streams.get(key);
  if (!stream) {
    stream = start(key, url, { ...init, lastEventId: lastEventId || init.lastEventId });
    streams.set(key, stream);
  }
  stream.ports.add(port);
  port.postMessage({ key, t: "state", state: stream.state });
}

function leave(port, key) {
  const stream = streams.get(key);
  if (!stream?.ports.delete(port) || stream.ports.size > 0) return;
  streams.delete(key);
  stream.iterator.return();
}

function start(key, url, init) {
  const stream = { ports: new Set(), state: 0, iterator: events(url, init) };
  const post = (data) => {
    for (const port of stream.ports) port.postMessage({ key, ...data });
  };
  const source = stream.iterator.source;
  source.addEventListener("open", () => post({ t: "open", state: (stream.state = 1) }));
  source.addEventListener("error", ({ error }) => {
    stream.state = source.readyState;
    post({ t: "error", state: stream.state, error: error && { message: error.message, code: error.code, status: error.status } });
  });
  source.addEventListener("end", () => post({ t: "end", state: (stream.state = 2) }));
  (async () => {
    try {
      for await (const message of stream.iterator) post({ t: "message", message });
    } catch {
      // A failure for good: its `error` went out above.
    }
    if (streams.get(key) === stream) streams.delete(key);
  })();
  return stream;
}
