// `share: true`: every page of an origin (tabs, windows, iframes) that opens
// the same stream with the same request shares one network connection.
// Loaded by the shell only when a source asks for it.
//
// Where the platform has SharedWorker, the connection lives in one
// (share-worker.js): each page sends it `join` and `leave` for its streams
// and turns what it posts back into its sources' events. The worker holds a
// Web Lock for its life; a page that is granted that lock knows the worker
// died, starts a new one and joins again from the last event ID it saw.
//
// Elsewhere (or with `share: "page"`), one page holds the connection: the
// one that holds the Web Lock named after the stream. It runs an ordinary (unshared) EventSource and posts what
// happens on a BroadcastChannel of the same name; every page, the holder
// included, turns those posts into the events of its own EventSource objects
// ("views"). When the holder goes away (its tab closes, its last view
// closes), the lock passes to a page that still has views, which connects
// again with the last event ID it saw. Posts that the old holder made before
// it went are queued at every page already, and the server replays from the
// new holder's ID, so a page may see an event twice: each page drops an
// event whose ID it delivered lately. Events without IDs cannot be resumed
// or told apart; a stream that shares should send IDs.

// How many recent IDs a page remembers to drop replayed events.
const RECENT = 1024;
// How long the holder of a stream that ended keeps its lock (see remove).
const FINISHED_MS = 1000;

// Per page: one hub per stream (its key), shared by the page's views.
const hubs = new Map();

/**
 * Adds a view of the stream `key` (a string naming the request and every
 * option that changes the stream). `view` gets the stream's events:
 * `state(readyState)`, `open()`, `message(m)`, `error(error, readyState)`,
 * `end()`. `start(lastEventId, sink)` makes the unshared source, with `sink`
 * tapped into it, when this page becomes the holder; with `worker` (the
 * URL and a plain, cloneable init) the connection is a shared worker's
 * instead, where there is SharedWorker. Returns `leave()`.
 */
export function join(key, view, start, worker) {
  let hub = hubs.get(key);
  if (!hub) {
    hub = worker && typeof SharedWorker === "function" ? new WorkerHub(key, worker) : new PageHub(key, start);
    hubs.set(key, hub);
  }
  hub.add(view);
  return () => {
    if (hub.remove(view)) hubs.delete(key);
  };
}

// A page's views of one stream, and what it heard of the stream.
class Hub {
  constructor(key) {
    this.key = key;
    this.views = new Set();
    this.state = 0; // the holder's readyState, as last heard
    this.lastEventId = "";
    // The IDs of the last RECENT messages, and whether replayed ones are
    // being dropped (from a takeover until the first unseen ID).
    this.recent = new Set();
    this.order = [];
    this.catchingUp = false;
  }

  add(view) {
    this.views.add(view);
    view.state(this.state);
    if (this.state === 1) view.open();
  }

  // What the holder posted (and a page's own notes: `hello`, takeovers).
  receive(data) {
    switch (data.t) {
      case "state":
        if (data.takeover) this.catchingUp = true;
        if (data.state === this.state) return;
        if (data.takeover) {
          this.state = 0;
          for (const view of this.views) view.error({ code: "network", message: "the page or worker that held the shared connection went away; reconnecting" }, 0);
          return;
        }
        this.state = data.state;
        for (const view of this.views) {
          view.state(data.state);
          if (data.state === 1) view.open();
        }
        return;
      case "open":
        this.state = 1;
        for (const view of this.views) view.open();
        return;
      case "message": {
        const { id } = data.message;
        if (id !== undefined) {
          if (this.recent.has(id)) {
            if (this.catchingUp) return;
          } else {
            this.recent.add(id);
            this.order.push(id);
            if (this.order.length > RECENT) this.recent.delete(this.order.shift());
          }
          this.catchingUp = false;
        }
        this.lastEventId = data.message.lastEventId;
        for (const view of this.views) view.message(data.message);
        return;
      }
      case "error":
        this.state = data.state;
        for (const view of this.views) view.error(data.error, data.state);
        return;
      case "end":
        this.state = 2;
        for (const view of this.views) view.end();
    }
  }
}

