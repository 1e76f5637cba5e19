// End-to-end test of the embeddable chat widget (/widget.js) against the real server: boots `hotline serve`, opens
// the server's /demo page (the demo tenant's widget embedded with its <script> tag, under a strict CSP) in Debian's
// headless Chromium, and chats through the German demo flow to a counsellor's queue; then checks that a reload
// resumes the conversation and that messages survive a lost network and a lost acknowledgement exactly once.
//
// The demo flow's exact texts belong to the server, so the walk relies only on stable things: choice buttons (the
// one whose label mentions "Mensch" or "Beratung" leads to a person), data-from="bot" on bot messages, data-seq on
// every stored message, and the status line's data-status="queued".
//
// Run with `npm run test:browser` (after `npm run build` and building the server). Environment: HOTLINE_BIN,
// CHROMIUM_PATH (see tests/support/hotline-server.mjs).

import { readFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH, WEB_DIR, startServer } from "./support/hotline-server.mjs";
import { STEP_TIMEOUT_MS, readMessages, readStatus, waitForMessages } from "./support/widget.mjs";

const RESULTS_DIR = path.join(WEB_DIR, "test-results");
const WIDGET_BUDGET_BYTES = 50 * 1024;
/** The widget replaces a socket whose messages stay unacknowledged for 10 s; allow for that plus a reconnect. */
const WATCHDOG_TIMEOUT_MS = 30_000;
const HUMAN_CHOICE = /mensch|beratung/i;

