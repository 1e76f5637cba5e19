// The one place that talks to the Hotline JSON API: request helpers, the CSRF token, and the shapes the server sends.
// Every failure becomes an `ApiError` carrying an RFC 9457 problem, so pages only ever render one kind of error.

import type * as Gen from "./api.gen";
import { PermissionValues, RoleValues, SettablePresenceValues } from "./api.gen";
import { t } from "./i18n";


// The shapes the server sends and takes come from its OpenAPI document (api.gen.ts, `npm run gen:api`); the names
// below are the UI's words for them. Only what the document leaves open (queue configuration, contact-centre
// settings: objects the server passes through) is described here.

export type Next = Gen.NextStep;
export type Role = Gen.Role;
export const ROLES = RoleValues;
export type Permission = Gen.Permission;
export const PERMISSIONS = PermissionValues;

export type AuthStep = Gen.StepResponse;
export type Session = Gen.SessionResponse;
export type TotpEnrolment = Gen.EnrolResponse;
export type TotpConfirmed = Gen.StepResponse & { backup_codes: string[] };
export type User = Gen.UserDto;
export type CreatedUser = Gen.CreatedUserResponse;
export type AuditEntry = Gen.AuditEntryDto;
export type AuditPage = Gen.AuditPageDto;
export type AuditVerification = Gen.VerifyDto;
export type ApiKey = Gen.ApiKeyDto;
export type CreatedApiKey = Gen.CreatedKeyResponse;

// --- The contact centre (docs/contact-centre.md) -----------------------------------------------------------------

/** What an agent may choose; the server adds `wrap_up` on its own after a conversation ends. */
export const PRESENCES = SettablePresenceValues;
export type SettablePresence = Gen.SettablePresence;
export type Presence = Gen.Presence;
export type Channel = Gen.Channel;
export type Agent = Gen.AgentDto;
export type TaskState = Gen.TaskState;
export type TaskReason = Gen.HandOverReason;
export type Task = Gen.TaskDto;
export type Sender = Gen.Sender;
export type Message = Gen.TranscriptMessage;
export type Note = Gen.NoteDto;
export type Conversation = Gen.ConversationDto;
/** Where a message Hotline sent on SMS or WhatsApp stands, by its transcript `seq`. */
export type Delivery = Gen.DeliveryDto;
export type DeliveryState = Gen.DeliveryState;
export type Desk = Gen.DeskDto;
export type CannedResponse = Gen.CannedDto;
export type KpiRow = Gen.KpiDto;
/** What PUT /agents/{user_id} takes: the agent's routing profile. */
export type AgentProfile = Required<Gen.AgentRequest>;
export type FieldError = Gen.FieldProblem;
export type Problem = Pick<Gen.Problem, "title" | "status"> & Partial<Omit<Gen.Problem, "title" | "status">>;
export type Diagnostic = Gen.Diagnostic;
export type Flow = Gen.FlowDto;
export type FlowVersion = Gen.FlowVersionDto;
export type FlowVersions = Gen.VersionList;
export type Layout = Gen.LayoutDto;

export type ServiceLevelVariant = "abandoned_after_short" | "all_offered" | "answered_only";

/** A queue's configuration: the document leaves it an open object (the server passes routing rules through). */
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

export type Queue = Omit<Gen.QueueDto, "config" | "live"> & {
  config: QueueConfig;
  live: Omit<Gen.LiveDto, "agents"> & { agents: Partial<Record<Presence, number>> };
};

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

export class ApiError extends Error {
  readonly problem: Problem;
  /** Seconds from a `Retry-After` header (429), if the server sent one. */
  readonly retryAfter: number | null;
  /** Already said in the UI's language (by the page that caught it); shown as it is. */
  readonly localized: boolean;

