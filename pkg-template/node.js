// ssekit for Node (>= 20): the wasm core is read from the file next to this
// one and compiled synchronously, so everything is ready on import (and
// `require("ssekit")` works where Node can require ES modules).
import { readFileSync } from "node:fs";
import { loadSync } from "./ssekit.js";

loadSync(readFileSync(new URL("./ssekit.wasm", import.meta.url)));

export * from "./ssekit.js";
