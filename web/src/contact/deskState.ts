// The desk's state and the one pure function that changes it. Socket frames, REST answers and the agent's own
// clicks all become `DeskEvent`s, so the order in which they arrive never matters more than it must: a snapshot
// replaces everything the server knows, messages merge by seq and notes by id, and a task's latest state wins.

import type { Agent, Conversation, Desk, Message, Note, Task } from "../api";

export interface ConversationView {
  conversation: Conversation | null;
  /** Messages by seq: what GET /conversations returned merged with what the socket pushed. */
  messages: Message[];
  notes: Note[];
  loading: boolean;
}

export interface DeskState {
  agent: Agent | null;
  offers: Task[];
  /** The tasks this agent holds: assigned, or in wrap-up after the agent ended them. */
  tasks: Task[];
  conversations: Record<string, ConversationView>;
  /** Caller messages not yet seen, by conversation id. */
  unread: Record<string, number>;
  /** The task whose conversation is on screen. */
  selected: string | null;
  /** Offers that went away without the agent acting, with why (shown once as a notice). */
  withdrawn: { contact: string; reason: string } | null;
}

export const initialDesk: DeskState = {
  agent: null,
  offers: [],
  tasks: [],
  conversations: {},
  unread: {},
  selected: null,
  withdrawn: null,
};

export type DeskEvent =
  | { type: "snapshot"; desk: Desk }
  | { type: "offer"; task: Task }
  | { type: "offer_withdrawn"; task_id: string; reason: string }
  | { type: "task"; task: Task }
  | { type: "message"; conversation_id: string; message: Message; seen: boolean }
  | { type: "note"; conversation_id: string; note: Note }
  | { type: "presence"; agent: Agent }
  | { type: "conversation_loading"; conversation_id: string; loading: boolean }
  | { type: "conversation_loaded"; conversation: Conversation }
  | { type: "select"; task_id: string | null }
  | { type: "seen"; conversation_id: string }
  | { type: "task_gone"; task_id: string }
  | { type: "dismiss_withdrawn" };

const HELD: ReadonlySet<string> = new Set(["assigned", "wrap_up"]);

/** Whether the signed-in agent holds the task (it is theirs and not finished). */
export function isHeld(task: Task, agentId: string | undefined): boolean {
  return HELD.has(task.state) && (agentId === undefined || task.agent_id === null || task.agent_id === agentId);
}

function upsert(list: Task[], task: Task): Task[] {
  const i = list.findIndex((t) => t.id === task.id);
  if (i < 0) return [...list, task];
  const copy = list.slice();
  copy[i] = task;
  return copy;
}

export function mergeMessages(list: Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return list;
  const bySeq = new Map(list.map((m) => [m.seq, m]));
  for (const m of incoming) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function mergeNotes(list: Note[], incoming: readonly Note[]): Note[] {
  const byId = new Map(list.map((n) => [n.id, n]));
  for (const n of incoming) byId.set(n.id, n);
  return [...byId.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

const emptyView: ConversationView = { conversation: null, messages: [], notes: [], loading: false };

/** Keeps only what belongs to held tasks and a valid selection (the first held task when the old one went away). */
function tidy(state: DeskState): DeskState {
  const live = new Set(state.tasks.map((t) => t.conversation_id));
  const conversations = Object.fromEntries(Object.entries(state.conversations).filter(([id]) => live.has(id)));
  const unread = Object.fromEntries(Object.entries(state.unread).filter(([id]) => live.has(id)));
  const selected = state.tasks.some((t) => t.id === state.selected) ? state.selected : (state.tasks[0]?.id ?? null);
  return { ...state, conversations, unread, selected };
}

/** Applies a task's new state: offered to us, held by us, or gone (finished, transferred, taken by someone else). */
function applyTask(state: DeskState, task: Task): DeskState {
  const me = state.agent?.user_id;
  const offers = state.offers.filter((o) => o.id !== task.id);
  if (task.state === "offered" && (task.agent_id === null || task.agent_id === me)) {
    return { ...state, offers: upsert(offers, task) };
  }
  if (isHeld(task, me)) return tidy({ ...state, offers, tasks: upsert(state.tasks, task) });
  return tidy({ ...state, offers, tasks: state.tasks.filter((t) => t.id !== task.id) });
}

export function deskReducer(state: DeskState, event: DeskEvent): DeskState {
  switch (event.type) {
    case "snapshot": {
      const { agent, offers, tasks } = event.desk;
      return tidy({ ...state, agent, offers, tasks: tasks.filter((t) => isHeld(t, agent.user_id)) });
    }
    case "offer":
      return { ...state, offers: upsert(state.offers, event.task) };
    case "offer_withdrawn": {
      const offer = state.offers.find((o) => o.id === event.task_id);
      if (!offer) return state;
      return {
        ...state,
        offers: state.offers.filter((o) => o.id !== event.task_id),
        withdrawn: { contact: offer.contact, reason: event.reason },
      };
    }
    case "task":
      return applyTask(state, event.task);
    case "task_gone":
      return tidy({
        ...state,
        offers: state.offers.filter((o) => o.id !== event.task_id),
        tasks: state.tasks.filter((t) => t.id !== event.task_id),
      });
    case "message": {
      const id = event.conversation_id;
      if (!state.tasks.some((t) => t.conversation_id === id)) return state;
      const view = state.conversations[id] ?? emptyView;
      const known = view.messages.some((m) => m.seq === event.message.seq);
      const messages = mergeMessages(view.messages, [event.message]);
      const counts = !known && !event.seen && event.message.from === "user";
      return {
        ...state,
        conversations: { ...state.conversations, [id]: { ...view, messages } },
        unread: counts ? { ...state.unread, [id]: (state.unread[id] ?? 0) + 1 } : state.unread,
      };
    }
    case "note": {
      const id = event.conversation_id;
      if (!state.tasks.some((t) => t.conversation_id === id)) return state;
      const view = state.conversations[id] ?? emptyView;
      return {
        ...state,
        conversations: { ...state.conversations, [id]: { ...view, notes: mergeNotes(view.notes, [event.note]) } },
      };
    }
    case "presence":
      if (state.agent && event.agent.user_id !== state.agent.user_id) return state;
      return { ...state, agent: event.agent };
    case "conversation_loading": {
      const view = state.conversations[event.conversation_id] ?? emptyView;
      if (!state.tasks.some((t) => t.conversation_id === event.conversation_id)) return state;
      return {
        ...state,
        conversations: { ...state.conversations, [event.conversation_id]: { ...view, loading: event.loading } },
      };
    }
    case "conversation_loaded": {
      const c = event.conversation;
      if (!state.tasks.some((t) => t.conversation_id === c.id)) return state;
      const view = state.conversations[c.id] ?? emptyView;
      return {
        ...state,
        conversations: {
          ...state.conversations,
          [c.id]: {
            conversation: c,
            messages: mergeMessages(view.messages, c.messages),
            notes: mergeNotes(view.notes, c.notes),
            loading: false,
          },
        },
      };
    }
    case "select":
      return { ...state, selected: event.task_id };
    case "seen": {
      if (!state.unread[event.conversation_id]) return state;
      const unread = { ...state.unread };
      delete unread[event.conversation_id];
      return { ...state, unread };
    }
    case "dismiss_withdrawn":
      return { ...state, withdrawn: null };
  }
}

/** Offers plus unread caller messages: the number in the title badge. */
export function attentionCount(state: DeskState): number {
  return state.offers.length + Object.values(state.unread).reduce((sum, n) => sum + n, 0);
}
