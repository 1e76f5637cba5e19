// Every live contact, as the supervisor socket's snapshots list them (highest priority first, then oldest): where it
// is, how long the caller has waited (ticking between snapshots), why, and with whom; crises stand out. The caller is
// named only pseudonymously: the server never sends a phone number here, and the table has no place for one.

import type { Agent, Task } from "../../api";
import { formatDuration, secondsSince } from "../../contact/format";
import { channelLabel, reasonLabel, t, taskStateLabel } from "../../i18n";

const WAITING: ReadonlySet<string> = new Set(["pending", "offered"]);
/** What a supervisor may still move: the router refuses tasks in wrap-up or finished. */
export const MOVABLE: ReadonlySet<string> = new Set(["pending", "offered", "assigned"]);

export function TasksTable({
  tasks,
  agents,
  now,
  moving,
  onMove,
}: {
  tasks: readonly Task[];
  agents: readonly Agent[];
  now: number;
  /** The task whose move form is open. */
  moving: string | null;
  onMove: (task: Task) => void;
}) {
  const nameOf = (id: string | null) => {
    if (!id) return null;
    const a = agents.find((agent) => agent.user_id === id);
    return a ? a.display_name || a.username : t("tasks.unknownAgent");
  };
  return (
    <div className="table-wrap">
      <table data-testid="tasks-table">
        <thead>
          <tr>
            <th scope="col">{t("tasks.contact")}</th>
            <th scope="col">{t("supervisor.queue")}</th>
            <th scope="col">{t("supervisor.state")}</th>
            <th scope="col">{t("tasks.position")}</th>
            <th scope="col">{t("tasks.waiting")}</th>
            <th scope="col">{t("desk.reason")}</th>
            <th scope="col">{t("tasks.agent")}</th>
            <th scope="col">{t("common.actions")}</th>
          </tr>
        </thead>
        <tbody>
          {tasks.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                {t("tasks.none")}
              </td>
            </tr>
          )}
          {tasks.map((task) => {
            const crisis = task.crisis || task.reason === "crisis";
            const waiting = WAITING.has(task.state);
            const waited = waiting ? secondsSince(task.wait_started_at, now) : null;
            const agent = nameOf(task.agent_id);
            return (
              <tr
                key={task.id}
                className={crisis ? "crisis-row" : undefined}
                data-testid={`task-row-${task.id}`}
                data-contact={task.contact}
                data-queue={task.queue}
                data-state={task.state}
                data-agent={task.agent_id ?? ""}
              >
                <th scope="row">
                  <span className="contact" data-testid="task-contact">
                    {task.contact}
                  </span>{" "}
                  <span className="badge">{channelLabel(task.channel)}</span>
                  {task.call_back?.pending && (
                    <span className="badge" data-testid="task-call-back">
                      {t("desk.callBack")}
                    </span>
                  )}
                  {crisis && (
                    <strong className="crisis-badge small-badge" data-testid="task-crisis">
                      {t("desk.crisis")}
                    </strong>
                  )}
                </th>
                <td data-testid="task-queue">{task.queue}</td>
                <td data-testid="task-state">{taskStateLabel(task.state)}</td>
                <td className="figure">{waiting && task.position !== null ? task.position : "–"}</td>
                <td className="figure" data-testid="task-waited" data-seconds={waited ?? ""}>
                  {waited === null ? "–" : formatDuration(waited)}
                </td>
                <td>{reasonLabel(task.reason)}</td>
                <td data-testid="task-agent">
                  {agent === null ? (
                    <span className="muted">–</span>
                  ) : task.state === "offered" ? (
                    t("tasks.offeredTo", { name: agent })
                  ) : (
                    agent
                  )}
                </td>
                <td className="actions">
                  {MOVABLE.has(task.state) && (
                    <button
                      type="button"
                      onClick={() => onMove(task)}
                      aria-expanded={moving === task.id}
                      data-testid="task-move"
                    >
                      {t("supervisor.move")}
                      <span className="visually-hidden"> {task.contact}</span>
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
