// Everything the caller sees: the launcher button and the chat panel, rendered in a shadow root so that the host
// page's CSS cannot reach in and ours cannot leak out. The view holds no conversation state of its own beyond the
// DOM; the controller tells it what to show and hears back through `ViewActions`.
//
// Message elements carry data attributes that tests (and the page's own scripts, if they must) can rely on:
// data-from (bot | agent | user | system), data-seq (the server's sequence number, once known), data-id (the
// client id of the caller's own messages) and data-state (sending | sent | failed).

import { h, icon } from "./dom";
import { fill, type Lang, type Texts } from "./i18n";
import type { Choice, Sender } from "./protocol";
import type { LinkState } from "./connection";
import css from "./styles.css?inline";
import { themeSheet } from "./theme";

export interface ViewActions {
  /** The panel was opened or closed by the caller. */
  openChanged(open: boolean): void;
  /** The caller submitted the input (the controller clears it if it accepts the text). */
  send(text: string): void;
  choose(choice: Choice): void;
  retry(id: string): void;
  restart(): void;
  reconnect(): void;
  /** The caller changed the input. */
  typed(text: string): void;
}

export type DeliveryState = "sending" | "sent" | "failed";

export interface ShownMessage {
  from: Sender;
  text: string;
  seq?: number;
  id?: string;
  at?: string;
  choices?: Choice[];
  state?: DeliveryState;
}

const CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
const CLOSE_ICON = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z";
const SEND_ICON = "M3 20.5 21 12 3 3.5 3 10l12 2-12 2z";
/** Pixels from the bottom within which the log still follows new messages. */
const STICKY_SCROLL_PX = 80;

export class ChatView {
  readonly host: HTMLElement;
  private readonly root: ShadowRoot;
  private readonly baseSheet: CSSStyleSheet;
  private readonly launcher: HTMLButtonElement;
  private readonly launcherText: HTMLSpanElement;
  private readonly unread: HTMLSpanElement;
  private readonly panel: HTMLElement;
  private readonly title: HTMLHeadingElement;
  private readonly greeting: HTMLParagraphElement;
  private readonly log: HTMLOListElement;
  /** The scrolling part of the panel: the greeting and the log. */
  private readonly scroller: HTMLDivElement;
  private readonly typing: HTMLParagraphElement;
  private readonly connection: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private readonly error: HTMLParagraphElement;
  private readonly form: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private timeFormat: Intl.DateTimeFormat;
  private readonly closeButton: HTMLButtonElement;
  private readonly inputLabel: HTMLLabelElement;
  private readonly unreadLabel: HTMLSpanElement;
  /** The title and launcher text came from the widget's configuration (not the language's default). */
  private titled = false;
  private contentLang = "";
  private ended = false;
  private unavailable = false;

