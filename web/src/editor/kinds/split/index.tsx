// `split`: branches by condition (the caller's intent, office hours, a variable), with a default way. Each branch
// is edited here: its kind of condition and that condition's fields; branches are added and removed.
import { useId } from "react";
import { t, type MessageKey } from "../../../i18n";
import type { FlowNode, KindDef, Output } from "../types";

type When = Record<string, unknown>;
type ConditionKind = "intent" | "open" | "compare" | "regex";
const KINDS: ConditionKind[] = ["intent", "open", "compare", "regex"];
const OPS = ["eq", "ne", "lt", "gt", "contains", "exists"] as const;

function branches(node: FlowNode): Record<string, unknown>[] {
  return Array.isArray(node.branches) ? (node.branches as Record<string, unknown>[]) : [];
}

function kindOf(when: unknown): ConditionKind {
  const key = when && typeof when === "object" ? Object.keys(when)[0] : undefined;
  return KINDS.includes(key as ConditionKind) ? (key as ConditionKind) : "intent";
}

/** A condition in a few words: `intent: termin`, `open: office`, `compare: topic eq billing`. */
function conditionText(when: unknown): string {
  if (!when || typeof when !== "object") return "?";
  return Object.entries(when as When)
    .map(([k, v]) => {
      if (v && typeof v === "object") {
        const c = v as When;
        return k === "compare" ? `${String(c.var ?? "")} ${String(c.op ?? "")} ${String(c.value ?? "")}`.trim() : `${k}: ${String(c.pattern ?? "")}`;
      }
      return `${k}: ${String(v)}`;
    })
    .join(", ");
}

/** A fresh condition of a kind. */
function blank(kind: ConditionKind, intents: string[]): When {
  switch (kind) {
    case "intent":
      return { intent: intents[0] ?? "" };
    case "open":
      return { open: "" };
    case "compare":
      return { compare: { var: "", op: "eq", value: "" } };
    case "regex":
      return { regex: { pattern: "" } };
  }
}

function Field({ label, children }: { label: MessageKey; children: (id: string) => React.ReactNode }) {
  const id = useId();
  return (
    <div className="editor-field">
      <label htmlFor={id}>{t(label)}</label>
      {children(id)}
    </div>
  );
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
  template: () => ({ branches: [{ when: { intent: "" }, next: "" }], default: "" }),
  summary: (node) => branches(node).map((b) => conditionText(b.when)).join(" · "),
  Panel: ({ node, onChange, intents }) => {
    const list = branches(node);
    return (
      <>
        <p className="muted small">{t("editor.splitHint")}</p>
        {list.map((b, i) => {
          const kind = kindOf(b.when);
          const when = (b.when && typeof b.when === "object" ? b.when : {}) as When;
          const inner = (when[kind] && typeof when[kind] === "object" ? when[kind] : {}) as When;
          const set = (value: unknown) => onChange(["branches", i, "when"], value);
          return (
            <fieldset key={i} className="editor-field" data-testid={`branch-${i}`}>
              <legend>{t("editor.field.branch", { n: String(i + 1) })}</legend>
              <Field label="editor.field.condition">
                {(id) => (
                  <select id={id} value={kind} onChange={(e) => set(blank(e.target.value as ConditionKind, intents))} data-testid={`branch-${i}-kind`}>
                    {KINDS.map((k) => (
                      <option key={k} value={k}>
                        {t(`editor.condition.${k}`)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              {kind === "intent" && (
                <Field label="editor.field.intent">
                  {(id) => (
                    <select id={id} value={String(when.intent ?? "")} onChange={(e) => set({ intent: e.target.value })} data-testid={`branch-${i}-intent`}>
                      <option value="">–</option>
                      {intents.map((name) => (
                        <option key={name} value={name}>
                          {name}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
              )}
              {kind === "open" && (
                <Field label="editor.field.calendar">
                  {(id) => <input id={id} value={String(when.open ?? "")} onChange={(e) => set({ open: e.target.value })} />}
                </Field>
              )}
              {kind === "compare" && (
                <>
                  <Field label="editor.field.variable">
                    {(id) => <input id={id} value={String(inner.var ?? "")} onChange={(e) => set({ compare: { ...inner, var: e.target.value } })} />}
                  </Field>
                  <Field label="editor.field.op">
                    {(id) => (
                      <select id={id} value={String(inner.op ?? "eq")} onChange={(e) => set({ compare: { ...inner, op: e.target.value } })}>
                        {OPS.map((op) => (
                          <option key={op} value={op}>
                            {t(`editor.op.${op}`)}
                          </option>
                        ))}
                      </select>
                    )}
                  </Field>
                  {inner.op !== "exists" && (
                    <Field label="editor.field.value">
                      {(id) => <input id={id} value={String(inner.value ?? "")} onChange={(e) => set({ compare: { ...inner, value: e.target.value } })} />}
                    </Field>
                  )}
                </>
              )}
              {kind === "regex" && (
                <>
                  <Field label="editor.field.pattern">
                    {(id) => <input id={id} value={String(inner.pattern ?? "")} onChange={(e) => set({ regex: { ...inner, pattern: e.target.value } })} />}
                  </Field>
                  <Field label="editor.field.variableOptional">
                    {(id) => (
                      <input
                        id={id}
                        value={String(inner.var ?? "")}
                        onChange={(e) => {
                          const { var: _old, ...rest } = inner;
                          set({ regex: e.target.value ? { ...rest, var: e.target.value } : rest });
                        }}
                      />
                    )}
                  </Field>
                </>
              )}
              <button type="button" onClick={() => onChange(["branches"], list.filter((__, j) => j !== i))}>
                {t("editor.removeBranch")}
              </button>
            </fieldset>
          );
        })}
        <button type="button" onClick={() => onChange(["branches"], [...list, { when: blank("intent", intents), next: "" }])} data-testid="add-branch">
          {t("editor.addBranch")}
        </button>
      </>
    );
  },
};
