// A queue's settings as a plain form: the figures that shape routing and the KPIs, the skills an agent needs, and the
// wrap-up codes one per line; and deleting the queue, after a confirmation. Settings the form does not show
// (overflow, business hours, routing rules) are sent back unchanged.

import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, type ApiError, type Queue, type QueueConfig, type ServiceLevelVariant } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import { Field, SelectField } from "../../components/Field";
import { localFieldErrors, localProblem } from "../../contact/problems";
import { t, type MessageKey } from "../../i18n";
import { SkillsEditor, skillRows, skillsOf, type SkillRow } from "./SkillsEditor";

const NUMBERS: { key: keyof QueueConfig; label: MessageKey }[] = [
  { key: "priority", label: "queue.priority" },
  { key: "offer_timeout_secs", label: "queue.offerTimeout" },
  { key: "wrap_up_secs", label: "queue.wrapUp" },
  { key: "max_wait_secs", label: "queue.maxWait" },
  { key: "service_level_secs", label: "queue.serviceLevelSecs" },
  { key: "short_abandon_secs", label: "queue.shortAbandon" },
];

const VARIANTS: ServiceLevelVariant[] = ["abandoned_after_short", "all_offered", "answered_only"];

type Draft = Record<string, string>;

function draftOf(config: QueueConfig): Draft {
  const draft: Draft = {};
  for (const { key } of NUMBERS) draft[key] = String(config[key] ?? "");
  draft.language = config.language ?? "";
  draft.service_level_variant = config.service_level_variant;
  draft.wrap_up_codes = (config.wrap_up_codes ?? []).join("\n");
  return draft;
}

/** The fields this form shows, so their errors appear next to them rather than in the alert. */
const FIELDS = [...NUMBERS.map((n) => n.key), "language", "service_level_variant", "wrap_up_codes", "required_skills"];

