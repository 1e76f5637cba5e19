// Creating a queue (PUT /queues/{name} for a name not in use): its name, the skills an agent needs for it and,
// optionally, the language every agent of it must speak. Everything else starts at the server's defaults and is
// changed afterwards in the queue's settings. The rule for names is said before anyone types; the server checks it.

import { useState, type FormEvent } from "react";
import { api, ApiError, type Queue } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import { Field } from "../../components/Field";
import { localFieldErrors, localProblem } from "../../contact/problems";
import { t } from "../../i18n";
import { SkillsEditor, skillsOf, type SkillRow } from "./SkillsEditor";

const FIELDS = ["name", "required_skills", "language"];

export function NewQueueForm({ queues, onCreated }: { queues: readonly Queue[]; onCreated: (queue: Queue) => void }) {
  const [name, setName] = useState("");
  const [skills, setSkills] = useState<SkillRow[]>([]);
  const [language, setLanguage] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState("");

  async function submit(event: FormEvent) {
    event.preventDefault();
    const wanted = name.trim();
    setError(null);
    setFieldErrors({});
    setDone("");
    // The same request would replace that queue's whole configuration with the defaults.
    if (queues.some((q) => q.name === wanted)) {
      setFieldErrors({ name: t("queue.exists", { name: wanted }) });
      setError(new ApiError({ title: t("problem.invalid"), status: 422 }, null, true));
      return;
    }
    setBusy(true);
    try {
      const created = await api.updateQueue(wanted, {
        required_skills: skillsOf(skills),
        language: language.trim() || null,
      });
      onCreated(created);
      setName("");
      setSkills([]);
      setLanguage("");
      setDone(t("queue.created", { name: created.name }));
    } catch (e) {
      setError(localProblem(e, {}, FIELDS));
      setFieldErrors(localFieldErrors(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="new-queue-heading" data-testid="new-queue" noValidate>
      <h3 id="new-queue-heading">{t("queue.newTitle")}</h3>
      <ErrorAlert error={error} />
      <div className="form-row">
        <Field
          label={t("queue.name")}
          hint={t("queue.nameHint")}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={fieldErrors.name}
          autoComplete="off"
          spellCheck={false}
          data-testid="new-queue-name"
        />
        <Field
          label={t("queue.language")}
          hint={t("queue.languageHint")}
          value={language}
          onChange={(e) => setLanguage(e.target.value)}
          error={fieldErrors.language}
          data-testid="new-queue-language"
        />
      </div>
      <SkillsEditor
        legend={t("queue.requiredSkills")}
        hint={t("queue.requiredSkillsHint")}
        rows={skills}
        onChange={setSkills}
        error={fieldErrors.required_skills}
        testId="new-queue-skills"
      />
      <button type="submit" className="primary" disabled={busy || name.trim() === ""} data-testid="new-queue-submit">
        {busy ? t("common.working") : t("queue.create")}
      </button>
      <p role="status" className="status" data-testid="new-queue-status">
        {done}
      </p>
    </form>
  );
}
