// `share: true`: every page of an origin (tabs, windows, iframes) that opens
// the same stream with the same request shares one network connection.
// Loaded by the shell only when a source asks for it.
//
// One page holds the connection: the one that holds the Web Lock named after
// the stream. It runs an ordinary (unshared) EventSource and posts what
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
 * tapped into it, when this page becomes the holder. Returns `leave()`.
 */
export function join(key, view, start) {
  let hub = hubs.get(key);
  if (!hub) {
    hub = new Hub(key, start);
    hubs.set(key, hub);
  }
  hub.add(view);
  return () => {
    if (hub.remove(view)) hubs.delete(key);
  };
}

class Hub {
  constructor(key, start) {
    this.name = `ssekit-share:${key}`;
    this.start = start;
    this.views = new Set();
    this.channel = new BroadcastChannel(this.name);
    this.channel.onmessage = (event) => this.receive(event.data);
    this.source = null; // the unshared EventSource, while this page holds
    this.state = 0; // the holder's readyState, as last heard
    this.lastEventId = "";
    // The IDs of the last RECENT messages, and whether replayed ones are
    // being dropped (from a takeover until the first unseen ID).
    this.recent = new Set();
    this.order = [];
    this.catchingUp = false;
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

  add(view) {
    this.views.add(view);
    view.state(this.state);
    if (this.state === 1) view.open();
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
    switch (data.t) {
      case "hello":
        if (this.source) this.channel.postMessage({ t: "state", state: this.source.readyState });
        return;
      case "state":
        if (data.takeover) this.catchingUp = true;
        if (data.state === this.state) return;
        if (data.takeover) {
          this.state = 0;
          for (const view of this.views) view.error({ code: "network", message: "the page that held the shared connection went away; reconnecting" }, 0);
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
