// What the contact-centre browser tests share: people as separate browser contexts whose page errors and console
// errors are collected, and a caller using the chat widget on /demo.

import assert from "node:assert/strict";
import { waitForMessages } from "./widget.mjs";

/** Collects page errors and console errors of `page` into `problems` (the start-up 401 probe is expected). */
export function watch(page, problems, name) {
  page.on("pageerror", (error) => problems.push(`${name}: page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (/status of 401|favicon/.test(text)) return;
    problems.push(`${name}: console error: ${text}`);
  });
  return page;
}

/**
 * Chromium logs every refused request as a console error. Where a test provokes a refusal on purpose, this takes
 * that one entry (of `name`, with `status`) out of `problems`, and fails if the server did not refuse at all.
 */
export function expectRefusal(problems, name, status, what) {
  const index = problems.findIndex((p) => p.startsWith(`${name}: console error: `) && p.includes(`status of ${status}`));
  assert.ok(index >= 0, `${what}: the server refused with ${status}; problems logged: ${JSON.stringify(problems)}`);
  problems.splice(index, 1);
}

/**
 * A fresh browser context (its own cookies: one person) and a page in it, closed when the test ends. With
 * `countBeeps`, every oscillator the page starts is counted in `window.__beeps`, so a test can tell that the desk
 * made a sound.
 */
export async function openContext(browser, t, name, problems, { countBeeps = false } = {}) {
  const context = await browser.newContext({ locale: "de-DE", viewport: { width: 1280, height: 900 } });
  if (countBeeps) {
    await context.addInitScript(() => {
      window.__beeps = 0;
      const Native = window.AudioContext;
      if (!Native) return;
      const create = Native.prototype.createOscillator;
      Native.prototype.createOscillator = function (...args) {
        window.__beeps += 1;
        return create.apply(this, args);
      };
    });
  }
  t.after(() => context.close());
  return { context, page: watch(await context.newPage(), problems, name) };
}

/** Opens the demo page's chat widget and waits for the bot's greeting. */
export async function openWidget(page, baseUrl) {
  const response = await page.goto(`${baseUrl}/demo`);
  assert.equal(response.status(), 200, "GET /demo");
  await page.locator("hotline-chat .launcher").click();
  await page.getByRole("dialog").waitFor();
  await waitForMessages(page, (ms) => ms.some((m) => m.from === "bot"), "the bot's greeting");
}

/** The caller sends `text` and waits until the server has acknowledged it. */
export async function callerSays(page, text) {
  const input = page.getByRole("textbox", { name: "Ihre Nachricht" });
  await input.fill(text);
  await input.press("Enter");
  await waitForMessages(
    page,
    (ms) => ms.some((m) => m.from === "user" && m.text === text && m.seq !== null),
    `the caller's "${text}" to be acknowledged`,
  );
}

/** The whole visible text of the widget, to prove something is not in it. */
export const widgetText = (page) =>
  page.evaluate(() => document.querySelector("hotline-chat")?.shadowRoot?.textContent ?? "");
