// End-to-end test of what a supervisor configures and moves (issue 10) against the real server: boots `hotline serve`,
// signs in the initial admin (who supervises) and, in a second browser context, an agent the admin creates. On the
// supervisor page the admin creates a queue that requires a skill (after a refused name), gives the agent that skill,
// and writes canned answers (add, change, delete). A caller on /demo asks for a person while nobody is available and
// waits; the supervisor sees them in the contacts table, with the wait ticking. Moving them to an agent without the
// skill is refused with a German sentence and changes nothing; moving them to the new queue works, and once the agent
// is available they are offered the caller there. The agent inserts the canned answer, and the caller reads it. The
// queue cannot be deleted while it holds the conversation (explained); an empty one can, after a confirmation.
// Finally the supervisor saves a German crisis text of their own (after a refused term list), and a second caller
// who writes about suicide reads exactly that text.
//
// Run with `npm run test:browser` (after `npm run build` and building the server). Environment: HOTLINE_BIN,
// CHROMIUM_PATH (see tests/support/hotline-server.mjs).

import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { callerSays, expectRefusal, openContext, openWidget, watch } from "./support/contact.mjs";
import { CHROMIUM_ARGS, CHROMIUM_PATH, WEB_DIR, startServer } from "./support/hotline-server.mjs";
import { firstSignIn } from "./support/sign-in.mjs";
import { STEP_TIMEOUT_MS, readStatus, waitForMessages } from "./support/widget.mjs";

const RESULTS_DIR = path.join(WEB_DIR, "test-results");
const ADMIN_PASSWORD = "correct horse battery staple 42";
const AGENT_PASSWORD = "maria hears every caller out 7";
/** The supervisor socket sends a snapshot within a second of a change. */
const SNAPSHOT_MS = 2_000;

const HUMAN_REQUEST = "Ich möchte mit einem Menschen sprechen";
const CRISIS_MESSAGE = "Ich will mich umbringen";
const PHONE_LIKE = /\+?\d[\d\s/-]{6,}\d/;
const QUEUE = "krisendienst";
const SKILL = "krise";
const CANNED_TITLE = "Begrüßung Krisendienst";
const CANNED_TEXT = "Hallo, hier ist der Krisendienst. Ich bin jetzt für Sie da.";
const CRISIS_TEXT = "Sie sind nicht allein. Der Test-Krisendienst ist jetzt für Sie da und verbindet Sie sofort weiter.";

