// Labelled form controls: a real <label>, an optional hint, and the server's message for this field wired up with
// aria-describedby so assistive technology reads it with the control.

import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from "react";

interface Common {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
}

function describedBy(hintId: string | null, errorId: string | null): string | undefined {
  const ids = [hintId, errorId].filter(Boolean).join(" ");
  return ids || undefined;
}

export function Field({ label, hint, error, ...input }: Common & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy(hintId, errorId)} {...input} />
      {hint && (
        <p id={hintId ?? undefined} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId ?? undefined} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

export function SelectField({
  label,
  hint,
  error,
  children,
  ...select
}: Common & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy(hintId, errorId)} {...select}>
        {children}
      </select>
      {hint && (
        <p id={hintId ?? undefined} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId ?? undefined} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
