// The supervisor's view of the contact centre, live from GET /api/v1/supervisor/ws: per queue who waits and for how
// long (the longest wait ticks on between snapshots), agents by state, today's service level and abandons; every live
// contact (waiting, offered, in conversation, in wrap-up), which the supervisor may move to another queue or agent;
// every agent with their state, tasks and routing profile, whose presence and profile the supervisor may change;
// today's KPIs as a chart. Below the live part, what the supervisor configures: queues (new, changed, deleted),
// canned answers, and the crisis text, crisis terms and hand-over queue.

import { useCallback, useEffect, useRef, useState } from "react";
import { api, PRESENCES, type Agent, type ApiError, type Presence, type Queue, type SettablePresence, type Task } from "../api";
import type { PageProps } from "../App";
import { ErrorAlert } from "../components/ErrorAlert";
import { LiveBanner } from "../components/LiveBanner";
import { formatDuration, formatShare, secondsSince, useNow } from "../contact/format";
import { localProblem, unavailable } from "../contact/problems";
import { parseTyped, useLiveSocket } from "../contact/socket";
import { plural, presenceLabel, t } from "../i18n";
import { AgentProfileForm } from "./supervisor/AgentProfileForm";
import { CannedEditor } from "./supervisor/CannedEditor";
import { CrisisSettingsForm } from "./supervisor/CrisisSettingsForm";
import { KpiChart } from "./supervisor/KpiChart";
import { MoveTaskForm } from "./supervisor/MoveTaskForm";
import { NewQueueForm } from "./supervisor/NewQueueForm";
import { QueueConfigForm } from "./supervisor/QueueConfigForm";
import { skillsSummary } from "./supervisor/SkillsEditor";
import { MOVABLE, TasksTable } from "./supervisor/TasksTable";

interface Snapshot {
  queues: Queue[];
  agents: Agent[];
  tasks: Task[];
  /** When it arrived (ms), so waits can tick on locally until the next one. */
  at: number;
}

function parseSupervisorFrame(data: unknown): Omit<Snapshot, "at"> | null {
  const f = parseTyped(data);
  if (!f || f.type !== "snapshot" || !Array.isArray(f.queues) || !Array.isArray(f.agents)) return null;
  // A server from before live tasks were listed sends none; the table then stays empty rather than the page failing.
  const tasks = Array.isArray(f.tasks) ? (f.tasks as Task[]) : [];
  return { queues: f.queues as Queue[], agents: f.agents as Agent[], tasks };
}

/** Where the move form was opened, so it appears next to what the supervisor clicked. */
type Moving = { task: Task; from: "tasks" | "agents" };

/** The page's parts, for the list of links at its top. */
const SECTIONS = [
  ["queues-heading", "supervisor.queues"],
  ["tasks-heading", "tasks.title"],
  ["agents-heading", "supervisor.agents"],
  ["queue-settings-heading", "queue.sectionTitle"],
  ["canned-heading", "canned.title"],
  ["crisis-heading", "crisis.title"],
] as const;

const AGENT_STATES: Presence[] = ["available", "busy", "wrap_up", "away", "offline"];

