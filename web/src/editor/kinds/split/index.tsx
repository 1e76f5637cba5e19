// `split`: branches by condition (office hours, a variable), with a default way.
import { t } from "../../../i18n";
import type { FlowNode, KindDef, Output } from "../types";

function branches(node: FlowNode): Record<string, unknown>[] {
  return Array.isArray(node.branches) ? (node.branches as Record<string, unknown>[]) : [];
}

/** A condition in a few words: `open: office`, `var topic = billing`. */
function conditionText(when: unknown): string {
  if (!when || typeof when !== "object") return "?";
  return Object.entries(when as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(", ");
}

export const split: KindDef = {
  kind: "split",
  title: "editor.kind.split",
  hint: "editor.hint.split",
  outputs: (node) => [
    ...branches(node).map(
      (b, i): Output => ({ handle: `branches.${i}`, label: conditionText(b.when), path: ["branches", i, "next"], optional: false }),
    ),
    { handle: "default", label: "default", path: ["default"], optional: false },
  ],
  template: () => ({ branches: [], default: "" }),
  summary: (node) => branches(node).map((b) => conditionText(b.when)).join(" · "),
  Panel: ({ node }) => (
    <div className="editor-field">
      <p className="muted">{t("editor.splitHint")}</p>
      <ul>
        {branches(node).map((b, i) => (
          <li key={i}>
            <code>{conditionText(b.when)}</code>
          </li>
        ))}
      </ul>
    </div>
  ),
};
