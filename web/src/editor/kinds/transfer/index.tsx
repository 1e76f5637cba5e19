// `transfer`: passes the call to another number (phone only).
import { TextInput } from "../fields";
import type { KindDef } from "../types";

export const transfer: KindDef = {
  kind: "transfer",
  title: "editor.kind.transfer",
  hint: "editor.hint.transfer",
  outputs: () => [{ handle: "on_failure", label: "on failure", path: ["on_failure"], optional: true }],
  template: () => ({ to: "" }),
  summary: (node) => String(node.to ?? ""),
  Panel: ({ node, onChange }) => (
    <>
      <TextInput node={node} path={["to"]} label="editor.field.to" onChange={onChange} multiline={false} />
      <TextInput node={node} path={["text"]} label="editor.field.text" onChange={onChange} />
    </>
  ),
};
