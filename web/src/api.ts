// The one place that talks to the Hotline JSON API: request helpers, the CSRF token, and the shapes the server sends.
// Every failure becomes an `ApiError` carrying an RFC 9457 problem, so pages only ever render one kind of error.

import { t } from "./i18n";

export type Next = "change_password" | "enrol_totp" | "totp" | "done";

export const ROLES = ["admin", "supervisor", "agent", "auditor", "integrator"] as const;
export type Role = (typeof ROLES)[number];

export interface AuthStep {
  next: Next;
  csrf_token: string;
}

export interface Session {
  user: { id: string; username: string; display_name: string; role: Role };
  tenant: { id: string; name: string };
  csrf_token: string;
  next: Next;
  permissions: string[];
}

export interface TotpEnrolment {
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
}

export interface TotpConfirmed extends AuthStep {
  backup_codes: string[];
}

export interface User {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  disabled: boolean;
  totp_enrolled: boolean;
  must_change_password: boolean;
  created_at: string;
}

export interface CreatedUser {
  user: User;
  one_time_password: string;
}

export interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  actor_kind: string;
  actor_id: string | null;
  auth_method: string | null;
  source_ip: string | null;
  request_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  outcome: string;
  hash: string;
  prev_hash: string;
}

export interface AuditPage {
  items: AuditEntry[];
  next_before_seq: number | null;
}

export type AuditVerification =
  | { ok: true; count: number; head_seq: number | null }
  | { ok: false; count: number; error: string };

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface CreatedApiKey {
  key: ApiKey;
  token: string;
}

// --- The contact centre (docs/contact-centre.md) -----------------------------------------------------------------

export const PRESENCES = ["available", "busy", "away", "offline"] as const;
/** What an agent may choose; the server adds `wrap_up` on its own after a conversation ends. */
export type SettablePresence = (typeof PRESENCES)[number];
export type Presence = SettablePresence | "wrap_up";

export type Channel = "chat" | "voice";

export interface Agent {
  user_id: string;
  username: string;
  display_name: string;
  skills: Record<string, number>;
  languages: string[];
  capacity: { voice: number; chat: number };
  presence: Presence;
  presence_since: string;
  wrap_up_until: string | null;
  tasks: string[];
}

export type TaskState =
  | "pending"
  | "offered"
  | "assigned"
  | "wrap_up"
  | "completed"
  | "abandoned"
  | "timed_out"
  | "cancelled";

export type TaskReason = "flow" | "asked_for_human" | "crisis" | "out_of_scope";

export interface Task {
  id: string;
  conversation_id: string;
  queue: string;
  channel: Channel;
  priority: number;
  state: TaskState;
  agent_id: string | null;
  /** Pseudonymous (e.g. K-3F9A2C); the desk never shows a phone number. */
  contact: string;
  reason: TaskReason | string;
  crisis: boolean;
  language: string | null;
  intent: string | null;
  confidence: number | null;
  variables: Record<string, unknown>;
  created_at: string;
  wait_started_at: string;
  offer_expires_at: string | null;
  position: number | null;
  estimated_wait_secs: number | null;
  wrap_up_code: string | null;
  /** The caller asked to be called back (phone); the number is never sent to the browser. */
  call_back?: { pending: boolean; attempts: number } | null;
}

export type Sender = "user" | "bot" | "agent" | "system";

export interface Message {
  seq: number;
  from: Sender;
  text: string;
  at: string;
}

export interface Note {
  id: string;
  author: string;
  text: string;
  at: string;
}

export interface Conversation {
  id: string;
  channel: Channel;
  status: string;
  language: string | null;
  contact: string;
  messages: Message[];
  notes: Note[];
  tasks: Task[];
}

export interface Desk {
  agent: Agent;
  offers: Task[];
  tasks: Task[];
}

export interface CannedResponse {
  id: string;
  title: string;
  text: string;
  language: string | null;
}

export type ServiceLevelVariant = "abandoned_after_short" | "all_offered" | "answered_only";

export interface QueueConfig {
  priority: number;
  required_skills: Record<string, number>;
  language: string | null;
  max_wait_secs: number | null;
  overflow: string | null;
  offer_timeout_secs: number;
  wrap_up_secs: number;
  service_level_secs: number;
  short_abandon_secs: number;
  service_level_variant: ServiceLevelVariant;
  wrap_up_codes: string[];
  business_hours: unknown;
  /** Routing rules (see `routing::RoutingRule`); this UI does not edit them and sends them back as they came. */
  rules?: unknown[];
}

