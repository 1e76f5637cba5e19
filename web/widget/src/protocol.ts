// The chat wire protocol: JSON text frames over one WebSocket. This module only knows the frame shapes; it checks
// what the server sends before the rest of the widget trusts it, and drops frames it does not understand, so a newer
// server can add frame types and fields without breaking older widgets that are still cached on host pages.

export type Sender = "bot" | "agent" | "user" | "system";

export interface Choice {
  label: string;
  value: string;
}

export interface WidgetConfig {
  title?: string;
  primary_color?: string;
  greeting?: string;
  lang?: string;
}

export interface WelcomeFrame {
  type: "welcome";
  session: string;
  conversation: string;
  config: WidgetConfig;
}

export interface MessageFrame {
  type: "message";
  seq: number;
  from: Sender;
  text: string;
  choices: Choice[];
  at?: string;
  /** The client's own message id, on echoes of the caller's messages (from = "user"). */
  id?: string;
}

export interface AckFrame {
  type: "ack";
  id: string;
  seq: number;
}

export interface TypingFrame {
  type: "typing";
  from: "bot" | "agent";
  state: boolean;
}

export interface StatusFrame {
  type: "status";
  /** "queued" or "ended" today; other states are shown with the server's text. */
  state: string;
  queue?: string;
  text?: string;
}

export type ErrorCode = "rate_limited" | "too_large" | "malformed" | "unknown_widget" | "forbidden_origin" | string;

export interface ErrorFrame {
  type: "error";
  code: ErrorCode;
  message: string;
  /** The client message the error is about, if any. */
  id: string | null;
}

export type ServerFrame = WelcomeFrame | MessageFrame | AckFrame | TypingFrame | StatusFrame | ErrorFrame;

export type ClientFrame =
  | { type: "hello"; session: string | null; last_seq: number; lang: string }
  | { type: "message"; id: string; text: string; label?: string }
  | { type: "ack"; seq: number }
  | { type: "typing"; state: boolean };

/** Errors after which reconnecting cannot help: the widget shows "chat unavailable" and stops. */
export const FATAL_ERRORS: ReadonlySet<string> = new Set(["unknown_widget", "forbidden_origin"]);

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const isSeq = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;

function choices(v: unknown): Choice[] {
  if (!Array.isArray(v)) return [];
  const out: Choice[] = [];
  for (const c of v) {
    if (!isObj(c)) continue;
    const label = str(c.label);
    const value = str(c.value) ?? label;
    if (label && value) out.push({ label, value });
  }
  return out;
}

/** Parses one text frame from the server; null for anything malformed or unknown. */
export function parseServerFrame(data: unknown): ServerFrame | null {
  if (typeof data !== "string") return null;
  let f: unknown;
  try {
    f = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObj(f)) return null;
  switch (f.type) {
    case "welcome": {
      const session = str(f.session);
      if (!session) return null;
      const c = isObj(f.config) ? f.config : {};
      return {
        type: "welcome",
        session,
        conversation: str(f.conversation) ?? "",
        config: { title: str(c.title), primary_color: str(c.primary_color), greeting: str(c.greeting), lang: str(c.lang) },
      };
    }
    case "message": {
      const from = f.from;
      if (!isSeq(f.seq) || typeof f.text !== "string") return null;
      if (from !== "bot" && from !== "agent" && from !== "user" && from !== "system") return null;
      return { type: "message", seq: f.seq, from, text: f.text, choices: choices(f.choices), at: str(f.at), id: str(f.id) };
    }
    case "ack": {
      const id = str(f.id);
      return id && isSeq(f.seq) ? { type: "ack", id, seq: f.seq } : null;
    }
    case "typing":
      return typeof f.state === "boolean"
        ? { type: "typing", from: f.from === "agent" ? "agent" : "bot", state: f.state }
        : null;
    case "status": {
      const state = str(f.state);
      return state ? { type: "status", state, queue: str(f.queue), text: str(f.text) } : null;
    }
    case "error":
      return { type: "error", code: str(f.code) ?? "unknown", message: str(f.message) ?? "", id: str(f.id) ?? null };
    default:
      return null;
  }
}
