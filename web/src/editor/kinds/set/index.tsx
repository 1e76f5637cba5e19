// `set`: sets variables, then goes on.
import { MapInput } from "../fields";
import type { KindDef } from "../types";

export const set: KindDef = {
  kind: "set",
  title: "editor.kind.set",
  hint: "editor.hint.set",
  outputs: () => [{ handle: "next", label: "next", path: ["next"], optional: false }],
  template: () => ({ values: {} }),
  summary: (node) => Object.keys((node.values as Record<string, unknown>) ?? {}).join(", "),
  Panel: ({ node, onChange }) => <MapInput node={node} path={["values"]} label="editor.field.values" onChange={onChange} />,
};
