// The audit log, newest first, paged by sequence number, and a button that asks the server to verify the hash chain.

import { useState } from "react";
import { api, asApiError, type ApiError, type AuditVerification } from "../api";
import type { PageProps } from "../App";
import { formatDateTime, t } from "../i18n";
import { ErrorAlert } from "../components/ErrorAlert";
import { useLoad } from "../useApi";

const PAGE_SIZE = 50;

export function AuditPage({ can }: PageProps) {
  // The cursors of the pages walked through so far; the last one is shown. `null` is the newest page.
  const [cursors, setCursors] = useState<(number | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const { data: page, error, loading, reload } = useLoad(() => api.auditPage(cursor, PAGE_SIZE), [cursor]);

  const older = page?.next_before_seq ?? null;

  return (
    <>
      {can("audit_verify") && <VerifyChain />}
      <ErrorAlert error={error} />
      <div className="toolbar" role="group" aria-label={t("audit.paging")}>
        <button type="button" disabled={loading || cursors.length === 1} onClick={() => setCursors([null])}>
          {t("audit.newest")}
        </button>
        <button
          type="button"
          disabled={loading || cursors.length === 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
          data-testid="audit-newer"
        >
          {t("audit.newer")}
        </button>
        <button
          type="button"
          disabled={loading || older === null}
          onClick={() => older !== null && setCursors((c) => [...c, older])}
          data-testid="audit-older"
        >
          {t("audit.older")}
        </button>
        <button type="button" disabled={loading} onClick={() => void reload()}>
          {t("audit.reload")}
        </button>
      </div>
      {loading && !page && <p className="muted">{t("common.loading")}</p>}
      {page && page.items.length === 0 && <p className="muted">{t("audit.empty")}</p>}
      {page && page.items.length > 0 && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label={t("audit.caption")}>
          <table className="audit" data-testid="audit-table" aria-busy={loading}>
            <caption>{t("audit.caption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("audit.seq")}</th>
                <th scope="col">{t("audit.at")}</th>
                <th scope="col">{t("audit.actor")}</th>
                <th scope="col">{t("audit.action")}</th>
                <th scope="col">{t("audit.object")}</th>
                <th scope="col">{t("audit.outcome")}</th>
                <th scope="col">{t("audit.source")}</th>
                <th scope="col">{t("audit.requestId")}</th>
                <th scope="col">{t("audit.hash")}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((entry) => (
                <tr key={entry.seq} data-testid={`audit-row-${entry.seq}`}>
                  <th scope="row">{entry.seq}</th>
                  <td className="nowrap">{formatDateTime(entry.at)}</td>
                  <td>
                    {entry.actor_kind}
                    {entry.actor_id && <Short value={entry.actor_id} />}
                    {entry.auth_method && <span className="muted small"> ({entry.auth_method})</span>}
                  </td>
                  <td className="mono">{entry.action}</td>
                  <td>
                    {entry.object_type ?? ""}
                    {entry.object_id && <Short value={entry.object_id} />}
                  </td>
                  <td>
                    <span className={`outcome outcome-${entry.outcome}`}>{entry.outcome}</span>
                  </td>
                  <td className="mono small">{entry.source_ip ?? ""}</td>
                  <td>{entry.request_id && <Short value={entry.request_id} />}</td>
                  <td>
                    <Short value={entry.hash} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Long ids and hashes are cut to their start so rows stay one line; the whole value is in the tooltip. */
function Short({ value }: { value: string }) {
  const short = value.length > 12 ? `${value.slice(0, 8)}…` : value;
  return (
    <span className="muted small mono nowrap" title={value}>
      {" "}
      {short}
    </span>
  );
}

function VerifyChain() {
  const [result, setResult] = useState<AuditVerification | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function verify() {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.verifyAudit());
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card verify" aria-labelledby="verify-heading">
      <h2 id="verify-heading">{t("audit.verifyTitle")}</h2>
      <button type="button" className="primary" disabled={busy} onClick={() => void verify()} data-testid="audit-verify">
        {busy ? t("common.working") : t("audit.verify")}
      </button>
      <ErrorAlert error={error} />
      <p
        role="status"
        className={result ? (result.ok ? "verify-ok" : "verify-bad") : "status"}
        data-testid="audit-verify-result"
        data-ok={result ? String(result.ok) : undefined}
      >
        {result?.ok === true &&
          t("audit.verifyOk", {
            count: String(result.count),
            head: result.head_seq === null ? "–" : String(result.head_seq),
          })}
        {result?.ok === false && t("audit.verifyBad", { count: String(result.count), error: result.error ?? "" })}
      </p>
    </section>
  );
}
