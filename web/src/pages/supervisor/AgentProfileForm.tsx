// An agent's routing profile (PUT /agents/{user_id}): skills with levels, the languages they take callers in (none:
// any language) and how many calls and chats they handle at once. The draft is taken when the form opens, so live
// snapshots do not overwrite what the supervisor is typing.

import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, type Agent, type ApiError } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import { Field } from "../../components/Field";
import { localFieldErrors, localProblem } from "../../contact/problems";
import { t } from "../../i18n";
import { SkillsEditor, skillRows, skillsOf, type SkillRow } from "./SkillsEditor";

const FIELDS = ["skills", "languages", "capacity"];

/** "de, en" or "de en" → ["de", "en"]. */
export function languagesOf(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((l) => l.trim()).filter(Boolean))];
}

export function AgentProfileForm({
  agent,
  onSaved,
  onClose,
}: {
  agent: Agent;
  onSaved: (agent: Agent) => void;
  onClose: () => void;
}) {
  const name = agent.display_name || agent.username;
  const [skills, setSkills] = useState<SkillRow[]>(() => skillRows(agent.skills));
  const [languages, setLanguages] = useState(agent.languages.join(", "));
  const [voice, setVoice] = useState(String(agent.capacity.voice));
  const [chat, setChat] = useState(String(agent.capacity.chat));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const updated = await api.updateAgent(agent.user_id, {
        skills: skillsOf(skills),
        languages: languagesOf(languages),
        capacity: { voice: Number(voice), chat: Number(chat) },
      });
      onSaved(updated);
    } catch (e) {
      setError(localProblem(e, {}, FIELDS));
      setFieldErrors(localFieldErrors(e));
      setBusy(false);
    }
  }

  return (
    <form
      className="card profile-form"
      onSubmit={(e) => void submit(e)}
      aria-labelledby="profile-heading"
      data-testid="profile-form"
      data-agent={agent.username}
      noValidate
    >
      <h3 id="profile-heading" tabIndex={-1} ref={heading}>
        {t("profile.title", { name })}
      </h3>
      <ErrorAlert error={error} />
      <SkillsEditor
        legend={t("profile.skills")}
        hint={t("profile.skillsHint")}
        rows={skills}
        onChange={setSkills}
        error={fieldErrors.skills}
        testId="profile-skills"
      />
      <Field
        label={t("profile.languages")}
        hint={t("profile.languagesHint")}
        value={languages}
        onChange={(e) => setLanguages(e.target.value)}
        error={fieldErrors.languages}
        data-testid="profile-languages"
      />
      <div className="form-row">
        <Field
          label={t("profile.voice")}
          type="number"
          min={0}
          max={10}
          inputMode="numeric"
          value={voice}
          onChange={(e) => setVoice(e.target.value)}
          error={fieldErrors.capacity}
          data-testid="profile-voice"
        />
        <Field
          label={t("profile.chat")}
          type="number"
          min={0}
          max={50}
          inputMode="numeric"
          value={chat}
          onChange={(e) => setChat(e.target.value)}
          error={fieldErrors.capacity}
          data-testid="profile-chat"
        />
      </div>
      <div className="toolbar">
        <button type="submit" className="primary" disabled={busy} data-testid="profile-save">
          {busy ? t("common.working") : t("profile.save")}
        </button>
        <button type="button" disabled={busy} onClick={onClose}>
          {t("desk.endCancel")}
        </button>
      </div>
    </form>
  );
}
