// The audit log, newest first, paged by sequence number, and a button that asks the server to verify the hash chain.

import { Fragment, useState } from "react";
import { api, asApiError, type ApiError, type AuditVerification } from "../api";
import { AuditActionValues, OutcomeValues, type AuditAction, type Outcome } from "../api.gen";
import type { PageProps } from "../App";
import { actionLabel, outcomeLabel } from "../auditLabels";
import { formatDateTime, t } from "../i18n";
import { ErrorAlert } from "../components/ErrorAlert";
import { useLoad } from "../useApi";

const PAGE_SIZE = 50;

interface Filter {
  action: AuditAction | "";
  outcome: Outcome | "";
  actor_id: string;
  from: string;
  to: string;
}

const NO_FILTER: Filter = { action: "", outcome: "", actor_id: "", from: "", to: "" };

/** A date input's day as the start of that day in the browser's time zone, in RFC 3339. */
function dayStart(day: string, plusDays = 0): string | undefined {
  if (!day) return undefined;
  const d = new Date(`${day}T00:00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
}

export function AuditPage({ can }: PageProps) {
  // The cursors of the pages walked through so far; the last one is shown. `null` is the newest page.
  const [cursors, setCursors] = useState<(number | null)[]>([null]);
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  const [open, setOpen] = useState<number | null>(null);
  const cursor = cursors[cursors.length - 1] ?? null;
  const { data: page, error, loading, reload } = useLoad(
    () =>
      api.auditPage(cursor, PAGE_SIZE, {
        action: filter.action || undefined,
        outcome: filter.outcome || undefined,
        actor_id: filter.actor_id || undefined,
        from: dayStart(filter.from),
        to: dayStart(filter.to, 1),
      }),
    [cursor, filter],
  );
  const names = page?.names ?? {};
  const nameOf = (id: string | null | undefined) => (id ? (names[id.split("@")[0] ?? id] ?? null) : null);
  const older = page?.next_before_seq ?? null;
  const change = (patch: Partial<Filter>) => {
    setFilter((f) => ({ ...f, ...patch }));
    setCursors([null]);
    setOpen(null);
  };

  return (
    <>
      {can("audit_verify") && <VerifyChain />}
      <form className="inline-form audit-filter" aria-label={t("audit.filter")} onSubmit={(e) => e.preventDefault()}>
        <label>
          {t("audit.action")}{" "}
          <select value={filter.action} onChange={(e) => change({ action: e.target.value as AuditAction | "" })} data-testid="audit-filter-action">
            <option value="">{t("audit.any")}</option>
            {[...AuditActionValues]
              .sort((a, b) => actionLabel(a).localeCompare(actionLabel(b)))
              .map((a) => (
                <option key={a} value={a}>
                  {actionLabel(a)}
                </option>
              ))}
          </select>
        </label>
        <label>
          {t("audit.outcome")}{" "}
          <select value={filter.outcome} onChange={(e) => change({ outcome: e.target.value as Outcome | "" })} data-testid="audit-filter-outcome">
            <option value="">{t("audit.any")}</option>
            {OutcomeValues.map((o) => (
              <option key={o} value={o}>
                {outcomeLabel(o)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("audit.fromDay")} <input type="date" value={filter.from} onChange={(e) => change({ from: e.target.value })} />
        </label>
        <label>
          {t("audit.toDay")} <input type="date" value={filter.to} onChange={(e) => change({ to: e.target.value })} />
        </label>
        {filter.actor_id && (
          <span className="badge">
            {t("audit.onlyActor", { name: nameOf(filter.actor_id) ?? filter.actor_id })}{" "}
            <button type="button" className="link" onClick={() => change({ actor_id: "" })}>
              {t("audit.clear")}
            </button>
          </span>
        )}
        {filter !== NO_FILTER && (
          <button type="button" onClick={() => change(NO_FILTER)} data-testid="audit-filter-clear">
            {t("audit.showAll")}
          </button>
        )}
      </form>
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
                <th scope="col">
                  <span className="visually-hidden">{t("audit.details")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((entry) => {
                const actor = nameOf(entry.actor_id);
                const object = nameOf(entry.object_id);
                const version = entry.object_id?.includes("@") ? ` @${entry.object_id.split("@")[1]}` : "";
                return (
                  <Fragment key={entry.seq}>
                    <tr data-testid={`audit-row-${entry.seq}`}>
                      <th scope="row">{entry.seq}</th>
                      <td className="nowrap">{formatDateTime(entry.at)}</td>
                      <td>
                        {entry.actor_id ? (
                          <button
                            type="button"
                            className="link"
                            title={t("audit.onlyActorHint")}
                            onClick={() => change({ actor_id: entry.actor_id ?? "" })}
                          >
                            {actor ?? <Short value={entry.actor_id} />}
                          </button>
                        ) : (
                          entry.actor_kind
                        )}
                      </td>
                      <td>{actionLabel(entry.action)}</td>
                      <td>
                        {entry.object_type ?? ""} {object ? <strong>{object + version}</strong> : entry.object_id && <Short value={entry.object_id} />}
                      </td>
                      <td>
                        <span className={`outcome outcome-${entry.outcome}`}>{outcomeLabel(entry.outcome)}</span>
                      </td>
                      <td>
                        <button
                          type="button"
                          aria-expanded={open === entry.seq}
                          onClick={() => setOpen(open === entry.seq ? null : entry.seq)}
                          data-testid={`audit-details-${entry.seq}`}
                        >
                          {t("audit.details")}
                        </button>
                      </td>
                    </tr>
                    {open === entry.seq && (
                      <tr className="audit-details">
                        <td colSpan={7}>
                          <dl>
                            <dt>{t("audit.action")}</dt>
                            <dd className="mono">{entry.action}</dd>
                            <dt>{t("audit.actor")}</dt>
                            <dd className="mono">
                              {entry.actor_kind} {entry.actor_id ?? ""} ({entry.auth_method})
                            </dd>
                            <dt>{t("audit.object")}</dt>
                            <dd className="mono">
                              {entry.object_type ?? "–"} {entry.object_id ?? ""}
                            </dd>
                            <dt>{t("audit.source")}</dt>
                            <dd className="mono">{entry.source_ip ?? "–"}</dd>
                            <dt>{t("audit.requestId")}</dt>
                            <dd className="mono">{entry.request_id ?? "–"}</dd>
                            <dt>{t("audit.hash")}</dt>
                            <dd className="mono wrap">{entry.hash}</dd>
                            <dt>{t("audit.prevHash")}</dt>
                            <dd className="mono wrap">{entry.prev_hash}</dd>
                          </dl>
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
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
