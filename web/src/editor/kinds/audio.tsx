// Sound in the property panels: a picker of the tenant's recorded prompts with a player, and a button that speaks a
// text as a call would (the server synthesises it with the call engine). Both talk to /api/v1/prompts.

import { useEffect, useId, useRef, useState } from "react";
import { api, type ApiError, asApiError } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import { t } from "../../i18n";
import { useLoad } from "../../useApi";

/** Picks the recorded prompt a node plays (or none); plays the chosen one. */
export function AudioPicker({ value, onChange }: { value: string | undefined; onChange: (name: string | undefined) => void }) {
  const id = useId();
  const prompts = useLoad(() => api.prompts(), []);
  const names = prompts.data?.items.map((p) => p.name) ?? [];
  // A name the draft uses but the tenant lacks stays selectable, so the finding about it can be seen and fixed.
  const options = value && !names.includes(value) ? [value, ...names] : names;
  return (
    <div className="editor-field">
      <label htmlFor={id}>{t("editor.field.audio")}</label>
      <select id={id} value={value ?? ""} onChange={(e) => onChange(e.target.value || undefined)} data-testid="audio-picker">
        <option value="">{t("prompts.none")}</option>
        {options.map((name) => (
          <option key={name} value={name}>
            {names.includes(name) ? name : t("prompts.missing", { name })}
          </option>
        ))}
      </select>
      {value && names.includes(value) && <audio controls preload="none" src={api.promptAudioUrl(value)} data-testid="audio-player" />}
      <a href="/prompts" className="small">
        {t("prompts.manage")}
      </a>
      <ErrorAlert error={prompts.error} />
    </div>
  );
}

/** Speaks `text` in `language` as a call would, on request. */
export function HearButton({ text, language, voice }: { text: string; language: string; voice?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [url, setUrl] = useState<string | null>(null);
  const player = useRef<HTMLAudioElement>(null);
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);

  async function hear() {
    setBusy(true);
    setError(null);
    try {
      const wav = await api.previewSpeech(text, language, voice);
      setUrl(URL.createObjectURL(wav));
      // Played once it is in the element (the click is the user's gesture).
      window.setTimeout(() => void player.current?.play().catch(() => undefined), 0);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="hear">
      <button type="button" onClick={() => void hear()} disabled={busy || !text.trim() || text.includes("{{")} data-testid="hear-text">
        {t("prompts.hear", { language })}
      </button>
      {url && <audio ref={player} controls src={url} data-testid="hear-player" />}
      <ErrorAlert error={error} />
    </div>
  );
}
