// One WebSocket to the chat server, kept alive for the page: it says hello on every (re)connect and reconnects after
// a drop with exponential backoff and jitter. It knows nothing about messages or the outbox; the chat controller
// decides what to send once the server has welcomed the connection.

import { FATAL_ERRORS, parseServerFrame, type ClientFrame, type ServerFrame } from "./protocol";

/**
 * - connecting: first attempt(s), never welcomed yet
 * - open: the server sent its welcome on the current socket
 * - reconnecting: the connection dropped (or cannot be made) and a new attempt is scheduled
 * - unavailable: the server refused us (unknown widget, origin not allowed) or never answered; no more attempts
 *   until `start()` is called again
 */
export type LinkState = "idle" | "connecting" | "open" | "reconnecting" | "unavailable";

export interface LinkHandlers {
  /** The first frame on every new socket. */
  hello(): ClientFrame;
  frame(frame: ServerFrame): void;
  state(state: LinkState): void;
}

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
/** Failed attempts, without any welcome in this page, after which the chat counts as unavailable. A refused
 *  handshake (e.g. an origin the widget does not allow) looks to a browser exactly like a network error, so this
 *  limit is what keeps the widget from spinning forever. */
const MAX_FIRST_ATTEMPTS = 3;
/** Close codes a server uses to refuse us for good (1008 = policy violation; 4403/4404 mirror HTTP). */
const FATAL_CLOSE_CODES = new Set([1008, 4403, 4404]);

/** The delay before reconnect attempt `n` (0-based): exponential, capped, with "equal jitter" so that many
 *  widgets dropped by the same server restart do not all come back in the same instant. */
export function backoffDelay(n: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(n, 16));
  return ceiling / 2 + random() * (ceiling / 2);
}

export class Connection {
  private ws: WebSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private everWelcomed = false;
  private current: LinkState = "idle";
  /** Set by `hold()`: the current socket is the last one until `start()` or `reconnectNow()`. */
  private holding = false;

  constructor(
    private readonly url: string,
    private readonly on: LinkHandlers,
  ) {
    // The browser knows before we do when the network is gone or back: drop a socket that can no longer work
    // instead of waiting for TCP to time out, and retry at once (not after the backoff) when it returns.
    window.addEventListener("offline", () => this.ws && !this.holding && this.drop());
    window.addEventListener("online", () => {
      if (this.current === "reconnecting" || this.current === "unavailable") this.reconnectNow();
    });
  }

  get state(): LinkState {
    return this.current;
  }

  /** Connects unless already connected or connecting. */
  start(): void {
    this.holding = false;
    if (this.ws || this.retryTimer !== undefined) return;
    this.failures = 0;
    this.connect();
  }

  /** Sends a frame on the current socket; false when there is no open one (the caller keeps it for later). */
  send(frame: ClientFrame): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Closes the current socket and connects again at once with a fresh hello (e.g. for a new conversation). */
  reconnectNow(): void {
    this.holding = false;
    this.discard();
    this.failures = 0;
    this.connect();
  }

  /** Keeps the current socket but does not replace it when it closes (the state then becomes "idle"). */
  hold(): void {
    this.holding = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Treats the current socket as dead (e.g. a message was not acknowledged in time) and reconnects with backoff. */
  drop(): void {
    this.discard();
    this.scheduleRetry();
  }

  private connect(): void {
    this.setState(this.everWelcomed ? "reconnecting" : "connecting");
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch {
      // A URL the browser refuses outright (e.g. blocked by the page's CSP in some browsers): counts as a failure.
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => ws === this.ws && this.send(this.on.hello());
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      const frame = parseServerFrame(event.data);
      if (!frame) return;
      if (frame.type === "welcome") {
        this.everWelcomed = true;
        this.failures = 0;
        this.setState("open");
      }
      this.on.frame(frame);
      if (frame.type === "error" && FATAL_ERRORS.has(frame.code)) this.giveUp();
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (FATAL_CLOSE_CODES.has(event.code)) this.giveUp();
      else if (this.holding) this.setState("idle");
      else this.scheduleRetry();
    };
    // An error is always followed by a close event, which does the work.
    ws.onerror = () => undefined;
  }

  private scheduleRetry(): void {
    this.failures += 1;
    if (!this.everWelcomed && this.failures >= MAX_FIRST_ATTEMPTS) {
      this.giveUp();
      return;
    }
    this.setState(this.everWelcomed ? "reconnecting" : "connecting");
    clearTimeout(this.retryTimer);
    // While the browser says it is offline, attempts cannot succeed: wait the longest delay, or for "online".
    const delay = navigator.onLine === false ? MAX_DELAY_MS : backoffDelay(this.failures - 1);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  private giveUp(): void {
    this.discard();
    this.setState("unavailable");
  }

  /** Forgets the current socket and any scheduled retry, without triggering reconnect logic. */
  private discard(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      try {
        ws.close(1000);
      } catch {
        /* already closing */
      }
    }
  }

  private setState(state: LinkState): void {
    if (state === this.current) return;
    this.current = state;
    this.on.state(state);
  }
}
