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
};