it("widget.js is at most 50 KB gzipped", () => {
  const file = path.join(WEB_DIR, "dist/widget.js");
  const source = readFileSync(file);
  const gzipped = gzipSync(source, { level: 9 }).length;
  assert.ok(gzipped <= WIDGET_BUDGET_BYTES, `dist/widget.js is ${gzipped} bytes gzipped, over ${WIDGET_BUDGET_BYTES}`);
  // Host pages forbid eval and inline styles; the bundle must not rely on them.
  const text = source.toString("utf8");
  assert.doesNotMatch(text, /\beval\(|new Function\(/, "no eval");
  assert.doesNotMatch(text, /\.style\.|setAttribute\(\s*[`'"]style|innerHTML/, "no inline styles, no innerHTML");
});

// ---------------------------------------------------------------------------------------------------------------
// Reading the widget (the readers shared with other tests are in support/widget.mjs).

/** The log shows its newest message (the caller reading along is never left above it). */
async function assertScrolledToEnd(page) {
  const gap = await page.evaluate(() => {
    const body = document.querySelector("hotline-chat").shadowRoot.querySelector(".body");
    return body.scrollHeight - body.scrollTop - body.clientHeight;
  });
  assert.ok(gap < 5, `the log is scrolled ${gap}px above its end`);
}

/** Every stored message appears once: seqs are unique and so are the caller's message ids. */
function assertNoDuplicates(messages) {
  const seqs = messages.map((m) => m.seq).filter((s) => s !== null);
  assert.equal(new Set(seqs).size, seqs.length, `a seq appears twice: ${seqs.join(",")}`);
  const ids = messages.map((m) => m.id).filter((id) => id !== null);
  assert.equal(new Set(ids).size, ids.length, "a message id appears twice");
  const sorted = [...seqs].sort((a, b) => a - b);
  assert.deepEqual(seqs, sorted, "messages are in seq order");
}

const serverMessages = (messages) => messages.filter((m) => m.from !== "user");

/** Each of `expected` (by seq and text) is in `messages` exactly once. */
function assertEachOnce(messages, expected) {
  for (const e of expected) {
    const found = messages.filter((m) => m.seq === e.seq && m.from === e.from && m.text === e.text);
    assert.equal(found.length, 1, `message ${e.seq} (${e.from}) is shown ${found.length} times`);
  }
}
const visibleChoices = (page) => page.locator("hotline-chat .choices:not([hidden]) button.choice");

// ---------------------------------------------------------------------------------------------------------------

describe("chat widget in Chromium", () => {
  let server;
  let baseUrl;
  let browser;

  before(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    server = startServer();
    ({ baseUrl } = await server.ready);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /**
   * A fresh context and page. Console errors, page errors and CSP violations are collected (a test asserts there
   * are none), except the connection failures a test causes on purpose. The page's WebSocket constructor is wrapped
   * so that a test can make one socket drop every frame it receives: a connection that is silently dead.
   */
  async function openPage(t, locale, { expectConnectionErrors = false } = {}) {
    const context = await browser.newContext({ locale, viewport: { width: 1100, height: 800 } });
    await context.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener("securitypolicyviolation", (e) =>
        window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample}`),
      );
      const Native = window.WebSocket;
      window.__sockets = [];
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          window.__sockets.push(this);
          // Registered before the widget's handlers, so it can swallow a frame before they see it.
          this.addEventListener("message", (event) => {
            if (this.__deaf) event.stopImmediatePropagation();
          });
        }
      };
    });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const text = message.text();
      if (/favicon/.test(text)) return;
      if (expectConnectionErrors && /WebSocket connection|ERR_INTERNET_DISCONNECTED|status of 40\d/.test(text)) return;
      problems.push(`console error: ${text}`);
    });
    // Every frame, to check acknowledgements and re-sends.
    const frames = [];
    page.on("websocket", (ws) => {
      ws.on("framesent", (f) => frames.push({ dir: "out", ...safeJson(f.payload) }));
      ws.on("framereceived", (f) => frames.push({ dir: "in", ...safeJson(f.payload) }));
    });
    t.after(() => context.close());
    return { context, page, problems, frames };
  }

  async function screenshot(page, name) {
    // caret: "initial", because hiding the caret makes playwright leave a style="" on the focused textarea.
    await page.screenshot({ path: path.join(RESULTS_DIR, `widget-${name}.png`), caret: "initial" });
  }

  async function assertClean(page, problems) {
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], "CSP violations");
    assert.deepEqual(
      await page.evaluate(() =>
        [...document.querySelector("hotline-chat").shadowRoot.querySelectorAll("[style], style")].map((e) => e.outerHTML),
      ),
      [],
      "no inline style attributes or <style> elements in the widget",
    );
    assert.deepEqual(problems, []);
  }

  /** Types into the widget's input and sends with Enter. */
  async function typeAndSend(page, text) {
    const input = page.getByRole("textbox", { name: "Ihre Nachricht" });
    await input.click();
    await input.fill(text);
    await page.keyboard.press("Enter");
  }

  it("German demo: keyboard, choices, typing, queue; reload resumes; messages survive a lost network", async (t) => {
    const { context, page, problems, frames } = await openPage(t, "de-DE", { expectConnectionErrors: true });
    const response = await page.goto(`${baseUrl}/demo`);
    assert.equal(response.status(), 200, "GET /demo");
    await page.locator("hotline-chat .launcher").waitFor();

    await t.test("opens by keyboard as an accessible dialog", async () => {
      // Tab through the host page until the launcher has focus (it comes after the page's own links).
      let onLauncher = false;
      for (let i = 0; i < 30 && !onLauncher; i++) {
        await page.keyboard.press("Tab");
        onLauncher = await page.evaluate(
          () => document.activeElement?.shadowRoot?.activeElement?.classList.contains("launcher") ?? false,
        );
      }
      assert.ok(onLauncher, "Tab reaches the launcher");
      const launcher = page.locator("hotline-chat .launcher");
      assert.equal(await launcher.getAttribute("aria-expanded"), "false");
      await page.keyboard.press("Enter");
      assert.equal(await launcher.getAttribute("aria-expanded"), "true");

      const dialog = page.getByRole("dialog");
      await dialog.waitFor();
      const heading = await page.locator("hotline-chat h2").textContent();
      assert.ok(heading.trim(), "the dialog has a heading");
      assert.equal(await dialog.getAttribute("aria-labelledby"), await page.locator("hotline-chat h2").getAttribute("id"));
      const log = page.getByRole("log");
      assert.equal(await log.getAttribute("aria-live"), "polite");
      // Focus moved into the panel, onto the labelled input.
      assert.equal(
        await page.evaluate(() => document.querySelector("hotline-chat").shadowRoot.activeElement?.id),
        "hl-input",
      );
      await page.getByRole("textbox", { name: "Ihre Nachricht" }).waitFor();

      // The greeting comes from the bot and says so, visibly and to screen readers.
      const messages = await waitForMessages(page, (ms) => ms.some((m) => m.from === "bot"), "the bot's greeting");
      const greeting = messages.find((m) => m.from === "bot");
      assert.equal(greeting.label, "Assistent", "bot messages carry a visible label");
      assert.match(greeting.sr, /Assistent|Bot/, "and screen-reader text");
      assert.ok(greeting.seq >= 1, "with a seq");
      await screenshot(page, "1-greeting");

      // Escape closes and returns focus to the launcher; Enter opens again.
      await page.keyboard.press("Escape");
      assert.equal(await launcher.getAttribute("aria-expanded"), "false");
      assert.ok(await page.evaluate(() => document.querySelector("hotline-chat").shadowRoot.activeElement?.classList.contains("launcher")));
      await page.keyboard.press("Enter");
      await dialog.waitFor();
    });

    await t.test("refuses an over-long message and keeps its text", async () => {
      const long = "x".repeat(2001);
      const before = (await readMessages(page)).length;
      await typeAndSend(page, long);
      const state = await readStatus(page);
      assert.match(state.error ?? "", /zu lang/);
      assert.equal(await page.getByRole("textbox", { name: "Ihre Nachricht" }).inputValue(), long, "the text is kept");
      assert.equal((await readMessages(page)).length, before, "nothing was sent");
      await page.getByRole("textbox", { name: "Ihre Nachricht" }).fill("");
    });

    await t.test("chats through the flow to a counsellor's queue", async () => {
      let clicked = 0;
      let typed = 0;
      for (let step = 0; step < 12 && (await readStatus(page)).status !== "queued"; step++) {
        const before = await readMessages(page);
        const labels = await visibleChoices(page).allTextContents();
        const human = labels.findIndex((l) => HUMAN_CHOICE.test(l));
        const other = labels.findIndex((l) => !HUMAN_CHOICE.test(l));
        if (labels.length) {
          // Explore one other branch first when there is one, so the walk also answers a question by typing.
          const pick = step === 0 && other >= 0 ? other : human >= 0 ? human : 0;
          if (clicked === 0) await screenshot(page, "2-choices");
          // Choice buttons are reachable by keyboard: focus the chosen one and press Enter.
          await visibleChoices(page).nth(pick).focus();
          await page.keyboard.press("Enter");
          clicked++;
        } else {
          await typeAndSend(page, "Ich möchte bitte mit einem Menschen sprechen.");
          typed++;
        }
        // The caller's message is acknowledged, then the server answers (or puts the caller in the queue).
        await waitForMessages(
          page,
          (ms) => ms.length > before.length && ms.every((m) => m.state !== "sending"),
          "the caller's message to be acknowledged",
        );
        const deadline = Date.now() + STEP_TIMEOUT_MS;
        while (Date.now() < deadline) {
          const ms = await readMessages(page);
          if (serverMessages(ms).length > serverMessages(before).length || (await readStatus(page)).status === "queued") break;
          await page.waitForTimeout(100);
        }
      }
      await page.locator('hotline-chat .status[data-status="queued"]').waitFor({ timeout: STEP_TIMEOUT_MS });
      assert.ok(clicked >= 1, "answered at least once with a choice button");
      if (typed === 0) {
        // The flow never asked for free text: type while waiting in the queue instead.
        const before = await readMessages(page);
        await typeAndSend(page, "Danke, ich warte.");
        await waitForMessages(
          page,
          (ms) => ms.length > before.length && ms.every((m) => m.state === "sent" && m.seq !== null),
          "the typed message to be acknowledged",
        );
      }
      const messages = await readMessages(page);
      assertNoDuplicates(messages);
      assert.ok(messages.filter((m) => m.from === "user").length >= 2, "the caller's answers are shown");
      for (const bot of messages.filter((m) => m.from === "bot")) assert.equal(bot.label, "Assistent");
      // A clicked choice shows its label as the caller's message.
      await screenshot(page, "3-queued");
    });

    await t.test("a reload resumes the conversation", async () => {
      const before = await readMessages(page);
      await page.reload();
      // The panel was open, so it opens again; the server replays the conversation onto the empty page.
      await page.getByRole("dialog").waitFor();
      const after = await waitForMessages(
        page,
        (ms) => ms.filter((m) => m.seq !== null).length >= before.length,
        "the conversation to be replayed",
      );
      await page.waitForTimeout(500); // any duplicate replay would arrive now
      const settled = await readMessages(page);
      assertNoDuplicates(settled);
      const strip = (ms) => ms.map(({ seq, from, text }) => ({ seq, from, text }));
      assert.deepEqual(strip(settled), strip(before), "the same messages as before the reload");
      assert.equal(after.length, settled.length);
      await page.locator('hotline-chat .status[data-status="queued"]').waitFor({ timeout: 5_000 });
      await assertScrolledToEnd(page);
      await screenshot(page, "4-reloaded");
    });

    await t.test("a message written while offline is delivered once after the network returns", async () => {
      const before = await readMessages(page);
      // Chromium's offline emulation does not close an open WebSocket; the widget does, on the "offline" event, as
      // a real browser's socket would die. New connections then fail until the network is back.
      await context.setOffline(true);
      await page.locator('hotline-chat .connection[data-connection="reconnecting"]').waitFor();
      await typeAndSend(page, "Ich bin noch da, die Verbindung war kurz weg.");
      const pending = await waitForMessages(
        page,
        (ms) => ms.length === before.length + 1 && ms.at(-1).state === "sending",
        "the message to show as sending",
      );
      const id = pending.at(-1).id;
      assert.ok(id, "the pending message has its client id");
      await screenshot(page, "5-offline");
      await page.waitForTimeout(1_500);
      await context.setOffline(false);
      const after = await waitForMessages(
        page,
        (ms) => ms.find((m) => m.id === id)?.state === "sent",
        "the message to be acknowledged after reconnecting",
      );
      await page.waitForTimeout(500);
      const settled = await readMessages(page);
      assertNoDuplicates(settled);
      assert.equal(settled.filter((m) => m.id === id).length, 1, "one bubble for the message");
      assertEachOnce(settled, serverMessages(before));
      assert.ok(after.find((m) => m.id === id).seq > Math.max(...before.map((m) => m.seq ?? 0)));
      const acks = new Set(frames.filter((f) => f.dir === "in" && f.type === "ack" && f.id === id).map((f) => f.seq));
      assert.equal(acks.size, 1, `acknowledged with one seq, got ${[...acks]}`);
      assert.equal((await readStatus(page)).connection, "open");
      await screenshot(page, "6-back-online");
    });

    await t.test("a message whose acknowledgement is lost is re-sent with its id and stored once", async () => {
      const before = await readMessages(page);
      // From now on the current socket swallows what the server sends: the server stores the message and acks it,
      // the widget never hears it, replaces the socket after its ack timeout and sends the message again.
      await page.evaluate(() => {
        window.__sockets.at(-1).__deaf = true;
      });
      await typeAndSend(page, "Diese Nachricht kommt nur einmal an.");
      const pending = await waitForMessages(page, (ms) => ms.at(-1)?.state === "sending" && ms.length > before.length, "sending");
      const id = pending.at(-1).id;
      const after = await waitForMessages(
        page,
        (ms) => ms.find((m) => m.id === id)?.state === "sent",
        "the message to be acknowledged on a new connection",
        WATCHDOG_TIMEOUT_MS,
      );
      await page.waitForTimeout(500);
      const settled = await readMessages(page);
      assertNoDuplicates(settled);
      assert.equal(settled.filter((m) => m.id === id).length, 1, "one bubble for the message");
      assert.equal(settled.filter((m) => m.text === "Diese Nachricht kommt nur einmal an.").length, 1);
      assertEachOnce(settled, before);
      assert.ok(after.find((m) => m.id === id).seq !== null);
      const sends = frames.filter((f) => f.dir === "out" && f.type === "message" && f.id === id);
      assert.ok(sends.length >= 2, `the message was sent again with the same id (${sends.length} sends)`);
      const acks = new Set(frames.filter((f) => f.dir === "in" && f.type === "ack" && f.id === id).map((f) => f.seq));
      const echoes = new Set(frames.filter((f) => f.dir === "in" && f.type === "message" && f.id === id).map((f) => f.seq));
      assert.ok(new Set([...acks, ...echoes]).size === 1, `the server stored it once (acks ${[...acks]}, echoes ${[...echoes]})`);
      await assertScrolledToEnd(page);
      await screenshot(page, "7-ack-lost");
      await assertClean(page, problems);
    });
  });

  it("a widget the server does not know shows 'chat unavailable' (English) instead of spinning", async (t) => {
    const { page, problems } = await openPage(t, "en-US", { expectConnectionErrors: true });
    // A host page on the server's own origin, served by the test, embedding a widget id that does not exist.
    const hostUrl = `${baseUrl}/__widget-test-host`;
    await page.route(hostUrl, (route) =>
      route.fulfill({
        status: 200,
        contentType: "text/html; charset=utf-8",
        headers: { "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'" },
        body: `<!doctype html><html lang="en"><head><title>Host</title></head><body><h1>Host page</h1>
          <script src="/widget.js" data-widget="no-such-widget-0000" async></script></body></html>`,
      }),
    );
    await page.goto(hostUrl);
    await page.getByRole("button", { name: "Chat" }).click();
    await page.locator('hotline-chat .connection[data-connection="unavailable"]').waitFor({ timeout: 20_000 });
    const state = await readStatus(page);
    assert.match(state.connectionText, /not available/);
    await page.getByRole("button", { name: "Try again" }).waitFor();
    await screenshot(page, "8-unavailable");
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(problems, []);
  });

  it("speaks the conversation's language, not the browser's, around the messages", async (t) => {
    // A German browser on the English demo hotline: input, button and labels are English, like the bot.
    const { page, problems } = await openPage(t, "de-DE");
    await page.goto(`${baseUrl}/demo?lang=en`);
    await page.locator("hotline-chat .launcher").click();
    await waitForMessages(page, (ms) => ms.some((m) => m.from === "bot"), "the bot's greeting");
    await page.getByRole("textbox", { name: "Your message" }).waitFor();
    const input = page.locator("hotline-chat #hl-input");
    assert.equal(await input.getAttribute("placeholder"), "Write a message…");
    await page.getByRole("button", { name: "Send" }).waitFor();
    assert.equal(await page.locator("hotline-chat .panel").getAttribute("lang"), "en");
    const greeting = (await readMessages(page)).find((m) => m.from === "bot");
    assert.doesNotMatch(greeting.sr ?? "", /Assistent/, "screen-reader labels in English too");
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(problems, []);
  });
});

function safeJson(payload) {
  try {
    const value = JSON.parse(String(payload));
    return value && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}
