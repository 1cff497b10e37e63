// ssekit for browsers, workers and bundlers (Vite, webpack 5, Rollup,
// esbuild): the --target web build, initialised once with top-level await,
// so every export is ready to use on import.
import init, { encodeEvent, eventSourceClass, events, installPolyfill, SseParser } from "./web/ssekit.js";

await init();

/** ssekit's EventSource: a drop-in for the native one, over fetch(). */
export const EventSource = eventSourceClass();
export { encodeEvent, events, installPolyfill, SseParser };
