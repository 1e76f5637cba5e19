// The one adapter between the flow document and the canvas. The document (the draft's YAML or JSON text) is the
// source of truth: the canvas is computed from it, and every edit on the canvas is an edit of the document, made
// with the `yaml` library's document model so that comments and untouched formatting stay. Node positions are not
// part of the document: they live in the flow's layout (PUT /flows/{id}/layout), so moving a node never changes
// what the flow does, nor its file.
//
// No React and no network here: the editor page and the unit tests use the same functions.

import { isMap, isSeq, parseDocument, type Document } from "yaml";
import { kindOf } from "./kinds";
import type { Diagnostic } from "../api";
import type { FieldPath, FlowNode, Output } from "./kinds/types";

export interface Position {
  x: number;
  y: number;
}

export type Positions = Record<string, Position>;

export interface CanvasNode {
  id: string;
  type: string;
  position: Position;
  /** The node's summary line (its text, its queue, …). */
  summary: string;
  outputs: Output[];
  /** The start node gets a marker. */
  start: boolean;
}

export interface CanvasEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  label: string;
}

export interface Canvas {
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  /** Transitions that name no node: shown on their node's handle, listed as diagnostics by the server too. */
  dangling: { node: string; handle: string; target: string }[];
}

/** A draft parsed for editing; `error` when the text is not YAML (the text editor shows it, the canvas cannot). */
export interface Draft {
  doc: Document;
  error: string | null;
}

