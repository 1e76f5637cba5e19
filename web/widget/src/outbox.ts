// The caller's messages that the server has not acknowledged yet. Every entry keeps its client id for good: a
// message re-sent after a reconnect (or after a reload) carries the same id, so the server can drop the copy it may
// already have stored, and the caller never sees a message twice or loses one.

import type { TabStore } from "./storage";

export interface OutboxEntry {
  /** The client-generated message id (a UUID). */
  id: string;
  /** What is sent to the server (a choice's value, or the typed text). */
  text: string;
  /** What the caller sees in their bubble (a choice's label, or the typed text). */
  display: string;
  /** True after the server refused it: it is then only sent again when the caller asks. */
  failed: boolean;
}

const KEY = "outbox";

export class Outbox {
  private entries: OutboxEntry[];

  constructor(private readonly store: TabStore) {
    this.entries = load(store.get(KEY));
  }

  /** All entries in the order they were written. */
  all(): readonly OutboxEntry[] {
    return this.entries;
  }

  /** The entries to send after (re)connecting: every one the server has not refused. */
  pending(): OutboxEntry[] {
    return this.entries.filter((e) => !e.failed);
  }

  get(id: string): OutboxEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  add(entry: OutboxEntry): void {
    this.entries.push(entry);
    this.save();
  }

  setFailed(id: string, failed: boolean): void {
    const entry = this.get(id);
    if (entry && entry.failed !== failed) {
      entry.failed = failed;
      this.save();
    }
  }

  /** Removes an entry (acknowledged, or taken back into the input); true if it was there. */
  remove(id: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.id !== id);
    if (this.entries.length === before) return false;
    this.save();
    return true;
  }

  clear(): void {
    this.entries = [];
    this.save();
  }

  private save(): void {
    this.store.set(KEY, this.entries.length ? JSON.stringify(this.entries) : null);
  }
}

/** Reads the stored outbox, skipping anything that does not look like an entry (storage is writable by the page). */
function load(raw: string | null): OutboxEntry[] {
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((e: unknown) => {
      if (typeof e !== "object" || e === null) return [];
      const { id, text, display, failed } = e as Record<string, unknown>;
      if (typeof id !== "string" || typeof text !== "string") return [];
      return [{ id, text, display: typeof display === "string" ? display : text, failed: failed === true }];
    });
  } catch {
    return [];
  }
}

const LABELS_KEY = "labels";
const MAX_LABELS = 100;

/**
 * The labels of the choices the caller clicked, by message id. A choice sends its value (what the flow matches on)
 * but the caller saw and clicked its label; when the server replays the conversation after a reload, its echo
 * carries the value, and this map lets the widget show the label again.
 */
export class ChoiceLabels {
  private labels: Record<string, string>;

  constructor(private readonly store: TabStore) {
    try {
      const parsed: unknown = JSON.parse(store.get(LABELS_KEY) ?? "{}");
      this.labels = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, string>) : {};
    } catch {
      this.labels = {};
    }
  }

  get(id: string): string | undefined {
    const label = this.labels[id];
    return typeof label === "string" ? label : undefined;
  }

  set(id: string, label: string): void {
    this.labels[id] = label;
    const ids = Object.keys(this.labels);
    // Insertion order is kept, so the oldest go first once the map is full.
    for (const old of ids.slice(0, Math.max(0, ids.length - MAX_LABELS))) delete this.labels[old];
    this.store.set(LABELS_KEY, JSON.stringify(this.labels));
  }

  clear(): void {
    this.labels = {};
    this.store.set(LABELS_KEY, null);
  }
}
