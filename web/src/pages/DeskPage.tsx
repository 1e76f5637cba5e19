// The agent's desk: presence, incoming offers with their context and countdown, and the conversations the agent
// holds (up to their capacity), one of them open in the pane. Everything live comes over GET /api/v1/desk/ws; the
// socket's snapshot (first, and after every reconnect) replaces what the page knew, and each held conversation's
// transcript is fetched again then, so nothing missed while disconnected stays missing.

import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import {
  api,
  type Agent,
  type ApiError,
  type CannedResponse,
  type Desk,
  type Message,
  type Note,
  type Queue,
  type SettablePresence,
  type Task,
  type TransferTarget,
} from "../api";
import type { PageProps } from "../App";
import { ErrorAlert } from "../components/ErrorAlert";
import { LiveBanner } from "../components/LiveBanner";
import { beep, unlockAudioOnFirstGesture, useDocumentHidden, useTitleBadge } from "../contact/attention";
import { attentionCount, deskReducer, initialDesk } from "../contact/deskState";
import { useNow } from "../contact/format";
import { isProblem, localProblem, unavailable } from "../contact/problems";
import { parseTyped, useLiveSocket } from "../contact/socket";
import { channelLabel, t } from "../i18n";
import { ConversationPane, type PaneActions } from "./desk/ConversationPane";
import { OfferCard } from "./desk/OfferCard";
import { PresenceSwitcher } from "./desk/PresenceSwitcher";

/** The frames GET /api/v1/desk/ws sends (docs/contact-centre.md, "Live sockets"). */
export type DeskFrame =
  | { type: "snapshot"; desk: Desk }
  | { type: "offer"; task: Task }
  | { type: "offer_withdrawn"; task_id: string; reason: string }
  | { type: "task"; task: Task }
  | { type: "message"; conversation_id: string; message: Message }
  | { type: "note"; conversation_id: string; note: Note }
  | { type: "presence"; agent: Agent };

/** Checks a frame for the fields the desk relies on; anything else (a newer server's frames too) is ignored. */
export function parseDeskFrame(data: unknown): DeskFrame | null {
  const f = parseTyped(data);
  if (!f) return null;
  const obj = (v: unknown) => typeof v === "object" && v !== null;
  switch (f.type) {
    case "snapshot":
      return obj(f.desk) && obj((f.desk as { agent?: unknown }).agent) ? (f as DeskFrame) : null;
    case "offer":
    case "task":
      return obj(f.task) ? (f as DeskFrame) : null;
    case "offer_withdrawn":
      return typeof f.task_id === "string" ? ({ ...f, reason: String(f.reason ?? "") } as DeskFrame) : null;
    case "message":
      return typeof f.conversation_id === "string" && obj(f.message) ? (f as DeskFrame) : null;
    case "note":
      return typeof f.conversation_id === "string" && obj(f.note) ? (f as DeskFrame) : null;
    case "presence":
      return obj(f.agent) ? (f as DeskFrame) : null;
    default:
      return null;
  }
}

/** Crises first, then higher priority, then who has waited longest. */
function byUrgency(offers: readonly Task[]): Task[] {
  const crisis = (task: Task) => (task.crisis || task.reason === "crisis" ? 1 : 0);
  return [...offers].sort(
    (a, b) =>
      crisis(b) - crisis(a) || b.priority - a.priority || Date.parse(a.wait_started_at) - Date.parse(b.wait_started_at),
  );
}

const WITHDRAWN_REASONS = new Set(["expired", "cancelled", "taken", "transferred", "abandoned"]);

