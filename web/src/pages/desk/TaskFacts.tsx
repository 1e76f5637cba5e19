// A task's context as a short list of facts: queue, language, intent with confidence, waiting time and the variables
// the flow collected. Shared by offers and the conversation pane, so both say the same things the same way.

import type { Task } from "../../api";
import { formatShare } from "../../contact/format";
import { reasonLabel, t } from "../../i18n";

export function TaskFacts({ task, waited, withReason = false }: { task: Task; waited?: string; withReason?: boolean }) {
  // Dotted names (`channel.widget`, `handover.reason`) are Hotline's own bookkeeping, not what the caller said.
  const variables = Object.entries(task.variables ?? {}).filter(
    ([name, v]) => !name.includes(".") && v !== "" && v !== null && v !== undefined,
  );
  return (
    <dl className="facts compact" data-testid="task-facts">
      <dt>{t("desk.queue")}</dt>
      <dd data-testid="fact-queue">{task.queue}</dd>
      {withReason && (
        <>
          <dt>{t("desk.reason")}</dt>
          <dd>{reasonLabel(task.reason)}</dd>
        </>
      )}
      <dt>{t("desk.language")}</dt>
      <dd>{task.language ?? "–"}</dd>
      <dt>{t("desk.intent")}</dt>
      <dd>
        {task.intent ? (
          <>
            {task.intent}
            {task.confidence !== null && <span className="muted"> ({formatShare(task.confidence)})</span>}
          </>
        ) : (
          "–"
        )}
      </dd>
      {waited !== undefined && (
        <>
          <dt>{t("desk.waited")}</dt>
          <dd data-testid="fact-waited">{waited}</dd>
        </>
      )}
      {variables.length > 0 && (
        <>
          <dt>{t("desk.variables")}</dt>
          <dd>
            <ul className="variables">
              {variables.map(([name, value]) => (
                <li key={name}>
                  <span className="muted">{name}:</span> {typeof value === "string" ? value : JSON.stringify(value)}
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}
