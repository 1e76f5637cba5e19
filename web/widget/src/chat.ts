// The chat controller: ties the connection, the outbox and the view together and holds the little conversation
// state the widget needs — which server messages are on screen (by seq), the resume token, and what is unsent.
//
// Delivery guarantees, in short: a server message is shown once per seq (duplicates from replays are dropped and
// still acknowledged); a message of the caller's stays in the outbox (sessionStorage) until the server acks its id,
// and is re-sent with the same id after every reconnect, so the server can drop copies it already stored.

import { Connection, type LinkState } from "./connection";
import { asLang, browserLang, textsFor, type Lang, type Texts } from "./i18n";
import { newMessageId } from "./ids";
import { ChoiceLabels, Outbox, type OutboxEntry } from "./outbox";
import type { Choice, ErrorFrame, MessageFrame, ServerFrame, StatusFrame, WelcomeFrame } from "./protocol";
import { TabStore } from "./storage";
import { ChatView } from "./view";

/** Client-side size limits, mirroring the server's 4 KB of UTF-8 so the caller hears about it before sending. */
const MAX_CHARS = 2000;
const MAX_BYTES = 4000;
/** At most one "typing" frame per this many milliseconds. */
const TYPING_THROTTLE_MS = 3000;
/** The other side's typing indicator hides by itself after this long without news. */
const TYPING_TIMEOUT_MS = 10_000;
/** A message on an open socket not acknowledged within this time means the socket is dead without knowing it
 *  (e.g. a network that drops packets silently); the connection is then replaced. */
const ACK_TIMEOUT_MS = 10_000;

export class Chat {
  /** The browser's language until the server names the conversation's (the welcome's `config.lang`). */
  private lang: Lang = browserLang();
  private t: Texts = textsFor(this.lang);
  private readonly store: TabStore;
  private readonly outbox: Outbox;
  private readonly labels: ChoiceLabels;
  private readonly connection: Connection;
  private readonly view: ChatView;
  /** Seqs of the server messages on screen (the caller's acknowledged messages included). */
  private readonly shown = new Set<number>();
  /** The highest seq received in a message frame: what `hello.last_seq` tells the server, so it replays only what is
   *  missing. Acks do not count: the server may ack message n before it has sent us n-1 (a bot reply still on its
   *  way), and resuming after n would lose n-1. Starts at 0 on every page load, so after a reload the server replays
   *  the whole conversation onto the empty page. */
  private lastSeq = 0;
  /** The last_seq of the hello on the current socket. */
  private helloSeq = 0;
  private conversation: string | null = null;
  /** Whether the current socket has been welcomed (before that, messages wait in the outbox). */
  private ready = false;
  private typingSentAt = 0;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(widgetId: string, url: string) {
    this.store = new TabStore(widgetId);
    this.outbox = new Outbox(this.store);
    this.labels = new ChoiceLabels(this.store);
    this.view = new ChatView(this.t, this.lang, {
      openChanged: (open) => this.openChanged(open),
      send: (text) => this.sendTyped(text),
      choose: (choice) => this.choose(choice),
      retry: (id) => this.retry(id),
      restart: () => this.restart(),
      reconnect: () => {
        this.connection.start();
        this.view.focusInput();
      },
      typed: (text) => this.typed(text),
    });
    this.view.host.dataset.widget = widgetId;
    this.connection = new Connection(url, {
      hello: () => {
        this.helloSeq = this.lastSeq;
        return { type: "hello", session: this.store.get("session"), last_seq: this.lastSeq, lang: this.lang };
      },
      frame: (frame) => this.onFrame(frame),
      state: (state) => this.onLinkState(state),
    });
    document.body.append(this.view.host);

    // Messages written before a reload that the server never acknowledged: show them as still being sent.
    this.showOutbox();
    // A conversation from earlier in this tab is resumed at once, so it is there when the caller looks; a new one
    // starts only when the caller opens the panel (no conversation for every page view).
    if (this.store.get("open") === "1") this.view.setOpen(true, false);
    else if (this.store.get("session")) this.connection.start();
  }

  // --- caller actions -------------------------------------------------------------------------------------------

  private openChanged(open: boolean): void {
    this.store.set("open", open ? "1" : null);
    if (open) {
      this.markRead();
      this.connection.start();
    }
  }

