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

const CHANNELS = ["voice", "chat", "sms", "whatsapp"] as const;

/** Whether a text value is one wording per channel (`{voice: …, chat: …}`). */
export function isByChannel(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => (CHANNELS as readonly string[]).includes(k));
}

/** A text a caller sees or hears: one string, one per language (`{de: …, en: …}`), or one wording per channel
 * (`{voice: …, chat: …}`, each one string or one per language). A link switches between one wording for every
 * channel and separate words for the phone and for chat. */
export function TextInput({ node, path, label, onChange, multiline = true, nested = false }: FieldProps & { multiline?: boolean; nested?: boolean }) {
  const id = useId();
  const value = valueAt(node, path);
  if (!nested && isByChannel(value)) {
    return (
      <fieldset className="editor-field" data-testid={`by-channel-${path.join(".")}`}>
        <legend>{t(label)}</legend>
        {CHANNELS.filter((c) => c in value).map((channel) => (
          <TextInput key={channel} node={node} path={[...path, channel]} label={`editor.channel.${channel}`} onChange={onChange} multiline={multiline} nested />
        ))}
        <button type="button" className="link small" onClick={() => onChange(path, value.voice ?? value.chat)}>
          {t("editor.sameWording")}
        </button>
      </fieldset>
    );
  }
  const split =
    !nested && multiline ? (
      <button
        type="button"
        className="link small"
        disabled={value === undefined || value === ""}
        onClick={() => onChange(path, { voice: structuredClone(value), chat: structuredClone(value) })}
        data-testid={`split-wording-${path.join(".")}`}
      >
        {t("editor.splitWording")}
      </button>
    ) : null;
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
        {split}
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
      {split}
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
