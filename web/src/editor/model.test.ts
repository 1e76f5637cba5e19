// The adapter between the flow document and the canvas, on both demo flows and on small documents.

import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import {
  History,
  addIntent,
  addNode,
  blankFlow,
  connect,
  copyNode,
  diffFlows,
  diagnosticsByNode,
  intentDefs,
  languagesOf,
  nodesOf,
  parseDraft,
  printDraft,
  removeIntent,
  removeNode,
  setField,
  setIntentExamples,
  setIntentKeywords,
  toCanvas,
  withPositions,
} from "./model";

const demo = (lang: string) => readFileSync(new URL(`../../../flows/demo-${lang}.yaml`, import.meta.url), "utf8");

describe.each(["en", "de"])("the demo flow (%s)", (lang) => {
  const source = demo(lang);

  test("becomes a canvas with every node and a connected edge for every transition", () => {
    const { doc, error } = parseDraft(source);
    expect(error).toBeNull();
    const canvas = toCanvas(doc, {});
    const ids = nodesOf(doc).map((n) => n.id);
    expect(canvas.nodes.map((n) => n.id)).toEqual(ids);
    expect(canvas.dangling).toEqual([]);
    for (const edge of canvas.edges) {
      expect(ids).toContain(edge.target);
      const node = canvas.nodes.find((n) => n.id === edge.source);
      expect(node?.outputs.map((o) => o.handle)).toContain(edge.sourceHandle);
    }
    const menu = canvas.nodes.find((n) => n.type === "menu");
    expect(menu?.outputs.map((o) => o.label)).toEqual(["digit 1", "digit 2", "digit 3", "digit 4", "digit 5", "no input", "no match"]);
    expect(canvas.nodes.filter((n) => n.start)).toHaveLength(1);
    // Every node has a place, and no two share one.
    const places = new Set(canvas.nodes.map((n) => `${n.position.x},${n.position.y}`));
    expect(places.size).toBe(canvas.nodes.length);
  });

  test("moving nodes changes neither the document nor its text", () => {
    const { doc } = parseDraft(source);
    const before = JSON.stringify(doc.toJS());
    const moved = Object.fromEntries(nodesOf(doc).map((n, i) => [n.id, { x: i * 7, y: -i * 3 }]));
    const canvas = toCanvas(doc, moved);
    expect(canvas.nodes[2]?.position).toEqual({ x: 14, y: -6 });
    expect(JSON.stringify(doc.toJS())).toBe(before);
    expect(parseDraft(printDraft(doc)).doc.toJS()).toEqual(doc.toJS());
  });

  test("an edit and its undo give back the text byte for byte", () => {
    const { doc } = parseDraft(source);
    const history = new History();
    history.record(source);
    const greeting = nodesOf(doc)[0]!.id;
    setField(doc, greeting, ["text"], "Changed");
    const edited = printDraft(doc);
    expect(edited).not.toBe(source);
    expect(history.undo(edited)).toBe(source);
    expect(history.redo(source)).toBe(edited);
    expect(history.canRedo).toBe(false);
  });
});

const SMALL = `flow: 1
id: small
name: Small
language: en
start: hello
# The greeting says it is a bot.
nodes:
  - id: hello
    type: say
    text: Hi, I am a bot.
    next: question
  - id: question
    type: ask
    prompt: What is it about?
    next: people
    no_input: people
  - id: people
    type: enqueue
    queue: team
`;

test("connecting, disconnecting and removing nodes edit the transitions, and comments stay", () => {
  const { doc } = parseDraft(SMALL);
  const bye = addNode(doc, "end");
  expect(bye).toBe("end_1");
  connect(doc, "question", "no_match", bye);
  expect(nodesOf(doc)[1]).toMatchObject({ no_match: "end_1" });
  // An optional way out is removed, a required one kept empty (the validator then says what is missing).
  connect(doc, "question", "no_input", null);
  expect(nodesOf(doc)[1]).not.toHaveProperty("no_input");
  connect(doc, "hello", "next", null);
  expect(nodesOf(doc)[0]).toMatchObject({ next: "" });
  removeNode(doc, "people");
  expect(nodesOf(doc).map((n) => n.id)).toEqual(["hello", "question", "end_1"]);
  expect(nodesOf(doc)[1]).toMatchObject({ next: "" });
  expect(printDraft(doc)).toContain("# The greeting says it is a bot.");
  expect(() => connect(doc, "hello", "nowhere", "end_1")).toThrow();
});

test("a new node has every required way out, empty, so it parses", () => {
  const { doc } = parseDraft(SMALL);
  const id = addNode(doc, "http_request");
  expect(nodesOf(doc).find((n) => n.id === id)).toMatchObject({ next: "", on_error: "", method: "GET" });
  const say = addNode(doc, "say");
  expect(nodesOf(doc).find((n) => n.id === say)).toMatchObject({ next: "" });
});

test("a copy gets a new id and no connections", () => {
  const { doc } = parseDraft(SMALL);
  const copy = copyNode(doc, "question");
  const node = nodesOf(doc).find((n) => n.id === copy);
  expect(copy).toBe("question_1");
  expect(node).toMatchObject({ type: "ask", prompt: "What is it about?", next: "" });
  expect(node).not.toHaveProperty("no_input");
});

