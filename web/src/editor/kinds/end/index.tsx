// `end`: says goodbye and ends the conversation.
import { TextInput } from "../fields";
import { textOf, type KindDef } from "../types";

export const end: KindDef = {
  kind: "end",
  title: "editor.kind.end",
  hint: "editor.hint.end",
  outputs: () => [],
  template: () => ({}),
  summary: (node) => textOf(node.text),
  Panel: ({ node, onChange }) => <TextInput node={node} path={["text"]} label="editor.field.text" onChange={onChange} />,
};