export interface Queue {
  name: string;
  config: QueueConfig;
  live: {
    waiting: number;
    longest_wait_secs: number;
    offered: number;
    assigned: number;
    agents: Record<Presence, number>;
    open: boolean;
  };
  today: { offered: number; answered: number; abandoned: number; service_level: number | null };
}

export interface KpiRow {
  queue: string;
  start: string;
  end: string;
  offered: number;
  answered: number;
  abandoned: number;
  short_abandoned: number;
  asa_secs: number | null;
  aht_secs: number | null;
  service_level: number | null;
  abandonment_rate: number | null;
  occupancy: number | null;
}

/** What PUT /agents/{user_id} takes: the agent's routing profile. */
export interface AgentProfile {
  skills: Record<string, number>;
  /** Empty: the agent takes callers of any language. */
  languages: string[];
  capacity: { voice: number; chat: number };
}

/** The tenant's contact-centre settings (GET/PUT /contact-centre/settings). */
export interface ContactSettings {
  /** Language → the text a caller in crisis is sent; a language without one gets the built-in text. */
  crisis_text: Record<string, string>;
  /** The tenant's own crisis expressions, added to the built-in lexicon. */
  crisis_terms: string[];
  /** Where automatic hand-overs go when the flow's fallback is not an `enqueue` node. */
  handover_queue: string;
  /** Read-only, in answers: the built-in crisis text per language. */
  builtin_crisis_text?: Record<string, string>;
}

/** Where a task goes on transfer or move: a queue, or an agent (optionally in another queue). */
export type TransferTarget = { queue: string } | { agent_id: string; queue?: string };

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  request_id?: string;
}

export class ApiError extends Error {
  readonly problem: Problem;
  /** Seconds from a `Retry-After` header (429), if the server sent one. */
  readonly retryAfter: number | null;

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(problem.title);
    this.name = "ApiError";
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  get status(): number {
    return this.problem.status;
  }

  /** The message the server gave for one form field, if any. */
  fieldError(field: string): string | undefined {
    return this.problem.errors?.find((e) => e.field === field)?.message;
  }
}

/** Wraps anything thrown (a bug, a browser quirk) so pages render every failure the same way. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError({ title: t("error.unexpected"), status: 0, detail: String(error) });
}

// The token only ever lives in memory: it comes from auth responses and GET /auth/session.
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

// Called when a request comes back 401 while the app believes it is signed in (an expired or ended session).
let onUnauthorized: (() => void) | null = null;

export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

interface RequestOptions {
  /** A 401 is an expected answer (wrong password, wrong code), not a lost session. */
  expect401?: boolean;
}

async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  let payload: string | undefined;
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
    payload = JSON.stringify(body ?? {});
  }

  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: payload,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError({ title: t("error.network"), status: 0 });
  }

  if (!response.ok) {
    const problem = await readProblem(response);
    if (response.status === 401 && !options.expect401) onUnauthorized?.();
    throw new ApiError(problem, parseRetryAfter(response.headers.get("Retry-After")));
  }

  if (response.status === 204) return undefined as T;
  let data: unknown;
  try {
    data = await response.json();
  } catch {
    throw new ApiError({ title: t("error.badResponse"), status: response.status });
  }
  if (data && typeof data === "object" && "csrf_token" in data && typeof data.csrf_token === "string") {
    csrfToken = data.csrf_token;
  }
  return data as T;
}

async function readProblem(response: Response): Promise<Problem> {
  const fallback: Problem = { title: t("error.http", { status: String(response.status) }), status: response.status };
  const type = response.headers.get("Content-Type") ?? "";
  if (!type.includes("json")) return fallback;
  try {
    const body = (await response.json()) as Partial<Problem>;
    if (typeof body.title !== "string") return fallback;
    return { ...body, title: body.title, status: typeof body.status === "number" ? body.status : response.status };
  } catch {
    return fallback;
  }
}

/** Retry-After is either delta-seconds or an HTTP date; both become whole seconds from now. */
function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

const get = <T>(path: string, options?: RequestOptions) => request<T>("GET", path, undefined, options);
const post = <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>("POST", path, body, options);