export function parseDraft(source: string): Draft {
  const doc = parseDocument(source, { keepSourceTokens: false, prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0]?.message ?? null;
  return { doc, error };
}

/** The document as text: only called after an edit (an unedited draft is saved byte for byte as it came). */
export function printDraft(doc: Document): string {
  return doc.toString({ lineWidth: 0 });
}

/** The flow's nodes as plain data. */
export function nodesOf(doc: Document): FlowNode[] {
  const nodes = doc.getIn(["nodes"]);
  if (!isSeq(nodes)) return [];
  return nodes.items.flatMap((item) => {
    if (!isMap(item)) return [];
    const node = item.toJSON() as Record<string, unknown>;
    return typeof node.id === "string" && typeof node.type === "string" ? [node as FlowNode] : [];
  });
}

function startOf(doc: Document): string | null {
  const start = doc.get("start");
  return typeof start === "string" ? start : null;
}

/** The intents the flow defines, for the panels' pickers. */
export function intentsOf(doc: Document): string[] {
  const intents = doc.get("intents");
  return isMap(intents) ? intents.items.map((p) => String((p.key as { value?: unknown })?.value ?? p.key)) : [];
}

function targetAt(node: FlowNode, path: FieldPath): string | null {
  let v: unknown = node;
  for (const key of path) {
    if (v === null || typeof v !== "object") return null;
    v = (v as Record<string | number, unknown>)[key];
  }
  return typeof v === "string" && v !== "" ? v : null;
}

/** The canvas for a document: every node with its typed outputs, and an edge for each transition. */
export function toCanvas(doc: Document, positions: Positions): Canvas {
  const nodes = nodesOf(doc);
  const ids = new Set(nodes.map((n) => n.id));
  const placed = withPositions(doc, positions);
  const start = startOf(doc);
  const canvas: Canvas = { nodes: [], edges: [], dangling: [] };
  for (const node of nodes) {
    const kind = kindOf(node.type);
    const outputs = kind?.outputs(node) ?? [];
    canvas.nodes.push({
      id: node.id,
      type: node.type,
      position: placed[node.id] ?? { x: 0, y: 0 },
      summary: kind?.summary(node) ?? "",
      outputs,
      start: node.id === start,
    });
    for (const out of outputs) {
      const target = targetAt(node, out.path);
      if (target === null) continue;
      if (!ids.has(target)) {
        canvas.dangling.push({ node: node.id, handle: out.handle, target });
        continue;
      }
      canvas.edges.push({
        id: `${node.id}:${out.handle}`,
        source: node.id,
        sourceHandle: out.handle,
        target,
        label: out.label,
      });
    }
  }
  return canvas;
}

const COLUMN = 300;
const ROW = 150;

/**
 * Positions for every node: the stored ones, and for nodes without one (a flow written as a file, a new node), a
 * place in a layered layout — one column per step from the start node, in the order the transitions name them.
 */
export function withPositions(doc: Document, positions: Positions): Positions {
  const nodes = nodesOf(doc);
  const missing = nodes.filter((n) => !positions[n.id]);
  if (missing.length === 0) return positions;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const queue: string[] = [];
  const start = startOf(doc) ?? nodes[0]?.id;
  if (start && byId.has(start)) {
    depth.set(start, 0);
    queue.push(start);
  }
  while (queue.length) {
    const id = queue.shift() as string;
    const node = byId.get(id);
    if (!node) continue;
    for (const out of kindOf(node.type)?.outputs(node) ?? []) {
      const target = targetAt(node, out.path);
      if (target && byId.has(target) && !depth.has(target)) {
        depth.set(target, (depth.get(id) ?? 0) + 1);
        queue.push(target);
      }
    }
  }
  const maxDepth = Math.max(0, ...depth.values());
  const rows = new Map<number, number>();
  const placed: Positions = { ...positions };
  for (const node of nodes) {
    if (placed[node.id]) continue;
    // Unreachable nodes go into a column after the last one.
    const column = depth.get(node.id) ?? maxDepth + 1;
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    placed[node.id] = { x: column * COLUMN, y: row * ROW };
  }
  return placed;
}

function nodeIndex(doc: Document, id: string): number {
  return nodesOf(doc).findIndex((n) => n.id === id);
}

/** Sets one field of a node (`undefined` removes it). */
export function setField(doc: Document, id: string, path: FieldPath, value: unknown): void {
  const index = nodeIndex(doc, id);
  if (index < 0) throw new Error(`no node ${id}`);
  const full = ["nodes", index, ...path];
  if (value === undefined) doc.deleteIn(full);
  else doc.setIn(full, doc.createNode(value));
}

/** Connects an output of `source` to `target` (or, with null, disconnects it). */
export function connect(doc: Document, source: string, handle: string, target: string | null): void {
  const node = nodesOf(doc).find((n) => n.id === source);
  const out = node && kindOf(node.type)?.outputs(node).find((o) => o.handle === handle);
  if (!node || !out) throw new Error(`no output ${handle} on ${source}`);
  // A required way out is kept as an empty reference (a validation error that says what to connect); an optional
  // one is removed.
  setField(doc, source, out.path, target ?? (out.optional ? undefined : ""));
}

/** A node id not used yet, made from the kind's name. */
export function freshId(doc: Document, base: string): string {
  const used = new Set(nodesOf(doc).map((n) => n.id));
  for (let i = 1; ; i++) {
    const id = `${base}_${i}`;
    if (!used.has(id)) return id;
  }
}

/** Adds a node of `type` (with the kind's template); returns its id. */
export function addNode(doc: Document, type: string, fields?: Record<string, unknown>, idBase?: string): string {
  const kind = kindOf(type);
  if (!kind) throw new Error(`unknown node kind ${type}`);
  const id = freshId(doc, idBase ?? type);
  const node: FlowNode = { id, type, ...(fields ?? kind.template()) };
  // Every required way out is present, empty until connected: the node parses, and the validator names what is
  // left to connect.
  for (const out of kind.outputs(node)) {
    if (!out.optional && targetAt(node, out.path) === null && out.path.length === 1) node[out.path[0] as string] = "";
  }
  if (!isSeq(doc.get("nodes"))) doc.set("nodes", doc.createNode([]));
  (doc.get("nodes") as { add: (v: unknown) => void }).add(doc.createNode(node));
  return id;
}

/** A copy of a node under a new id, its ways out unconnected. */
export function copyNode(doc: Document, id: string): string {
  const node = nodesOf(doc).find((n) => n.id === id);
  if (!node) throw new Error(`no node ${id}`);
  const { id: _id, type, ...fields } = node;
  const copy = addNode(doc, type, structuredClone(fields), id);
  const kind = kindOf(type);
  for (const out of kind?.outputs({ ...node, id: copy }) ?? []) {
    if (targetAt(node, out.path) !== null) setField(doc, copy, out.path, out.optional ? undefined : "");
  }
  return copy;
}

/** Removes a node; transitions to it become unconnected (and `start`/`fallback` naming it are cleared). */
export function removeNode(doc: Document, id: string): void {
  const index = nodeIndex(doc, id);
  if (index < 0) return;
  doc.deleteIn(["nodes", index]);
  for (const node of nodesOf(doc)) {
    for (const out of kindOf(node.type)?.outputs(node) ?? []) {
      if (targetAt(node, out.path) === id) connect(doc, node.id, out.handle, null);
    }
  }
  for (const key of ["start", "fallback"]) {
    if (doc.get(key) === id) doc.set(key, "");
  }
}

/** One intent as the intent editor shows it. */
export interface IntentDef {
  name: string;
  /** Example sentences per language. */
  examples: Record<string, string[]>;
  keywords: string[];
  patterns: string[];
}

/** The flow's intents with their examples, keywords and patterns. */
export function intentDefs(doc: Document): IntentDef[] {
  const intents = doc.get("intents");
  if (!isMap(intents)) return [];
  return intents.items.map((pair) => {
    const name = String((pair.key as { value?: unknown })?.value ?? pair.key);
    const raw = (isMap(pair.value) ? pair.value.toJSON() : {}) as Record<string, unknown>;
    const examples: Record<string, string[]> = {};
    if (raw.examples && typeof raw.examples === "object") {
      for (const [lang, list] of Object.entries(raw.examples as Record<string, unknown>)) {
        examples[lang] = Array.isArray(list) ? list.map(String) : [];
      }
    }
    const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
    return { name, examples, keywords: strings(raw.keywords), patterns: strings(raw.patterns) };
  });
}

/** The languages the flow speaks: `languages`, and `language` first. */
export function languagesOf(doc: Document): string[] {
  const main = doc.get("language");
  const listed = doc.get("languages");
  const all = isSeq(listed) ? listed.items.map((i) => String((i as { value?: unknown })?.value ?? i)) : [];
  const first = typeof main === "string" && main ? [main] : [];
  return [...new Set([...first, ...all])];
}

/** An intent name: lower-case letters, digits and `_`, starting with a letter. */
export const INTENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Adds an empty intent; an existing or malformed name is an error. */
export function addIntent(doc: Document, name: string): void {
  if (!INTENT_NAME.test(name)) throw new Error(`${name}: lower-case letters, digits and _ only`);
  if (intentsOf(doc).includes(name)) throw new Error(`${name} exists already`);
  if (!isMap(doc.get("intents"))) doc.set("intents", doc.createNode({}));
  doc.setIn(["intents", name], doc.createNode({}));
  blockStyle(doc, ["intents", name]);
}

/** Writes the collections along `path` in block style: an empty map starts as `{}`, and what is added to it later
 * would stay in flow style (one long line) otherwise. */
function blockStyle(doc: Document, path: (string | number)[]): void {
  for (let i = 1; i <= path.length; i++) {
    const node = doc.getIn(path.slice(0, i), true);
    if (isMap(node) || isSeq(node)) node.flow = false;
  }
}

/** Removes an intent (menu options and splits naming it are then reported by the validator). */
export function removeIntent(doc: Document, name: string): void {
  doc.deleteIn(["intents", name]);
}

/** Sets an intent's examples in one language (an empty list removes the language). */
export function setIntentExamples(doc: Document, name: string, language: string, examples: string[]): void {
  const clean = examples.map((e) => e.trim()).filter((e) => e !== "");
  if (clean.length === 0) {
    doc.deleteIn(["intents", name, "examples", language]);
    return;
  }
  if (!isMap(doc.getIn(["intents", name, "examples"]))) doc.setIn(["intents", name, "examples"], doc.createNode({}));
  doc.setIn(["intents", name, "examples", language], doc.createNode(clean));
  blockStyle(doc, ["intents", name, "examples", language]);
}

/** Sets an intent's keywords (an empty list removes them). */
export function setIntentKeywords(doc: Document, name: string, keywords: string[]): void {
  const clean = keywords.map((k) => k.trim()).filter((k) => k !== "");
  if (clean.length === 0) doc.deleteIn(["intents", name, "keywords"]);
  else {
    doc.setIn(["intents", name, "keywords"], doc.createNode(clean, { flow: true }));
    blockStyle(doc, ["intents", name]);
  }
}

/** Makes `id` the node the flow starts at. */
export function setStart(doc: Document, id: string): void {
  doc.set("start", id);
}

export type { Diagnostic };

/** The node a diagnostic belongs to: its `node`, else the node its path points into (`nodes[4]…`). */
export function diagnosticNode(doc: Document, d: Diagnostic): string | null {
  if (d.node) return d.node;
  const m = /^nodes\[(\d+)\]/.exec(d.path);
  if (!m) return null;
  return nodesOf(doc)[Number(m[1])]?.id ?? null;
}

/** Diagnostics by node id; those of the document as a whole under "". */
export function diagnosticsByNode(doc: Document, diagnostics: readonly Diagnostic[]): Map<string, Diagnostic[]> {
  const by = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    const key = diagnosticNode(doc, d) ?? "";
    by.set(key, [...(by.get(key) ?? []), d]);
  }
  return by;
}

