// Builds the admin single-page app into web/dist; the Rust binary embeds and serves that folder.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` forwards the API to a locally running server (`hotline serve`).
const apiTarget = process.env.HOTLINE_DEV_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    // Every browser we support understands modulepreload; the polyfill would only add bytes.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
  },
  server: {
    proxy: { "/api": { target: apiTarget, changeOrigin: false } },
  },
});
