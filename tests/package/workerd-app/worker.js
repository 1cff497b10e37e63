// A Cloudflare Worker that imports ssekit by package name (wrangler bundles
// its `workerd` entry) and uses its EventSource to read an upstream SSE
// stream: GET /?upstream=<url>&n=<count> reads `n` messages, closes, and
// answers with what it saw, including how often each handler ran.
import { EventSource, SseParser } from "ssekit";

export default {
  async fetch(request) {
    const params = new URL(request.url).searchParams;
    const wanted = Number(params.get("n") ?? 3);
    const seen = { onopen: 0, onmessage: 0, listener: 0, data: [], lastEventIds: [], states: [] };
    const parsed = new SseParser().feed("data: parser ready at import\n\n")[0].data;
    const source = new EventSource(params.get("upstream"));
    await new Promise((resolve, reject) => {
      source.onopen = () => {
        seen.onopen++;
        seen.states.push(source.readyState);
      };
      source.onmessage = (event) => {
        seen.onmessage++;
        seen.data.push(event.data);
        seen.lastEventIds.push(event.lastEventId);
        if (seen.onmessage === wanted) resolve();
      };
      source.addEventListener("message", () => seen.listener++);
      source.onerror = () => reject(new Error(`error event, readyState ${source.readyState}`));
    });
    source.close();
    seen.states.push(source.readyState);
    return Response.json({ ...seen, parsed, tag: String(source) });
  },
};
