// `ask`: asks a question and keeps the answer (digits, speech or text).
import { ListInput, NumberInput, TextInput } from "../fields";
import { textOf, type KindDef } from "../types";

export const ask: KindDef = {
  kind: "ask",
  title: "editor.kind.ask",
  hint: "editor.hint.ask",
  outputs: () => [
    { handle: "next", label: "next", path: ["next"], optional: false },
    { handle: "no_input", label: "no input", path: ["no_input"], optional: true },
    { handle: "no_match", label: "no match", path: ["no_match"], optional: true },
  ],
  template: () => ({ prompt: "", input: ["speech", "text"], save_as: "answer" }),
  summary: (node) => textOf(node.prompt),
  Panel: ({ node, onChange }) => (
    <>
      <TextInput node={node} path={["prompt"]} label="editor.field.prompt" onChange={onChange} />
      <ListInput node={node} path={["input"]} label="editor.field.input" onChange={onChange} />
      <TextInput node={node} path={["save_as"]} label="editor.field.saveAs" onChange={onChange} multiline={false} />
      <NumberInput node={node} path={["num_digits"]} label="editor.field.numDigits" onChange={onChange} min={1} max={32} />
      <NumberInput node={node} path={["timeout_secs"]} label="editor.field.timeout" onChange={onChange} min={1} />
      <NumberInput node={node} path={["retries"]} label="editor.field.retries" onChange={onChange} min={0} max={5} />
    </>
  ),
};
