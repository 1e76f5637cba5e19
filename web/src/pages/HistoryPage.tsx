// Conversation history for supervisors: every conversation of the tenant, newest first, found by the day it began,
// its channel, its flow and how it ended. Rows name the contact by pseudonym only and carry no message text; opening
// one shows its transcript, which the server writes to the audit log, with where each message sent by SMS or WhatsApp
// stands. Those allowed may ask for the contact's number in clear (calls, SMS, WhatsApp); the server audits that too.

import { useState, type FormEvent } from "react";
import { api, ApiError, type Conversation, type Delivery } from "../api";
import { deliveriesBySeq, isMessaging } from "../contact/deliveries";
import type { HistoryEntryDto, HistoryPageDto } from "../api.gen";
import { ConversationOutcomeValues } from "../api.gen";
import type { PageProps } from "../App";
import { ErrorAlert } from "../components/ErrorAlert";
import { t } from "../i18n";
import { useAction, useLoad } from "../useApi";
import { Transcript } from "./desk/Transcript";

interface Filters {
  from: string;
  to: string;
  channel: string;
  flow: string;
  outcome: string;
}

const EMPTY: Filters = { from: "", to: "", channel: "", flow: "", outcome: "" };

/** A local date (yyyy-mm-dd) as the start of that day, in RFC 3339. */
function dayStart(date: string, plusDays = 0): string {
  const d = new Date(`${date}T00:00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
}

function query(filters: Filters, after: string | null): string {
  const q = new URLSearchParams();
  if (filters.from) q.set("from", dayStart(filters.from));
  // "To" is a whole day: up to the start of the next one.
  if (filters.to) q.set("to", dayStart(filters.to, 1));
  if (filters.channel) q.set("channel", filters.channel);
  if (filters.flow) q.set("flow_id", filters.flow);
  if (filters.outcome) q.set("outcome", filters.outcome);
  if (after) q.set("after", after);
  return q.toString();
}

/** The conversation was just opened, so a 404 from its address means the number was not kept (a pseudonymised or
 *  anonymous call); that is said as such rather than as "not found". */
function addressNotKept(error: unknown): never {
  if (error instanceof ApiError && error.status === 404) {
    throw new ApiError({ title: t("history.addressNotKept"), status: 404, request_id: error.problem.request_id }, null, true);
  }
  throw error;
}

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function HistoryPage({ can }: PageProps) {
  const flows = useLoad(async () => (await api.listFlows()).items, []);
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [pages, setPages] = useState<HistoryPageDto[]>([]);
  const first = useLoad(async () => {
    const page = await api.history(query(filters, null));
    setPages([page]);
    return page;
  }, [filters]);
  const more = useAction();
  const [open, setOpen] = useState<{
    id: string;
    view: Conversation;
    messaging: boolean;
    deliveries: ReadonlyMap<number, Delivery> | null;
    address: string | null;
  } | null>(null);
  const opening = useAction();
  const reveal = useAction();

  const rows: HistoryEntryDto[] = pages.flatMap((p) => p.items);
  const next = pages.at(-1)?.next ?? null;

  function search(e: FormEvent) {
    e.preventDefault();
    setOpen(null);
    setFilters({ ...draft });
  }

  return (
    <>
      <section className="card" aria-labelledby="history-heading">
        <h2 id="history-heading">{t("history.title")}</h2>
        <form className="audit-filter" onSubmit={search} data-testid="history-filter">
          <label>
            {t("history.from")}
            <input type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} data-testid="history-from" />
          </label>
          <label>
            {t("history.to")}
            <input type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} data-testid="history-to" />
          </label>
          <label>
            {t("history.channel")}
            <select value={draft.channel} onChange={(e) => setDraft({ ...draft, channel: e.target.value })} data-testid="history-channel">
              <option value="">{t("history.any")}</option>
              {(["voice", "chat", "sms", "whatsapp"] as const).map((c) => (
                <option key={c} value={c}>
                  {t(`channel.${c}` as "channel.voice")}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t("history.flow")}
            <select value={draft.flow} onChange={(e) => setDraft({ ...draft, flow: e.target.value })} data-testid="history-flow">
              <option value="">{t("history.any")}</option>
              {(flows.data ?? []).map((f) => (
                <option key={f.id} value={f.id}>
                  {f.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t("history.outcome")}
            <select value={draft.outcome} onChange={(e) => setDraft({ ...draft, outcome: e.target.value })} data-testid="history-outcome">
              <option value="">{t("history.any")}</option>
              {ConversationOutcomeValues.map((o) => (
                <option key={o} value={o}>
                  {t(`history.outcome.${o}`)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" data-testid="history-search">
            {t("history.search")}
          </button>
        </form>
        <ErrorAlert error={first.error ?? more.error ?? flows.error} />
        {!first.loading && rows.length === 0 && <p className="muted">{t("history.none")}</p>}
        {rows.length > 0 && (
          <div className="table-wrap">
            <table data-testid="history-table">
              <caption>{t("history.caption", { n: String(rows.length) })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("history.started")}</th>
                  <th scope="col">{t("history.contact")}</th>
                  <th scope="col">{t("history.channel")}</th>
                  <th scope="col">{t("history.flow")}</th>
                  <th scope="col">{t("history.outcome")}</th>
                  <th scope="col">{t("history.handledBy")}</th>
                  <th scope="col">{t("common.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} data-testid={`history-row-${r.id}`} aria-selected={open?.id === r.id}>
                    <td>{when(r.started_at)}</td>
                    <td className="mono">{r.contact}</td>
                    <td>{t(`channel.${r.channel}` as "channel.voice")}</td>
                    <td>
                      {r.flow_name || "—"} <span className="muted small">v{r.flow_version}</span>
                    </td>
                    <td>
                      <span className={`outcome outcome-${r.outcome}`}>{t(`history.outcome.${r.outcome}`)}</span>
                    </td>
                    <td>{r.agents.length ? r.agents.join(", ") : r.queues.length ? t("history.queued", { queues: r.queues.join(", ") }) : "—"}</td>
                    <td className="actions">
                      <button
                        type="button"
                        disabled={opening.busy === r.id}
                        onClick={() =>
                          void opening.run(r.id, async () => {
                            reveal.setError(null);
                            const view = await api.conversation(r.id);
                            const messaging = isMessaging(r.channel);
                            // A conversation whose delivery states cannot be loaded still opens.
                            const deliveries = messaging
                              ? await api
                                  .deliveries(r.id)
                                  .then((d) => deliveriesBySeq(d.items))
                                  .catch(() => null)
                              : null;
                            setOpen({ id: r.id, view, messaging, deliveries, address: null });
                          })
                        }
                        data-testid={`history-open-${r.id}`}
                      >
                        {t("history.open")}
                        <span className="visually-hidden"> {r.contact}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {next && (
          <button
            type="button"
            disabled={more.busy !== null}
            onClick={() =>
              void more.run("more", async () => {
                const page = await api.history(query(filters, next));
                setPages((all) => [...all, page]);
              })
            }
            data-testid="history-more"
          >
            {t("history.more")}
          </button>
        )}
      </section>
      <ErrorAlert error={opening.error} />
      {open && (
        <section className="card" aria-labelledby="transcript-heading" data-testid="history-transcript">
          <h2 id="transcript-heading">{t("history.transcript", { contact: open.view.contact })}</h2>
          <p className="muted small">{t("history.audited")}</p>
          {open.messaging && open.deliveries === null && <p className="muted small">{t("history.deliveriesUnavailable")}</p>}
          {/* Web chat has no number to show. */}
          {open.view.channel !== "chat" && can("contact_addresses_read") && (
            <p data-testid="history-address">
              {open.address !== null ? (
                <>
                  {t("history.address")}: <span className="mono">{open.address}</span>
                </>
              ) : (
                <button
                  type="button"
                  disabled={reveal.busy !== null}
                  onClick={() =>
                    void reveal.run("address", async () => {
                      const { address } = await api.contactAddress(open.id).catch(addressNotKept);
                      setOpen((o) => (o && o.id === open.id ? { ...o, address } : o));
                    })
                  }
                  data-testid="history-show-number"
                >
                  {t("history.showNumber")}
                </button>
              )}{" "}
              <span className="muted small">{t("history.numberAudited")}</span>
            </p>
          )}
          <ErrorAlert error={reveal.error} />
          <Transcript messages={open.view.messages} notes={open.view.notes} deliveries={open.deliveries ?? undefined} />
          <button type="button" onClick={() => setOpen(null)}>
            {t("common.done")}
          </button>
        </section>
      )}
    </>
  );
}