export function DeskPage({ can }: PageProps) {
  const supervise = can("queues_supervise");
  const [state, dispatch] = useReducer(deskReducer, initialDesk);
  const current = useRef(state);
  current.current = state;
  const now = useNow(1000);
  const hidden = useDocumentHidden();
  const [error, setError] = useState<ApiError | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [queues, setQueues] = useState<Queue[]>([]);
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [canned, setCanned] = useState<CannedResponse[]>([]);
  const loading = useRef(new Set<string>());

  const loadConversation = useCallback(async (id: string) => {
    if (loading.current.has(id)) return;
    loading.current.add(id);
    dispatch({ type: "conversation_loading", conversation_id: id, loading: true });
    try {
      dispatch({ type: "conversation_loaded", conversation: await api.conversation(id) });
    } catch (e) {
      dispatch({ type: "conversation_loading", conversation_id: id, loading: false });
      setError(localProblem(e));
    } finally {
      loading.current.delete(id);
    }
  }, []);

  const selectedConversation = () => {
    const s = current.current;
    return s.tasks.find((task) => task.id === s.selected)?.conversation_id ?? null;
  };

  const onFrame = (frame: DeskFrame) => {
    switch (frame.type) {
      case "snapshot":
        dispatch(frame);
        // Whatever was said while the socket was down is only in the stored transcript.
        for (const task of frame.desk.tasks) void loadConversation(task.conversation_id);
        return;
      case "offer":
        if (!current.current.offers.some((o) => o.id === frame.task.id)) beep(2);
        return dispatch(frame);
      case "message": {
        const seen = !document.hidden && selectedConversation() === frame.conversation_id;
        const view = current.current.conversations[frame.conversation_id];
        const fresh = !view?.messages.some((m) => m.seq === frame.message.seq);
        const held = current.current.tasks.some((task) => task.conversation_id === frame.conversation_id);
        if (held && fresh && !seen && frame.message.from === "user") beep(1);
        return dispatch({ ...frame, seen });
      }
      default:
        return dispatch(frame);
    }
  };

  const { status, reconnectNow } = useLiveSocket("/api/v1/desk/ws", parseDeskFrame, onFrame);

  // Held conversations whose transcript has not been fetched yet (a task accepted or handed over to us).
  useEffect(() => {
    for (const task of state.tasks) {
      const view = state.conversations[task.conversation_id];
      if (!view?.conversation && !view?.loading) void loadConversation(task.conversation_id);
    }
  }, [state.tasks, state.conversations, loadConversation]);

  // Without the socket, the page still shows the desk as it is now (with the banner saying it may be out of date).
  const triedFallback = useRef(false);
  useEffect(() => {
    if (status.state === "open" || status.failures < 2 || current.current.agent || triedFallback.current) return;
    triedFallback.current = true;
    api.desk().then(
      (desk) => {
        if (!current.current.agent) dispatch({ type: "snapshot", desk });
      },
      (e: unknown) => setLoadError(unavailable("desk.unavailable", e)),
    );
  }, [status]);

  // The queues (transfer targets, wrap-up codes) are read again whenever a conversation enters wrap-up, so codes a
  // supervisor has just added are offered.
  const wrapUps = state.tasks
    .filter((task) => task.state === "wrap_up")
    .map((task) => task.id)
    .join(" ");
  useEffect(() => {
    api.listQueues().then(
      (r) => setQueues(r.items),
      () => undefined,
    );
  }, [wrapUps]);

  // Canned answers are read again whenever the agent takes on a conversation, so answers a supervisor has just
  // written are offered.
  const held = state.tasks
    .filter((task) => task.state === "assigned")
    .map((task) => task.id)
    .join(" ");
  useEffect(() => {
    api.cannedResponses().then(
      (r) => setCanned(r.items),
      () => undefined,
    );
  }, [held]);

  useEffect(() => {
    // Only supervisors may list agents; everyone else transfers to queues (a 403 means the same).
    if (supervise) {
      api.listAgents().then(
        (r) => setAgents(r.items),
        () => setAgents(null),
      );
    }
    return unlockAudioOnFirstGesture();
  }, [supervise]);

  // What is on screen counts as read.
  const selectedTask = state.tasks.find((task) => task.id === state.selected) ?? null;
  const selectedId = selectedTask?.conversation_id ?? null;
  useEffect(() => {
    if (!hidden && selectedId && state.unread[selectedId]) dispatch({ type: "seen", conversation_id: selectedId });
  }, [hidden, selectedId, state.unread]);

  useTitleBadge(attentionCount(state));

  async function act(key: string, action: () => Promise<string | void>) {
    setBusy(key);
    setError(null);
    setNotice("");
    try {
      const done = await action();
      if (done) setNotice(done);
    } catch (e) {
      setError(localProblem(e));
    } finally {
      setBusy(null);
    }
  }

  const setPresence = (presence: SettablePresence) =>
    act("presence", async () => {
      const me = current.current.agent;
      if (!me) return;
      const updated = await api.setPresence(me.user_id, presence);
      // The server answers 204; the socket's presence frame follows. Until then, show what the server accepted.
      const mine = current.current.agent ?? me;
      dispatch({ type: "presence", agent: updated ?? { ...mine, presence, presence_since: new Date().toISOString(), wrap_up_until: null } });
    });

  const accept = (task: Task) =>
    act(task.id, async () => {
      try {
        const taken = await api.acceptTask(task.id);
        dispatch({ type: "task", task: taken });
        dispatch({ type: "select", task_id: taken.id });
      } catch (e) {
        // The offer is gone for good: another agent took it, it expired, or it was withdrawn.
        if (isProblem(e, "already-taken") || isProblem(e, "offer-expired") || isProblem(e, "not-offered")) {
          dispatch({ type: "task_gone", task_id: task.id });
        }
        throw e;
      }
    });

  const decline = (task: Task) =>
    act(task.id, async () => {
      await api.declineTask(task.id);
      dispatch({ type: "task_gone", task_id: task.id });
    });

  // The pane's actions throw, so each form shows its own error next to what the agent did.
  const paneActions = (task: Task): PaneActions => ({
    send: async (text) => {
      const message = await api.sendMessage(task.conversation_id, text);
      dispatch({ type: "message", conversation_id: task.conversation_id, message, seen: true });
    },
    note: async (text) => {
      const note = await api.addNote(task.conversation_id, text);
      dispatch({ type: "note", conversation_id: task.conversation_id, note });
    },
    transfer: async (target: TransferTarget) => {
      dispatch({ type: "task", task: await api.transferTask(task.id, target) });
      setNotice(t("desk.transferred", { contact: task.contact }));
    },
    end: async () => {
      dispatch({ type: "task", task: await api.endTask(task.id) });
    },
    followUp: async (text) => {
      const message = await api.sendFollowUp(task.conversation_id, text);
      dispatch({ type: "message", conversation_id: task.conversation_id, message, seen: true });
      setNotice(t("desk.followUpSent", { contact: task.contact }));
    },
    wrapUp: async (code) => {
      dispatch({ type: "task", task: await api.wrapUpTask(task.id, code) });
      setNotice(t("desk.wrappedUp", { contact: task.contact }));
    },
  });

  const me = state.agent;
  const chats = state.tasks.filter((task) => task.channel === "chat").length;

  return (
    <div className="desk-page">
      <LiveBanner status={status} onReconnect={reconnectNow} />
      <ErrorAlert error={error} />
      <p role="status" className="status" data-testid="desk-status">
        {notice}
      </p>
      {state.withdrawn && (
        <p className="notice" data-testid="offer-withdrawn">
          {t("desk.withdrawn", { contact: state.withdrawn.contact })}{" "}
          {WITHDRAWN_REASONS.has(state.withdrawn.reason) && t(`desk.withdrawn.${state.withdrawn.reason}` as "desk.withdrawn.taken")}{" "}
          <button type="button" className="link" onClick={() => dispatch({ type: "dismiss_withdrawn" })}>
            {t("desk.dismiss")}
          </button>
        </p>
      )}

      {!me ? (
        loadError ? (
          <ErrorAlert error={loadError} />
        ) : (
          <p className="muted" aria-busy="true">
            {t("common.loading")}
          </p>
        )
      ) : (
        <>
          <PresenceSwitcher agent={me} now={now} busy={busy === "presence"} onChange={(p) => void setPresence(p)} />
          <div className="desk">
            <div className="desk-side">
              <section aria-labelledby="offers-heading" data-testid="offers">
                <h2 id="offers-heading">
                  {t("desk.offers")} <span className="count">{state.offers.length}</span>
                </h2>
                {state.offers.length === 0 ? (
                  <p className="muted small">
                    {me.presence === "available" ? t("desk.noOffers") : t("desk.noOffersUnavailable")}
                  </p>
                ) : (
                  <ul className="offers">
                    {byUrgency(state.offers).map((task) => (
                      <OfferCard
                        key={task.id}
                        task={task}
                        now={now}
                        busy={busy === task.id}
                        onAccept={() => void accept(task)}
                        onDecline={() => void decline(task)}
                      />
                    ))}
                  </ul>
                )}
              </section>
              <nav aria-labelledby="conversations-heading" data-testid="conversations">
                <h2 id="conversations-heading">
                  {t("desk.conversations")}{" "}
                  <span className="count">{t("desk.capacity", { count: String(chats), capacity: String(me.capacity.chat) })}</span>
                </h2>
                {state.tasks.length === 0 ? (
                  <p className="muted small">{t("desk.noConversations")}</p>
                ) : (
                  <ul className="conversation-tabs">
                    {state.tasks.map((task) => {
                      const unread = state.unread[task.conversation_id] ?? 0;
                      return (
                        <li key={task.id}>
                          <button
                            type="button"
                            aria-current={task.id === state.selected ? "true" : undefined}
                            className={task.crisis ? "crisis" : undefined}
                            onClick={() => dispatch({ type: "select", task_id: task.id })}
                            data-testid={`conversation-tab-${task.id}`}
                          >
                            <span className="contact">{task.contact}</span>
                            <span className="muted small">
                              {" "}
                              {task.queue} · {channelLabel(task.channel)}
                              {task.state === "wrap_up" && ` · ${t("presence.wrap_up")}`}
                            </span>
                            {task.crisis && <span className="crisis-badge small-badge">{t("desk.crisis")}</span>}
                            {unread > 0 && (
                              <span className="unread" data-testid="unread">
                                {unread}
                                <span className="visually-hidden"> {t("desk.unread")}</span>
                              </span>
                            )}
                          </button>
                        </li>
                      );
                    })}
                  </ul>
                )}
              </nav>
            </div>
            <div className="desk-main">
              {selectedTask ? (
                <ConversationPane
                  key={selectedTask.id}
                  task={selectedTask}
                  view={state.conversations[selectedTask.conversation_id]}
                  me={me}
                  queues={queues}
                  agents={agents}
                  canned={canned}
                  now={now}
                  actions={paneActions(selectedTask)}
                />
              ) : (
                <p className="card muted empty-pane">{t("desk.nothingSelected")}</p>
              )}
            </div>
          </div>
        </>
      )}
    </div>
  );
}