  private sendTyped(raw: string): void {
    const text = raw.trim();
    if (!text) return;
    if ([...text].length > MAX_CHARS || new TextEncoder().encode(text).length > MAX_BYTES) {
      this.view.showTooLong(MAX_CHARS);
      return;
    }
    this.view.setInputText("");
    this.post(text, text);
  }

  /** A choice sends its value, but the caller's bubble shows the label they clicked. */
  private choose(choice: Choice): void {
    this.post(choice.value, choice.label);
    this.view.focusInput();
  }

  private post(text: string, display: string): void {
    const entry: OutboxEntry = { id: newMessageId(), text, display, failed: false };
    this.outbox.add(entry);
    if (display !== text) this.labels.set(entry.id, display);
    this.view.showError(null);
    this.view.addMessage({ from: "user", text: display, id: entry.id, at: new Date().toISOString(), state: "sending" });
    this.typingSentAt = 0; // a message ends "typing" on the server's side too
    this.transmit(entry);
  }

  private retry(id: string): void {
    const entry = this.outbox.get(id);
    if (!entry) return;
    this.outbox.setFailed(id, false);
    this.view.showError(null);
    this.view.markSending(id);
    this.transmit(entry);
  }

  /** After "ended": forget the old conversation and start a new one. */
  private restart(): void {
    this.store.set("session", null);
    this.store.set("read", null);
    this.outbox.clear();
    this.labels.clear();
    this.shown.clear();
    this.lastSeq = 0;
    this.conversation = null;
    this.view.clearMessages();
    this.view.setStatus(null, "");
    this.view.showError(null);
    this.view.focusInput();
    this.connection.reconnectNow();
  }

  private typed(text: string): void {
    if (!this.ready) return;
    const now = Date.now();
    if (text.trim() && now - this.typingSentAt >= TYPING_THROTTLE_MS) {
      this.typingSentAt = now;
      this.connection.send({ type: "typing", state: true });
    } else if (!text.trim() && this.typingSentAt) {
      this.typingSentAt = 0;
      this.connection.send({ type: "typing", state: false });
    }
  }

  // --- sending --------------------------------------------------------------------------------------------------

  /** Sends now if welcomed; otherwise the entry waits in the outbox for the next welcome. */
  private transmit(entry: OutboxEntry): void {
    // A chosen option sends its value for the flow and its label for the transcript.
    const frame =
      entry.display !== entry.text
        ? { type: "message" as const, id: entry.id, text: entry.text, label: entry.display }
        : { type: "message" as const, id: entry.id, text: entry.text };
    if (this.ready && this.connection.send(frame)) {
      this.armAckTimer();
    } else {
      this.connection.start();
    }
  }

  private flushOutbox(): void {
    for (const entry of this.outbox.pending()) this.transmit(entry);
  }

