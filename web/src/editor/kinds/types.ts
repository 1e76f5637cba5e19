// What the editor knows about one node kind. Each kind lives in a folder of its own (kinds/<kind>/), so a new kind
// of node is one new folder plus one line in kinds/index.ts.

import type { ComponentType } from "react";
import type { MessageKey } from "../../i18n";

/** A node of the flow document, as plain data (what YAML or JSON gives). */
export type FlowNode = { id: string; type: string } & Record<string, unknown>;

/** A path inside a node: field names and list indices, e.g. ["options", 2, "next"]. */
export type FieldPath = (string | number)[];

/** One way out of a node: a typed handle on the canvas, stored at `path` in the node. */
export interface Output {
  /** Stable within the node: the handle's id on the canvas (`next`, `options.2`, `no_input`). */
  handle: string;
  /** What the handle says on the canvas: `digit 1`, `no input`, `default`. */
  label: string;
  /** Where the target node's id is stored. */
  path: FieldPath;
  /** Optional outputs may be left unconnected; required ones are validation errors when empty. */
  optional: boolean;
}

export interface PanelProps {
  node: FlowNode;
  /** Sets (or, with `undefined`, removes) one field of the node. */
  onChange: (path: FieldPath, value: unknown) => void;
  /** The flow's intents, for pickers. */
  intents: string[];
  /** The flow's languages, its default first (for hearing a text). */
  languages: string[];
}

export interface KindDef {
  kind: string;
  /** The palette's and the node's name for the kind. */
  title: MessageKey;
  /** One line: what the kind does. */
  hint: MessageKey;
  /** The node's ways out, in the order the canvas shows them. */
  outputs: (node: FlowNode) => Output[];
  /** The fields of a new node of this kind (besides `id` and `type`). */
  template: () => Record<string, unknown>;
  /** A short summary for the node on the canvas (its text, its queue, …). */
  summary: (node: FlowNode) => string;
  /** The property panel. */
  Panel: ComponentType<PanelProps>;
}

/** A node's text field (a string, or language → string) as one line for the canvas. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    // One per language, or one wording per channel (each of those a string or one per language).
    for (const v of Object.values(value as Record<string, unknown>)) {
      const text = textOf(v);
      if (text) return text;
    }
  }
  return "";
}
