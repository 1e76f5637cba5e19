// Unit tests of the UI's pure modules (the flow editor's adapter): `npm run test:unit`. The browser tests are
// separate (tests/, node --test against the real server).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
