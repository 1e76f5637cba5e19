// Users of this tenant: the list, creating a user (whose one-time password is shown once), changing a role,
// disabling and enabling, and ending someone's sessions.

import { useState, type FormEvent } from "react";
import { api, asApiError, ROLES, type ApiError, type CreatedUser, type Role, type User } from "../api";
import type { PageProps } from "../App";
import { formatDateTime, plural, roleLabel, t } from "../i18n";
import { ErrorAlert } from "../components/ErrorAlert";
import { useAction, useLoad } from "../useApi";
import { permissionLabel } from "../permissionLabels";
import { Field, SelectField } from "../components/Field";
import { SecretOnce } from "../components/SecretOnce";

export function UsersPage({ can, session }: PageProps) {
  const users = useLoad(async () => (await api.listUsers()).items, []);
  const action = useAction();
  const [created, setCreated] = useState<CreatedUser | null>(null);
  const manage = can("users_manage");
  const endSessions = can("sessions_manage");

  const replace = (updated: User) => users.setData((list) => list?.map((u) => (u.id === updated.id ? updated : u)) ?? null);

  const changeRole = (user: User, role: Role) =>
    action.run(user.id, async () => {
      replace(await api.updateUser(user.id, { role }));
      return t("users.roleChanged", { name: user.username, role: roleLabel(role) });
    });

  const toggleDisabled = (user: User) => {
    // Disabling ends the user's sessions and stops their keys: asked first. Enabling is harmless.
    if (!user.disabled && !window.confirm(t("users.disableConfirm", { name: user.username }))) return;
    void action.run(user.id, async () => {
      const updated = await api.updateUser(user.id, { disabled: !user.disabled });
      replace(updated);
      return t(updated.disabled ? "users.disabledDone" : "users.enabledDone", { name: user.username });
    });
  };

  const resetSecondFactor = (user: User) => {
    if (!window.confirm(t("users.resetSecondFactorConfirm", { name: user.username }))) return;
    void action.run(user.id, async () => {
      await api.resetSecondFactor(user.id);
      await users.reload();
      return t("users.secondFactorReset", { name: user.username });
    });
  };

  const rename = (user: User) => {
    const name = window.prompt(t("users.renamePrompt", { name: user.username }), user.display_name);
    if (name === null || name.trim() === "" || name.trim() === user.display_name) return;
    void action.run(user.id, async () => {
      replace(await api.updateUser(user.id, { display_name: name.trim() }));
      return t("users.renamed", { name: user.username });
    });
  };

  // Only a disabled account can be deleted: it is signed out and takes no conversations first.
  const remove = (user: User) => {
    if (!window.confirm(t("users.deleteConfirm", { name: user.username }))) return;
    void action.run(user.id, async () => {
      await api.deleteUser(user.id);
      users.setData((list) => list?.filter((u) => u.id !== user.id) ?? null);
      return t("users.deleted", { name: user.username });
    });
  };

  const endUserSessions = (user: User) => {
    if (!window.confirm(t("users.endSessionsConfirm", { name: user.username }))) return;
    void action.run(user.id, async () => {
      await api.endUserSessions(user.id);
      return t("users.sessionsEnded", { name: user.username });
    });
  };

  return (
    <>
      <RolesExplained />
      {manage &&
        (created ? (
          <SecretOnce
            heading={t("users.createdTitle", { name: created.user.username })}
            explanation={t("users.createdExplanation")}
            secret={created.one_time_password}
            testId="one-time-password"
            onDone={() => setCreated(null)}
          />
        ) : (
          <CreateUserForm
            onCreated={(result) => {
              setCreated(result);
              users.setData((list) => [...(list ?? []), result.user]);
            }}
          />
        ))}

      <ErrorAlert error={action.error ?? users.error} />
      <p role="status" className="status" data-testid="status">
        {action.status}
      </p>

      {users.data === null && !users.error && <p className="muted">{t("common.loading")}</p>}
      {users.data && (
        <div className="table-wrap">
          <table data-testid="users-table">
            <caption>{plural(users.data.length, "users.captionOne", "users.caption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("users.username")}</th>
                <th scope="col">{t("users.displayName")}</th>
                <th scope="col">{t("users.role")}</th>
                <th scope="col">{t("users.state")}</th>
                <th scope="col">{t("users.totp")}</th>
                <th scope="col">{t("users.created")}</th>
                {(manage || endSessions) && <th scope="col">{t("common.actions")}</th>}
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => {
                const own = user.id === session.user.id;
                return (
                <tr key={user.id} data-testid={`user-row-${user.username}`} className={user.disabled ? "dim" : undefined}>
                  <th scope="row">{user.username}</th>
                  <td>{user.display_name}</td>
                  <td>
                    {manage ? (
                      <select
                        aria-label={t("users.roleFor", { name: user.username })}
                        value={user.role}
                        disabled={action.busy === user.id || own}
                        title={own ? t("users.ownAccount") : undefined}
                        onChange={(e) => void changeRole(user, e.target.value as Role)}
                      >
                        {ROLES.map((role) => (
                          <option key={role} value={role}>
                            {roleLabel(role)}
                          </option>
                        ))}
                      </select>
                    ) : (
                      roleLabel(user.role)
                    )}
                  </td>
                  <td>
                    {user.disabled ? t("users.disabled") : t("users.active")}
                    {user.must_change_password && <span className="badge">{t("users.mustChange")}</span>}
                  </td>
                  <td>{user.totp_enrolled ? t("common.yes") : t("common.no")}</td>
                  <td>{formatDateTime(user.created_at)}</td>
                  {(manage || endSessions) && (
                    <td className="actions">
                      {manage && (
                        <button type="button" disabled={action.busy === user.id} onClick={() => rename(user)} data-testid={`rename-${user.username}`}>
                          {t("users.rename")}
                          <span className="visually-hidden"> {user.username}</span>
                        </button>
                      )}
                      {manage && !own && user.disabled && (
                        <button type="button" className="danger" disabled={action.busy === user.id} onClick={() => remove(user)} data-testid={`delete-${user.username}`}>
                          {t("users.delete")}
                          <span className="visually-hidden"> {user.username}</span>
                        </button>
                      )}
                      {manage && !own && (
                        <button type="button" disabled={action.busy === user.id} onClick={() => toggleDisabled(user)}>
                          {user.disabled ? t("users.enable") : t("users.disable")}
                          <span className="visually-hidden"> {user.username}</span>
                        </button>
                      )}
                      {manage && !own && user.totp_enrolled && (
                        <button type="button" disabled={action.busy === user.id} onClick={() => resetSecondFactor(user)}>
                          {t("users.resetSecondFactor")}
                          <span className="visually-hidden"> {user.username}</span>
                        </button>
                      )}
                      {endSessions && (
                        <button type="button" disabled={action.busy === user.id} onClick={() => endUserSessions(user)}>
                          {t("users.endSessions")}
                          <span className="visually-hidden"> {user.username}</span>
                        </button>
                      )}
                    </td>
                  )}
                </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function CreateUserForm({ onCreated }: { onCreated: (result: CreatedUser) => void }) {
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState<Role>("agent");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await api.createUser(username.trim(), displayName.trim(), role));
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)} aria-labelledby="create-user-heading" noValidate>
      <h2 id="create-user-heading">{t("users.createTitle")}</h2>
      <ErrorAlert error={error} fields={["username", "display_name", "role"]} />
      <div className="form-row">
        <Field
          label={t("users.username")}
          hint={t("users.usernameHint")}
          name="username"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          error={error?.fieldError("username")}
          data-testid="create-username"
        />
        <Field
          label={t("users.displayName")}
          name="display_name"
          autoComplete="off"
          required
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
          error={error?.fieldError("display_name")}
          data-testid="create-display-name"
        />
        <SelectField
          label={t("users.role")}
          name="role"
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
          error={error?.fieldError("role")}
          data-testid="create-role"
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {roleLabel(r)}
            </option>
          ))}
        </SelectField>
        <button type="submit" className="primary" disabled={busy} data-testid="create-user-submit">
          {busy ? t("common.working") : t("users.create")}
        </button>
      </div>
    </form>
  );
}

/** What each role may do, from the server's own list, so choosing a role is not a guess. */
function RolesExplained() {
  const roles = useLoad(async () => (await api.roles()).items, []);
  if (!roles.data) return null;
  return (
    <details className="card roles" data-testid="roles-explained">
      <summary>{t("users.rolesTitle")}</summary>
      <dl>
        {roles.data.map((r) => (
          <div key={r.role}>
            <dt>{roleLabel(r.role)}</dt>
            <dd>
              <ul>
                {r.permissions.map((p) => (
                  <li key={p}>{permissionLabel(p)}</li>
                ))}
              </ul>
            </dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
