// API keys for integrations: the list, creating a key (its token is shown once) and revoking one.

import { useState, type FormEvent } from "react";
import { api, asApiError, ROLES, type ApiError, type ApiKey, type CreatedApiKey, type Role } from "../api";
import type { PageProps } from "../App";
import { formatDateTime, plural, roleLabel, t } from "../i18n";
import { ErrorAlert } from "../components/ErrorAlert";
import { useAction, useLoad } from "../useApi";
import { Field, SelectField } from "../components/Field";
import { SecretOnce } from "../components/SecretOnce";

export function ApiKeysPage({ can }: PageProps) {
  const keys = useLoad(async () => (await api.listApiKeys()).items, []);
  const action = useAction();
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const manage = can("api_keys_manage");

  function revoke(key: ApiKey) {
    if (!window.confirm(t("apiKeys.revokeConfirm", { name: key.name }))) return;
    void action.run(key.id, async () => {
      await api.revokeApiKey(key.id);
      await keys.reload();
      return t("apiKeys.revoked", { name: key.name });
    });
  }

  return (
    <>
      {manage &&
        (created ? (
          <SecretOnce
            heading={t("apiKeys.createdTitle", { name: created.key.name })}
            explanation={t("apiKeys.createdExplanation")}
            secret={created.token}
            testId="api-key-token"
            onDone={() => setCreated(null)}
          />
        ) : (
          <CreateKeyForm
            onCreated={(result) => {
              setCreated(result);
              keys.setData((list) => [result.key, ...(list ?? [])]);
            }}
          />
        ))}

      <ErrorAlert error={action.error ?? keys.error} />
      <p role="status" className="status" data-testid="status">
        {action.status}
      </p>

      {keys.data === null && !keys.error && <p className="muted">{t("common.loading")}</p>}
      {keys.data && keys.data.length === 0 && <p className="muted">{t("apiKeys.none")}</p>}
      {keys.data && keys.data.length > 0 && (
        <div className="table-wrap">
          <table data-testid="api-keys-table">
            <caption>{plural(keys.data.length, "apiKeys.captionOne", "apiKeys.caption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("apiKeys.name")}</th>
                <th scope="col">{t("users.role")}</th>
                <th scope="col">{t("users.created")}</th>
                <th scope="col">{t("apiKeys.lastUsed")}</th>
                <th scope="col">{t("users.state")}</th>
                {manage && <th scope="col">{t("common.actions")}</th>}
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id} data-testid={`api-key-row-${key.name}`} className={key.revoked_at ? "dim" : undefined}>
                  <th scope="row">{key.name}</th>
                  <td>{roleLabel(key.role)}</td>
                  <td>{formatDateTime(key.created_at)}</td>
                  <td>{key.last_used_at ? formatDateTime(key.last_used_at) : t("apiKeys.never")}</td>
                  <td>
                    {key.revoked_at
                      ? t("apiKeys.revokedAt", { at: formatDateTime(key.revoked_at) })
                      : t("users.active")}
                  </td>
                  {manage && (
                    <td className="actions">
                      {!key.revoked_at && (
                        <button
                          type="button"
                          className="danger"
                          disabled={action.busy === key.id}
                          onClick={() => revoke(key)}
                        >
                          {t("apiKeys.revoke")}
                          <span className="visually-hidden"> {key.name}</span>
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (result: CreatedApiKey) => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("integrator");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await api.createApiKey(name.trim(), role));
      setName("");
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)} aria-labelledby="create-key-heading" noValidate>
      <h2 id="create-key-heading">{t("apiKeys.createTitle")}</h2>
      <ErrorAlert error={error} fields={["name", "role"]} />
      <div className="form-row">
        <Field
          label={t("apiKeys.name")}
          name="name"
          autoComplete="off"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={error?.fieldError("name")}
          data-testid="create-key-name"
        />
        <SelectField
          label={t("users.role")}
          name="role"
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
          error={error?.fieldError("role")}
          data-testid="create-key-role"
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {roleLabel(r)}
            </option>
          ))}
        </SelectField>
        <button type="submit" className="primary" disabled={busy} data-testid="create-key-submit">
          {busy ? t("common.working") : t("apiKeys.create")}
        </button>
      </div>
    </form>
  );
}
