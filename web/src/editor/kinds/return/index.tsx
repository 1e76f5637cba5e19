// `return`: ends a subflow; the flow goes on after the `subflow` node that ran it.
import type { KindDef } from "../types";

export const returnKind: KindDef = {
  kind: "return",
  title: "editor.kind.return",
  hint: "editor.hint.return",
  outputs: () => [],
  template: () => ({}),
  summary: () => "",
  Panel: () => null,
};