test("new nodes are placed after the ones the start reaches, without moving placed ones", () => {
  const { doc } = parseDraft(SMALL);
  const placed = withPositions(doc, { hello: { x: 5, y: 5 } });
  expect(placed.hello).toEqual({ x: 5, y: 5 });
  expect(placed.question).toEqual({ x: 300, y: 0 });
  expect(placed.people).toEqual({ x: 600, y: 0 });
  addNode(doc, "say");
  expect(withPositions(doc, placed).say_1).toEqual({ x: 900, y: 0 });
});

test("diagnostics land on the node their path points into", () => {
  const { doc } = parseDraft(SMALL);
  const by = diagnosticsByNode(doc, [
    { severity: "error", code: "dangling-transition", message: "m", node: "question", path: "nodes[1].next" },
    { severity: "warning", code: "menu-too-long", message: "m", node: null, path: "nodes[2].text" },
    { severity: "warning", code: "no-path-to-human", message: "m", node: null, path: "fallback" },
  ]);
  expect(by.get("question")?.[0]?.code).toBe("dangling-transition");
  expect(by.get("people")?.[0]?.code).toBe("menu-too-long");
  expect(by.get("")?.[0]?.code).toBe("no-path-to-human");
});

test("a blank flow parses, says it is a bot and can reach a person", () => {
  const { doc, error } = parseDraft(blankFlow("new", "New: hotline", "de"));
  expect(error).toBeNull();
  expect(doc.get("name")).toBe("New: hotline");
  expect(toCanvas(doc, {}).edges).toHaveLength(1);
});

test("text that is not YAML is reported, not thrown", () => {
  expect(parseDraft("nodes: [unclosed").error).toMatch(/./);
});

test("a diff names nodes added, removed and changed, field by field, and ignores formatting", () => {
  const before = SMALL;
  const after = SMALL.replace("text: Hi, I am a bot.", 'text: "Hello, I am a bot."')
    .replace("    no_input: people\n", "    no_input: people\n    no_match: people\n")
    .replace("name: Small", "name: Smaller")
    .replace(/  - id: people[\s\S]*$/, "  - id: team\n    type: enqueue\n    queue: team\n");
  const diff = diffFlows(before, after);
  expect(diff.added).toEqual(["team"]);
  expect(diff.removed).toEqual(["people"]);
  expect(diff.changed).toEqual([
    { id: "hello", fields: [{ path: "text", before: "Hi, I am a bot.", after: "Hello, I am a bot." }] },
    { id: "question", fields: [{ path: "no_match", before: undefined, after: "people" }] },
  ]);
  expect(diff.settings).toEqual([{ path: "name", before: "Small", after: "Smaller" }]);
  // Only formatting differs: no change at all.
  const reformatted = printDraft(parseDraft(demo("en")).doc);
  expect(diffFlows(demo("en"), reformatted)).toEqual({ added: [], removed: [], changed: [], settings: [] });
});

describe("the intent editor's edits", () => {
  test("read the demo's intents with their examples and keywords", () => {
    const { doc } = parseDraft(demo("en"));
    const intents = intentDefs(doc);
    const appointment = intents.find((i) => i.name === "appointment");
    expect(appointment?.examples.en).toContain("Book an appointment");
    expect(appointment?.keywords).toContain("vaccination");
    expect(languagesOf(doc)).toEqual(["en"]);
  });

  test("add, fill and remove an intent in the document, keeping the comments", () => {
    const { doc } = parseDraft(demo("de"));
    addIntent(doc, "masern");
    setIntentExamples(doc, "masern", "de", ["Bin ich gegen Masern geimpft", "  ", "Masernimpfung für mein Kind"]);
    setIntentKeywords(doc, "masern", ["masern", " "]);
    const text = printDraft(doc);
    expect(text.startsWith("#")).toBe(true);
    const again = intentDefs(parseDraft(text).doc).find((i) => i.name === "masern");
    expect(again?.examples.de).toEqual(["Bin ich gegen Masern geimpft", "Masernimpfung für mein Kind"]);
    expect(again?.keywords).toEqual(["masern"]);
    // Written as a person would: a block per intent, one example per line, keywords on one line.
    expect(text).toContain("  masern:\n    examples:\n      de:\n        - Bin ich gegen Masern geimpft\n        - Masernimpfung für mein Kind\n    keywords: [ masern ]\n");
    // An empty list removes the language; removing the intent leaves the rest as it was.
    setIntentExamples(doc, "masern", "de", []);
    expect(intentDefs(doc).find((i) => i.name === "masern")?.examples).toEqual({});
    removeIntent(doc, "masern");
    expect(parseDraft(printDraft(doc)).doc.toJSON()).toEqual(parseDraft(demo("de")).doc.toJSON());
  });

  test("refuse a malformed or taken name", () => {
    const { doc } = parseDraft(demo("en"));
    expect(() => addIntent(doc, "Impf Termin")).toThrow();
    expect(() => addIntent(doc, "appointment")).toThrow();
  });
});

describe("texts by channel", () => {
  test("the demo's menu has a phone and a chat wording, and the canvas summarises it", () => {
    const { doc } = parseDraft(demo("en"));
    const menu = nodesOf(doc).find((n) => n.id === "main_menu");
    expect(Object.keys(menu?.prompt as object)).toEqual(["voice", "chat"]);
    const node = toCanvas(doc, {}).nodes.find((n) => n.id === "main_menu");
    expect(node?.summary).toMatch(/^How can I help\?/);
  });
});
