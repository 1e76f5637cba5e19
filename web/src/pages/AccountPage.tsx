// The signed-in user's own account: who they are, changing the password, and ending this or every session.

import { useState, type FormEvent } from "react";
import { api, asApiError, type ApiError } from "../api";
import type { PageProps } from "../App";
import { roleLabel, t } from "../i18n";
import { ErrorAlert } from "../components/ErrorAlert";
import { Field } from "../components/Field";
import { HiddenUsername, NewPasswordFields } from "./LoginPage";

export function AccountPage({ session, onLogout }: PageProps) {
  const [logoutError, setLogoutError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function logout(everywhere: boolean) {
    setBusy(true);
    setLogoutError(null);
    try {
      await onLogout(everywhere);
    } catch (e) {
      setLogoutError(asApiError(e));
      setBusy(false);
    }
  }

  return (
    <>
      <section className="card" aria-labelledby="profile-heading">
        <h2 id="profile-heading">{t("account.profile")}</h2>
        <dl className="facts">
          <dt>{t("users.username")}</dt>
          <dd data-testid="account-username">{session.user.username}</dd>
          <dt>{t("users.displayName")}</dt>
          <dd>{session.user.display_name}</dd>
          <dt>{t("users.role")}</dt>
          <dd>{roleLabel(session.user.role)}</dd>
          <dt>{t("account.tenant")}</dt>
          <dd>{session.tenant.name}</dd>
        </dl>
      </section>

      <ChangePasswordForm username={session.user.username} />

      <section className="card" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">{t("account.sessions")}</h2>
        <ErrorAlert error={logoutError} />
        <div className="toolbar">
          <button type="button" disabled={busy} onClick={() => void logout(false)} data-testid="account-logout">
            {t("account.logout")}
          </button>
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => void logout(true)}
            data-testid="account-logout-all"
          >
            {t("account.logoutAll")}
          </button>
        </div>
        <p className="hint">{t("account.logoutAllHint")}</p>
      </section>
    </>
  );
}

function ChangePasswordForm({ username }: { username: string }) {
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [status, setStatus] = useState("");

  async function submit(event: FormEvent) {
    event.preventDefault();
    setStatus("");
    const differs = password !== repeat;
    setMismatch(differs);
    if (differs) return;
    setBusy(true);
    setError(null);
    try {
      await api.setPassword(password, current);
      setCurrent("");
      setPassword("");
      setRepeat("");
      setStatus(t("account.passwordChanged"));
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="change-password-heading" noValidate>
      <HiddenUsername username={username} />
      <h2 id="change-password-heading">{t("account.changePassword")}</h2>
      <ErrorAlert error={error} fields={["current_password", "new_password"]} />
      <Field
        label={t("account.currentPassword")}
        name="current_password"
        type="password"
        autoComplete="current-password"
        required
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
        error={error?.fieldError("current_password")}
        data-testid="current-password"
      />
      <NewPasswordFields
        value={password}
        repeat={repeat}
        onValue={setPassword}
        onRepeat={setRepeat}
        error={error}
        mismatch={mismatch}
      />
      <button type="submit" className="primary" disabled={busy} data-testid="change-password-submit">
        {busy ? t("common.working") : t("password.submit")}
      </button>
      <p role="status" className="status" data-testid="password-status">
        {status}
      </p>
    </form>
  );
}
