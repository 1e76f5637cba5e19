// `record`: records a voice message after a beep.
import { NumberInput, TextInput } from "../fields";
import { textOf, type KindDef } from "../types";

export const record: KindDef = {
  kind: "record",
  title: "editor.kind.record",
  hint: "editor.hint.record",
  outputs: () => [
    { handle: "next", label: "next", path: ["next"], optional: false },
    { handle: "no_input", label: "no input", path: ["no_input"], optional: true },
  ],
  template: () => ({ prompt: "", max_secs: 60, save_as: "recording" }),
  summary: (node) => textOf(node.prompt),
  Panel: ({ node, onChange }) => (
    <>
      <TextInput node={node} path={["prompt"]} label="editor.field.prompt" onChange={onChange} />
      <NumberInput node={node} path={["max_secs"]} label="editor.field.maxSecs" onChange={onChange} min={1} max={600} />
      <TextInput node={node} path={["save_as"]} label="editor.field.saveAs" onChange={onChange} multiline={false} />
    </>
  ),
};
