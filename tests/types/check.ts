// Compile-time checks of the TypeScript declarations the web package ships:
// `tsc -p tests/types` must accept every use below and reject the
// `@ts-expect-error` lines (a declaration that became `any` fails them).
import { encodeEvent, EventSource, EventSourceError, events, installPolyfill, ready, SseEncodeError, SseParseError, SseParser } from "../../pkg/index.js";
import type { SseMessage, SsekitErrorEvent, SsekitEventSource } from "../../pkg/index.js";

await ready;
const source: SsekitEventSource = new EventSource("/events", {
  method: "POST",
  body: new Uint8Array([1, 2]),
  headers: { Authorization: "Bearer t" },
  retry: { initialMs: 500, multiplier: 2, maxAttempts: 5, statuses: [502, 503] },
  onResponse: (response) => response.ok,
  pauseWhenHidden: true,
});
const state: 0 | 1 | 2 = source.readyState;
source.onmessage = (event) => event.data.toUpperCase();
source.addEventListener("error", (event: SsekitErrorEvent) => event.status ?? event.error?.message);
source.addEventListener("token", (event) => event.data.length);
if (state === EventSource.CLOSED) source.close();

for await (const message of events("/feed", { signal: new AbortController().signal })) {
  message.lastEventId.trim();
}

const parser = new SseParser({ maxEventBytes: 1024, onRetry: (ms) => ms + 1 });
const parsed: SseMessage[] = parser.feed(new Uint8Array());
parsed.map((event) => event.id ?? event.type);
const wire: string = encodeEvent({ event: "e", data: "d", retry: 10 });
installPolyfill({ force: true });
try {
  encodeEvent({ id: "a\nb" });
} catch (error) {
  if (error instanceof SseEncodeError) error.field.toUpperCase();
  if (error instanceof EventSourceError) error.message.trim();
}
const cut: boolean = parser.finish();

// Options ssekit adds, the end event and the error fields.
const finite = new EventSource("/answer", { method: "POST", body: "prompt", closeOnEnd: true, idleTimeoutMs: 30_000, lastEventIdParam: "lastEventId" });
finite.addEventListener("end", (event: Event) => event.type);
finite.addEventListener("error", (event) => {
  const error = event.error;
  if (error instanceof EventSourceError) {
    const code: "network" | "idle-timeout" | "reconnect" | "http-status" | "content-type" | "gave-up" | "cors" | "unsupported-url" | "rejected" | "load" | "internal" = error.code;
    const status: number | undefined = error.status;
    error.response?.headers.get("retry-after");
    return [code, status, error.attempts + 1, error.cause];
  }
  if (error instanceof SseParseError) return error.limit + 1;
});
// @ts-expect-error: not a code ssekit uses
const wrongCode: EventSourceError["code"] = "timeout";
// @ts-expect-error: closeOnEnd is a boolean
new EventSource("/x", { closeOnEnd: "yes" });
const retryMs: number | undefined = parser.reconnectionTime;

// @ts-expect-error: retry is a number of milliseconds
encodeEvent({ retry: "soon" });
new EventSource("/fresh", { headers: async () => ({ Authorization: "Bearer fresh" }), body: () => "again" });
// @ts-expect-error: a headers function returns headers
new EventSource("/x", { headers: () => 42 });
// @ts-expect-error: the body must be replayable
new EventSource("/x", { body: new ReadableStream() });
// @ts-expect-error: feed takes bytes or text
parser.feed(42);
// The options of issue 21: comments, dispatchOnEnd, redirect, resetAfterMs; reconnect(); free().
const chatty = new EventSource("/x", { comments: true, dispatchOnEnd: true, redirect: "error", retry: { resetAfterMs: 0 } });
chatty.addEventListener("comment", (event) => event.data.trim());
chatty.reconnect();
// @ts-expect-error: redirect is a fetch RequestRedirect
new EventSource("/x", { redirect: "sometimes" });
const loaded: void = await ready;
parser.free();
{
  using scoped = new SseParser();
  scoped.feed("data: x\n\n");
}
export { cut, loaded, retryMs, wire, wrongCode };