export function SupervisorPage(_: PageProps) {
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [moving, setMoving] = useState<Moving | null>(null);
  const [profile, setProfile] = useState<string | null>(null);
  const now = useNow(1000);
  const hasSnapshot = useRef(false);

  const { status, reconnectNow } = useLiveSocket("/api/v1/supervisor/ws", parseSupervisorFrame, (frame) => {
    hasSnapshot.current = true;
    setSnapshot({ ...frame, at: Date.now() });
  });

  // Without the socket, show the figures as they are now, under the banner that says they may be out of date.
  const triedFallback = useRef(false);
  useEffect(() => {
    if (status.state === "open" || status.failures < 2 || hasSnapshot.current || triedFallback.current) return;
    triedFallback.current = true;
    Promise.all([api.listQueues(), api.listAgents(), api.listTasks()]).then(
      ([queues, agents, tasks]) => {
        if (!hasSnapshot.current) {
          setSnapshot({ queues: queues.items, agents: agents.items, tasks: tasks.items, at: Date.now() });
        }
      },
      (e: unknown) => setLoadError(unavailable("supervisor.unavailable", e)),
    );
  }, [status]);

  async function act(key: string, action: () => Promise<string>) {
    setBusy(key);
    setError(null);
    setNotice("");
    try {
      setNotice(await action());
    } catch (e) {
      setError(localProblem(e));
    } finally {
      setBusy(null);
    }
  }

  const setPresence = (agent: Agent, presence: SettablePresence) =>
    act(`presence-${agent.user_id}`, async () => {
      const updated =
        (await api.setPresence(agent.user_id, presence)) ??
        ({ ...agent, presence, presence_since: new Date().toISOString(), wrap_up_until: null } satisfies Agent);
      setSnapshot((s) => s && { ...s, agents: s.agents.map((a) => (a.user_id === updated.user_id ? updated : a)) });
      return t("supervisor.presenceChanged", { name: agentName(agent), state: presenceLabel(presence) });
    });

  const onQueueSaved = useCallback((queue: Queue) => {
    setSnapshot((s) => s && { ...s, queues: s.queues.map((q) => (q.name === queue.name ? { ...q, config: queue.config } : q)) });
  }, []);

  // What a form changed shows at once; the next snapshot (within a second) confirms it.
  const onQueueCreated = useCallback((queue: Queue) => {
    setSnapshot((s) => s && { ...s, queues: [...s.queues.filter((q) => q.name !== queue.name), queue] });
  }, []);

  const onQueueDeleted = useCallback((name: string) => {
    setSnapshot((s) => s && { ...s, queues: s.queues.filter((q) => q.name !== name) });
    setNotice(t("queue.deleted", { name }));
  }, []);

  const onAgentSaved = (agent: Agent) => {
    setSnapshot((s) => s && { ...s, agents: s.agents.map((a) => (a.user_id === agent.user_id ? agent : a)) });
    setProfile(null);
    setNotice(t("profile.saved", { name: agentName(agent) }));
  };

  const onMoved = (message: string | null) => {
    setMoving(null);
    if (message) setNotice(message);
  };

  const queues = snapshot?.queues ?? [];
  const agents = snapshot?.agents ?? [];
  const tasks = snapshot?.tasks ?? [];
  // The task a move form is open for, as the latest snapshot has it; the form closes once the task is gone.
  const movingTask = moving ? (tasks.find((task) => task.id === moving.task.id) ?? null) : null;
  const profileAgent = agents.find((a) => a.user_id === profile) ?? null;
  const moveForm = (from: Moving["from"]) =>
    moving?.from === from &&
    movingTask && <MoveTaskForm key={movingTask.id} task={movingTask} queues={queues} agents={agents} onDone={onMoved} />;
  const elapsed = snapshot ? Math.max(0, Math.floor((now - snapshot.at) / 1000)) : 0;

  return (
    <div className="supervisor-page">
      <LiveBanner status={status} onReconnect={reconnectNow} />
      <ErrorAlert error={error} />
      <p role="status" className="status" data-testid="supervisor-status">
        {notice}
      </p>
      {!snapshot ? (
        loadError ? (
          <ErrorAlert error={loadError} />
        ) : (
          <p className="muted" aria-busy="true">
            {t("common.loading")}
          </p>
        )
      ) : (
        <>
          <nav aria-label={t("supervisor.onThisPage")} className="page-sections">
            <ul>
              {SECTIONS.map(([id, label]) => (
                <li key={id}>
                  <a href={`#${id}`}>{t(label)}</a>
                </li>
              ))}
            </ul>
          </nav>
          <section aria-labelledby="queues-heading">
            <h2 id="queues-heading">{t("supervisor.queues")}</h2>
            <div className="table-wrap">
              <table data-testid="queues-table">
                <thead>
                  <tr>
                    <th scope="col">{t("supervisor.queue")}</th>
                    <th scope="col">{t("supervisor.waiting")}</th>
                    <th scope="col">{t("supervisor.longestWait")}</th>
                    <th scope="col">{t("supervisor.inConversation")}</th>
                    <th scope="col">{t("supervisor.agentsByState")}</th>
                    <th scope="col">{t("supervisor.serviceLevel")}</th>
                    <th scope="col">{t("supervisor.answeredToday")}</th>
                    <th scope="col">{t("supervisor.abandonedToday")}</th>
                  </tr>
                </thead>
                <tbody>
                  {queues.length === 0 && (
                    <tr>
                      <td colSpan={8} className="muted">
                        {t("supervisor.noQueues")}
                      </td>
                    </tr>
                  )}
                  {queues.map((q) => (
                    <tr key={q.name} data-testid={`queue-row-${q.name}`}>
                      <th scope="row">
                        {q.name}
                        {!q.live.open && <span className="badge">{t("supervisor.closed")}</span>}
                      </th>
                      <td data-testid={`queue-waiting-${q.name}`} data-value={q.live.waiting} className="figure">
                        {q.live.waiting}
                      </td>
                      <td data-testid={`queue-longest-${q.name}`} className="figure">
                        {q.live.waiting > 0 ? formatDuration(q.live.longest_wait_secs + elapsed) : "–"}
                      </td>
                      <td className="figure">{q.live.assigned}</td>
                      <td>
                        <ul className="state-counts">
                          {AGENT_STATES.map((s) => (
                            <li key={s} data-testid={`queue-agents-${q.name}-${s}`} data-value={q.live.agents[s] ?? 0}>
                              <span className={`dot dot-${s}`} aria-hidden="true" />
                              {presenceLabel(s)}: {q.live.agents[s] ?? 0}
                            </li>
                          ))}
                        </ul>
                      </td>
                      <td className="figure">{formatShare(q.today.service_level)}</td>
                      <td className="figure">
                        {q.today.answered} / {q.today.offered}
                      </td>
                      <td className="figure" data-testid={`queue-abandoned-${q.name}`}>
                        {q.today.abandoned}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>

          <section aria-labelledby="tasks-heading">
            <h2 id="tasks-heading">{t("tasks.title")}</h2>
            <TasksTable
              tasks={tasks}
              agents={agents}
              now={now}
              moving={moving?.from === "tasks" ? moving.task.id : null}
              onMove={(task) => setMoving({ task, from: "tasks" })}
            />
            {moveForm("tasks")}
          </section>

          <section aria-labelledby="agents-heading">
            <h2 id="agents-heading">{t("supervisor.agents")}</h2>
            <div className="table-wrap">
              <table data-testid="agents-table">
                <thead>
                  <tr>
                    <th scope="col">{t("supervisor.agent")}</th>
                    <th scope="col">{t("supervisor.state")}</th>
                    <th scope="col">{t("supervisor.tasks")}</th>
                    <th scope="col">{t("profile.column")}</th>
                    <th scope="col">{t("supervisor.changeState")}</th>
                  </tr>
                </thead>
                <tbody>
                  {agents.map((a) => (
                    <tr key={a.user_id} data-testid={`agent-row-${a.username}`}>
                      <th scope="row">
                        {agentName(a)}
                        {a.display_name && <span className="muted small"> ({a.username})</span>}
                      </th>
                      <td data-testid={`agent-state-${a.username}`} data-state={agentState(a)} data-presence={a.presence}>
                        <span className={`dot dot-${agentState(a)}`} aria-hidden="true" />
                        {presenceLabel(agentState(a))}
                        {a.tasks.length > 0 && (
                          <span className="muted small"> · {plural(a.tasks.length, "supervisor.taskOne", "supervisor.taskCount")}</span>
                        )}
                        <span className="muted small">
                          {" "}
                          {t("supervisor.since", { time: formatDuration(secondsSince(a.presence_since, now)) })}
                        </span>
                      </td>
                      <td data-testid={`agent-tasks-${a.username}`} data-count={a.tasks.length}>
                        {a.tasks.length === 0 ? (
                          <span className="muted">–</span>
                        ) : (
                          <ul className="task-ids">
                            {a.tasks.map((id) => {
                              const task = tasks.find((x) => x.id === id);
                              return (
                                <li key={id}>
                                  {task ? <span className="contact">{task.contact}</span> : <code title={id}>{id.slice(0, 8)}</code>}{" "}
                                  {task && MOVABLE.has(task.state) && (
                                    <button
                                      type="button"
                                      className="link"
                                      onClick={() => setMoving({ task, from: "agents" })}
                                      data-testid={`move-${id}`}
                                    >
                                      {t("supervisor.move")}
                                      <span className="visually-hidden"> {task.contact}</span>
                                    </button>
                                  )}
                                </li>
                              );
                            })}
                          </ul>
                        )}
                      </td>
                      <td data-testid={`agent-profile-${a.username}`}>
                        <ProfileSummary agent={a} />{" "}
                        <button
                          type="button"
                          className="link"
                          aria-expanded={profile === a.user_id}
                          onClick={() => setProfile(a.user_id)}
                          data-testid={`agent-edit-${a.username}`}
                        >
                          {t("profile.edit")}
                          <span className="visually-hidden"> {agentName(a)}</span>
                        </button>
                      </td>
                      <td>
                        <select
                          aria-label={t("supervisor.stateOf", { name: agentName(a) })}
                          value={a.presence}
                          disabled={busy === `presence-${a.user_id}`}
                          onChange={(e) => void setPresence(a, e.target.value as SettablePresence)}
                          data-testid={`agent-presence-${a.username}`}
                        >
                          {a.presence === "wrap_up" && (
                            <option value="wrap_up" disabled>
                              {presenceLabel("wrap_up")}
                            </option>
                          )}
                          {PRESENCES.map((p) => (
                            <option key={p} value={p}>
                              {presenceLabel(p)}
                            </option>
                          ))}
                        </select>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {moveForm("agents")}
            {profileAgent && (
              <AgentProfileForm
                key={profileAgent.user_id}
                agent={profileAgent}
                onSaved={onAgentSaved}
                onClose={() => setProfile(null)}
              />
            )}
          </section>

          <KpiChart
            queues={queues.map((q) => q.name)}
            figures={queues.map((q) => `${q.today.offered}/${q.today.answered}/${q.today.abandoned}`).join(" ")}
          />

          <section aria-labelledby="queue-settings-heading">
            <h2 id="queue-settings-heading">{t("queue.sectionTitle")}</h2>
            <QueueConfigForm queues={queues} onSaved={onQueueSaved} onDeleted={onQueueDeleted} />
            <NewQueueForm queues={queues} onCreated={onQueueCreated} />
          </section>
          <CannedEditor />
          <CrisisSettingsForm queues={queues} />
        </>
      )}
    </div>
  );
}

/**
 * What the agent is doing: their presence, except that an available agent who holds a conversation counts as busy
 * (the router keeps them "available" while they have capacity left, but to a supervisor they are in conversation).
 */
export function agentState(a: Agent): Presence {
  return a.presence === "available" && a.tasks.length > 0 ? "busy" : a.presence;
}

function agentName(a: Agent): string {
  return a.display_name || a.username;
}

/** Skills, languages and capacity in one line: "crisis 7, german 8 · de, en · 1 call, 3 chats". */
function ProfileSummary({ agent }: { agent: Agent }) {
  const skills = skillsSummary(agent.skills);
  return (
    <span className="small" data-testid="profile-summary">
      {skills || <span className="muted">{t("profile.noSkills")}</span>}
      {" · "}
      {agent.languages.length > 0 ? agent.languages.join(", ") : <span className="muted">{t("profile.anyLanguage")}</span>}
      {" · "}
      {t("profile.capacity", { voice: String(agent.capacity.voice), chat: String(agent.capacity.chat) })}
    </span>
  );
}
