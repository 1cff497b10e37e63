// A raw stream reader for the worker tests: reads a response body chunk by
// chunk and parses it with eventsource-parser (an independent parser, so the
// tests do not check ssekit against itself), remembering which read each
// event and comment arrived in.
import { createParser } from "eventsource-parser";

export class SseReader {
  constructor(response) {
    this.response = response;
    this.reader = response.body.getReader();
    this.decoder = new TextDecoder();
    this.items = []; // { kind: "event" | "comment" | "retry", ..., read }
    this.text = ""; // the body as read so far
    this.reads = 0;
    this.done = false;
    this.parser = createParser({
      onEvent: (e) => this.items.push({ kind: "event", type: e.event ?? "message", id: e.id, data: e.data, read: this.reads }),
      onComment: (text) => this.items.push({ kind: "comment", text, read: this.reads }),
      onRetry: (ms) => this.items.push({ kind: "retry", ms, read: this.reads }),
    });
  }

  /** Reads one chunk; false at the end of the body. */
  async readOnce() {
    const { value, done } = await this.reader.read();
    if (done) {
      this.done = true;
      return false;
    }
    this.reads++;
    const text = this.decoder.decode(value, { stream: true });
    this.text += text;
    this.parser.feed(text);
    return true;
  }

  get events() {
    return this.items.filter((i) => i.kind === "event");
  }

  /** Reads until `predicate(this)` holds, the body ends, or `ms` pass. */
  async until(predicate, ms = 5000, what = "condition") {
    const deadline = Date.now() + ms;
    while (!predicate(this)) {
      if (this.done) throw new Error(`stream ended before ${what}: ${JSON.stringify(this.items)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(this.items)}`);
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(this.items)}`)), left);
      });
      try {
        await Promise.race([this.readOnce(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
    return this;
  }

  /** Reads to the end of the body. */
  async toEnd(ms = 10000) {
    return this.until((r) => r.done, ms, "the end of the stream").catch((e) => {
      if (this.done) return this;
      throw e;
    });
  }

  async cancel() {
    await this.reader.cancel().catch(() => {});
  }
}

export async function open(url, init) {
  const response = await fetch(url, init);
  return new SseReader(response);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value or `ms` pass. */
export async function eventually(check, ms = 5000, what = "condition") {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await sleep(50);
  }
  throw new Error(`${what} never held (last: ${JSON.stringify(last)})`);
}
