// `send_message`: sends a text on another channel (a follow-up SMS), then goes on.
import { ChoiceInput, TextInput } from "../fields";
import { textOf, type KindDef } from "../types";

export const send_message: KindDef = {
  kind: "send_message",
  title: "editor.kind.send_message",
  hint: "editor.hint.send_message",
  outputs: () => [{ handle: "next", label: "next", path: ["next"], optional: false }],
  template: () => ({ text: "", channel: "sms" }),
  summary: (node) => textOf(node.text),
  Panel: ({ node, onChange }) => (
    <>
      <TextInput node={node} path={["text"]} label="editor.field.text" onChange={onChange} />
      <ChoiceInput node={node} path={["channel"]} label="editor.field.channel" onChange={onChange} choices={["sms", "chat"]} />
    </>
  ),
};
