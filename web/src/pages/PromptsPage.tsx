// Recorded prompts: the audio `say` nodes play instead of synthesised speech. An upload (WAV, MP3, Ogg Vorbis or
// Ogg Opus, at most 20 MB and 5 minutes) is converted once by the server into what a call carries (8 kHz µ-law); the
// player plays that, so the operator hears what callers will hear. A prompt a flow plays cannot be deleted. Texts
// can be heard as synthesised speech here too.

import { useRef, useState, type FormEvent } from "react";
import { api } from "../api";
import type { PageProps } from "../App";
import { ErrorAlert } from "../components/ErrorAlert";
import { HearButton } from "../editor/kinds/audio";
import { t } from "../i18n";
import { useAction, useLoad } from "../useApi";

/** What the server takes: the same limits it enforces, checked first so a wrong file is not sent at all. */
const MAX_BYTES = 20 * 1024 * 1024;
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** A name from a file name: lower case, the allowed characters only. */
function nameFrom(file: string): string {
  return file
    .replace(/\.[^.]*$/, "")
    .toLowerCase()
    .replace(/[äöüß]/g, (c) => ({ ä: "ae", ö: "oe", ü: "ue", ß: "ss" })[c] ?? c)
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 64);
}

export function PromptsPage({ can }: PageProps) {
  const manage = can("flows_manage");
  const prompts = useLoad(async () => (await api.prompts()).items, []);
  const action = useAction();
  const [name, setName] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const [language, setLanguage] = useState<"de" | "en">("de");

  function upload(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    if (!file.type.startsWith("audio/") && !/\.(wav|mp3|ogg|oga|opus)$/i.test(file.name)) {
      setProblem(t("prompts.notAudio"));
      return;
    }
    if (file.size > MAX_BYTES) {
      setProblem(t("prompts.tooLarge", { mb: String(Math.ceil(file.size / (1024 * 1024))) }));
      return;
    }
    if (!NAME.test(name)) {
      setProblem(t("prompts.nameRule"));
      return;
    }
    setProblem("");
    void action.run("upload", async () => {
      const stored = await api.uploadPrompt(name, file);
      await prompts.reload();
      setName("");
      setFile(null);
      if (input.current) input.current.value = "";
      return t("prompts.uploaded", { name: stored.name, length: minutes(stored.duration_ms) });
    });
  }

  return (
    <>
      <section className="card" aria-labelledby="prompts-heading">
        <h2 id="prompts-heading">{t("prompts.title")}</h2>
        <p className="muted">{t("prompts.intro")}</p>
        <ErrorAlert error={action.error ?? prompts.error} />
        <p role="status" className="status" data-testid="prompts-status">
          {action.status}
        </p>
        {prompts.data && prompts.data.length === 0 && <p className="muted">{t("prompts.empty")}</p>}
        {prompts.data && prompts.data.length > 0 && (
          <div className="table-wrap">
            <table data-testid="prompts-table">
              <caption>{t("prompts.caption", { n: String(prompts.data.length) })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("prompts.name")}</th>
                  <th scope="col">{t("prompts.length")}</th>
                  <th scope="col">{t("prompts.listen")}</th>
                  <th scope="col">{t("prompts.usedBy")}</th>
                  {manage && <th scope="col">{t("common.actions")}</th>}
                </tr>
              </thead>
              <tbody>
                {prompts.data.map((p) => (
                  <tr key={p.name} data-testid={`prompt-${p.name}`}>
                    <th scope="row" className="mono">
                      {p.name}
                    </th>
                    <td>
                      {minutes(p.duration_ms)} <span className="muted small">({p.format})</span>
                    </td>
                    <td>
                      <audio controls preload="none" src={api.promptAudioUrl(p.name)} aria-label={t("prompts.listenTo", { name: p.name })} />
                    </td>
                    <td>{p.used_by.length ? p.used_by.join(", ") : <span className="muted">{t("prompts.unused")}</span>}</td>
                    {manage && (
                      <td className="actions">
                        <button
                          type="button"
                          className="danger"
                          disabled={action.busy === p.name || p.used_by.length > 0}
                          title={p.used_by.length > 0 ? t("prompts.inUse") : undefined}
                          onClick={() => {
                            if (!window.confirm(t("prompts.deleteConfirm", { name: p.name }))) return;
                            void action.run(p.name, async () => {
                              await api.deletePrompt(p.name);
                              await prompts.reload();
                              return t("prompts.deleted", { name: p.name });
                            });
                          }}
                        >
                          {t("prompts.delete")}
                          <span className="visually-hidden"> {p.name}</span>
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {manage && (
        <section className="card" aria-labelledby="upload-heading">
          <h2 id="upload-heading">{t("prompts.upload")}</h2>
          <form onSubmit={upload} className="stack">
            <label>
              {t("prompts.file")}
              <input
                ref={input}
                type="file"
                accept=".wav,.mp3,.ogg,.oga,.opus,audio/wav,audio/mpeg,audio/ogg"
                onChange={(e) => {
                  const chosen = e.target.files?.[0] ?? null;
                  setFile(chosen);
                  if (chosen && !name) setName(nameFrom(chosen.name));
                }}
                aria-describedby="prompt-file-rule"
                data-testid="prompt-file"
              />
            </label>
            <span id="prompt-file-rule" className="muted small">
              {t("prompts.fileRule")}
            </span>
            <label>
              {t("prompts.name")}
              <input value={name} onChange={(e) => setName(e.target.value)} aria-describedby="prompt-name-rule" data-testid="prompt-name" />
            </label>
            <span id="prompt-name-rule" className="muted small">
              {t("prompts.nameRule")}
            </span>
            {problem && (
              <p className="field-error" role="alert" data-testid="prompt-problem">
                {problem}
              </p>
            )}
            <button type="submit" disabled={!file || !name || action.busy === "upload"} data-testid="prompt-upload">
              {action.busy === "upload" ? t("prompts.converting") : t("prompts.uploadButton")}
            </button>
          </form>
        </section>
      )}

      <section className="card" aria-labelledby="hear-heading">
        <h2 id="hear-heading">{t("prompts.hearTitle")}</h2>
        <p className="muted">{t("prompts.hearIntro")}</p>
        <label className="stack">
          {t("prompts.text")}
          <textarea rows={3} maxLength={2000} value={text} onChange={(e) => setText(e.target.value)} data-testid="hear-text-input" />
        </label>
        <label>
          {t("sim.language")}{" "}
          <select value={language} onChange={(e) => setLanguage(e.target.value as "de" | "en")}>
            <option value="de">Deutsch</option>
            <option value="en">English</option>
          </select>
        </label>
        <HearButton text={text} language={language} />
      </section>
    </>
  );
}
