// The conversation the agent has selected: who (pseudonymously) and why, the transcript, the reply and note boxes,
// transfer and end; after the end, the wrap-up form with the queue's codes until the agent is done.

import { useEffect, useRef, useState, type FormEvent } from "react";
import type { Agent, ApiError, CannedResponse, Queue, Task, TransferTarget } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import type { ConversationView } from "../../contact/deskState";
import { formatDuration, secondsUntil } from "../../contact/format";
import { localProblem } from "../../contact/problems";
import { channelLabel, presenceLabel, t } from "../../i18n";
import { Composer, FollowUpForm, NoteForm } from "./Composer";
import { TaskFacts } from "./TaskFacts";
import { Transcript } from "./Transcript";

export interface PaneActions {
  send: (text: string) => Promise<void>;
  note: (text: string) => Promise<void>;
  transfer: (target: TransferTarget) => Promise<void>;
  end: () => Promise<void>;
  wrapUp: (code: string | null) => Promise<void>;
  followUp: (text: string) => Promise<void>;
}

interface Props {
  task: Task;
  view: ConversationView | undefined;
  me: Agent;
  queues: readonly Queue[];
  /** Other agents to transfer to; null when this user may not list agents (queues only then). */
  agents: readonly Agent[] | null;
  canned: readonly CannedResponse[];
  now: number;
  actions: PaneActions;
}

export function ConversationPane({ task, view, me, queues, agents, canned, now, actions }: Props) {
  const crisis = task.crisis || task.reason === "crisis";
  const language = view?.conversation?.language ?? task.language;
  const queue = queues.find((q) => q.name === task.queue);
  return (
    <section
      className={`pane card${crisis ? " crisis" : ""}`}
      aria-labelledby="pane-heading"
      data-testid="conversation"
      data-task={task.id}
      data-state={task.state}
    >
      <header className="pane-head">
        <h2 id="pane-heading">
          {crisis && <strong className="crisis-badge">{t("desk.crisis")}</strong>}
          <span className="contact" data-testid="conversation-contact">
            {task.contact}
          </span>
          <span className="badge">{channelLabel(task.channel)}</span>
          {task.state === "wrap_up" && <span className="badge">{presenceLabel("wrap_up")}</span>}
        </h2>
        <TaskFacts task={task} withReason />
      </header>

      {view?.loading && !view.conversation && <p className="muted">{t("common.loading")}</p>}
      <Transcript messages={view?.messages ?? []} notes={view?.notes ?? []} />

      {task.state === "assigned" ? (
        <>
          <Composer canned={canned} language={language} onSend={actions.send} onNote={actions.note} />
          <div className="pane-actions">
            <TransferForm task={task} me={me} queues={queues} agents={agents} onTransfer={actions.transfer} />
            <EndButton contact={task.contact} onEnd={actions.end} />
          </div>
        </>
      ) : (
        <>
          <WrapUpForm
            key={task.id}
            codes={queue?.config.wrap_up_codes ?? []}
            left={me.presence === "wrap_up" && me.wrap_up_until ? secondsUntil(me.wrap_up_until, now) : null}
            onDone={actions.wrapUp}
          />
          <NoteOnly onNote={actions.note} />
          {/* Web chat has no number to write to. */}
          {task.channel !== "chat" && (
            <details className="note-later" data-testid="follow-up">
              <summary>{t("desk.followUpLater")}</summary>
              <FollowUpForm onSend={actions.followUp} />
            </details>
          )}
        </>
      )}
    </section>
  );
}

/** During wrap-up the caller is gone, but a note may still be worth writing. */
function NoteOnly({ onNote }: { onNote: (text: string) => Promise<void> }) {
  return (
    <details className="note-later">
      <summary>{t("desk.addNote")}</summary>
      <NoteForm onNote={onNote} />
    </details>
  );
}

