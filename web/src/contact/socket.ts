// A WebSocket to one of the server's live feeds (the desk, the supervisor view), open while a page shows it. After a
// drop it reconnects with exponential backoff and jitter; the server starts every new socket with a full snapshot,
// so the page never has to work out what it missed.

import { useCallback, useEffect, useRef, useState } from "react";

/**
 * - connecting: never open yet on this page (first attempts)
 * - open: the current socket is open
 * - reconnecting: it was open, dropped, and a new attempt is scheduled or under way
 */
export type LiveState = "connecting" | "open" | "reconnecting";

export interface LiveStatus {
  state: LiveState;
  /** Attempts that failed since the last open socket. */
  failures: number;
}

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;

/** The delay before retry `n` (0-based): exponential, capped, half of it random so clients do not return in step. */
export function backoffDelay(n: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(n, 16));
  return ceiling / 2 + random() * (ceiling / 2);
}

export function liveUrl(path: string): string {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}${path}`;
}

/**
 * Keeps a socket to `path` open while the component is mounted and hands every text frame that `parse` accepts to
 * `onFrame` (the latest one passed, so callers need not memoise it).
 */
export function useLiveSocket<F>(
  path: string,
  parse: (data: unknown) => F | null,
  onFrame: (frame: F) => void,
): { status: LiveStatus; reconnectNow: () => void } {
  const [status, setStatus] = useState<LiveStatus>({ state: "connecting", failures: 0 });
  const handlers = useRef({ parse, onFrame });
  handlers.current = { parse, onFrame };
  const reconnect = useRef<() => void>(() => undefined);

  useEffect(() => {
    let ws: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let everOpen = false;
    let stopped = false;

    const connect = () => {
      clearTimeout(timer);
      timer = undefined;
      if (stopped) return;
      let socket: WebSocket;
      try {
        socket = new WebSocket(liveUrl(path));
      } catch {
        scheduleRetry();
        return;
      }
      ws = socket;
      socket.onopen = () => {
        if (socket !== ws) return;
        everOpen = true;
        failures = 0;
        setStatus({ state: "open", failures: 0 });
      };
      socket.onmessage = (event) => {
        if (socket !== ws) return;
        const frame = handlers.current.parse(event.data);
        if (frame !== null) handlers.current.onFrame(frame);
      };
      socket.onclose = () => {
        if (socket !== ws) return;
        ws = null;
        scheduleRetry();
      };
      // An error is always followed by a close event, which does the work.
      socket.onerror = () => undefined;
    };

    const scheduleRetry = () => {
      if (stopped) return;
      failures += 1;
      setStatus({ state: everOpen ? "reconnecting" : "connecting", failures });
      clearTimeout(timer);
      const delay = navigator.onLine === false ? MAX_DELAY_MS : backoffDelay(failures - 1);
      timer = setTimeout(connect, delay);
    };

    /** Drops whatever socket there is and connects at once. */
    const now = () => {
      const old = ws;
      ws = null;
      old?.close(1000);
      connect();
    };
    reconnect.current = now;

    // The browser knows before TCP does when the network is gone or back.
    const offline = () => {
      if (!ws) return;
      const old = ws;
      ws = null;
      old.close(1000);
      scheduleRetry();
    };
    const online = () => {
      if (!ws) now();
    };
    // A tab coming back to the foreground should not wait out a long backoff.
    const visible = () => {
      if (document.visibilityState === "visible" && !ws) now();
    };
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    document.addEventListener("visibilitychange", visible);
    connect();

    return () => {
      stopped = true;
      clearTimeout(timer);
      window.removeEventListener("offline", offline);
      window.removeEventListener("online", online);
      document.removeEventListener("visibilitychange", visible);
      const old = ws;
      ws = null;
      old?.close(1000);
    };
  }, [path]);

  const reconnectNow = useCallback(() => reconnect.current(), []);
  return { status, reconnectNow };
}

/** Parses a JSON text frame into an object with a string `type`; anything else is dropped. */
export function parseTyped(data: unknown): { type: string } & Record<string, unknown> | null {
  if (typeof data !== "string") return null;
  try {
    const value: unknown = JSON.parse(data);
    if (value && typeof value === "object" && !Array.isArray(value) && typeof (value as { type?: unknown }).type === "string") {
      return value as { type: string } & Record<string, unknown>;
    }
  } catch {
    /* not JSON: ignored like an unknown frame */
  }
  return null;
}
