// ssekit for Node (>= 20): the same web build, instantiated synchronously
// from the wasm file next to it (Node's fetch cannot read file: URLs).
import { readFileSync } from "node:fs";
import { encodeEvent, eventSourceClass, events, initSync, installPolyfill, SseParser } from "./web/ssekit.js";

initSync({ module: readFileSync(new URL("./web/ssekit_bg.wasm", import.meta.url)) });

/** ssekit's EventSource over Node's own fetch(). */
export const EventSource = eventSourceClass();
export { encodeEvent, events, installPolyfill, SseParser };
