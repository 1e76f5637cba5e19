// Time to hotline: a new operator, scripted in headless Chromium against a fresh `hotline serve`, signs in for the
// first time, builds a German IVR in the editor (a greeting, a three-option menu by key and by words, one branch
// that asks a question and tells two intents apart, one with information, one that hands over to a person),
// publishes it, and binds it to a new phone number and a new chat widget. The test counts every click and
// keystroke of that work and prints them with the time it took (BENCHMARKS.md records the figure). Then it checks
// the result as callers would: a sipp call per key reaches each branch, and a chat on a page embedding the new
// widget reaches each branch by words.
//
// Environment: HOTLINE_BIN (server), CHROMIUM_PATH (browser, default /usr/bin/chromium); sipp from Debian's
// sip-tester (scripts/test installs it).

import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

import { WEB_DIR, startServer } from "./support/hotline-server.mjs";
import { totp, totpParams } from "./support/totp.mjs";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const RESULTS_DIR = path.join(WEB_DIR, "test-results");
const PASSWORD = "ein langes Passwort für die Hotline";
const NUMBER = "+4930555123";
// The operator's web site, served by the test itself (Playwright answers its requests): another origin than
// Hotline's, over plain HTTP like the test server (no mixed content).
const SITE = "http://impf.example";

const TEXT = {
  menu: "Wobei kann ich helfen? 1: Impftermin, 2: Befund, 3: Beratung durch einen Menschen.",
  ask: "Möchten Sie einen neuen Termin oder einen bestehenden verschieben?",
  neu: "Einen neuen Termin buchen Sie online unter impfen.example.",
  verschieben: "Ihren Termin verschieben Sie mit dem Link in Ihrer Bestätigung.",
  befund: "Befunde kommen per Post, meist nach zwei Tagen.",
  end: "Auf Wiederhören!",
};

/** The scripted operator: every interaction goes through here and is counted. */
class Operator {
  constructor(page) {
    this.page = page;
    this.clicks = 0;
    this.keys = 0;
  }
  async click(locator) {
    await locator.click();
    this.clicks++;
  }
  /** Types `text` into a field (one keystroke per character; a click to focus it). */
  async type(locator, text) {
    await locator.fill(text);
    this.clicks++;
    this.keys += [...text].length;
  }
  async press(locator, key) {
    await locator.press(key);
    this.keys++;
  }
  /** Picks an option of a select: a click to open it, one to choose. */
  async choose(locator, value) {
    await locator.selectOption(value);
    this.clicks += 2;
  }
}

function sipp(sipAddr, number, digit) {
  const port = 20_000 + Math.floor(Math.random() * 5_000) * 2;
  return new Promise((resolve) => {
    const child = spawn(
      "sipp",
      [
        "-sf",
        path.join(WEB_DIR, "tests/sipp/press_key.xml"),
        "-s",
        number,
        "-i",
        "127.0.0.1",
        "-p",
        String(port),
        "-mp",
        String(port + 1),
        "-m",
        "1",
        "-l",
        "1",
        "-timeout",
        "30s",
        "-timeout_error",
        "-key",
        "digit",
        digit,
        "-nostdin",
        sipAddr,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d) => (out = (out + d).slice(-3000)));
    child.stderr.on("data", (d) => (out = (out + d).slice(-3000)));
    child.on("exit", (code) => resolve({ ok: code === 0, out }));
  });
}

