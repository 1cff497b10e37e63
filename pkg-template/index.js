// ssekit for browsers, workers and bundlers (Vite, webpack 5, Rollup,
// esbuild). Importing it never waits: the wasm core (a few KB) starts
// loading here and compiles in the background. An EventSource awaits it
// before its first request; `await ready` before a first `new SseParser()`.
import { load } from "./ssekit.js";

load(new URL("./ssekit.wasm", import.meta.url));

export * from "./ssekit.js";