  constructor(
    private t: Texts,
    lang: Lang,
    private readonly actions: ViewActions,
  ) {
    this.timeFormat = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
    // A custom element name makes collisions with the host page's selectors (div, section…) unlikely.
    this.host = document.createElement("hotline-chat");
    this.root = this.host.attachShadow({ mode: "open" });
    this.baseSheet = new CSSStyleSheet();
    this.baseSheet.replaceSync(css);
    this.root.adoptedStyleSheets = [this.baseSheet];

    this.launcherText = h("span", {}, t.launcherDefault);
    this.unreadLabel = h("span", { class: "sr" }, t.unread);
    this.unread = h("span", { class: "unread", hidden: true }, this.unreadLabel);
    this.launcher = h(
      "button",
      { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "hl-panel" },
      icon(CHAT_ICON),
      this.launcherText,
      this.unread,
    );

    this.title = h("h2", { id: "hl-title" }, t.titleDefault);
    const close = h("button", { type: "button", class: "icon-button", "aria-label": t.close }, icon(CLOSE_ICON));
    this.closeButton = close;
    this.greeting = h("p", { class: "greeting", hidden: true });
    // New messages are announced; later changes inside one (its "sending" → "sent" line) are not, to keep it quiet.
    this.log = h("ol", {
      class: "log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-labelledby": "hl-title",
      tabindex: "-1",
    });
    this.scroller = h("div", { class: "body" }, this.greeting, this.log);
    this.typing = h("p", { class: "typing", hidden: true });
    this.connection = h("div", { class: "connection", role: "status", hidden: true });
    this.status = h("div", { class: "status", role: "status", hidden: true });
    this.error = h("p", { class: "error", role: "alert", hidden: true });
    this.input = h("textarea", {
      id: "hl-input",
      rows: "1",
      placeholder: t.placeholder,
      autocomplete: "off",
      enterkeyhint: "send",
    });
    this.sendButton = h("button", { type: "submit", class: "send", "aria-label": t.send }, icon(SEND_ICON));
    this.inputLabel = h("label", { for: "hl-input", class: "sr" }, t.input);
    this.form = h(
      "form",
      { class: "composer" },
      this.inputLabel,
      this.input,
      this.sendButton,
    );
    this.panel = h(
      "section",
      { id: "hl-panel", class: "panel", role: "dialog", "aria-labelledby": "hl-title", lang, hidden: true },
      h("header", {}, this.title, close),
      this.scroller,
      this.typing,
      this.connection,
      this.status,
      this.error,
      this.form,
    );
    this.root.append(this.panel, this.launcher);

    this.launcher.addEventListener("click", () => this.setOpen(!this.isOpen, true));
    close.addEventListener("click", () => this.setOpen(false, true));
    // Escape closes from anywhere in the panel and puts focus back on the launcher, as for any non-modal dialog.
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.setOpen(false, true);
      }
    });
    this.input.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter makes a new line; never while an input method is composing a character.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.input.addEventListener("input", () => actions.typed(this.input.value));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      actions.send(this.input.value);
    });
  }

  // --- panel ----------------------------------------------------------------------------------------------------

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  /** Opens or closes the panel; `moveFocus` puts focus into the panel (open) or back on the launcher (close). */
  setOpen(open: boolean, moveFocus: boolean): void {
    if (open === this.isOpen) return;
    this.panel.hidden = !open;
    this.launcher.setAttribute("aria-expanded", String(open));
    this.host.toggleAttribute("data-open", open);
    if (open) {
      this.unread.hidden = true;
      this.scrollToEnd();
      if (moveFocus) (this.input.disabled ? this.log : this.input).focus();
    } else if (moveFocus) {
      this.launcher.focus();
    }
    this.actions.openChanged(open);
  }

  setConfig(title: string | undefined, greeting: string | undefined, color: string | undefined, lang?: string): void {
    if (title) {
      this.title.textContent = title;
      this.launcherText.textContent = title;
      this.titled = true;
    }
    this.greeting.textContent = greeting ?? "";
    this.greeting.hidden = !greeting;
    this.contentLang = lang ?? "";
    if (this.contentLang) this.greeting.lang = this.contentLang;
    const theme = themeSheet(color);
    this.root.adoptedStyleSheets = theme ? [this.baseSheet, theme] : [this.baseSheet];
  }

  /** Says everything around the messages in `lang`: the conversation's language, once the server names it. */
  setLanguage(lang: Lang, t: Texts): void {
    this.t = t;
    this.panel.lang = lang;
    this.timeFormat = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
    if (!this.titled) {
      this.title.textContent = t.titleDefault;
      this.launcherText.textContent = t.launcherDefault;
    }
    this.unreadLabel.textContent = t.unread;
    this.closeButton.setAttribute("aria-label", t.close);
    this.input.placeholder = t.placeholder;
    this.sendButton.setAttribute("aria-label", t.send);
    this.inputLabel.textContent = t.input;
  }

  // --- messages -------------------------------------------------------------------------------------------------

  /** Adds a message: with a seq in seq order, without one (the caller's unacknowledged message) at the end.
   *  `unread` flags the closed launcher. */
  addMessage(m: ShownMessage, unread = false): void {
    const t = this.t;
    const item = h("li", { class: `msg ${m.from}`, "data-from": m.from });
    if (m.id) item.dataset.id = m.id;
    const visibleLabel = m.from === "bot" ? t.labelBot : m.from === "agent" ? t.labelAgent : "";
    const srLabel = { bot: t.srBot, agent: t.srAgent, user: t.srUser, system: t.srSystem }[m.from];
    // The visible label is hidden from screen readers, which read the fuller text in front of the message instead.
    if (visibleLabel) item.append(h("span", { class: "who", "aria-hidden": "true" }, visibleLabel));
    item.append(h("span", { class: "sr" }, srLabel + " "));
    const text = h("p", { class: "text" }, m.text);
    if (m.from !== "user" && this.contentLang) text.lang = this.contentLang;
    item.append(text);
    const meta = h("p", { class: "meta" });
    if (m.at) {
      const date = new Date(m.at);
      if (!Number.isNaN(date.getTime())) meta.append(h("time", { datetime: m.at }, this.timeFormat.format(date)));
    }
    if (m.from === "user") meta.append(h("span", { class: "delivery" }));
    if (meta.childNodes.length) item.append(meta);
    if (m.choices?.length) {
      const group = h("div", { class: "choices", role: "group", "aria-label": t.choices });
      for (const choice of m.choices) {
        const button = h("button", { type: "button", class: "choice" }, choice.label);
        button.addEventListener("click", () => this.actions.choose(choice));
        group.append(button);
      }
      item.append(group);
    }
    if (m.from === "user") this.setDelivery(item, m.state ?? "sent");
    this.pinned(() => {
      this.place(item, m.seq);
      this.refreshChoices();
    });
    if (m.state === "sending") this.scrollToEnd();
    if (unread && !this.isOpen) this.unread.hidden = false;
  }

  hasMessage(id: string): boolean {
    return this.find(id) !== null;
  }

  /** The caller's message was stored by the server as `seq`. */
  markSent(id: string, seq: number): void {
    const item = this.find(id);
    if (!item) return;
    this.pinned(() => {
      this.setDelivery(item, "sent");
      if (item.dataset.seq !== String(seq)) this.place(item, seq);
    });
  }

  markSending(id: string): void {
    const item = this.find(id);
    if (item) this.setDelivery(item, "sending");
  }

  markFailed(id: string): void {
    const item = this.find(id);
    if (item) this.pinned(() => this.setDelivery(item, "failed"));
  }

  removeMessage(id: string): void {
    this.find(id)?.remove();
    this.refreshChoices();
  }

  clearMessages(): void {
    this.log.replaceChildren();
  }

  private find(id: string): HTMLLIElement | null {
    for (const item of this.log.children) {
      if ((item as HTMLElement).dataset.id === id) return item as HTMLLIElement;
    }
    return null;
  }

  private setDelivery(item: HTMLLIElement, state: DeliveryState): void {
    item.dataset.state = state;
    const t = this.t;
    const delivery = item.querySelector(".delivery");
    if (!delivery) return;
    const retry = state === "failed" ? h("button", { type: "button", class: "retry" }, t.retry) : null;
    retry?.addEventListener("click", () => this.actions.retry(item.dataset.id ?? ""));
    delivery.replaceChildren(
      { sending: t.stateSending, sent: t.stateSent, failed: t.stateFailed }[state],
      retry ? " " : "",
      retry ?? "",
    );
  }

  /** Puts an item at its place: messages with a seq in seq order, before any still without one. */
  private place(item: HTMLLIElement, seq: number | undefined): void {
    if (seq === undefined) {
      this.log.append(item);
    } else {
      item.dataset.seq = String(seq);
      let before: Element | null = null;
      for (const other of this.log.children) {
        if (other === item) continue;
        const otherSeq = (other as HTMLElement).dataset.seq;
        if (otherSeq === undefined || Number(otherSeq) > seq) {
          before = other;
          break;
        }
      }
      if (before !== item.nextElementSibling || !item.isConnected) this.log.insertBefore(item, before);
    }
  }

  /** Choice buttons stay only on server messages the caller has not answered yet (no message of theirs after it),
   *  and disappear once the conversation has ended. */
  private refreshChoices(): void {
    let answered = this.ended;
    for (let i = this.log.children.length - 1; i >= 0; i--) {
      const item = this.log.children[i] as HTMLElement;
      if (item.dataset.from === "user") answered = true;
      const group = item.querySelector<HTMLElement>(".choices");
      if (group) group.hidden = answered;
    }
  }

  private isNearEnd(): boolean {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < STICKY_SCROLL_PX;
  }

  private scrollToEnd(): void {
    // scrollTop is CSSOM, not an inline style, so it is fine under the host page's CSP.
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** Runs a change that can add to the log or resize it (the lines under it come and go); a caller reading the
   *  latest messages stays at the end, one who scrolled back to read stays where they are. */
  private pinned(change: () => void): void {
    const atEnd = this.isNearEnd();
    change();
    if (atEnd) this.scrollToEnd();
  }

  // --- indicators -----------------------------------------------------------------------------------------------

  setTyping(from: "bot" | "agent" | null): void {
    this.pinned(() => {
      this.typing.hidden = from === null;
      this.typing.textContent = from === "agent" ? this.t.typingAgent : from === "bot" ? this.t.typingBot : "";
    });
  }

  setConnection(state: LinkState): void {
    this.pinned(() => {
      const t = this.t;
      this.connection.dataset.connection = state;
      this.unavailable = state === "unavailable";
      this.connection.hidden = state === "open" || state === "idle";
      if (state === "unavailable") {
        const retry = h("button", { type: "button", class: "link" }, t.tryAgain);
        retry.addEventListener("click", () => this.actions.reconnect());
        this.connection.replaceChildren(h("p", {}, t.unavailable), h("p", {}, t.emergency), retry);
        this.keepFocus(retry);
      } else {
        this.connection.replaceChildren(
          state === "connecting" ? t.connecting : state === "reconnecting" ? t.reconnecting : "",
        );
      }
      this.updateInput();
    });
  }

  /** Shows the conversation's status ("queued", "ended", …) or hides it (null). */
  setStatus(state: string | null, text: string): void {
    this.pinned(() => {
      this.ended = state === "ended";
      if (state === null) {
        this.status.hidden = true;
        delete this.status.dataset.status;
        this.status.replaceChildren();
      } else {
        this.status.hidden = false;
        this.status.dataset.status = state;
        const line = h("p", {}, text);
        if (this.ended) {
          const restart = h("button", { type: "button", class: "link" }, this.t.restart);
          restart.addEventListener("click", () => this.actions.restart());
          this.status.replaceChildren(line, restart);
        this.keepFocus(restart);
        } else {
          this.status.replaceChildren(line);
        }
      }
      this.updateInput();
      this.refreshChoices();
    });
  }

  /** An inline error under the log; null hides it. `code` is exposed as data-error. */
  showError(text: string | null, code = ""): void {
    this.pinned(() => {
      this.error.hidden = text === null;
      this.error.textContent = text ?? "";
      if (code) this.error.dataset.error = code;
      else delete this.error.dataset.error;
    });
  }

  showTooLong(max: number): void {
    this.showError(fill(this.t.tooLong, { max }), "too_long");
  }

  // --- input ----------------------------------------------------------------------------------------------------

  get inputText(): string {
    return this.input.value;
  }

  setInputText(text: string): void {
    this.input.value = text;
  }

  focusInput(): void {
    if (!this.input.disabled) this.input.focus();
  }

  /** The input is about to be disabled: if it has focus, a keyboard user would be dropped onto the host page, so
   *  focus moves to `target`, the button that offers the way on. */
  private keepFocus(target: HTMLElement): void {
    if (this.root.activeElement === this.input) target.focus();
  }

  /** Nothing can be sent in an ended conversation or while the chat is unavailable (the text typed stays). */
  private updateInput(): void {
    const disabled = this.ended || this.unavailable;
    this.input.disabled = disabled;
    this.sendButton.disabled = disabled;
  }
}
