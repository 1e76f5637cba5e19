// The shell: asks the server who we are at start-up, then shows either the sign-in flow or the signed-in pages.
// Which pages exist for a user is decided by the permissions the server sends; the server still checks every call.

import { lazy, Suspense, useCallback, useEffect, useState, type ComponentType } from "react";
import { api, ApiError, asApiError, setCsrfToken, setUnauthorizedHandler, type Next, type Permission, type Session } from "./api";
import { t, type MessageKey } from "./i18n";
import { navigate, usePath } from "./router";
import { ErrorAlert } from "./components/ErrorAlert";
import { Layout } from "./components/Layout";
import { LoginPage } from "./pages/LoginPage";
import { UsersPage } from "./pages/UsersPage";
import { ChannelsPage } from "./pages/ChannelsPage";
import { HistoryPage } from "./pages/HistoryPage";
import { PromptsPage } from "./pages/PromptsPage";

// The flow editor (React Flow, the YAML library) loads when first opened, not with every page.
const FlowsPage = lazy(() => import("./pages/FlowsPage").then((m) => ({ default: m.FlowsPage })));
import { ApiKeysPage } from "./pages/ApiKeysPage";
import { AuditPage } from "./pages/AuditPage";
import { AccountPage } from "./pages/AccountPage";
import { DeskPage } from "./pages/DeskPage";
import { SupervisorPage } from "./pages/SupervisorPage";

export interface PageProps {
  session: Session;
  can: (permission: Permission) => boolean;
  onLogout: (everywhere: boolean) => Promise<void>;
  onSessionChanged: () => Promise<void>;
}

export interface PageDef {
  path: string;
  title: MessageKey;
  /** The permission needed to open the page; null for pages every signed-in user has. */
  permission: Permission | null;
  component: ComponentType<PageProps>;
}

export const PAGES: PageDef[] = [
  { path: "/desk", title: "nav.desk", permission: "conversations_handle", component: DeskPage },
  { path: "/supervisor", title: "nav.supervisor", permission: "queues_supervise", component: SupervisorPage },
  { path: "/flows", title: "nav.flows", permission: "flows_read", component: FlowsPage },
  { path: "/history", title: "nav.history", permission: "transcripts_read", component: HistoryPage },
  { path: "/channels", title: "nav.channels", permission: "flows_read", component: ChannelsPage },
  { path: "/prompts", title: "nav.prompts", permission: "flows_read", component: PromptsPage },
  { path: "/users", title: "nav.users", permission: "users_read", component: UsersPage },
  { path: "/api-keys", title: "nav.apiKeys", permission: "api_keys_read", component: ApiKeysPage },
  { path: "/audit", title: "nav.audit", permission: "audit_read", component: AuditPage },
  { path: "/account", title: "nav.account", permission: null, component: AccountPage },
];

/** Where a user lands after signing in or when opening an unknown path. */
export function landingPath(permissions: readonly Permission[]): string {
  // Administrators start with the users, supervisors with the live view, agents at their desk, integrators with the
  // flows.
  if (permissions.includes("users_manage")) return "/users";
  if (permissions.includes("queues_supervise")) return "/supervisor";
  if (permissions.includes("conversations_handle")) return "/desk";
  // Integrators build flows.
  if (permissions.includes("flows_manage")) return "/flows";
  // Auditors start with the log.
  if (permissions.includes("audit_read")) return "/audit";
  if (permissions.includes("users_read")) return "/users";
  return "/account";
}

type State =
  | { kind: "loading" }
  | { kind: "failed"; error: ApiError }
  | { kind: "signed-out"; next: Next | null; username: string; notice: MessageKey | null; id: number }
  | { kind: "signed-in"; session: Session };

// Each signed-out state gets a new id; the login page is keyed by it, so it always starts at the step named here.
let signOuts = 0;

function signedOut(notice: MessageKey | null = null): State {
  return { kind: "signed-out", next: null, username: "", notice, id: ++signOuts };
}

/** A session in the middle of signing in: the login page continues at the step the server names. */
function partial(session: Session): State {
  const username = session.user?.username ?? "";
  return { kind: "signed-out", next: session.next, username, notice: null, id: ++signOuts };
}

export function App() {
  const path = usePath();
  const [state, setState] = useState<State>({ kind: "loading" });

  const loadSession = useCallback(async () => {
    try {
      const session = await api.session();
      setState(session.next === "done" ? { kind: "signed-in", session } : partial(session));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setCsrfToken(null);
        setState(signedOut());
      } else {
        setState({ kind: "failed", error: asApiError(error) });
      }
    }
  }, []);

  useEffect(() => {
    void loadSession();
  }, [loadSession]);

  // A 401 on an ordinary call means the session ended elsewhere (logout everywhere, expiry, an admin).
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      setState(signedOut("login.sessionEnded"));
    });
    return () => setUnauthorizedHandler(null);
  }, []);

  const onLogout = useCallback(async (everywhere: boolean) => {
    try {
      await (everywhere ? api.logoutAll() : api.logout());
    } finally {
      setCsrfToken(null);
      setState(signedOut());
    }
  }, []);

  const onSignedIn = useCallback(async () => {
    const session = await api.session();
    if (session.next !== "done") {
      setState(partial(session));
      return;
    }
    setState({ kind: "signed-in", session });
    navigate(landingPath(session.permissions), { replace: true });
  }, []);

  // Keep the address bar in step with the state: signed-out users are on /login, signed-in users never are.
  useEffect(() => {
    if (state.kind === "signed-out" && path !== "/login") navigate("/login", { replace: true });
    if (state.kind === "signed-in" && !PAGES.some((page) => page.path === path)) {
      navigate(landingPath(state.session.permissions), { replace: true });
    }
  }, [state, path]);

  switch (state.kind) {
    case "loading":
      return (
        <main className="centered" aria-busy="true">
          <p className="muted">{t("common.loading")}</p>
        </main>
      );
    case "failed":
      return (
        <main className="centered">
          <div className="card">
            <h1>{t("app.name")}</h1>
            <ErrorAlert error={state.error} />
            <button type="button" className="primary" onClick={() => void loadSession()}>
              {t("common.retry")}
            </button>
          </div>
        </main>
      );
    case "signed-out":
      return (
        <LoginPage
          key={state.id}
          initialNext={state.next}
          initialUsername={state.username}
          notice={state.notice}
          onSignedIn={onSignedIn}
        />
      );
    case "signed-in": {
      const session = state.session;
      const can = (permission: Permission) => session.permissions.includes(permission);
      const page = PAGES.find((p) => p.path === path);
      if (!page) return null; // the effect above is about to redirect
      const allowed = page.permission === null || can(page.permission);
      const Page = page.component;
      return (
        <Layout session={session} pages={PAGES} path={path} title={t(page.title)} onLogout={onLogout}>
          {allowed ? (
            <Suspense fallback={<p className="muted">{t("common.loading")}</p>}>
              <Page session={session} can={can} onLogout={onLogout} onSessionChanged={loadSession} />
            </Suspense>
          ) : (
            <p role="alert" className="alert" data-testid="not-allowed">
              {t("common.notAllowed")}
            </p>
          )}
        </Layout>
      );
    }
  }
}
