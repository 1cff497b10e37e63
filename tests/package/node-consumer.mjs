// A Node program that imports ssekit by package name (the "node" export
// condition) and uses the parser and the encoder. Prints one JSON line.
import { EventSource, SseParser, encodeEvent } from "ssekit";

const wire = encodeEvent({ event: "greeting", id: "1", data: "hello\nworld" });
const parser = new SseParser();
const events = parser.feed(new TextEncoder().encode(wire));
let refused = null;
try {
  encodeEvent({ id: "1\ndata: forged" });
} catch (error) {
  refused = error.name;
}
console.log(JSON.stringify({ wire, events, refused, eventSource: typeof EventSource.prototype.close }));
