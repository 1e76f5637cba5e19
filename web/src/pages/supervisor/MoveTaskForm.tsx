// Moving a live task (POST /tasks/{id}/move): to another queue, where the next free agent who qualifies gets it, or
// to a named agent in a queue, who is offered it at once. The router decides whether the agent qualifies, is
// available and has room; a refusal is said as a sentence next to the choice it concerns and changes nothing.

import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, type Agent, type ApiError, type Queue, type Task } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import { SelectField } from "../../components/Field";
import { localFieldErrors, localProblem } from "../../contact/problems";
import { presenceLabel, t } from "../../i18n";

const FIELDS = ["queue", "agent_id"];

export function MoveTaskForm({
  task,
  queues,
  agents,
  onDone,
}: {
  task: Task;
  queues: readonly Queue[];
  agents: readonly Agent[];
  /** Called with a notice after a move, or null when the supervisor cancels. */
  onDone: (message: string | null) => void;
}) {
  const [queue, setQueue] = useState(task.queue);
  const [agentId, setAgentId] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const first = useRef<HTMLDivElement>(null);

  useEffect(() => {
    first.current?.querySelector("select")?.focus();
  }, []);

  // Moving a waiting caller to their own queue would only send them to its end; a held conversation may go back to
  // its queue (away from its agent).
  const nothingToDo = agentId === "" && queue === task.queue && task.state !== "assigned";
  const candidates = agents.filter((a) => a.user_id !== task.agent_id);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (nothingToDo) return;
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      await api.moveTask(task.id, agentId ? { agent_id: agentId, queue } : { queue });
      const agent = agents.find((a) => a.user_id === agentId);
      onDone(
        agent
          ? t("tasks.movedToAgent", { contact: task.contact, name: agent.display_name || agent.username, queue })
          : t("tasks.movedToQueue", { contact: task.contact, queue }),
      );
    } catch (e) {
      setError(localProblem(e, {}, FIELDS));
      setFieldErrors(localFieldErrors(e));
      setBusy(false);
    }
  }

  return (
    <form
      className="card move-form"
      onSubmit={(e) => void submit(e)}
      aria-labelledby="move-heading"
      data-testid="move-form"
      data-task={task.id}
      noValidate
    >
      <h3 id="move-heading">{t("tasks.moveTitle", { contact: task.contact, queue: task.queue })}</h3>
      <ErrorAlert error={error} />
      <div className="form-row" ref={first}>
        <SelectField
          label={t("tasks.moveQueue")}
          value={queue}
          onChange={(e) => setQueue(e.target.value)}
          error={fieldErrors.queue}
          data-testid="move-queue"
        >
          {queues.map((q) => (
            <option key={q.name} value={q.name}>
              {q.name === task.queue ? t("tasks.currentQueue", { queue: q.name }) : q.name}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t("tasks.moveAgent")}
          hint={t("tasks.moveAgentHint")}
          value={agentId}
          onChange={(e) => setAgentId(e.target.value)}
          error={fieldErrors.agent_id}
          data-testid="move-agent"
        >
          <option value="">{t("tasks.anyAgent")}</option>
          {candidates.map((a) => (
            <option key={a.user_id} value={a.user_id}>
              {a.display_name || a.username} ({presenceLabel(a.presence)})
            </option>
          ))}
        </SelectField>
      </div>
      {nothingToDo && <p className="hint">{t("tasks.chooseTarget")}</p>}
      <div className="toolbar">
        <button type="submit" className="primary" disabled={busy || nothingToDo} data-testid="move-submit">
          {busy ? t("common.working") : t("supervisor.move")}
        </button>
        <button type="button" disabled={busy} onClick={() => onDone(null)} data-testid="move-cancel">
          {t("desk.endCancel")}
        </button>
      </div>
    </form>
  );
}
