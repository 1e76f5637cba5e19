// `menu`: options by digit, by keyword or by intent; each option is a way out of its own.
import { t } from "../../../i18n";
import { ChoiceInput, ListInput, NumberInput, TextInput } from "../fields";
import { textOf, type FlowNode, type KindDef, type Output } from "../types";

function options(node: FlowNode): Record<string, unknown>[] {
  return Array.isArray(node.options) ? (node.options as Record<string, unknown>[]) : [];
}

export const menu: KindDef = {
  kind: "menu",
  title: "editor.kind.menu",
  hint: "editor.hint.menu",
  outputs: (node) => [
    ...options(node).map(
      (o, i): Output => ({
        handle: `options.${i}`,
        label: o.digit !== undefined ? `digit ${String(o.digit)}` : textOf(o.label) || `option ${i + 1}`,
        path: ["options", i, "next"],
        optional: false,
      }),
    ),
    { handle: "no_input", label: "no input", path: ["no_input"], optional: true },
    { handle: "no_match", label: "no match", path: ["no_match"], optional: true },
  ],
  template: () => ({ prompt: "", options: [{ digit: "1", label: "", next: "" }] }),
  summary: (node) => textOf(node.prompt),
  Panel: ({ node, onChange, intents }) => {
    const list = options(node);
    return (
      <>
        <TextInput node={node} path={["prompt"]} label="editor.field.prompt" onChange={onChange} />
        {list.map((_, i) => (
          <fieldset key={i} className="editor-field">
            <legend>{t("editor.field.option", { n: String(i + 1) })}</legend>
            <TextInput node={node} path={["options", i, "digit"]} label="editor.field.digit" onChange={onChange} multiline={false} />
            <TextInput node={node} path={["options", i, "label"]} label="editor.field.label" onChange={onChange} multiline={false} />
            <ChoiceInput node={node} path={["options", i, "intent"]} label="editor.field.intent" onChange={onChange} choices={intents} allowEmpty />
            <ListInput node={node} path={["options", i, "keywords"]} label="editor.field.keywords" onChange={onChange} />
            <button type="button" onClick={() => onChange(["options"], list.filter((__, j) => j !== i))}>
              {t("editor.removeOption")}
            </button>
          </fieldset>
        ))}
        <button
          type="button"
          disabled={list.length >= 9}
          onClick={() => onChange(["options"], [...list, { digit: String(list.length + 1), label: "", next: "" }])}
        >
          {t("editor.addOption")}
        </button>
        <NumberInput node={node} path={["timeout_secs"]} label="editor.field.timeout" onChange={onChange} min={1} />
        <NumberInput node={node} path={["retries"]} label="editor.field.retries" onChange={onChange} min={0} max={5} />
      </>
    );
  },
};
