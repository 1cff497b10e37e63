// ssekit for Cloudflare Workers (workerd): wrangler bundles the `.wasm`
// import as a compiled module, so everything is ready on import.
import wasm from "./ssekit.wasm";
import { loadSync } from "./ssekit.js";

loadSync(wasm);

export * from "./ssekit.js";
