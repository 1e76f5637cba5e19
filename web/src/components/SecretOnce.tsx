// A secret the server shows exactly once (a one-time password, an API token): displayed with a copy button and a
// reminder that it cannot be shown again.

import { useRef, useState } from "react";
import { t } from "../i18n";

interface Props {
  heading: string;
  explanation: string;
  secret: string;
  testId: string;
  onDone: () => void;
}

export function SecretOnce({ heading, explanation, secret, testId, onDone }: Props) {
  return (
    <section className="card secret-once" aria-labelledby={`${testId}-heading`}>
      <h2 id={`${testId}-heading`}>{heading}</h2>
      <p>{explanation}</p>
      <p className="secret-row">
        <code className="secret" data-testid={testId}>
          {secret}
        </code>
        <CopyButton text={secret} autoFocus />
      </p>
      <button type="button" className="primary" onClick={onDone}>
        {t("common.done")}
      </button>
    </section>
  );
}

export function CopyButton({ text, label, autoFocus }: { text: string; label?: string; autoFocus?: boolean }) {
  const [state, setState] = useState<"idle" | "copied" | "manual">("idle");
  const timer = useRef<number | undefined>(undefined);

  async function copy() {
    try {
      // The Clipboard API only exists in secure contexts (https or localhost).
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("manual");
    }
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setState("idle"), 4000);
  }

  return (
    <>
      <button type="button" onClick={() => void copy()} autoFocus={autoFocus}>
        {label ?? t("common.copy")}
      </button>
      <span role="status" className="muted small">
        {state === "copied" ? t("common.copied") : state === "manual" ? t("common.copyManually") : ""}
      </span>
    </>
  );
}
