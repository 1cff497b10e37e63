// Nothing ssekit-specific is needed for a production build: the package's
// `new URL("…wasm", import.meta.url)` is emitted as an asset by Vite.
export default {
  build: { outDir: "dist", emptyOutDir: true },
  logLevel: "warn",
};