describe("supervisor view in Chromium", () => {
  let server;
  let baseUrl;
  let initialPassword;
  let browser;

  before(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    server = startServer({ needPassword: true });
    ({ baseUrl, password: initialPassword } = await server.ready);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function screenshot(page, name) {
    await page.screenshot({ path: path.join(RESULTS_DIR, `supervisor-${name}.png`), fullPage: true });
  }

  /** GET `path` of the API with the cookies of `context` (the server's state, not the page's). */
  async function apiGet(context, apiPath) {
    const response = await context.request.get(`${baseUrl}/api/v1${apiPath}`);
    assert.equal(response.status(), 200, `GET ${apiPath}`);
    return response.json();
  }

  it("a supervisor sets up a skilled queue, moves a waiting caller there, and sets the crisis text", async (t) => {
    const problems = [];

    // --- The admin signs in for the first time and creates an agent, who signs in and stays offline. ------------
    const admin = await openContext(browser, t, "admin", problems);
    await firstSignIn(admin.page, baseUrl, { username: "admin", password: initialPassword, newPassword: ADMIN_PASSWORD });
    await admin.page.waitForURL("**/users");
    await admin.page.getByTestId("create-username").fill("maria");
    await admin.page.getByTestId("create-display-name").fill("Maria Beispiel");
    await admin.page.getByTestId("create-role").selectOption("agent");
    await admin.page.getByTestId("create-user-submit").click();
    const agentOneTimePassword = (await admin.page.getByTestId("one-time-password").textContent()).trim();

    const agent = await openContext(browser, t, "agent", problems);
    const desk = agent.page;
    await firstSignIn(desk, baseUrl, { username: "maria", password: agentOneTimePassword, newPassword: AGENT_PASSWORD });
    await desk.waitForURL("**/desk");
    await desk.locator('[data-testid="my-presence"][data-presence="offline"]').waitFor();

    const sup = watch(await admin.context.newPage(), problems, "supervisor");
    await sup.goto(`${baseUrl}/supervisor`);
    await sup.locator('[data-testid="agent-state-maria"][data-state="offline"]').waitFor();
    const agents = (await apiGet(admin.context, "/agents")).items;
    const maria = agents.find((a) => a.username === "maria");
    const adminAgent = agents.find((a) => a.username === "admin");
    assert.ok(maria && adminAgent, "the admin and maria are agents");

    // --- A new queue: the naming rule is on screen before anyone types; a name with a space is refused. ----------
    const newQueue = sup.getByTestId("new-queue");
    const nameInput = newQueue.getByTestId("new-queue-name");
    const ruleId = (await nameInput.getAttribute("aria-describedby")).split(" ")[0];
    const rule = (await sup.locator(`[id="${ruleId}"]`).textContent()).trim();
    assert.match(rule, /^1 bis 64 Buchstaben, Ziffern/, "the naming rule is said next to the name field");
    await nameInput.fill("krisen dienst");
    await newQueue.getByTestId("new-queue-skills-add").click();
    await newQueue.getByTestId("new-queue-skills-name-0").fill(SKILL);
    await newQueue.getByTestId("new-queue-skills-level-0").fill("5");
    await newQueue.getByTestId("new-queue-submit").click();
    await newQueue.locator('[data-testid="new-queue-name"][aria-invalid="true"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    const nameError = (await nameInput.getAttribute("aria-describedby")).split(" ")[1];
    assert.ok(nameError, "the name's error is linked to the field");
    assert.equal((await sup.locator(`[id="${nameError}"]`).textContent()).trim(), rule, "the refusal says the rule again");
    expectRefusal(problems, "supervisor", 422, "a queue name with a space");
    assert.equal(await sup.getByTestId("queue-row-krisen dienst").count(), 0, "no queue was made");

    await nameInput.fill(QUEUE);
    await newQueue.getByTestId("new-queue-submit").click();
    await newQueue.getByTestId("new-queue-status").getByText(`Die Warteschlange ${QUEUE} wurde angelegt.`).waitFor();
    await sup.getByTestId(`queue-row-${QUEUE}`).waitFor({ timeout: SNAPSHOT_MS });
    const created = (await apiGet(admin.context, "/queues")).items.find((q) => q.name === QUEUE);
    assert.deepEqual(created?.config.required_skills, { [SKILL]: 5 }, "the queue requires the skill");

    // --- The agent's routing profile gets the skill, German, and two chats. --------------------------------------
    await sup.getByTestId("agent-edit-maria").click();
    const profile = sup.getByTestId("profile-form");
    await profile.waitFor();
    await profile.getByTestId("profile-skills-add").click();
    await profile.getByTestId("profile-skills-name-0").fill(SKILL);
    await profile.getByTestId("profile-skills-level-0").fill("7");
    await profile.getByTestId("profile-languages").fill("de");
    await profile.getByTestId("profile-chat").fill("2");
    await profile.getByTestId("profile-save").click();
    await sup.getByTestId("supervisor-status").getByText("Das Routing-Profil von Maria Beispiel wurde gespeichert.").waitFor();
    assert.equal(await profile.count(), 0, "the form closes once saved");
    assert.match(await sup.getByTestId("agent-profile-maria").innerText(), /krise 7 · de · 1 Anruf\(e\), 2 Chat\(s\)/);
    const saved = (await apiGet(admin.context, "/agents")).items.find((a) => a.username === "maria");
    assert.deepEqual(
      { skills: saved.skills, languages: saved.languages, capacity: saved.capacity },
      { skills: { [SKILL]: 7 }, languages: ["de"], capacity: { voice: 1, chat: 2 } },
    );

    // --- Canned answers: add one, change it, add another and delete that one after a confirmation. -------------
    const canned = sup.getByTestId("canned-editor");
    const cannedForm = canned.getByTestId("canned-form");
    await cannedForm.getByTestId("canned-title").fill(CANNED_TITLE);
    await cannedForm.getByTestId("canned-language").fill("de");
    await cannedForm.getByTestId("canned-text").fill("Hallo, hier ist der Krisendienst.");
    await cannedForm.getByTestId("canned-save").click();
    const cannedRow = canned.locator(`[data-testid="canned-row"][data-title="${CANNED_TITLE}"]`);
    await cannedRow.waitFor({ timeout: STEP_TIMEOUT_MS });
    await cannedRow.getByTestId("canned-edit").click();
    assert.equal(await cannedForm.getByTestId("canned-title").inputValue(), CANNED_TITLE, "the form holds the answer");
    await cannedForm.getByTestId("canned-text").fill(CANNED_TEXT);
    await cannedForm.getByTestId("canned-save").click();
    await canned.getByTestId("canned-status").getByText(`Der Textbaustein „${CANNED_TITLE}“ wurde gespeichert.`).waitFor();
    assert.equal((await cannedRow.locator(".canned-text").textContent()).trim(), CANNED_TEXT);

    await cannedForm.getByTestId("canned-title").fill("Veraltet");
    await cannedForm.getByTestId("canned-text").fill("Dieser Text wird gleich gelöscht.");
    await cannedForm.getByTestId("canned-save").click();
    const oldRow = canned.locator('[data-testid="canned-row"][data-title="Veraltet"]');
    await oldRow.waitFor({ timeout: STEP_TIMEOUT_MS });
    await oldRow.getByTestId("canned-delete").click();
    await oldRow.getByText("Den Textbaustein „Veraltet“ löschen?").waitFor();
    await oldRow.getByTestId("canned-delete-confirm").click();
    await oldRow.waitFor({ state: "detached", timeout: STEP_TIMEOUT_MS });
    const answers = (await apiGet(admin.context, "/canned-responses")).items;
    assert.deepEqual(
      answers.map(({ title, text, language }) => ({ title, text, language })),
      [{ title: CANNED_TITLE, text: CANNED_TEXT, language: "de" }],
    );
    await screenshot(sup, "1-set-up");

    // --- A caller asks for a person while nobody is available: the contacts table shows them waiting. -----------
    const caller = await openContext(browser, t, "caller", problems);
    await openWidget(caller.page, baseUrl);
    await callerSays(caller.page, HUMAN_REQUEST);
    await caller.page.locator('hotline-chat .status[data-status="queued"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    const row = sup.locator('[data-testid^="task-row-"]');
    await sup.locator('[data-testid^="task-row-"][data-queue="beratung"][data-state="pending"]').waitFor({ timeout: SNAPSHOT_MS });
    assert.equal(await row.count(), 1, "one live contact");
    const contact = await row.getAttribute("data-contact");
    assert.match(contact, /^K-/, "the caller is named pseudonymously");
    const rowText = await row.innerText();
    assert.doesNotMatch(rowText, PHONE_LIKE, "no phone number in the contacts table");
    assert.match(rowText, /Möchte mit einem Menschen sprechen/, "the reason, in German");
    assert.equal((await row.getByTestId("task-state").textContent()).trim(), "Wartet");
    // The wait ticks on the page between snapshots.
    const waited = row.getByTestId("task-waited");
    const firstWait = Number(await waited.getAttribute("data-seconds"));
    await sup.waitForFunction(
      ([selector, before]) => Number(document.querySelector(selector)?.dataset.seconds) > before,
      ['[data-testid^="task-row-"] [data-testid="task-waited"]', firstWait],
      { timeout: 3_000 },
    );
    const [before] = (await apiGet(admin.context, "/tasks")).items;
    assert.equal(before.queue, "beratung");

    // --- A bad move: to the admin, who lacks the skill. A German sentence; nothing changes. ----------------------
    await row.getByTestId("task-move").click();
    const move = sup.getByTestId("move-form");
    await move.waitFor();
    await move.getByTestId("move-queue").selectOption(QUEUE);
    await move.getByTestId("move-agent").selectOption(adminAgent.user_id);
    await move.getByTestId("move-submit").click();
    await move.locator('[data-testid="move-agent"][aria-invalid="true"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    const agentErrorId = (await move.getByTestId("move-agent").getAttribute("aria-describedby")).split(" ").at(-1);
    assert.equal(
      (await sup.locator(`[id="${agentErrorId}"]`).textContent()).trim(),
      "Dieser Person fehlen die Fähigkeiten oder die Sprache, die die Warteschlange verlangt.",
    );
    const alert = await move.getByTestId("error").innerText();
    assert.match(alert, /Der Server hat diese Eingabe nicht angenommen/, "the alert is German");
    assert.doesNotMatch(alert, /Invalid input|lacks the skills|agent_id/, "no server text");
    expectRefusal(problems, "supervisor", 422, "a move to an agent without the skill");
    await screenshot(sup, "2-refused-move");
    const [unchanged] = (await apiGet(admin.context, "/tasks")).items;
    assert.deepEqual(
      { queue: unchanged.queue, state: unchanged.state, wait_started_at: unchanged.wait_started_at, agent_id: unchanged.agent_id },
      { queue: "beratung", state: "pending", wait_started_at: before.wait_started_at, agent_id: null },
      "the refused move changed nothing",
    );
    assert.equal(await row.getAttribute("data-queue"), "beratung");

    // --- The move to the new queue; once the agent is available, they are offered the caller there. -------------
    await move.getByTestId("move-agent").selectOption("");
    await move.getByTestId("move-submit").click();
    await sup.getByTestId("supervisor-status").getByText(`${contact} wurde in die Warteschlange ${QUEUE} verschoben.`).waitFor();
    await sup.locator(`[data-testid^="task-row-"][data-queue="${QUEUE}"][data-state="pending"]`).waitFor({ timeout: SNAPSHOT_MS });

    await desk.getByTestId("presence-available").click();
    const offer = desk.locator("li.offer").first();
    await offer.waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.equal(await offer.getAttribute("data-contact"), contact);
    assert.equal((await offer.getByTestId("fact-queue").textContent()).trim(), QUEUE);
    const offered = sup.locator(`[data-testid^="task-row-"][data-queue="${QUEUE}"][data-state="offered"][data-agent="${maria.user_id}"]`);
    await offered.waitFor({ timeout: SNAPSHOT_MS });
    assert.equal((await offered.getByTestId("task-agent").textContent()).trim(), "angeboten an Maria Beispiel");
    await screenshot(sup, "3-offered");

    // --- The agent accepts and inserts the canned answer; the caller reads it. -----------------------------------
    await offer.getByTestId("offer-accept").click();
    const pane = desk.locator('[data-testid="conversation"][data-state="assigned"]');
    await pane.waitFor();
    await pane.getByTestId("canned-select").selectOption({ label: CANNED_TITLE });
    assert.equal(await pane.getByTestId("reply-input").inputValue(), CANNED_TEXT);
    await pane.getByTestId("reply-input").press("Enter");
    await waitForMessages(caller.page, (ms) => ms.some((m) => m.from === "agent" && m.text === CANNED_TEXT), "the canned answer");
    await sup.locator(`[data-testid^="task-row-"][data-state="assigned"][data-agent="${maria.user_id}"]`).waitFor({ timeout: SNAPSHOT_MS });
    await screenshot(desk, "4-canned-answer");

    // --- Deleting a queue: refused and explained while it holds the conversation; an empty one goes. ------------
    const config = sup.getByTestId("queue-config");
    await config.getByTestId("queue-config-name").selectOption(QUEUE);
    await config.getByTestId("queue-delete").click();
    await config.getByTestId("queue-delete-confirmation").getByText(`Die Warteschlange ${QUEUE} löschen?`).waitFor();
    await config.getByTestId("queue-delete-confirm").click();
    const inUse = config.getByTestId("queue-delete-confirmation").getByTestId("error");
    await inUse.getByText(/kann nicht gelöscht werden, solange darin jemand wartet oder spricht/).waitFor({ timeout: STEP_TIMEOUT_MS });
    expectRefusal(problems, "supervisor", 409, "deleting a queue in use");
    await config.getByTestId("queue-delete-cancel").click();
    assert.ok((await apiGet(admin.context, "/queues")).items.some((q) => q.name === QUEUE), "the queue is still there");

    await newQueue.getByTestId("new-queue-name").fill("leer");
    await newQueue.getByTestId("new-queue-submit").click();
    await sup.getByTestId("queue-row-leer").waitFor({ timeout: SNAPSHOT_MS });
    await config.getByTestId("queue-config-name").selectOption("leer");
    await config.getByTestId("queue-delete").click();
    await config.getByTestId("queue-delete-confirm").click();
    await sup.getByTestId("supervisor-status").getByText("Die Warteschlange leer wurde gelöscht.").waitFor();
    await sup.getByTestId("queue-row-leer").waitFor({ state: "detached", timeout: SNAPSHOT_MS });
    assert.ok(!(await apiGet(admin.context, "/queues")).items.some((q) => q.name === "leer"), "the empty queue is gone");

    // --- Crisis settings: the built-in text stands as a placeholder; a too-long term is refused by line. --------
    const crisis = sup.getByTestId("crisis-settings");
    const germanText = crisis.getByTestId("crisis-text-de");
    await germanText.waitFor();
    assert.equal(await germanText.inputValue(), "", "no text of the tenant's own yet");
    assert.match(await germanText.getAttribute("placeholder"), /TelefonSeelsorge/, "the built-in text is shown");
    await germanText.fill(CRISIS_TEXT);
    await crisis.getByTestId("crisis-terms").fill(`alles sinnlos\n\n${"x".repeat(201)}`);
    await crisis.getByTestId("crisis-save").click();
    await crisis
      .getByTestId("crisis-terms-error")
      .getByText("Der Ausdruck in Zeile 3 hat 201 Zeichen; erlaubt sind höchstens 200.")
      .waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.equal(await crisis.getByTestId("crisis-terms").getAttribute("aria-invalid"), "true");
    expectRefusal(problems, "supervisor", 422, "a crisis term of 201 characters");
    assert.deepEqual((await apiGet(admin.context, "/contact-centre/settings")).crisis_text, {}, "nothing was saved");

    await crisis.getByTestId("crisis-terms").fill("alles sinnlos\n");
    await crisis.getByTestId("crisis-save").click();
    await crisis.getByTestId("crisis-status").getByText("Die Kriseneinstellungen wurden gespeichert.").waitFor();
    assert.equal(await crisis.getByTestId("crisis-terms").getAttribute("aria-invalid"), null, "the error is gone");
    const { builtin_crisis_text: builtin, outbound, proxy, ...stored } = await apiGet(admin.context, "/contact-centre/settings");
    assert.deepEqual(stored, {
      crisis_text: { de: CRISIS_TEXT },
      crisis_terms: ["alles sinnlos"],
      handover_queue: "default",
    });
    // The supervisor's save left the admins' outbound (toll-fraud) policy as it was.
    assert.deepEqual(outbound, {
      home_country: "49",
      allowed_countries: [],
      allow_premium: false,
      per_range_per_hour: 5,
      max_per_day: 500,
      max_concurrent: 10,
    });
    // … and the number proxy's settings (follow-up SMS) too.
    assert.deepEqual(proxy, { reply: null, ttl_hours: 72 });
    // The built-in texts are served beside the tenant's own (read-only), in both languages.
    assert.match(builtin.de, /112/);
    assert.match(builtin.en, /112/);
    await screenshot(sup, "5-crisis-settings");

    // --- A second caller in crisis reads exactly the supervisor's text. -----------------------------------------
    const crisisCaller = await openContext(browser, t, "crisis caller", problems);
    await openWidget(crisisCaller.page, baseUrl);
    const input = crisisCaller.page.getByRole("textbox", { name: "Ihre Nachricht" });
    await input.fill(CRISIS_MESSAGE);
    await input.press("Enter");
    const messages = await waitForMessages(
      crisisCaller.page,
      (ms) => ms.some((m) => m.from !== "user" && m.text === CRISIS_TEXT),
      "the tenant's crisis text",
    );
    assert.ok(!messages.some((m) => m.text.includes("TelefonSeelsorge")), "not the built-in text");
    await screenshot(crisisCaller.page, "6-crisis-caller");

    assert.equal((await readStatus(caller.page)).error, null, "the first caller's widget shows no error");
    const errors = (await desk.getByTestId("error").allInnerTexts()).filter((text) => text.trim() !== "");
    assert.deepEqual(errors, [], "no error on the desk");
    assert.deepEqual(problems, []);
  });
});
