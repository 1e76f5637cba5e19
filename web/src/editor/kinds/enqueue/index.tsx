// `enqueue`: hands the caller to a person in a queue, with what the bot learnt.
import { NumberInput, TextInput } from "../fields";
import type { KindDef } from "../types";

export const enqueue: KindDef = {
  kind: "enqueue",
  title: "editor.kind.enqueue",
  hint: "editor.hint.enqueue",
  outputs: () => [{ handle: "on_timeout", label: "timeout", path: ["on_timeout"], optional: true }],
  template: () => ({ queue: "" }),
  summary: (node) => String(node.queue ?? ""),
  Panel: ({ node, onChange }) => (
    <>
      <TextInput node={node} path={["queue"]} label="editor.field.queue" onChange={onChange} multiline={false} />
      <TextInput node={node} path={["text"]} label="editor.field.text" onChange={onChange} />
      <NumberInput node={node} path={["priority"]} label="editor.field.priority" onChange={onChange} />
      <NumberInput node={node} path={["timeout_secs"]} label="editor.field.timeout" onChange={onChange} min={1} />
    </>
  ),
};
