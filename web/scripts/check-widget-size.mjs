// Fails when the built widget is larger than its budget gzipped: it loads on every page of every host site, and
// on the slow phones of people in crisis. Run by `npm run build` after the widget build; `npm run size:widget`.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const BUDGET_BYTES = 50 * 1024;
const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/widget.js");

let source;
try {
  source = readFileSync(file);
} catch (error) {
  console.error(`size:widget: cannot read ${file} (run the widget build first): ${error.message}`);
  process.exit(1);
}
const gzipped = gzipSync(source, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
if (gzipped > BUDGET_BYTES) {
  console.error(`size:widget: dist/widget.js is ${kb(gzipped)} gzipped, over the budget of ${kb(BUDGET_BYTES)}`);
  process.exit(1);
}
console.log(`size:widget: dist/widget.js is ${kb(source.length)}, ${kb(gzipped)} gzipped (budget ${kb(BUDGET_BYTES)})`);
