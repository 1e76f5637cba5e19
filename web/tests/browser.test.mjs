// End-to-end test of the admin app against the real server: boots `hotline serve` on port 0 with a fresh data
// directory, drives Debian's headless Chromium through playwright-core, and walks the first sign-in of the initial
// admin (forced password change, TOTP enrolment, backup codes) and a second sign-in with password and TOTP.
//
// Run with `npm run test:browser` (after `npm run build` and building the server). Environment:
//   HOTLINE_BIN    server binary (default ../target/debug/hotline relative to web/)
//   CHROMIUM_PATH  browser binary (default /usr/bin/chromium); playwright never downloads one.

import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

import { WEB_DIR, startServer } from "./support/hotline-server.mjs";
import { totp, totpParams } from "./support/totp.mjs";
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const RESULTS_DIR = path.join(WEB_DIR, "test-results");
const NEW_PASSWORD = "correct horse battery staple 42";

/** A WAV file (16-bit mono, 16 kHz) of a 440 Hz tone lasting `seconds`. */
function toneWav(seconds) {
  const rate = 16000;
  const n = Math.round(rate * seconds);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write("RIFF", 0);
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write("WAVEfmt ", 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write("data", 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return buf;
}

// Known vectors from RFC 6238 appendix B (SHA-1, 8 digits) keep the helper honest.
it("computes RFC 6238 test vectors", () => {
  const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"
  assert.equal(totp(secret, 59, { digits: 8 }), "94287082");
  assert.equal(totp(secret, 1111111109, { digits: 8 }), "07081804");
  assert.equal(totp(secret, 2000000000, { digits: 8 }), "69279037");
});

// ---------------------------------------------------------------------------------------------------------------
// The server process.


// ---------------------------------------------------------------------------------------------------------------
// The browser tests.

describe("admin app in Chromium", () => {
  let server;
  let baseUrl;
  let initialPassword;
  let browser;
  let totpSecret;
  let totpOptions = {};

  before(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    server = startServer({ needPassword: true });
    ({ baseUrl, password: initialPassword } = await server.ready);
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A fresh browser context whose console errors, page errors and CSP violations fail the test. */
  async function openPage(t, locale, { refusals = false } = {}) {
    const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      // Expected 401s (the start-up session probe) are logged by Chromium as failed resources, not as app errors.
      // A test that provokes refusals (422) on purpose says so.
      const expected = refusals ? /status of (401|422)/ : /status of 401/;
      if (message.type() === "error" && !expected.test(message.text())) {
        problems.push(`console error: ${message.text()}`);
      }
    });
    t.after(() => context.close());
    return { page, problems };
  }

  async function screenshot(page, name) {
    await page.screenshot({ path: path.join(RESULTS_DIR, `${name}.png`), fullPage: true });
  }

  async function expectNoError(page) {
    const alerts = await page.locator('[data-testid="error"]').allInnerTexts();
    assert.deepEqual(alerts.filter((text) => text.trim() !== ""), [], "the page shows an error");
  }

  it("first sign-in: new password, TOTP enrolment, backup codes, users page (German)", async (t) => {
    const { page, problems } = await openPage(t, "de-DE", { refusals: true });
    await page.goto(`${baseUrl}/`);
    await page.waitForURL("**/login");
    assert.equal(await page.getAttribute("html", "lang"), "de");
    await page.getByRole("heading", { name: "Anmelden" }).waitFor();
    // The first field has focus, so the form works from the keyboard alone.
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "login-username");

    await page.keyboard.type("admin");
    await page.getByTestId("login-password").fill(initialPassword);
    await page.keyboard.press("Enter");

    await page.getByTestId("login-step-change_password").waitFor();
    await expectNoError(page);
    // A password made from the user name is refused, as the rule on screen says.
    await page.getByTestId("new-password").fill("admin-admin-admin");
    await page.getByTestId("new-password-repeat").fill("admin-admin-admin");
    await page.getByTestId("new-password-submit").click();
    await page.locator('[aria-invalid="true"], [data-testid="error"] p').first().waitFor();
    assert.ok(await page.getByTestId("login-step-change_password").isVisible(), "still on the password step");
    await page.getByTestId("new-password").fill(NEW_PASSWORD);
    await page.getByTestId("new-password-repeat").fill(NEW_PASSWORD);
    await screenshot(page, "1-change-password");
    await page.getByTestId("new-password-submit").click();

    await page.getByTestId("login-step-enrol_totp").waitFor();
    const secretElement = page.getByTestId("totp-secret");
    await secretElement.waitFor();
    totpSecret = await secretElement.getAttribute("data-secret");
    assert.match(totpSecret, /^[A-Z2-7]+=*$/, "data-secret holds a base32 secret without spaces");
    totpOptions = totpParams(await page.getByTestId("totp-uri").getAttribute("href"));
    assert.ok(await page.getByTestId("totp-qr").evaluate((img) => img.complete && img.naturalWidth > 0), "QR shows");
    await screenshot(page, "2-enrol-totp");

    await page.getByTestId("totp-code").fill(totp(totpSecret, Date.now() / 1000, totpOptions));
    await page.getByTestId("totp-confirm").click();

    const codes = page.getByTestId("backup-codes").locator("li");
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10, "ten backup codes are shown");
    await screenshot(page, "3-backup-codes");
    await page.getByTestId("backup-codes-done").click();

    await page.waitForURL("**/users");
    await page.getByTestId("user-row-admin").waitFor();
    await expectNoError(page);
    await screenshot(page, "4-users");

    // The user name rule is said before anyone types, and a name against it is refused beside the field, in
    // words: no parser positions.
    const usernameField = page.getByTestId("create-username");
    const hintId = (await usernameField.getAttribute("aria-describedby")) ?? "";
    assert.ok(hintId, "the user name field is described by its rule");
    const hint = await page.locator(`[id="${hintId.split(" ")[0]}"]`).innerText();
    assert.match(hint, /a–z/);
    assert.match(hint, /Umlaute/);
    await usernameField.fill("Maria Müller");
    await page.getByTestId("create-display-name").fill("Maria Müller");
    await page.getByTestId("create-user-submit").click();
    await page.locator('[data-testid="create-username"][aria-invalid="true"]').waitFor();
    const shown = await page.locator("main").innerText();
    assert.doesNotMatch(shown, /line \d+|column \d+|Zeile \d+/, "no parser positions are shown");
    assert.match(shown, /a-z/, "the refusal says which characters a user name may have");
    assert.equal(await page.getByTestId("user-row-maria müller").count(), 0);
    // The server's refusal is said in German, not in its English words.
    const alert = await page.getByTestId("error").allInnerTexts();
    assert.doesNotMatch(alert.join(" "), /Invalid|request body|input/i, "no English in the German page's alert");

    await page.getByTestId("logout").click();
    await page.waitForURL("**/login");
    await page.getByTestId("login-username").waitFor();
    assert.deepEqual(problems, []);
  });

  it("second sign-in: password and TOTP, users page (English)", async (t) => {
    assert.ok(totpSecret, "the first sign-in test enrolled TOTP");
    const { page, problems } = await openPage(t, "en-US");
    await page.goto(`${baseUrl}/login`);
    assert.equal(await page.getAttribute("html", "lang"), "en");
    await page.getByTestId("login-username").fill("admin");
    await page.getByTestId("login-password").fill(NEW_PASSWORD);
    await page.getByTestId("login-submit").click();

    await page.getByTestId("login-step-totp").waitFor();
    await expectNoError(page);
    // The code of the step used at enrolment would be rejected as a replay; the server accepts one step ahead.
    await page.getByTestId("totp-code").fill(totp(totpSecret, Date.now() / 1000 + 30, totpOptions));
    await screenshot(page, "5-totp");
    await page.getByTestId("totp-submit").click();

    await page.waitForURL("**/users");
    await page.getByTestId("user-row-admin").waitFor();
    await expectNoError(page);
    await screenshot(page, "6-users-again");

    // What each role may do is said on the page, in words.
    const roles = page.getByTestId("roles-explained");
    await roles.locator("summary").click();
    await roles.getByText("Take and answer conversations").first().waitFor();
    // The demo is one click away.
    assert.equal(await page.getByTestId("nav-demo").getAttribute("href"), "/demo");

    // One's own account offers neither Disable nor a role change.
    const own = page.getByTestId("user-row-admin");
    assert.equal(await own.getByRole("button", { name: /^Disable/ }).count(), 0, "no Disable on one's own row");
    assert.ok(await own.getByRole("combobox").isDisabled(), "one's own role cannot be changed");

    // Disable asks first: dismissed, nothing changes; confirmed, the account is disabled.
    await page.getByTestId("create-username").fill("lena");
    await page.getByTestId("create-display-name").fill("Lena");
    await page.getByTestId("create-user-submit").click();
    const lena = page.getByTestId("user-row-lena");
    await lena.waitFor();
    const asked = new Promise((resolve) =>
      page.once("dialog", (dialog) => {
        resolve(dialog.message());
        void dialog.dismiss();
      }),
    );
    await lena.getByRole("button", { name: /^Disable/ }).click();
    assert.match(await asked, /lena/, "Disable asked for confirmation");
    assert.doesNotMatch(await lena.innerText(), /Disabled/);
    page.once("dialog", (dialog) => void dialog.accept());
    await lena.getByRole("button", { name: /^Disable/ }).click();
    await lena.getByRole("button", { name: /^Enable/ }).waitFor();
    assert.match(await lena.innerText(), /Disabled/);
    // A user is renamed; a disabled one can be deleted (asked first), one's own never.
    page.once("dialog", (dialog) => void dialog.accept("Lena Berger"));
    await page.getByTestId("rename-lena").click();
    await lena.getByText("Lena Berger").waitFor();
    assert.equal(await page.getByTestId("delete-admin").count(), 0, "no Delete on one's own row");
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByTestId("delete-lena").click();
    await lena.waitFor({ state: "detached" });
    await page.getByTestId("status").getByText(/lena deleted/).waitFor();

    // The flow editor: a new flow opens on the canvas with its two nodes, connected.
    await page.getByRole("link", { name: "Flows" }).click();
    await page.getByTestId("new-flow-name").fill("Editor test");
    await page.getByTestId("new-flow").click();
    await page.getByTestId("flow-canvas").waitFor();
    await page.getByTestId("node-greeting").waitFor();
    await page.getByTestId("node-handoff").waitFor();
    await expectNoError(page);
    await screenshot(page, "7-editor");

    // A node from the palette is unreachable: the validator's finding shows on it as the operator works.
    await page.getByTestId("add-say").click();
    await page.getByTestId("node-say_1").waitFor();
    await page.getByTestId("node-say_1-diagnostics").waitFor();
    assert.match(await page.getByTestId("diagnostics").innerText(), /unreachable-node/);
    // Each finding says what to do about it.
    await page.getByTestId("fix-unreachable-node").getByText(/Connect a way out of another node to it/).waitFor();
    // The property panel edits the node's text; undo takes the node away again, redo brings it back.
    await page.getByTestId("properties").getByLabel("Text", { exact: true }).fill("Please hold the line.");
    await page.getByTestId("node-say_1").getByText("Please hold the line.").waitFor();
    for (let i = 0; i < 2; i++) await page.getByTestId("undo").click();
    await page.getByTestId("node-say_1").waitFor({ state: "detached" });
    await page.getByTestId("redo").click();
    await page.getByTestId("node-say_1").waitFor();

    // Connected by dragging: greeting → say_1 → handoff. The finding goes away.
    async function drag(from, to) {
      const a = await page.getByTestId(from).boundingBox();
      const b = await page.getByTestId(to).boundingBox();
      await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
      await page.mouse.down();
      await page.mouse.move(b.x + 10, b.y + b.height / 2, { steps: 8 });
      await page.mouse.up();
    }
    await drag("handle-greeting-next", "node-say_1");
    // say_1 is reached now; what is left is its own way out.
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="diagnostics"]')?.textContent?.includes("unreachable-node"),
    );
    assert.match(await page.getByTestId("diagnostics").innerText(), /dangling-transition/);
    // The same without a mouse: the node's "goes on to" list.
    await page.getByTestId("node-say_1").click();
    await page.getByTestId("connect-next").selectOption("handoff");
    await page.getByTestId("node-say_1-diagnostics").waitFor({ state: "detached" });
    assert.equal(await page.locator(".react-flow__edge").count(), 2, "greeting → say_1 → handoff");

    // Saved, published with a note; the version list shows it.
    await page.getByTestId("save-draft").click();
    await page.getByTestId("status").getByText(/revision 2/).waitFor();
    await page.getByTestId("publish-note").fill("First version from the editor");
    await page.getByTestId("publish").click();
    await page.getByTestId("versions").getByText("First version from the editor").waitFor();
    // The live version and the saved draft do the same.
    await page.getByTestId("diff").getByText("No difference in what the flow does.").waitFor();
    // A reload opens the same flow, as saved.
    await page.reload();
    await page.getByTestId("node-say_1").waitFor();
    await expectNoError(page);
    await screenshot(page, "8-editor-published");
    const editorUrl = page.url();

    // A recorded prompt: a file that is not audio is refused with the reason; a WAV is converted and listed with a
    // player; the say node plays it, and the text can be heard as the engine speaks it.
    const editorPage = page.url();
    await page.goto(`${baseUrl}/prompts`);
    await page.getByTestId("prompt-file").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not audio") });
    assert.equal(await page.getByTestId("prompt-name").inputValue(), "notes", "the name comes from the file");
    await page.getByTestId("prompt-upload").click();
    await page.getByTestId("prompt-problem").getByText(/not an audio file/).waitFor();
    await page.getByTestId("prompt-name").fill("");
    await page.getByTestId("prompt-file").setInputFiles({ name: "Begrüßung.wav", mimeType: "audio/wav", buffer: toneWav(1.5) });
    assert.equal(await page.getByTestId("prompt-name").inputValue(), "begruessung");
    await page.getByTestId("prompt-upload").click();
    await page.getByTestId("prompts-status").getByText(/begruessung stored \(0:02\)/).waitFor();
    await page.getByTestId("prompt-begruessung").locator("audio").waitFor();
    await expectNoError(page);
    await page.goto(editorPage);
    await page.getByTestId("node-say_1").click();
    await page.getByTestId("audio-picker").selectOption("begruessung");
    await page.getByTestId("audio-player").waitFor();
    await page.getByTestId("node-say_1").getByText(/begruessung/).waitFor();
    await page.getByTestId("properties").getByLabel("Text", { exact: true }).fill("Please hold the line.");
    await page.getByTestId("hear-text").click();
    await page.getByTestId("hear-player").waitFor();
    const played = await page.getByTestId("hear-player").evaluate(
      (audio) => new Promise((resolve) => (audio.readyState >= 1 ? resolve(audio.duration) : audio.addEventListener("loadedmetadata", () => resolve(audio.duration)))),
    );
    assert.ok(played > 0.5, `the synthesised text plays for ${played} s`);

    // Try it: the simulator talks with the draft on screen; the path lights up on the canvas.
    await page.getByTestId("tab-simulator").click();
    const opening = page.getByTestId("sim-turn-0");
    await opening.getByText("a bot, not a human").waitFor();
    assert.equal(await opening.getByTestId("sim-reply").count(), 2, "the greeting and say_1's text");
    await opening.getByTestId("sim-action-enqueue").getByText(/general/).waitFor();
    await page.getByTestId("sim-state").getByText(/Waits for a human in the queue general/).waitFor();
    await page.locator(".flow-node.on-path").nth(2).waitFor();
    assert.equal(await page.locator(".flow-node.on-path").count(), 3, "greeting, say_1 and handoff are on the path");
    assert.equal(await page.locator(".flow-node.current").getAttribute("data-testid"), "node-handoff");
    // The variables after a turn, on request.
    await opening.getByRole("button", { name: "Show variables" }).click();
    await opening.getByTestId("sim-variables").getByText("channel").waitFor();
    // On the phone there is a keypad; keys are gathered, then pressed at once.
    await page.getByTestId("sim-channel-voice").check();
    await page.getByTestId("sim-key-4").click();
    await page.getByTestId("sim-key-2").click();
    assert.equal(await page.getByTestId("sim-keys").innerText(), "42");
    await page.getByTestId("sim-keys-send").click();
    await page.getByTestId("sim-turn-1").getByText("Pressed 42").waitFor();
    await page.getByTestId("sim-hangup").click();
    await page.getByTestId("sim-state").getByText(/The conversation is over \(hung up\)/).waitFor();
    // The flow has no tests yet, and says where they go.
    await page.getByTestId("sim-run-tests").click();
    await page.getByTestId("sim-tests-summary").getByText(/no tests yet/).waitFor();

    // Intents: added and filled in the document; the report warns about too few examples; a sentence is tried.
    await page.getByTestId("tab-intents").click();
    for (const [name, examples] of [
      ["appointment", "I need an appointment\nCan I book a vaccination\nWhen is the next free slot\nI want to reschedule\nBook me in please\nIs there an appointment tomorrow"],
      ["result", "Where is my test result\nIs my result ready\nI am waiting for my lab report\nDid the lab call\nWhen do I get my result\nMy swab from Monday"],
      ["human", "Let me talk to a person\nA human please"],
    ]) {
      await page.getByTestId("intent-new-name").fill(name);
      await page.getByTestId("intent-add").click();
      await page.getByTestId(`intent-${name}`).getByTestId("intent-examples-en").fill(examples);
      await page.getByTestId(`intent-${name}`).getByTestId("intent-keywords").focus();
    }
    await page.getByTestId("intent-human").getByTestId("intent-warning-too-few-examples").getByText(/Only 2 example/).waitFor();
    await page.getByTestId("try-text").fill("is my lab result ready yet");
    await page.getByTestId("try-send").click();
    await page.getByTestId("try-result").getByText(/Intent result/).waitFor();
    await page.getByTestId("toggle-view").click();
    assert.match(await page.getByTestId("flow-source").inputValue(), /intents:\n  appointment:\n    examples:\n      en:\n        - I need an appointment/);
    await page.getByTestId("toggle-view").click();
    await page.getByTestId("save-draft").click();
    await page.getByTestId("status").getByText(/revision 3/).waitFor();
    await expectNoError(page);
    await screenshot(page, "8b-editor-intents");

    // The new flow answers a new phone number and a new chat widget.
    await page.goto(`${baseUrl}/channels`);
    await page.getByTestId("numbers-table").waitFor();
    await page.getByTestId("new-number").fill("+4930999000");
    await page.getByTestId("new-number-flow").selectOption({ label: "Editor test" });
    await page.getByTestId("add-number").click();
    await page.getByTestId("number-+4930999000").waitFor();
    assert.equal(await page.getByTestId("number-flow-+4930999000").locator("option:checked").innerText(), "Editor test");
    await page.getByTestId("new-widget").click();
    await page.getByTestId("widget-name").fill("Editor test chat");
    await page.getByTestId("widget-title").fill("Talk to us");
    await page.getByTestId("widget-greeting").fill("Hello! How can we help?");
    await page.getByTestId("widget-origins").fill("https://www.example.org");
    await page.getByTestId("widget-flow").selectOption({ label: "Editor test" });
    await page.getByTestId("widget-preview").getByText("Talk to us").waitFor();
    await page.getByTestId("widget-save").click();
    const snippet = page.getByTestId("widget-snippet");
    await snippet.waitFor();
    assert.match(await snippet.inputValue(), /<script src="http:\/\/127\.0\.0\.1:\d+\/widget\.js" data-widget="[a-z0-9-]+" async><\/script>/);
    await expectNoError(page);

    // The account page counts the backup codes and makes new ones after the password is given again.
    await page.goto(`${baseUrl}/account`);
    await page.getByTestId("backup-codes-left").getByText(/10 unused backup codes/).waitFor();
    await page.getByTestId("backup-password").fill(NEW_PASSWORD);
    await page.getByTestId("renew-backup-codes").click();
    await page.getByTestId("new-backup-codes").locator("li").nth(9).waitFor();
    assert.equal(await page.getByTestId("new-backup-codes").locator("li").count(), 10);
    await page.getByTestId("new-backup-codes-done").click();

    // Every page renders at a laptop's and a phone's size without an error, a console error or a CSP violation,
    // and nothing but tables and the canvas scrolls sideways on the phone.
    const pages = ["/desk", "/supervisor", "/flows", editorUrl, "/channels", "/prompts", "/history", "/users", "/api-keys", "/audit", "/account", "/demo"];
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ]) {
      await page.setViewportSize({ width, height });
      for (const url of pages) {
        await page.goto(url.startsWith("http") ? url : `${baseUrl}${url}`);
        await page.locator("h1").first().waitFor();
        await page.waitForLoadState("networkidle");
        await expectNoError(page);
        const name = new URL(url, baseUrl).pathname.slice(1) + (url.includes("flow=") ? "-editor" : "");
        await screenshot(page, `9-${width}-${name}`);
        const overflow = await page.evaluate(() => {
          // The innermost elements that stick out, for the message.
          const out = (e) => e.getBoundingClientRect().right > window.innerWidth + 1;
          const wide = [...document.querySelectorAll("body *")]
            .filter((e) => out(e) && !out(e.parentElement))
            .map((e) => `${e.tagName.toLowerCase()}.${e.className} in ${e.parentElement?.className}`);
          return { by: document.documentElement.scrollWidth - window.innerWidth, wide: wide.slice(0, 5) };
        });
        assert.ok(overflow.by <= 1, `${url} at ${width}×${height} is ${overflow.by} px too wide: ${overflow.wide.join(", ")}`);
      }
    }

    // A caller asks for a person on the demo page's chat; the history shows the conversation by pseudonym, filters
    // by outcome, and opens its transcript (which the audit log then lists).
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${baseUrl}/demo?lang=en`);
    await page.locator("hotline-chat .launcher").click();
    const chatInput = page.locator("hotline-chat #hl-input");
    await chatInput.waitFor();
    await chatInput.fill("I want to talk to a human");
    await chatInput.press("Enter");
    await page.locator('hotline-chat .status[data-status="queued"]').waitFor({ timeout: 15_000 });
    await page.goto(`${baseUrl}/history`);
    const history = page.getByTestId("history-table");
    await history.getByText("Still open").first().waitFor();
    assert.doesNotMatch(await history.innerText(), /talk to a human/, "no message text in the list");
    await page.getByTestId("history-outcome").selectOption("bot");
    await page.getByTestId("history-search").click();
    await page.getByText("No conversations match.").waitFor();
    await page.getByTestId("history-outcome").selectOption("open");
    await page.getByTestId("history-channel").selectOption("chat");
    await page.getByTestId("history-search").click();
    await history.locator('[data-testid^="history-open-"]').first().click();
    await page.getByTestId("history-transcript").getByText("I want to talk to a human").waitFor();
    await expectNoError(page);
    await screenshot(page, "9b-history");

    // The audit log speaks in names and words, filters, and shows an entry's details on request.
    await page.goto(`${baseUrl}/audit`);
    const table = page.getByTestId("audit-table");
    await table.getByText("Published a flow").first().waitFor();
    assert.match(await table.innerText(), /Editor test/, "the flow by its name");
    assert.doesNotMatch(await table.innerText(), /flow\.publish/, "no raw action codes");
    await page.getByTestId("audit-filter-action").selectOption("flow.publish");
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid^="audit-row-"]')];
      return rows.length > 0 && rows.every((r) => r.textContent.includes("Published a flow"));
    });
    const first = page.locator('[data-testid^="audit-details-"]').first();
    await first.click();
    await page.locator(".audit-details").getByText(/^[0-9a-f]{64}$/).first().waitFor();
    await expectNoError(page);
    assert.deepEqual(problems, []);
  });
});
