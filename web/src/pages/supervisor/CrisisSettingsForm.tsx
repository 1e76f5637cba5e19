// The tenant's crisis settings (GET/PUT /contact-centre/settings): the text a caller in crisis is sent at once, per
// language; the tenant's own crisis expressions, added to the built-in list; and the queue automatic hand-overs go
// to. The built-in texts stand in the empty boxes as placeholders, because they are what callers get when no text
// of the tenant's own is set. The server validates everything; its objections are shown next to the boxes.

import { useEffect, useId, useState, type FormEvent } from "react";
import { api, type ApiError, type ContactSettings, type Queue } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import { SelectField } from "../../components/Field";
import { localFieldErrors, localProblem, unavailable } from "../../contact/problems";
import { t, type MessageKey } from "../../i18n";

/** The languages every tenant gets a box for; others the tenant has set are shown after them. */
const LANGUAGES = ["de", "en"];

const FIELDS = ["crisis_text", "crisis_terms", "handover_queue"];

interface Draft {
  texts: Record<string, string>;
  terms: string;
  handoverQueue: string;
}

function draftOf(settings: ContactSettings): Draft {
  return {
    texts: { ...settings.crisis_text },
    terms: settings.crisis_terms.join("\n"),
    handoverQueue: settings.handover_queue,
  };
}

/** The terms one per line, blank lines dropped, with the line each came from (to say where a refused term is). */
function termsOf(text: string): { terms: string[]; lines: number[] } {
  const terms: string[] = [];
  const lines: number[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    terms.push(line.trim());
    lines.push(i + 1);
  });
  return { terms, lines };
}

function languageName(code: string): string {
  const key = `crisis.language.${code}`;
  return key === "crisis.language.de" || key === "crisis.language.en" ? t(key as MessageKey) : code;
}

export function CrisisSettingsForm({ queues }: { queues: readonly Queue[] }) {
  const id = useId();
  const [draft, setDraft] = useState<Draft | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState("");
  // The server's built-in texts: what callers get in a language without the tenant's own.
  const [builtIn, setBuiltIn] = useState<Record<string, string>>({});

  useEffect(() => {
    api.contactSettings().then(
      (settings) => {
        setDraft(draftOf(settings));
        setBuiltIn(settings.builtin_crisis_text ?? {});
      },
      (e: unknown) => setLoadError(unavailable("crisis.unavailable", e)),
    );
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!draft) return;
    // An empty box means: the built-in text (the server refuses an empty one).
    const crisis_text = Object.fromEntries(Object.entries(draft.texts).filter(([, text]) => text.trim() !== ""));
    const { terms, lines } = termsOf(draft.terms);
    setBusy(true);
    setError(null);
    setFieldErrors({});
    setSaved("");
    try {
      const settings = await api.putContactSettings({ crisis_text, crisis_terms: terms, handover_queue: draft.handoverQueue });
      setDraft(draftOf(settings));
      setSaved(t("crisis.saved"));
    } catch (e) {
      setError(localProblem(e, {}, FIELDS));
      setFieldErrors(localFieldErrors(e, { lineOf: (index) => lines[index] ?? index + 1 }));
    } finally {
      setBusy(false);
    }
  }

  const languages = draft ? [...LANGUAGES, ...Object.keys(draft.texts).filter((l) => !LANGUAGES.includes(l))] : [];
  const queueNames = queues.map((q) => q.name);
  if (draft && !queueNames.includes(draft.handoverQueue)) queueNames.push(draft.handoverQueue);
  const textError = fieldErrors.crisis_text ? `${id}-text-error` : null;
  const termsDescribed = [`${id}-terms-hint`, fieldErrors.crisis_terms ? `${id}-terms-error` : null].filter(Boolean).join(" ");

  return (
    <section aria-labelledby="crisis-heading" data-testid="crisis-settings">
      <h2 id="crisis-heading">{t("crisis.title")}</h2>
      <p className="hint">{t("crisis.intro")}</p>
      {!draft ? (
        loadError ? (
          <ErrorAlert error={loadError} />
        ) : (
          <p className="muted" aria-busy="true">
            {t("common.loading")}
          </p>
        )
      ) : (
        <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="crisis-heading" noValidate>
          <ErrorAlert error={error} />
          <fieldset className="plain">
            <legend>{t("crisis.texts")}</legend>
            <p id={`${id}-text-hint`} className="hint">
              {t("crisis.textsHint")}
            </p>
            {languages.map((lang) => (
              <div className="field wide" key={lang}>
                <label htmlFor={`${id}-text-${lang}`}>{t("crisis.textIn", { language: languageName(lang) })}</label>
                <textarea
                  id={`${id}-text-${lang}`}
                  rows={4}
                  value={draft.texts[lang] ?? ""}
                  placeholder={builtIn[lang] ?? ""}
                  onChange={(e) => setDraft({ ...draft, texts: { ...draft.texts, [lang]: e.target.value } })}
                  aria-invalid={textError ? true : undefined}
                  aria-describedby={[`${id}-text-hint`, textError].filter(Boolean).join(" ")}
                  data-testid={`crisis-text-${lang}`}
                />
              </div>
            ))}
            {textError && (
              <p id={textError} className="field-error">
                {fieldErrors.crisis_text}
              </p>
            )}
          </fieldset>
          <div className="field wide">
            <label htmlFor={`${id}-terms`}>{t("crisis.terms")}</label>
            <textarea
              id={`${id}-terms`}
              rows={5}
              value={draft.terms}
              onChange={(e) => setDraft({ ...draft, terms: e.target.value })}
              aria-invalid={fieldErrors.crisis_terms ? true : undefined}
              aria-describedby={termsDescribed}
              spellCheck={false}
              data-testid="crisis-terms"
            />
            <p id={`${id}-terms-hint`} className="hint">
              {t("crisis.termsHint")}
            </p>
            {fieldErrors.crisis_terms && (
              <p id={`${id}-terms-error`} className="field-error" data-testid="crisis-terms-error">
                {fieldErrors.crisis_terms}
              </p>
            )}
          </div>
          <SelectField
            label={t("crisis.handoverQueue")}
            hint={t("crisis.handoverQueueHint")}
            value={draft.handoverQueue}
            onChange={(e) => setDraft({ ...draft, handoverQueue: e.target.value })}
            error={fieldErrors.handover_queue}
            data-testid="crisis-handover-queue"
          >
            {queueNames.map((name) => (
              <option key={name} value={name}>
                {queues.some((q) => q.name === name) ? name : t("crisis.queueNotYet", { name })}
              </option>
            ))}
          </SelectField>
          <button type="submit" className="primary" disabled={busy} data-testid="crisis-save">
            {busy ? t("common.working") : t("crisis.save")}
          </button>
          <p role="status" className="status" data-testid="crisis-status">
            {saved}
          </p>
        </form>
      )}
    </section>
  );
}
