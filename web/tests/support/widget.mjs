// Reading the chat widget from a test. Everything lives in the open shadow root of <hotline-chat>; playwright's CSS
// locators pierce it, and page functions read it through `shadowRoot`.

/** How long the server (bot included) may take to answer one step. */
export const STEP_TIMEOUT_MS = 15_000;

/** Every message element in order: seq (null while unacknowledged), from, id, state, label, screen-reader text, text. */
export function readMessages(page) {
  return page.evaluate(() => {
    const root = document.querySelector("hotline-chat")?.shadowRoot;
    return [...(root?.querySelectorAll("li[data-from]") ?? [])].map((li) => ({
      seq: li.dataset.seq ? Number(li.dataset.seq) : null,
      from: li.dataset.from,
      id: li.dataset.id ?? null,
      state: li.dataset.state ?? null,
      label: li.querySelector(".who")?.textContent ?? null,
      sr: li.querySelector(".sr")?.textContent ?? null,
      text: li.querySelector(".text")?.textContent ?? "",
    }));
  });
}

/** Waits until `predicate(messages)` holds; fails with the last messages seen. */
export async function waitForMessages(page, predicate, what, timeout = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeout;
  let messages = [];
  while (Date.now() < deadline) {
    messages = await readMessages(page);
    if (predicate(messages)) return messages;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${what}; messages: ${JSON.stringify(messages, null, 1)}`);
}

export function readStatus(page) {
  return page.evaluate(() => {
    const root = document.querySelector("hotline-chat")?.shadowRoot;
    const status = root?.querySelector(".status");
    const connection = root?.querySelector(".connection");
    return {
      status: status && !status.hidden ? status.dataset.status : null,
      statusText: status?.textContent ?? "",
      connection: connection && !connection.hidden ? connection.dataset.connection : "open",
      connectionText: connection?.textContent ?? "",
      error: root?.querySelector(".error:not([hidden])")?.textContent ?? null,
    };
  });
}
