// `say`: speaks or writes a text (or plays a recorded prompt), then goes on.
import { TextInput } from "../fields";
import { textOf, type KindDef } from "../types";

export const say: KindDef = {
  kind: "say",
  title: "editor.kind.say",
  hint: "editor.hint.say",
  outputs: () => [{ handle: "next", label: "next", path: ["next"], optional: false }],
  template: () => ({ text: "" }),
  summary: (node) => textOf(node.text) || String(node.audio ?? ""),
  Panel: ({ node, onChange }) => (
    <>
      <TextInput node={node} path={["text"]} label="editor.field.text" onChange={onChange} />
      <TextInput node={node} path={["audio"]} label="editor.field.audio" onChange={onChange} multiline={false} />
    </>
  ),
};
