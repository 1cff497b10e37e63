// The fan-out floor for the edge benchmark: the same channel contract as the
// hub (GET/POST /channels/{name}/events, GET …/stats) written as plain
// JavaScript in a Durable Object that enqueues one shared Uint8Array into
// every subscriber's ReadableStream. What workerd itself costs to deliver an
// SSE event to a subscriber, with no Rust, no storage and no replay.
import { DurableObject } from "cloudflare:workers";

const encoder = new TextEncoder();

export class Floor extends DurableObject {
  controllers = new Set();

  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith("/stats")) return Response.json({ subscribers: this.controllers.size });
    if (request.method === "GET") {
      let controller;
      const body = new ReadableStream(
        {
          start: (c) => {
            controller = c;
            this.controllers.add(c);
            c.enqueue(encoder.encode(": connected\n\n"));
          },
          cancel: () => this.controllers.delete(controller),
        },
        new ByteLengthQueuingStrategy({ highWaterMark: 1 << 20 }),
      );
      return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8" } });
    }
    const { data } = await request.json();
    const chunk = encoder.encode(`data: ${data}\n\n`);
    for (const c of this.controllers) c.enqueue(chunk);
    return Response.json({ delivered: this.controllers.size }, { status: 201 });
  }
}

export default {
  fetch(request, env) {
    return env.FLOOR.get(env.FLOOR.idFromName(new URL(request.url).pathname.split("/")[2] ?? "")).fetch(request);
  },
};