/**
 * Undo and redo over snapshots of the draft's text. An edit records the text before it; undo goes back one
 * snapshot, redo forward; a new edit after an undo drops the redo branch. Bounded, oldest first out.
 */
export class History {
  private past: string[] = [];
  private future: string[] = [];

  constructor(private readonly limit = 200) {}

  record(before: string): void {
    this.past.push(before);
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
  }

  undo(current: string): string | null {
    const previous = this.past.pop();
    if (previous === undefined) return null;
    this.future.push(current);
    return previous;
  }

  redo(current: string): string | null {
    const next = this.future.pop();
    if (next === undefined) return null;
    this.past.push(current);
    return next;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }
}

/** A blank flow: a greeting that says it is a bot, and a hand-over to people. */
export function blankFlow(id: string, name: string, language: "de" | "en"): string {
  const greeting =
    language === "de"
      ? "Guten Tag! Ich bin der digitale Assistent – ein Bot, kein Mensch. Ich verbinde Sie gleich mit unserem Team."
      : "Hello! I am the digital assistant – a bot, not a human. I will connect you with our team.";
  return [
    "flow: 1",
    `id: ${id}`,
    `name: ${JSON.stringify(name)}`,
    `language: ${language}`,
    `languages: [${language}]`,
    "start: greeting",
    "fallback: handoff",
    "nodes:",
    "  - id: greeting",
    "    type: say",
    `    text: ${JSON.stringify(greeting)}`,
    "    next: handoff",
    "  - id: handoff",
    "    type: enqueue",
    "    queue: general",
    "",
  ].join("\n");
}