export function QueueConfigForm({
  queues,
  onSaved,
  onDeleted,
}: {
  queues: readonly Queue[];
  onSaved: (queue: Queue) => void;
  onDeleted: (name: string) => void;
}) {
  const [name, setName] = useState(queues[0]?.name ?? "");
  const queue = queues.find((q) => q.name === name) ?? null;
  const [draft, setDraft] = useState<Draft | null>(null);
  const [skills, setSkills] = useState<SkillRow[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState("");

  useEffect(() => {
    if (!queue && queues[0]) setName(queues[0].name);
  }, [queue, queues]);

  // A fresh draft when another queue is chosen; live snapshots (a new `queue` object each time) do not overwrite
  // what is being typed, so the effect deliberately depends on the name only.
  const hasQueue = queue !== null;
  useEffect(() => {
    setDraft(queue ? draftOf(queue.config) : null);
    setSkills(skillRows(queue?.config.required_skills));
    setError(null);
    setFieldErrors({});
  }, [name, hasQueue]); // eslint-disable-line react-hooks/exhaustive-deps

  if (!queue || !draft) return null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!queue || !draft) return;
    const config: QueueConfig = { ...queue.config };
    // An empty maximum wait means none (the caller waits as long as the flow lets them).
    for (const { key } of NUMBERS) {
      const text = (draft[key] ?? "").trim();
      (config as unknown as Record<string, number | null>)[key] = text === "" && key === "max_wait_secs" ? null : Number(text);
    }
    config.language = draft.language?.trim() || null;
    config.service_level_variant = draft.service_level_variant as ServiceLevelVariant;
    config.wrap_up_codes = (draft.wrap_up_codes ?? "")
      .split("\n")
      .map((c) => c.trim())
      .filter(Boolean);
    config.required_skills = skillsOf(skills);
    setBusy(true);
    setError(null);
    setFieldErrors({});
    setSaved("");
    try {
      const updated = await api.updateQueue(queue.name, config);
      onSaved(updated);
      setDraft(draftOf(updated.config));
      setSkills(skillRows(updated.config.required_skills));
      setSaved(t("queue.saved", { name: queue.name }));
    } catch (e) {
      setError(localProblem(e, {}, FIELDS));
      setFieldErrors(localFieldErrors(e));
    } finally {
      setBusy(false);
    }
  }

  const set = (key: string) => (e: { target: { value: string } }) => setDraft((d) => (d ? { ...d, [key]: e.target.value } : d));

  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="queue-config-heading" data-testid="queue-config" noValidate>
      <h3 id="queue-config-heading">{t("queue.title")}</h3>
      <SelectField
        label={t("supervisor.queue")}
        value={name}
        onChange={(e) => {
          setName(e.target.value);
          setSaved("");
        }}
        data-testid="queue-config-name"
      >
        {queues.map((q) => (
          <option key={q.name} value={q.name}>
            {q.name}
          </option>
        ))}
      </SelectField>
      <ErrorAlert error={error} />
      <div className="form-row">
        {NUMBERS.map(({ key, label }) => (
          <Field
            key={key}
            label={t(label)}
            type="number"
            min={0}
            inputMode="numeric"
            value={draft[key] ?? ""}
            onChange={set(key)}
            error={fieldErrors[key]}
            data-testid={`queue-config-${key}`}
          />
        ))}
        <Field
          label={t("queue.language")}
          hint={t("queue.languageHint")}
          value={draft.language ?? ""}
          onChange={set("language")}
          error={fieldErrors.language}
        />
        <SelectField
          label={t("queue.variant")}
          value={draft.service_level_variant}
          onChange={set("service_level_variant")}
          error={fieldErrors.service_level_variant}
        >
          {VARIANTS.map((v) => (
            <option key={v} value={v}>
              {t(`queue.variant.${v}` as MessageKey)}
            </option>
          ))}
        </SelectField>
      </div>
      <SkillsEditor
        legend={t("queue.requiredSkills")}
        hint={t("queue.requiredSkillsHint")}
        rows={skills}
        onChange={setSkills}
        error={fieldErrors.required_skills}
        testId="queue-config-skills"
      />
      <div className="field">
        <label htmlFor="wrap-up-codes">{t("queue.codes")}</label>
        <textarea
          id="wrap-up-codes"
          rows={4}
          value={draft.wrap_up_codes ?? ""}
          onChange={set("wrap_up_codes")}
          aria-invalid={fieldErrors.wrap_up_codes ? true : undefined}
          aria-describedby={fieldErrors.wrap_up_codes ? "wrap-up-codes-hint wrap-up-codes-error" : "wrap-up-codes-hint"}
          data-testid="queue-config-codes"
        />
        <p id="wrap-up-codes-hint" className="hint">
          {t("queue.codesHint")}
        </p>
        {fieldErrors.wrap_up_codes && (
          <p id="wrap-up-codes-error" className="field-error">
            {fieldErrors.wrap_up_codes}
          </p>
        )}
      </div>
      <div className="toolbar spread">
        <button type="submit" className="primary" disabled={busy} data-testid="queue-config-save">
          {busy ? t("common.working") : t("queue.save")}
        </button>
        <DeleteQueue key={queue.name} name={queue.name} onDeleted={onDeleted} />
      </div>
      <p role="status" className="status">
        {saved}
      </p>
    </form>
  );
}

/**
 * Deleting a queue, after a confirmation that says what it means. The server refuses a queue that still holds
 * conversations or that another queue overflows to; that refusal is explained rather than quoted.
 */
function DeleteQueue({ name, onDeleted }: { name: string; onDeleted: (name: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.deleteQueue(name);
      onDeleted(name);
    } catch (e) {
      // The server says `queue-in-use`, or a plain `conflict` for the same reason (see docs/contact-centre.md).
      setError(localProblem(e, { 409: "problem.queueInUse" }));
      setBusy(false);
    }
  }

  if (!confirming) {
    return (
      <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid="queue-delete">
        {t("queue.delete")}
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-labelledby="queue-delete-question" data-testid="queue-delete-confirmation">
      <ErrorAlert error={error} />
      <p id="queue-delete-question">{t("queue.deleteQuestion", { name })}</p>
      <div className="toolbar">
        <button
          type="button"
          className="danger"
          ref={confirmButton}
          disabled={busy}
          onClick={() => void remove()}
          data-testid="queue-delete-confirm"
        >
          {busy ? t("common.working") : t("queue.deleteConfirm")}
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            setConfirming(false);
            setError(null);
          }}
          data-testid="queue-delete-cancel"
        >
          {t("desk.endCancel")}
        </button>
      </div>
    </div>
  );
}
