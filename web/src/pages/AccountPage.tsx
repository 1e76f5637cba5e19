// The signed-in user's own account: who they are, changing the password, and ending this or every session.

import { useState, type FormEvent } from "react";
import { api, asApiError, type ApiError } from "../api";
import type { PageProps } from "../App";
import { roleLabel, t } from "../i18n";
import { ErrorAlert } from "../components/ErrorAlert";
import { Field } from "../components/Field";
import { HiddenUsername, NewPasswordFields } from "./LoginPage";
import { useAction, useLoad } from "../useApi";

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

      <BackupCodesCard username={session.user.username} />

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

/** How many backup codes are left, and new ones (the old stop working) after the password is given again. */
function BackupCodesCard({ username }: { username: string }) {
  const left = useLoad(() => api.backupCodesLeft(), []);
  const action = useAction();
  const [password, setPassword] = useState("");
  const [codes, setCodes] = useState<string[] | null>(null);

  function renew(e: FormEvent) {
    e.preventDefault();
    void action.run("renew", async () => {
      const result = await api.renewBackupCodes(password);
      setPassword("");
      setCodes(result.backup_codes);
      await left.reload();
    });
  }

  const remaining = left.data?.remaining;
  return (
    <section className="card" aria-labelledby="backup-heading">
      <h2 id="backup-heading">{t("account.backupCodes")}</h2>
      {remaining !== undefined && (
        <p data-testid="backup-codes-left" className={remaining <= 3 ? "warning" : undefined}>
          {t(remaining <= 3 ? "account.backupCodesLow" : "account.backupCodesLeft", { n: String(remaining) })}
        </p>
      )}
      {codes ? (
        <div>
          <p>{t("account.backupCodesNew")}</p>
          <ul className="codes" data-testid="new-backup-codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => setCodes(null)} data-testid="new-backup-codes-done">
            {t("common.done")}
          </button>
        </div>
      ) : (
        <form onSubmit={renew}>
          <HiddenUsername username={username} />
          <ErrorAlert error={action.error ?? left.error} fields={["current_password"]} />
          <Field
            label={t("account.currentPassword")}
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={action.error?.fieldError("current_password")}
            data-testid="backup-password"
          />
          <button type="submit" disabled={action.busy !== null || !password} data-testid="renew-backup-codes">
            {t("account.backupCodesRenew")}
          </button>
        </form>
      )}
    </section>
  );
}