// The elected page: Web Locks and a BroadcastChannel.
class PageHub extends Hub {
  constructor(key, start) {
    super(key);
    this.name = `ssekit-share:${key}`;
    this.start = start;
    this.channel = new BroadcastChannel(this.name);
    this.channel.onmessage = (event) => this.receive(event.data);
    this.source = null; // the unshared EventSource, while this page holds
    this.left = new AbortController(); // the last view left this page
    let release;
    const released = new Promise((resolve) => (release = resolve));
    this.release = release;
    navigator.locks
      .request(this.name, { signal: this.left.signal }, () => {
        this.hold();
        return released;
      })
      .catch(() => {}); // aborted: the page left before it held
    // Ask the holder, if there is one, where the stream is.
    this.channel.postMessage({ t: "hello" });
  }

  // True when the page has no view left: the hub is gone.
  remove(view) {
    this.views.delete(view);
    if (this.views.size > 0) return false;
    this.left.abort();
    this.source?.close();
    this.source = null;
    this.channel.close();
    // A stream that ended for good: the lock is kept a moment, so that a
    // page which has not yet read the end does not take over and connect
    // again. Otherwise the next page takes over at once.
    if (this.state === 2) setTimeout(this.release, FINISHED_MS);
    else this.release();
    return true;
  }

  // This page holds the lock: it connects, from the last ID it saw.
  hold() {
    if (this.views.size === 0) return;
    const post = (message) => {
      this.channel.postMessage(message);
      this.receive(message);
    };
    // Not the first holder: every page drops what the server replays.
    if (this.state !== 0 || this.lastEventId !== "") post({ t: "state", state: 0, takeover: true });
    this.source = this.start(this.lastEventId, {
      message: (message) => post({ t: "message", message }),
      control: (event) => {
        const error = event.error && { message: event.error.message, code: event.error.code, status: event.error.status };
        post({ t: event.type, state: this.source.readyState, error });
      },
    });
  }

  receive(data) {
    if (data.t !== "hello") super.receive(data);
    else if (this.source) this.channel.postMessage({ t: "state", state: this.source.readyState });
  }
}


// The shared worker, one port per page for every stream; the page's
// identity (a lock it holds for its life) lets the worker see it go.
let worker = null;
const page = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
let held = null; // this page's lock is held: only then may the worker ask for it

// Sends to the worker once the page's lock is held (a lock asked for
// earlier can still be granted later: the worker must not get it first).
function send(message) {
  if (!worker) connect();
  const port = worker;
  held.then(() => port.postMessage(message));
}

function connect() {
  held ??= new Promise((ready) => navigator.locks.request(`ssekit-share-page:${page}`, () => (ready(), new Promise(() => {}))));
  const port = new SharedWorker(new URL("./share-worker.js", import.meta.url), { type: "module", name: "ssekit-share" }).port;
  worker = port;
  port.onmessage = ({ data }) => {
    if (data.t === "worker") {
      // Granted only when that worker is gone: start another, join again.
      navigator.locks.request(`ssekit-share-worker:${data.id}`, () => {
        if (worker !== port) return;
        worker = null;
        for (const hub of hubs.values()) if (hub instanceof WorkerHub) hub.rejoin();
      });
    } else hubs.get(data.key)?.receive(data);
  };
}

class WorkerHub extends Hub {
  constructor(key, spec) {
    super(key);
    this.spec = spec;
    this.join();
  }

  join() {
    send({ t: "join", key: this.key, ...this.spec, lastEventId: this.lastEventId, page });
  }

  // The worker died: the new one connects from the last ID this page saw.
  rejoin() {
    this.receive({ t: "state", state: 0, takeover: true });
    this.join();
  }

  remove(view) {
    this.views.delete(view);
    if (this.views.size > 0) return false;
    if (worker) send({ t: "leave", key: this.key });
    return true;
  }
}
