// The inputs property panels are made of: each edits one field of a node and reports every change at once, so the
// document (the source of truth) is updated as the operator types.

import { useId } from "react";
import { t, type MessageKey } from "../../i18n";
import type { FieldPath, FlowNode } from "./types";

interface FieldProps {
  node: FlowNode;
  path: FieldPath;
  label: MessageKey;
  onChange: (path: FieldPath, value: unknown) => void;
}

function valueAt(node: FlowNode, path: FieldPath): unknown {
  let v: unknown = node;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/** A text a caller sees or hears: one string, or one per language (`{de: …, en: …}`). */
export function TextInput({ node, path, label, onChange, multiline = true }: FieldProps & { multiline?: boolean }) {
  const id = useId();
  const value = valueAt(node, path);
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const texts = value as Record<string, unknown>;
    return (
      <fieldset className="editor-field">
        <legend>{t(label)}</legend>
        {Object.keys(texts).map((lang) => (
          <label key={lang} className="editor-field">
            <span>{lang}</span>
            <textarea
              rows={3}
              value={typeof texts[lang] === "string" ? texts[lang] : ""}
              onChange={(e) => onChange([...path, lang], e.target.value)}
            />
          </label>
        ))}
      </fieldset>
    );
  }
  const text = typeof value === "string" ? value : "";
  return (
    <div className="editor-field">
      <label htmlFor={id}>{t(label)}</label>
      {multiline ? (
        <textarea id={id} rows={3} value={text} onChange={(e) => onChange(path, e.target.value || undefined)} />
      ) : (
        <input id={id} value={text} onChange={(e) => onChange(path, e.target.value || undefined)} />
      )}
    </div>
  );
}

/** A whole number; empty removes the field (the format's default applies). */
export function NumberInput({ node, path, label, onChange, min, max }: FieldProps & { min?: number; max?: number }) {
  const id = useId();
  const value = valueAt(node, path);
  return (
    <div className="editor-field">
      <label htmlFor={id}>{t(label)}</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={min}
        max={max}
        value={typeof value === "number" ? value : ""}
        onChange={(e) => onChange(path, e.target.value === "" ? undefined : Number(e.target.value))}
      />
    </div>
  );
}

/** A list of words, typed comma-separated. */
export function ListInput({ node, path, label, onChange }: FieldProps) {
  const id = useId();
  const value = valueAt(node, path);
  const list = Array.isArray(value) ? value.map(String) : [];
  return (
    <div className="editor-field">
      <label htmlFor={id}>{t(label)}</label>
      <input
        id={id}
        value={list.join(", ")}
        onChange={(e) => {
          const items = e.target.value
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean);
          onChange(path, items.length ? items : undefined);
        }}
      />
    </div>
  );
}

/** One of a fixed set of values. */
export function ChoiceInput({
  node,
  path,
  label,
  onChange,
  choices,
  allowEmpty = false,
}: FieldProps & { choices: readonly string[]; allowEmpty?: boolean }) {
  const id = useId();
  const value = valueAt(node, path);
  return (
    <div className="editor-field">
      <label htmlFor={id}>{t(label)}</label>
      <select
        id={id}
        value={typeof value === "string" ? value : ""}
        onChange={(e) => onChange(path, e.target.value || undefined)}
      >
        {allowEmpty && <option value="">–</option>}
        {choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A key → value map, one `key = value` per line (variables to set, headers, what to save). */
export function MapInput({ node, path, label, onChange }: FieldProps) {
  const id = useId();
  const value = valueAt(node, path);
  const map = value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  const text = Object.entries(map)
    .map(([k, v]) => `${k} = ${String(v)}`)
    .join("\n");
  return (
    <div className="editor-field">
      <label htmlFor={id}>{t(label)}</label>
      <textarea
        id={id}
        rows={3}
        defaultValue={text}
        onBlur={(e) => {
          const next: Record<string, string> = {};
          for (const line of e.target.value.split("\n")) {
            const at = line.indexOf("=");
            if (at > 0) next[line.slice(0, at).trim()] = line.slice(at + 1).trim();
          }
          onChange(path, Object.keys(next).length ? next : undefined);
        }}
      />
    </div>
  );
}