function TransferForm({
  task,
  me,
  queues,
  agents,
  onTransfer,
}: {
  task: Task;
  me: Agent;
  queues: readonly Queue[];
  agents: readonly Agent[] | null;
  onTransfer: (target: TransferTarget) => Promise<void>;
}) {
  const [target, setTarget] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const others = (agents ?? []).filter((a) => a.user_id !== me.user_id);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const [kind, ...rest] = target.split(":");
    const value = rest.join(":");
    if (!value) return;
    setBusy(true);
    setError(null);
    try {
      await onTransfer(kind === "agent" ? { agent_id: value } : { queue: value });
    } catch (e) {
      setError(localProblem(e));
      setBusy(false);
    }
  }

  return (
    <details className="transfer" data-testid="transfer">
      <summary>{t("desk.transfer")}</summary>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <ErrorAlert error={error} />
        <div className="field">
          <label htmlFor={`transfer-${task.id}`}>{t("desk.transferTo")}</label>
          <select
            id={`transfer-${task.id}`}
            value={target}
            onChange={(e) => setTarget(e.target.value)}
            data-testid="transfer-target"
          >
            <option value="">{t("desk.choose")}</option>
            <optgroup label={t("desk.queues")}>
              {queues
                .filter((q) => q.name !== task.queue)
                .map((q) => (
                  <option key={q.name} value={`queue:${q.name}`}>
                    {q.name}
                  </option>
                ))}
            </optgroup>
            {others.length > 0 && (
              <optgroup label={t("desk.agents")}>
                {others.map((a) => (
                  <option key={a.user_id} value={`agent:${a.user_id}`}>
                    {a.display_name || a.username} ({presenceLabel(a.presence)})
                  </option>
                ))}
              </optgroup>
            )}
          </select>
          {agents === null && <p className="hint">{t("desk.queuesOnly")}</p>}
        </div>
        <button type="submit" disabled={busy || !target} data-testid="transfer-submit">
          {busy ? t("common.working") : t("desk.transferSubmit")}
        </button>
      </form>
    </details>
  );
}

function EndButton({ contact, onEnd }: { contact: string; onEnd: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  async function end() {
    setBusy(true);
    setError(null);
    try {
      await onEnd();
    } catch (e) {
      setError(localProblem(e));
      setBusy(false);
    }
  }

  if (!confirming) {
    return (
      <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid="end-conversation">
        {t("desk.end")}
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-labelledby="end-question" data-testid="end-confirmation">
      <ErrorAlert error={error} />
      <p id="end-question">{t("desk.endQuestion", { contact })}</p>
      <div className="toolbar">
        <button
          type="button"
          className="danger"
          ref={confirmButton}
          disabled={busy}
          onClick={() => void end()}
          data-testid="end-confirm"
        >
          {busy ? t("common.working") : t("desk.endConfirm")}
        </button>
        <button type="button" disabled={busy} onClick={() => setConfirming(false)} data-testid="end-cancel">
          {t("desk.endCancel")}
        </button>
      </div>
    </div>
  );
}

function WrapUpForm({
  codes,
  left,
  onDone,
}: {
  codes: readonly string[];
  left: number | null;
  onDone: (code: string | null) => Promise<void>;
}) {
  const [code, setCode] = useState<string>("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onDone(code === "" ? null : code);
    } catch (e) {
      setError(localProblem(e));
      setBusy(false);
    }
  }

  return (
    <form className="wrap-up" onSubmit={(e) => void submit(e)} data-testid="wrap-up" noValidate>
      <fieldset>
        <legend>
          {t("desk.wrapUp")}
          {left !== null && (
            <span className="muted small" data-testid="wrap-up-timer">
              {" "}
              {t("desk.timeLeft", { time: formatDuration(left) })}
            </span>
          )}
        </legend>
        <ErrorAlert error={error} />
        <ul className="codes">
          {codes.map((c) => (
            <li key={c}>
              <label>
                <input type="radio" name="wrap-up-code" value={c} checked={code === c} onChange={() => setCode(c)} />
                {c}
              </label>
            </li>
          ))}
          <li>
            <label>
              <input type="radio" name="wrap-up-code" value="" checked={code === ""} onChange={() => setCode("")} />
              {t("desk.noCode")}
            </label>
          </li>
        </ul>
        <button type="submit" className="primary" disabled={busy} data-testid="wrap-up-done">
          {busy ? t("common.working") : t("common.done")}
        </button>
      </fieldset>
    </form>
  );
}
