// The tenant's canned answers (GET/PUT/DELETE /canned-responses): the list, one form that adds a new answer or
// changes the one being edited, and deleting after a confirmation. Agents insert these on the desk; an answer with a
// language is offered in conversations of that language, one without in every conversation.

import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { api, type ApiError, type CannedResponse } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import { Field } from "../../components/Field";
import { localFieldErrors, localProblem, unavailable } from "../../contact/problems";
import { t } from "../../i18n";

const FIELDS = ["title", "text", "language"];

/** A new answer's id: random, and within the server's rule (letters, digits, '-', '_'); works without HTTPS too. */
function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `c-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

interface Draft {
  /** null while adding a new answer. */
  id: string | null;
  title: string;
  text: string;
  language: string;
}

const EMPTY: Draft = { id: null, title: "", text: "", language: "" };

export function CannedEditor() {
  const [items, setItems] = useState<CannedResponse[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState("");
  const [confirming, setConfirming] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);

  const load = useCallback(async () => {
    try {
      setItems((await api.cannedResponses()).items);
      setLoadError(null);
    } catch (e) {
      setLoadError(unavailable("canned.unavailable", e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  function edit(answer: CannedResponse) {
    setDraft({ id: answer.id, title: answer.title, text: answer.text, language: answer.language ?? "" });
    setError(null);
    setFieldErrors({});
    setNotice("");
    form.current?.querySelector<HTMLInputElement>("[data-testid=canned-title]")?.focus();
  }

  function reset() {
    setDraft(EMPTY);
    setError(null);
    setFieldErrors({});
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    setNotice("");
    try {
      const saved = await api.putCannedResponse(draft.id ?? newId(), {
        title: draft.title,
        text: draft.text,
        language: draft.language.trim() || null,
      });
      setItems((list) => {
        const all = list ?? [];
        return all.some((c) => c.id === saved.id) ? all.map((c) => (c.id === saved.id ? saved : c)) : [...all, saved];
      });
      setNotice(t(draft.id ? "canned.saved" : "canned.added", { title: saved.title }));
      setDraft(EMPTY);
    } catch (e) {
      setError(localProblem(e, {}, FIELDS));
      setFieldErrors(localFieldErrors(e));
    } finally {
      setBusy(false);
    }
  }

  async function remove(answer: CannedResponse) {
    setBusy(true);
    setError(null);
    setNotice("");
    try {
      await api.deleteCannedResponse(answer.id);
      setItems((list) => (list ?? []).filter((c) => c.id !== answer.id));
      if (draft.id === answer.id) setDraft(EMPTY);
      setNotice(t("canned.deleted", { title: answer.title }));
    } catch (e) {
      // Already gone (deleted elsewhere): the list is read again so it shows what is there.
      setError(localProblem(e));
      void load();
    } finally {
      setConfirming(null);
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="canned-heading" data-testid="canned-editor">
      <h2 id="canned-heading">{t("canned.title")}</h2>
      <p className="hint">{t("canned.intro")}</p>
      {loadError && <ErrorAlert error={loadError} />}
      <p role="status" className="status" data-testid="canned-status">
        {notice}
      </p>
      {items && (
        <div className="table-wrap">
          <table data-testid="canned-table">
            <thead>
              <tr>
                <th scope="col">{t("canned.titleLabel")}</th>
                <th scope="col">{t("canned.language")}</th>
                <th scope="col">{t("canned.text")}</th>
                <th scope="col">{t("common.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    {t("canned.none")}
                  </td>
                </tr>
              )}
              {items.map((c) => (
                <tr key={c.id} data-testid="canned-row" data-title={c.title}>
                  <th scope="row">{c.title}</th>
                  <td>{c.language ?? t("canned.anyLanguage")}</td>
                  <td className="canned-text">{c.text}</td>
                  <td className="actions">
                    {confirming === c.id ? (
                      <div className="confirm" role="group" aria-labelledby={`canned-delete-${c.id}`}>
                        <p id={`canned-delete-${c.id}`}>{t("canned.deleteQuestion", { title: c.title })}</p>
                        <div className="toolbar">
                          <button
                            type="button"
                            className="danger"
                            disabled={busy}
                            autoFocus
                            onClick={() => void remove(c)}
                            data-testid="canned-delete-confirm"
                          >
                            {t("canned.deleteConfirm")}
                          </button>
                          <button type="button" disabled={busy} onClick={() => setConfirming(null)}>
                            {t("desk.endCancel")}
                          </button>
                        </div>
                      </div>
                    ) : (
                      <>
                        <button type="button" onClick={() => edit(c)} data-testid="canned-edit">
                          {t("canned.edit")}
                          <span className="visually-hidden"> {c.title}</span>
                        </button>
                        <button
                          type="button"
                          className="danger"
                          onClick={() => setConfirming(c.id)}
                          data-testid="canned-delete"
                        >
                          {t("canned.delete")}
                          <span className="visually-hidden"> {c.title}</span>
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <form ref={form} className="card" onSubmit={(e) => void submit(e)} aria-labelledby="canned-form-heading" data-testid="canned-form" noValidate>
        <h3 id="canned-form-heading">{draft.id ? t("canned.editTitle", { title: draft.title }) : t("canned.addTitle")}</h3>
        <ErrorAlert error={error} />
        <div className="form-row">
          <Field
            label={t("canned.titleLabel")}
            hint={t("canned.titleHint")}
            value={draft.title}
            onChange={(e) => setDraft({ ...draft, title: e.target.value })}
            error={fieldErrors.title}
            data-testid="canned-title"
          />
          <Field
            label={t("canned.language")}
            hint={t("canned.languageHint")}
            value={draft.language}
            onChange={(e) => setDraft({ ...draft, language: e.target.value })}
            error={fieldErrors.language}
            data-testid="canned-language"
          />
        </div>
        <TextArea
          label={t("canned.text")}
          value={draft.text}
          onChange={(text) => setDraft({ ...draft, text })}
          error={fieldErrors.text}
        />
        <div className="toolbar">
          <button type="submit" className="primary" disabled={busy} data-testid="canned-save">
            {busy ? t("common.working") : draft.id ? t("canned.save") : t("canned.add")}
          </button>
          {draft.id && (
            <button type="button" disabled={busy} onClick={reset}>
              {t("desk.endCancel")}
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

function TextArea({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: string;
  onChange: (text: string) => void;
  error: string | undefined;
}) {
  return (
    <div className="field wide">
      <label htmlFor="canned-text">{label}</label>
      <textarea
        id="canned-text"
        rows={4}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? "canned-text-error" : undefined}
        data-testid="canned-text"
      />
      {error && (
        <p id="canned-text-error" className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
