// `subflow`: runs a part of the flow (from its start node to a `return`), then goes on.
import type { KindDef } from "../types";

export const subflow: KindDef = {
  kind: "subflow",
  title: "editor.kind.subflow",
  hint: "editor.hint.subflow",
  outputs: () => [
    { handle: "start", label: "runs", path: ["start"], optional: false },
    { handle: "next", label: "then", path: ["next"], optional: false },
  ],
  template: () => ({ start: "", next: "" }),
  summary: () => "",
  Panel: () => null,
};
