// A dedicated module Worker that imports ssekit's web entry (as a page
// would) and forwards what its EventSource receives to the page.
import { EventSource } from "/node_modules/ssekit/index.js";

const params = new URLSearchParams(location.search);
const source = new EventSource(`${params.get("hub")}/channels/${params.get("channel")}/events`, {
  headers: { Authorization: `Bearer ${params.get("token")}` },
});
source.onopen = () => postMessage({ type: "open" });
source.onmessage = (event) => postMessage({ type: "message", lastEventId: event.lastEventId, data: event.data });
onmessage = () => source.close();
