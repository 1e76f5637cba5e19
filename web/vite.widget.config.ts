// Builds the embeddable chat widget into web/dist/widget.js: one classic script (IIFE, no module loader needed by
// the host page) with its CSS inlined as a string for the shadow root. It runs after the admin app's build, which
// empties dist/, so it must not empty it again; the name has no hash because host pages link /widget.js directly.
import { defineConfig } from "vite";

export default defineConfig({
  publicDir: false,
  build: {
    outDir: "dist",
    emptyOutDir: false,
    minify: true,
    sourcemap: false,
    target: "es2022",
    lib: {
      entry: "widget/src/main.ts",
      formats: ["iife"],
      // Required by Vite for the iife format; the entry exports nothing, so no global is set on the host page.
      name: "HotlineWidget",
      fileName: () => "widget.js",
    },
  },
});