/** One field that differs between two versions of a node (or of the document's settings). */
export interface FieldChange {
  /** `text`, `options[1].next`, `intents.human.keywords`. */
  path: string;
  before: unknown;
  after: unknown;
}

export interface FlowDiff {
  added: string[];
  removed: string[];
  changed: { id: string; fields: FieldChange[] }[];
  /** Everything outside `nodes`: name, start, intents, calendars, tests, … */
  settings: FieldChange[];
}

function fieldChanges(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  const bothLists = Array.isArray(before) && Array.isArray(after);
  const bothMaps =
    !bothLists &&
    before !== null &&
    after !== null &&
    typeof before === "object" &&
    typeof after === "object" &&
    !Array.isArray(before) &&
    !Array.isArray(after);
  if (bothLists) {
    const a = before as unknown[];
    const b = after as unknown[];
    for (let i = 0; i < Math.max(a.length, b.length); i++) fieldChanges(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (bothMaps) {
    const a = before as Record<string, unknown>;
    const b = after as Record<string, unknown>;
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      fieldChanges(a[key], b[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  out.push({ path, before, after });
}

/** What changed from one flow source to another, by meaning (formatting and comments aside): nodes by id. */
export function diffFlows(beforeSource: string, afterSource: string): FlowDiff {
  const before = parseDraft(beforeSource).doc.toJS() as Record<string, unknown> | null;
  const after = parseDraft(afterSource).doc.toJS() as Record<string, unknown> | null;
  const nodes = (doc: Record<string, unknown> | null) =>
    new Map(
      (Array.isArray(doc?.nodes) ? (doc.nodes as FlowNode[]) : [])
        .filter((n) => n && typeof n.id === "string")
        .map((n) => [n.id, n] as const),
    );
  const a = nodes(before);
  const b = nodes(after);
  const diff: FlowDiff = {
    added: [...b.keys()].filter((id) => !a.has(id)),
    removed: [...a.keys()].filter((id) => !b.has(id)),
    changed: [],
    settings: [],
  };
  for (const [id, node] of b) {
    const old = a.get(id);
    if (!old) continue;
    const fields: FieldChange[] = [];
    fieldChanges(old, node, "", fields);
    if (fields.length) diff.changed.push({ id, fields });
  }
  const { nodes: _a, ...restBefore } = before ?? {};
  const { nodes: _b, ...restAfter } = after ?? {};
  fieldChanges(restBefore, restAfter, "", diff.settings);
  return diff;
}
