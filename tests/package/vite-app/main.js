// A Vite 7 app that imports ssekit by package name, the way an application
// would. The page subscribes to ?hub=<url>&channel=<name> with the ssekit
// EventSource and records what it receives in window.received.
import { EventSource, SseParser, encodeEvent, ready } from "ssekit";

const params = new URLSearchParams(location.search);
const received = (window.received = { events: [], opened: false, parserCheck: null });

// The parser and encoder from the same import: one event round-trips (the
// parser once the wasm core has loaded; the EventSource below waits by itself).
ready.then(() => {
  const [roundTrip] = new SseParser().feed(encodeEvent({ event: "check", data: "a\nb" }));
  received.parserCheck = `${roundTrip.type}:${roundTrip.data}`;
});

// share: true loads the package's share.js on demand: the bundler must have
// split it out and served it for any event to arrive.
const source = new EventSource(`${params.get("hub")}/channels/${params.get("channel")}/events`, {
  headers: { Authorization: `Bearer ${params.get("token")}` },
  share: true,
});
source.onopen = () => (received.opened = true);
source.onmessage = (event) => {
  received.events.push([event.lastEventId, event.data]);
  const item = document.createElement("li");
  item.textContent = event.data;
  document.querySelector("#events").append(item);
};
window.source = source;