  constructor(problem: Problem, retryAfter: number | null = null, localized = false) {
    super(problem.title);
    this.name = "ApiError";
    this.problem = problem;
    this.retryAfter = retryAfter;
    this.localized = localized;
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

/** Sends a request with the session's CSRF token; every failure becomes an `ApiError`. */
async function send(
  method: string,
  path: string,
  body: BodyInit | undefined,
  contentType: string | undefined,
  accept: string,
  options: RequestOptions,
): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  if (method !== "GET") {
    if (contentType) headers["Content-Type"] = contentType;
    if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
  }
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body,
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
  return response;
}

async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const payload = method === "GET" ? undefined : JSON.stringify(body ?? {});
  const response = await send(method, path, payload, "application/json", "application/json, application/problem+json", options);
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

/** A request whose answer is a file (audio): its bytes as a Blob. */
async function requestBlob(method: string, path: string, body?: unknown): Promise<Blob> {
  const payload = method === "GET" ? undefined : JSON.stringify(body ?? {});
  const response = await send(method, path, payload, "application/json", "audio/wav, application/problem+json", {});
  return response.blob();
}

/** Uploads a file as the request body. */
async function upload<T>(path: string, file: Blob): Promise<T> {
  const response = await send("PUT", path, file, file.type || "application/octet-stream", "application/json, application/problem+json", {});
  return (await response.json()) as T;
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
  backupCodesLeft: () => get<Gen.BackupCodesLeft>("/auth/backup-codes"),
  renewBackupCodes: (current_password: string) => post<Gen.BackupCodes>("/auth/backup-codes", { current_password }),
  deleteUser: (id: string) => request<void>("DELETE", `/users/${encodeURIComponent(id)}`),
  resetSecondFactor: (id: string) => post<void>(`/users/${encodeURIComponent(id)}/reset-second-factor`),

  listUsers: () => get<{ items: User[] }>("/users"),
  roles: () => get<Gen.RoleList>("/roles"),
  createUser: (username: string, display_name: string, role: Role) =>
    post<CreatedUser>("/users", { username, display_name, role }),
  updateUser: (id: string, changes: Partial<Pick<User, "display_name" | "role" | "disabled">>) =>
    request<User>("PATCH", `/users/${encodeURIComponent(id)}`, changes),
  endUserSessions: (id: string) => post<void>(`/users/${encodeURIComponent(id)}/end-sessions`),

  auditPage: (beforeSeq: number | null, limit = 50, filter: Gen.Routes["GET /api/v1/audit"]["query"] = {}) => {
    const query: Record<string, string> = { limit: String(limit) };
    if (beforeSeq !== null) query.before_seq = String(beforeSeq);
    for (const [key, value] of Object.entries(filter)) if (value !== undefined && key !== "limit") query[key] = String(value);
    return get<AuditPage>(`/audit?${new URLSearchParams(query)}`);
  },
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
  /** A page of the conversation history; `query` is the URL's query part. */
  history: (query: string) => get<Gen.HistoryPageDto>(`/conversations${query ? `?${query}` : ""}`),
  conversation: (id: string) => get<Conversation>(`/conversations/${encodeURIComponent(id)}`),
  /** Where each message sent on SMS or WhatsApp stands (empty for voice and chat). */
  deliveries: (conversationId: string) =>
    get<Gen.DeliveryList>(`/conversations/${encodeURIComponent(conversationId)}/deliveries`),
  /** The contact's phone number or WhatsApp id in clear; the server writes each call to the audit log. A 404 means
   *  the number was not kept. */
  contactAddress: (conversationId: string) =>
    get<Gen.AddressDto>(`/conversations/${encodeURIComponent(conversationId)}/address`),
  sendMessage: (conversationId: string, text: string) =>
    post<Message>(`/conversations/${encodeURIComponent(conversationId)}/messages`, { text }),
  /** A follow-up SMS from one of the tenant's proxy numbers; the caller's answer comes back into the conversation. */
  sendFollowUp: (conversationId: string, text: string) =>
    post<Message>(`/conversations/${encodeURIComponent(conversationId)}/follow-ups`, { text }),
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
  phoneNumbers: () => get<Gen.PhoneNumberList>("/phone-numbers"),
  putPhoneNumber: (number: string, body: Gen.PhoneNumberRequest) =>
    request<Gen.PhoneNumberDto>("PUT", `/phone-numbers/${encodeURIComponent(number)}`, body),
  deletePhoneNumber: (number: string) => request<void>("DELETE", `/phone-numbers/${encodeURIComponent(number)}`),
  widgets: () => get<Gen.WidgetList>("/widgets"),
  createWidget: (body: Gen.WidgetRequest) => post<Gen.WidgetDto>("/widgets", body),
  updateWidget: (id: string, body: Gen.WidgetRequest) =>
    request<Gen.WidgetDto>("PUT", `/widgets/${encodeURIComponent(id)}`, body),
  listFlows: () => get<Gen.FlowList>("/flows"),
  flow: (id: string) => get<Flow>(`/flows/${encodeURIComponent(id)}`),
  createFlow: (source: string) => post<Flow>("/flows", { source }),
  /** Saves the draft edited from `revision`; a 409 `stale-draft` means someone saved in between. */
  saveDraft: (id: string, source: string, revision: number) =>
    request<Flow>("PUT", `/flows/${encodeURIComponent(id)}`, { source, revision }),
  saveLayout: (id: string, layout: Layout) => request<void>("PUT", `/flows/${encodeURIComponent(id)}/layout`, layout),
  checkFlow: (source: string) => post<Gen.CheckResponse>("/flows/check", { source }),
  /** Replays a conversation with the draft on screen (nothing is stored). */
  simulateFlow: (body: Gen.SimulateRequest) => post<Gen.SimulateResponse>("/flows/simulate", body),
  /** Classifies a sentence as the draft would. */
  understand: (source: string, text: string, language?: string) =>
    post<Gen.UnderstandResponse>("/flows/understand", { source, text, language }),
  /** What the draft's intents' examples are worth (held-out overlaps, too few). */
  intentReport: (source: string) => post<Gen.IntentReportDto>("/flows/intents", { source }),
  /** Runs the draft's `tests:`. */
  testFlow: (source: string) => post<Gen.TestRunDto>("/flows/test", { source }),
  prompts: () => get<Gen.PromptList>("/prompts"),
  uploadPrompt: (name: string, file: Blob) => upload<Gen.PromptDto>(`/prompts/${encodeURIComponent(name)}`, file),
  deletePrompt: (name: string) => request<void>("DELETE", `/prompts/${encodeURIComponent(name)}`),
  /** The prompt as callers hear it, for the player. */
  promptAudioUrl: (name: string) => `/api/v1/prompts/${encodeURIComponent(name)}/audio`,
  /** A text as a call would speak it (WAV). */
  previewSpeech: (text: string, language: string, voice?: string) =>
    requestBlob("POST", "/prompts/preview", { text, language, voice }),
  publishFlow: (id: string, note: string) => post<Gen.VersionDto>(`/flows/${encodeURIComponent(id)}/publish`, { note }),
  flowVersions: (id: string) => get<FlowVersions>(`/flows/${encodeURIComponent(id)}/versions`),
  activateVersion: (id: string, version: number) =>
    post<Gen.VersionDto>(`/flows/${encodeURIComponent(id)}/activate`, { version }),
  kpis: ({ queue, ...range }: { queue: string | null; interval: "15m" | "day"; from: string; to: string }) =>
    get<{ items: KpiRow[] }>(`/kpis?${new URLSearchParams(queue === null ? range : { queue, ...range })}`),
};