describe("time to hotline", () => {
  let server;
  let browser;
  let baseUrl;
  let sipAddr;
  let password;

  before(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    server = startServer({ needPassword: true });
    ({ baseUrl, password, sipAddr } = await server.ready);
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-sync",
        // The test's Hotline listens on loopback, which Chromium keeps public sites from reaching; a real
        // Hotline is a public host, so the site may load its widget.
        "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights",
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("a new operator builds, publishes and binds a German IVR; calls and chats reach every branch", async () => {
    assert.ok(sipAddr, "the server listens for SIP");
    const context = await browser.newContext({ locale: "de-DE", viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    const op = new Operator(page);
    const started = performance.now();

    // First sign-in: the one-time password, a new password, the authenticator app, the backup codes.
    await page.goto(`${baseUrl}/login`);
    await op.type(page.getByTestId("login-username"), "admin");
    await op.type(page.getByTestId("login-password"), password);
    await op.press(page.getByTestId("login-password"), "Enter");
    await op.type(page.getByTestId("new-password"), PASSWORD);
    await op.type(page.getByTestId("new-password-repeat"), PASSWORD);
    await op.click(page.getByTestId("new-password-submit"));
    const secret = await page.getByTestId("totp-secret").getAttribute("data-secret");
    const options = totpParams(await page.getByTestId("totp-uri").getAttribute("href"));
    await op.type(page.getByTestId("totp-code"), totp(secret, Date.now() / 1000, options));
    await op.click(page.getByTestId("totp-confirm"));
    await op.click(page.getByTestId("backup-codes-done"));

    // A blank flow, in German.
    await op.click(page.getByRole("link", { name: "Abläufe" }));
    await op.type(page.getByTestId("new-flow-name"), "Impf-Hotline");
    await op.click(page.getByTestId("new-flow"));
    await page.getByTestId("node-greeting").waitFor();

    // Two intents for the question, with examples and keywords.
    await op.click(page.getByTestId("tab-intents"));
    for (const [name, examples, keywords] of [
      ["neu", ["Ich brauche einen neuen Termin", "Einen neuen Termin bitte", "Ich war noch nie bei Ihnen", "Erstimpfung", "Ich möchte mich zum ersten Mal impfen lassen"], "neu, neuen, ersten"],
      ["verschieben", ["Ich muss meinen Termin verschieben", "Termin verlegen", "Ich kann morgen nicht", "Einen anderen Tag bitte", "Kann ich den Termin ändern"], "verschieben, verlegen, ändern"],
    ]) {
      await op.type(page.getByTestId("intent-new-name"), name);
      await op.click(page.getByTestId("intent-add"));
      const intent = page.getByTestId(`intent-${name}`);
      await op.type(intent.getByTestId("intent-examples-de"), examples.join("\n"));
      await op.type(intent.getByTestId("intent-keywords"), keywords);
      await op.click(page.getByTestId("intent-new-name"));
    }
    await op.click(page.getByTestId("tab-properties"));
    const properties = page.getByTestId("properties");

    // The nodes, each filled in as it is added.
    await op.click(page.getByTestId("add-menu"));
    await op.type(properties.getByLabel("Frage", { exact: true }), TEXT.menu);
    const option = (n) => properties.getByRole("group", { name: `Option ${n}` });
    await op.click(properties.getByRole("button", { name: "Option hinzufügen" }));
    await op.click(properties.getByRole("button", { name: "Option hinzufügen" }));
    for (const [n, label, keywords] of [
      [1, "Impftermin", "termin, impfung"],
      [2, "Befund", "befund, ergebnis, test"],
      [3, "Beratung", "mensch, beratung, person"],
    ]) {
      await op.type(option(n).getByLabel("Bezeichnung"), label);
      await op.type(option(n).getByLabel(/^Stichwörter/), keywords);
    }
    await op.click(page.getByTestId("add-ask"));
    await op.type(properties.getByLabel("Frage", { exact: true }), TEXT.ask);
    await op.click(page.getByTestId("add-split"));
    await op.choose(page.getByTestId("branch-0-intent"), "neu");
    await op.click(page.getByTestId("add-branch"));
    await op.choose(page.getByTestId("branch-1-intent"), "verschieben");
    for (const text of [TEXT.neu, TEXT.verschieben, TEXT.befund]) {
      await op.click(page.getByTestId("add-say"));
      await op.type(properties.getByLabel("Text", { exact: true }), text);
    }
    await op.click(page.getByTestId("add-end"));
    await op.type(properties.getByLabel("Text", { exact: true }), TEXT.end);

    // The ways between them, from each node's "goes on to" list.
    const connections = {
      greeting: { next: "menu_1" },
      menu_1: { "options.0": "ask_1", "options.1": "say_3", "options.2": "handoff", no_input: "handoff", no_match: "handoff" },
      ask_1: { next: "split_1", no_input: "handoff", no_match: "handoff" },
      split_1: { "branches.0": "say_1", "branches.1": "say_2", default: "handoff" },
      say_1: { next: "end_1" },
      say_2: { next: "end_1" },
      say_3: { next: "end_1" },
    };
    for (const [node, ways] of Object.entries(connections)) {
      await op.click(page.getByTestId(`node-${node}`));
      for (const [handle, target] of Object.entries(ways)) {
        await op.choose(page.getByTestId(`connect-${handle}`), target);
      }
    }
    await page.waitForFunction(() => !document.querySelector('[data-testid="diagnostics"] li.error'));

    // Published with a note; bound to a number and a widget.
    await op.type(page.getByTestId("publish-note"), "Erste Version");
    await op.click(page.getByTestId("publish"));
    await page.getByTestId("versions").getByText("Erste Version").waitFor();
    await op.click(page.getByRole("link", { name: "Nummern & Chat" }));
    await op.type(page.getByTestId("new-number"), NUMBER);
    await op.choose(page.getByTestId("new-number-flow"), { label: "Impf-Hotline" });
    await op.click(page.getByTestId("add-number"));
    await page.getByTestId(`number-${NUMBER}`).waitFor();
    await op.click(page.getByTestId("new-widget"));
    await op.type(page.getByTestId("widget-name"), "Impf-Chat");
    await op.type(page.getByTestId("widget-title"), "Impf-Hotline");
    await op.type(page.getByTestId("widget-greeting"), "Hallo! Wie können wir helfen?");
    await op.type(page.getByTestId("widget-origins"), SITE);
    await op.choose(page.getByTestId("widget-flow"), { label: "Impf-Hotline" });
    await op.click(page.getByTestId("widget-save"));
    const snippet = await page.getByTestId("widget-snippet").inputValue();

    const seconds = (performance.now() - started) / 1000;
    console.log(`time-to-hotline: ${seconds.toFixed(1)} s, ${op.clicks} clicks, ${op.keys} keystrokes`);
    await page.screenshot({ path: path.join(RESULTS_DIR, "time-to-hotline-channels.png"), fullPage: true });
    assert.deepEqual(problems, []);

    // A call per key: each reaches its branch (read back from the conversation history, as a supervisor would).
    for (const digit of ["1", "2", "3"]) {
      const { ok, out } = await sipp(sipAddr, NUMBER, digit);
      assert.ok(ok, `sipp call pressing ${digit} failed: ${out}`);
    }
    const api = async (p) => {
      const r = await page.request.get(`${baseUrl}/api/v1${p}`);
      assert.equal(r.status(), 200, `${p}: ${await r.text()}`);
      return r.json();
    };
    const calls = (await api("/conversations?channel=voice")).items;
    assert.equal(calls.length, 3, JSON.stringify(calls));
    const heard = [];
    for (const call of calls.reverse()) {
      const view = await api(`/conversations/${call.id}`);
      heard.push({ text: view.messages.map((m) => m.text).join(" | "), queues: call.queues });
    }
    assert.match(heard[0].text, new RegExp(TEXT.ask.slice(0, 30)), "key 1 asks the question");
    assert.match(heard[1].text, /Befunde kommen per Post/, "key 2 gives the information");
    assert.deepEqual(heard[2].queues, ["general"], "key 3 hands over to a person");

    // A chat per branch, by words, on a site that embeds the new widget.
    const chat = async (lines, expect) => {
      const visitor = await browser.newContext({ locale: "de-DE" });
      await visitor.route(`${SITE}/**`, (route) =>
        route.fulfill({ contentType: "text/html", body: `<!doctype html><html lang="de"><body><h1>Impfzentrum</h1>${snippet}</body></html>` }),
      );
      const site = await visitor.newPage();
      await site.goto(`${SITE}/`);
      await site.locator("hotline-chat .launcher").click();
      const input = site.locator("hotline-chat #hl-input");
      for (const line of lines) {
        await input.fill(line);
        await input.press("Enter");
        await site.waitForTimeout(300);
      }
      await expect(site);
      await visitor.close();
    };
    const says = (text) => async (site) => site.locator("hotline-chat").getByText(text).first().waitFor({ timeout: 15_000 });
    await chat(["Ich brauche einen Termin", "Einen neuen bitte"], says(TEXT.neu));
    await chat(["Termin", "Ich muss ihn verschieben"], says(TEXT.verschieben));
    await chat(["Wo ist mein Befund?"], says(TEXT.befund));
    await chat(["Ich möchte mit einem Menschen sprechen"], (site) =>
      site.locator('hotline-chat .status[data-status="queued"]').waitFor({ timeout: 15_000 }),
    );
    await context.close();
  });
});