  private armAckTimer(): void {
    if (this.ackTimer !== undefined) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      if (this.ready && this.outbox.pending().length) this.connection.drop();
    }, ACK_TIMEOUT_MS);
  }

  /** Restarts the ack deadline for whatever is still unacknowledged. */
  private resetAckTimer(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.ready && this.outbox.pending().length) this.armAckTimer();
  }

  // --- receiving ------------------------------------------------------------------------------------------------

  private onLinkState(state: LinkState): void {
    if (state !== "open") {
      this.ready = false;
      this.resetAckTimer();
      this.showTyping(null);
    }
    this.view.setConnection(state);
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "welcome":
        return this.onWelcome(frame);
      case "message":
        return this.onMessage(frame);
      case "ack":
        this.shown.add(frame.seq);
        this.outbox.remove(frame.id);
        this.view.markSent(frame.id, frame.seq);
        this.markRead();
        return this.resetAckTimer();
      case "typing":
        return this.showTyping(frame.state ? frame.from : null);
      case "status":
        return this.onStatus(frame);
      case "error":
        return this.onError(frame);
    }
  }

  private onWelcome(frame: WelcomeFrame): void {
    this.store.set("session", frame.session);
    if (this.conversation !== null && frame.conversation !== this.conversation) {
      // The server did not resume our conversation (it expired or was closed): what is on screen belongs to another
      // conversation. Unsent messages stay and go to the new one; the caller wrote them to be read.
      this.shown.clear();
      this.lastSeq = 0;
      this.view.clearMessages();
      this.view.setStatus(null, "");
      this.showOutbox();
      if (this.helloSeq > 0) {
        // Our hello's last_seq was about the old conversation, so the server may have skipped the start of the new
        // one: say hello again (with the new session) from seq 0.
        this.conversation = null;
        this.connection.reconnectNow();
        return;
      }
    }
    this.conversation = frame.conversation;
    const { title, greeting, primary_color, lang } = frame.config;
    // The texts around the conversation (input, banners, screen-reader labels) speak its language, not the browser's.
    const spoken = asLang(lang);
    if (spoken && spoken !== this.lang) {
      this.lang = spoken;
      this.t = textsFor(spoken);
      this.view.setLanguage(spoken, this.t);
    }
    this.view.setConfig(title, greeting, primary_color, lang);
    this.ready = true;
    this.flushOutbox();
  }

  private onMessage(m: MessageFrame): void {
    // Acknowledge every message, duplicates included: the server then knows this seq has arrived.
    this.connection.send({ type: "ack", seq: m.seq });
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    if (this.shown.has(m.seq)) return;
    this.shown.add(m.seq);
    if (m.from === "user" && m.id && this.view.hasMessage(m.id)) {
      // The echo of a message we are still showing as unsent (its ack was lost with a connection): now it is sent.
      this.outbox.remove(m.id);
      this.view.markSent(m.id, m.seq);
    } else {
      const unread = !this.view.isOpen && m.seq > Number(this.store.get("read") ?? 0);
      const text = (m.from === "user" && m.id && this.labels.get(m.id)) || m.text;
      this.view.addMessage({ ...m, text, state: "sent" }, unread);
      if (m.from === "bot" || m.from === "agent") this.showTyping(null);
    }
    if (this.view.isOpen) this.markRead();
    this.resetAckTimer();
  }

  private onStatus(frame: StatusFrame): void {
    const t = this.t;
    // Nothing more happens in an ended conversation: no reconnecting after a drop (which would make the server start
    // a new conversation under the caller's eyes); the caller starts a new one with the button, or by reloading.
    if (frame.state === "ended") this.connection.hold();
    if (frame.state === "queued" || frame.state === "ended") {
      this.view.setStatus(frame.state, frame.text || (frame.state === "queued" ? t.queued : t.ended));
    } else if (frame.text) {
      this.view.setStatus(frame.state, frame.text);
    } else {
      // E.g. "active" when a counsellor has taken the conversation: the waiting line goes away.
      this.view.setStatus(null, "");
    }
  }

  private onError(frame: ErrorFrame): void {
    const t = this.t;
    const entry = frame.id ? this.outbox.get(frame.id) : undefined;
    if (entry && frame.code === "too_large" && !this.view.inputText.trim()) {
      // The text goes back into the input for the caller to shorten, instead of a bubble that can never be sent.
      this.outbox.remove(entry.id);
      this.view.removeMessage(entry.id);
      this.view.setInputText(entry.text);
      this.view.focusInput();
    } else if (entry) {
      this.outbox.setFailed(entry.id, true);
      this.view.markFailed(entry.id);
    }
    // Fatal errors (unknown widget, origin not allowed) are shown by the connection's "unavailable" state.
    if (frame.code === "unknown_widget" || frame.code === "forbidden_origin") return;
    const known: Record<string, string> = {
      rate_limited: t.errRateLimited,
      too_large: t.errTooLarge,
      malformed: t.errMalformed,
    };
    // The server's own message is English and technical (it is for logs); the caller gets a text in their language.
    this.view.showError(known[frame.code] ?? t.errUnknown, frame.code);
    this.resetAckTimer();
  }

  // --- helpers --------------------------------------------------------------------------------------------------

  private showOutbox(): void {
    for (const entry of this.outbox.all()) {
      this.view.addMessage({ from: "user", text: entry.display, id: entry.id, state: entry.failed ? "failed" : "sending" });
    }
  }

  private showTyping(from: "bot" | "agent" | null): void {
    clearTimeout(this.typingTimer);
    this.view.setTyping(from);
    if (from) this.typingTimer = setTimeout(() => this.view.setTyping(null), TYPING_TIMEOUT_MS);
  }

  /** Remembers what the caller has seen, so a reload does not flag old messages as new. */
  private markRead(): void {
    if (this.lastSeq > Number(this.store.get("read") ?? 0)) this.store.set("read", String(this.lastSeq));
  }
}
