// `http_request`: asks another system (an appointment calendar) and keeps parts of the answer.
import { ChoiceInput, MapInput, NumberInput, TextInput } from "../fields";
import type { KindDef } from "../types";

export const http_request: KindDef = {
  kind: "http_request",
  title: "editor.kind.http_request",
  hint: "editor.hint.http_request",
  outputs: () => [
    { handle: "next", label: "next", path: ["next"], optional: false },
    { handle: "on_error", label: "on error", path: ["on_error"], optional: false },
  ],
  template: () => ({ method: "GET", url: "https://" }),
  summary: (node) => `${String(node.method ?? "GET")} ${String(node.url ?? "")}`,
  Panel: ({ node, onChange }) => (
    <>
      <ChoiceInput node={node} path={["method"]} label="editor.field.method" onChange={onChange} choices={["GET", "POST", "PUT"]} />
      <TextInput node={node} path={["url"]} label="editor.field.url" onChange={onChange} multiline={false} />
      <MapInput node={node} path={["headers"]} label="editor.field.headers" onChange={onChange} />
      <TextInput node={node} path={["body"]} label="editor.field.body" onChange={onChange} />
      <MapInput node={node} path={["save"]} label="editor.field.save" onChange={onChange} />
      <NumberInput node={node} path={["timeout_secs"]} label="editor.field.timeout" onChange={onChange} min={1} max={30} />
    </>
  ),
};