export const api = {
  session: () => get<Session>("/auth/session", { expect401: true }),
  login: (username: string, password: string) =>
    post<AuthStep>("/auth/login", { username, password }, { expect401: true }),
  setPassword: (new_password: string, current_password?: string) =>
    post<AuthStep>(
      "/auth/password",
      current_password === undefined ? { new_password } : { current_password, new_password },
      { expect401: true },
    ),
  enrolTotp: () => post<TotpEnrolment>("/auth/totp/enrol"),
  confirmTotp: (code: string) => post<TotpConfirmed>("/auth/totp/confirm", { code }, { expect401: true }),
  verifyTotp: (code: string) => post<AuthStep>("/auth/totp", { code }, { expect401: true }),
  verifyBackupCode: (backup_code: string) => post<AuthStep>("/auth/totp", { backup_code }, { expect401: true }),
  logout: () => post<void>("/auth/logout"),
  logoutAll: () => post<void>("/auth/logout-all"),

  listUsers: () => get<{ items: User[] }>("/users"),
  createUser: (username: string, display_name: string, role: Role) =>
    post<CreatedUser>("/users", { username, display_name, role }),
  updateUser: (id: string, changes: Partial<Pick<User, "display_name" | "role" | "disabled">>) =>
    request<User>("PATCH", `/users/${encodeURIComponent(id)}`, changes),
  endUserSessions: (id: string) => post<void>(`/users/${encodeURIComponent(id)}/end-sessions`),

  auditPage: (beforeSeq: number | null, limit = 50) =>
    get<AuditPage>(`/audit?${new URLSearchParams({
      ...(beforeSeq === null ? {} : { before_seq: String(beforeSeq) }),
      limit: String(limit),
    })}`),
  verifyAudit: () => get<AuditVerification>("/audit/verify"),

  listApiKeys: () => get<{ items: ApiKey[] }>("/api-keys"),
  createApiKey: (name: string, role: Role) => post<CreatedApiKey>("/api-keys", { name, role }),
  revokeApiKey: (id: string) => request<void>("DELETE", `/api-keys/${encodeURIComponent(id)}`),

  desk: () => get<Desk>("/desk"),
  /** 204 without a body today; the new presence arrives on the live sockets. */
  setPresence: (userId: string, presence: SettablePresence) =>
    request<Agent | undefined>("PUT", `/agents/${encodeURIComponent(userId)}/presence`, { presence }),
  listAgents: () => get<{ items: Agent[] }>("/agents"),
  updateAgent: (userId: string, profile: AgentProfile) =>
    request<Agent>("PUT", `/agents/${encodeURIComponent(userId)}`, profile),
  listTasks: () => get<{ items: Task[] }>("/tasks"),
  acceptTask: (id: string) => post<Task>(`/tasks/${encodeURIComponent(id)}/accept`),
  declineTask: (id: string) => post<void>(`/tasks/${encodeURIComponent(id)}/decline`),
  transferTask: (id: string, target: TransferTarget) => post<Task>(`/tasks/${encodeURIComponent(id)}/transfer`, target),
  moveTask: (id: string, target: TransferTarget) => post<Task>(`/tasks/${encodeURIComponent(id)}/move`, target),
  endTask: (id: string) => post<Task>(`/tasks/${encodeURIComponent(id)}/end`),
  wrapUpTask: (id: string, code: string | null) => post<Task>(`/tasks/${encodeURIComponent(id)}/wrap-up`, { code }),
  conversation: (id: string) => get<Conversation>(`/conversations/${encodeURIComponent(id)}`),
  sendMessage: (conversationId: string, text: string) =>
    post<Message>(`/conversations/${encodeURIComponent(conversationId)}/messages`, { text }),
  addNote: (conversationId: string, text: string) =>
    post<Note>(`/conversations/${encodeURIComponent(conversationId)}/notes`, { text }),
  cannedResponses: () => get<{ items: CannedResponse[] }>("/canned-responses"),
  putCannedResponse: (id: string, answer: Omit<CannedResponse, "id">) =>
    request<CannedResponse>("PUT", `/canned-responses/${encodeURIComponent(id)}`, answer),
  deleteCannedResponse: (id: string) => request<void>("DELETE", `/canned-responses/${encodeURIComponent(id)}`),
  listQueues: () => get<{ items: Queue[] }>("/queues"),
  /** Creates the queue when there is none of this name; replaces its whole configuration otherwise. */
  updateQueue: (name: string, config: Partial<QueueConfig>) =>
    request<Queue>("PUT", `/queues/${encodeURIComponent(name)}`, config),
  deleteQueue: (name: string) => request<void>("DELETE", `/queues/${encodeURIComponent(name)}`),
  contactSettings: () => get<ContactSettings>("/contact-centre/settings"),
  putContactSettings: (settings: ContactSettings) => request<ContactSettings>("PUT", "/contact-centre/settings", settings),
  kpis: ({ queue, ...range }: { queue: string | null; interval: "15m" | "day"; from: string; to: string }) =>
    get<{ items: KpiRow[] }>(`/kpis?${new URLSearchParams(queue === null ? range : { queue, ...range })}`),
};
