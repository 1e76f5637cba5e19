// The intents of the draft: their examples per language and keywords, edited in the document (so undo, save and
// the text view see them); a report of what the model makes of each intent's examples when they are held out of
// training (POST /flows/intents: too few, taken for another intent, not recognised); and a box to try a sentence
// (POST /flows/understand) that shows the intent, the confidence, what decided and the model's ranking.

import { useEffect, useState } from "react";
import { api, asApiError, type ApiError } from "../api";
import type * as Gen from "../api.gen";
import { ErrorAlert } from "../components/ErrorAlert";
import { t } from "../i18n";
import type { IntentDef } from "./model";
import { INTENT_NAME } from "./model";

const REPORT_DELAY_MS = 800;

interface Props {
  source: string;
  intents: IntentDef[];
  languages: string[];
  onAdd: (name: string) => void;
  onRemove: (name: string) => void;
  onExamples: (name: string, language: string, examples: string[]) => void;
  onKeywords: (name: string, keywords: string[]) => void;
}

export function IntentsPanel({ source, intents, languages, onAdd, onRemove, onExamples, onKeywords }: Props) {
  const [report, setReport] = useState<Gen.IntentReportDto | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [open, setOpen] = useState<string | null>(intents[0]?.name ?? null);
  const [newName, setNewName] = useState("");

  useEffect(() => {
    let current = true;
    const timer = window.setTimeout(() => {
      api
        .intentReport(source)
        .then((r) => current && (setReport(r), setError(null)))
        .catch((e: unknown) => current && setError(asApiError(e)));
    }, REPORT_DELAY_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [source]);

  const health = new Map((report?.intents ?? []).map((i) => [i.name, i]));
  const nameOk = INTENT_NAME.test(newName) && !intents.some((i) => i.name === newName);

  return (
    <div className="intents-panel" data-testid="intents-panel">
      <ErrorAlert error={error} />
      <TrySentence source={source} languages={languages} />

      <h3>{t("intents.title", { n: String(intents.length) })}</h3>
      {report && !report.has_model && intents.length > 0 && <p className="muted small">{t("intents.noModel")}</p>}
      <ul className="intent-list">
        {intents.map((intent) => {
          const h = health.get(intent.name);
          return (
            <li key={intent.name} data-testid={`intent-${intent.name}`}>
              <button type="button" className="link" aria-expanded={open === intent.name} onClick={() => setOpen(open === intent.name ? null : intent.name)}>
                <strong>{intent.name}</strong>{" "}
                <span className="muted small">
                  {languages.map((l) => `${l}: ${intent.examples[l]?.length ?? 0}`).join(" · ")}
                  {h?.recognised != null && ` · ${t("intents.recognised", { share: percent(h.recognised) })}`}
                </span>
              </button>
              {h && h.warnings.length > 0 && (
                <ul className="intent-warnings">
                  {h.warnings.map((w, k) => (
                    <li key={k} className="warning" data-testid={`intent-warning-${w.code}`}>
                      {warningText(w, h, report?.min_examples ?? 5)}
                    </li>
                  ))}
                </ul>
              )}
              {open === intent.name && (
                <IntentEditor
                  key={intent.name}
                  intent={intent}
                  languages={languages}
                  onExamples={(l, e) => onExamples(intent.name, l, e)}
                  onKeywords={(k) => onKeywords(intent.name, k)}
                  onRemove={() => onRemove(intent.name)}
                />
              )}
            </li>
          );
        })}
      </ul>
      <form
        className="intent-add"
        onSubmit={(e) => {
          e.preventDefault();
          if (!nameOk) return;
          onAdd(newName);
          setOpen(newName);
          setNewName("");
        }}
      >
        <label>
          {t("intents.newName")}
          <input value={newName} onChange={(e) => setNewName(e.target.value.trim())} aria-describedby="intent-name-rule" data-testid="intent-new-name" />
        </label>
        <span id="intent-name-rule" className="muted small">
          {t("intents.nameRule")}
        </span>
        <button type="submit" disabled={!nameOk} data-testid="intent-add">
          {t("intents.add")}
        </button>
      </form>
    </div>
  );
}

function IntentEditor({
  intent,
  languages,
  onExamples,
  onKeywords,
  onRemove,
}: {
  intent: IntentDef;
  languages: string[];
  onExamples: (language: string, examples: string[]) => void;
  onKeywords: (keywords: string[]) => void;
  onRemove: () => void;
}) {
  // Edited as text, written into the document when the field is left: one example per line, keywords by comma.
  const [examples, setExamples] = useState(() =>
    Object.fromEntries(languages.map((l) => [l, (intent.examples[l] ?? []).join("\n")])),
  );
  const [keywords, setKeywords] = useState(intent.keywords.join(", "));
  return (
    <div className="intent-editor">
      {languages.map((l) => (
        <label key={l} className="editor-field">
          <span>{t("intents.examples", { language: l })}</span>
          <textarea
            rows={5}
            value={examples[l] ?? ""}
            onChange={(e) => setExamples({ ...examples, [l]: e.target.value })}
            onBlur={() => onExamples(l, (examples[l] ?? "").split("\n"))}
            data-testid={`intent-examples-${l}`}
          />
        </label>
      ))}
      <label className="editor-field">
        <span>{t("intents.keywords")}</span>
        <input value={keywords} onChange={(e) => setKeywords(e.target.value)} onBlur={() => onKeywords(keywords.split(","))} data-testid="intent-keywords" />
      </label>
      <button type="button" className="danger" onClick={onRemove}>
        {t("intents.remove")}
      </button>
    </div>
  );
}

function TrySentence({ source, languages }: { source: string; languages: string[] }) {
  const [text, setText] = useState("");
  const [language, setLanguage] = useState(languages[0] ?? "");
  const [result, setResult] = useState<Gen.UnderstandResponse | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function tryIt() {
    if (!text.trim()) return;
    setBusy(true);
    try {
      setResult(await api.understand(source, text, language || undefined));
      setError(null);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="try-sentence">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void tryIt();
        }}
      >
        <label className="editor-field">
          <span>{t("intents.try")}</span>
          <input value={text} maxLength={500} onChange={(e) => setText(e.target.value)} placeholder={t("intents.tryPlaceholder")} data-testid="try-text" />
        </label>
        {languages.length > 1 && (
          <select value={language} onChange={(e) => setLanguage(e.target.value)} aria-label={t("sim.language")}>
            {languages.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        )}
        <button type="submit" disabled={busy || !text.trim()} data-testid="try-send">
          {t("intents.tryButton")}
        </button>
      </form>
      <ErrorAlert error={error} />
      {result && result.errors.length > 0 && <p className="alert">{t("sim.fixFirst", { n: String(result.errors.length) })}</p>}
      {result && result.errors.length === 0 && (
        <div data-testid="try-result">
          <p>
            {result.intent
              ? t("intents.tryIntent", { intent: result.intent, confidence: percent(result.confidence) })
              : t("intents.tryOutOfScope", { confidence: percent(result.confidence) })}{" "}
            <span className="muted small">{t(`intents.by.${result.by}` as "intents.by.model")}</span>
          </p>
          {result.ranking.length > 0 && (
            <ul className="ranking">
              {result.ranking.map((r) => (
                <li key={r.intent}>
                  <span>{r.intent}</span>
                  <meter min={0} max={1} value={r.probability} />
                  <span className="small">{percent(r.probability)}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

function percent(p: number): string {
  return `${Math.round(p * 100)} %`;
}

function warningText(w: Gen.IntentWarningDto, h: Gen.IntentHealthDto, min: number): string {
  switch (w.code) {
    case "empty":
      return t("intents.warn.empty");
    case "too-few-examples":
      return t("intents.warn.tooFew", { language: w.language ?? "", count: String(w.count ?? 0), min: String(min) });
    case "overlaps": {
      const overlap = h.overlaps.find((o) => o.intent === w.intent);
      return t("intents.warn.overlaps", {
        intent: w.intent ?? "",
        share: percent(overlap?.share ?? 0),
        examples: (overlap?.examples ?? []).slice(0, 3).map((e) => `„${e}“`).join(", "),
      });
    }
    case "unrecognised":
      return t("intents.warn.unrecognised", { share: percent(h.rejected ?? 0) });
    default:
      return w.code;
  }
}
