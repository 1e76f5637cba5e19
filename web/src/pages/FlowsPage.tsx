// Flows: the tenant's flows, a new blank one, and the editor for the one named in `?flow=` (so a reload keeps it
// open). Its published versions are listed beside it, with their notes, and any of them can be made live again.

import { useState } from "react";
import { api, type FlowVersion } from "../api";
import type { PageProps } from "../App";
import { ErrorAlert } from "../components/ErrorAlert";
import { FlowEditor } from "../editor/FlowEditor";
import { VersionDiff } from "../editor/VersionDiff";
import { blankFlow } from "../editor/model";
import { formatDateTime, lang, t } from "../i18n";
import { navigate } from "../router";
import { useAction, useLoad } from "../useApi";

function openFlowId(): string | null {
  return new URLSearchParams(window.location.search).get("flow");
}

export function FlowsPage({ can }: PageProps) {
  const [open, setOpen] = useState(openFlowId);
  const show = (id: string | null) => {
    navigate(id ? `/flows?flow=${encodeURIComponent(id)}` : "/flows");
    setOpen(id);
  };
  return open ? (
    <OneFlow id={open} canManage={can("flows_manage")} onClose={() => show(null)} />
  ) : (
    <FlowList canManage={can("flows_manage")} onOpen={show} />
  );
}

function FlowList({ canManage, onOpen }: { canManage: boolean; onOpen: (id: string) => void }) {
  const flows = useLoad(async () => (await api.listFlows()).items, []);
  const action = useAction();
  const [name, setName] = useState("");

  function create() {
    const label = name.trim() || t("flows.untitled");
    const id = label
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 40) || "flow";
    void action.run("create", async () => {
      const created = await api.createFlow(blankFlow(id, label, lang));
      onOpen(created.id);
    });
  }

  return (
    <>
      {canManage && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            create();
          }}
        >
          <label>
            {t("flows.newName")}
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={80} data-testid="new-flow-name" />
          </label>
          <button type="submit" disabled={action.busy !== null} data-testid="new-flow">
            {t("flows.new")}
          </button>
        </form>
      )}
      <ErrorAlert error={action.error ?? flows.error} />
      {flows.data === null && !flows.error && <p className="muted">{t("common.loading")}</p>}
      {flows.data && (
        <div className="table-wrap">
          <table data-testid="flows-table">
            <caption>{t("flows.caption", { n: String(flows.data.length) })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("flows.name")}</th>
                <th scope="col">{t("flows.live")}</th>
                <th scope="col">{t("flows.changed")}</th>
              </tr>
            </thead>
            <tbody>
              {flows.data.map((f) => (
                <tr key={f.id}>
                  <th scope="row">
                    <a
                      href={`/flows?flow=${encodeURIComponent(f.id)}`}
                      onClick={(e) => {
                        e.preventDefault();
                        onOpen(f.id);
                      }}
                      data-testid={`open-flow-${f.name}`}
                    >
                      {f.name}
                    </a>
                  </th>
                  <td>{f.active_version === null ? t("flows.notLive") : t("flows.version", { n: String(f.active_version) })}</td>
                  <td>{formatDateTime(f.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function OneFlow({ id, canManage, onClose }: { id: string; canManage: boolean; onClose: () => void }) {
  const flow = useLoad(() => api.flow(id), [id]);
  const versions = useLoad(() => api.flowVersions(id), [id]);
  const action = useAction();

  return (
    <>
      <p>
        <a
          href="/flows"
          onClick={(e) => {
            e.preventDefault();
            onClose();
          }}
        >
          {t("flows.back")}
        </a>
      </p>
      <ErrorAlert error={action.error ?? flow.error} />
      {flow.data && <FlowEditor key={flow.data.id} flow={flow.data} canPublish={canManage} onPublished={() => {
            void versions.reload();
            void flow.reload();
          }} />}
      {versions.data && (
        <section className="versions" aria-labelledby="versions-heading">
          <h2 id="versions-heading">{t("flows.versions")}</h2>
          <p role="status" className="status">
            {action.status}
          </p>
          <ol data-testid="versions">
            {versions.data.items.map((v) => (
              <li key={v.version}>
                <strong>{t("flows.version", { n: String(v.version) })}</strong>
                {v.version === versions.data?.active_version && <span className="badge">{t("flows.liveBadge")}</span>}{" "}
                <span className="muted">{formatDateTime(v.created_at)}</span> {v.note && <q>{v.note}</q>}
                {canManage && v.version !== versions.data?.active_version && (
                  <button
                    type="button"
                    disabled={action.busy !== null}
                    onClick={() => {
                      if (!window.confirm(t("flows.activateConfirm", { n: String(v.version) }))) return;
                      void action.run(`v${v.version}`, async () => {
                        await api.activateVersion(id, v.version);
                        await versions.reload();
                        return t("flows.activated", { n: String(v.version) });
                      });
                    }}
                  >
                    {t("flows.activate")}
                  </button>
                )}
              </li>
            ))}
          </ol>
          <Compare draft={flow.data?.draft ?? ""} versions={versions.data.items} live={versions.data.active_version} />
        </section>
      )}
    </>
  );
}

/** Two versions (or a version and the saved draft) side by side, as a readable difference. */
function Compare({ draft, versions, live }: { draft: string; versions: FlowVersion[]; live: number | null }) {
  // Until the operator picks: from the live version (or the newest) to the saved draft.
  const [picked, setFrom] = useState<string | null>(null);
  const [to, setTo] = useState<string>("draft");
  if (versions.length === 0) return null;
  const from = picked ?? String(live ?? versions[0]?.version ?? "");
  const source = (key: string) =>
    key === "draft" ? draft : (versions.find((v) => String(v.version) === key)?.source ?? "");
  const options = [
    ...versions.map((v) => ({ key: String(v.version), label: t("flows.version", { n: String(v.version) }) })),
    { key: "draft", label: t("diff.draft") },
  ];
  return (
    <div className="compare">
      <h3>{t("diff.compare")}</h3>
      <div className="inline-form">
        <VersionPicker label={t("diff.from")} value={from} options={options} onChange={setFrom} testId="diff-from" />
        <VersionPicker label={t("diff.to")} value={to} options={options} onChange={setTo} testId="diff-to" />
      </div>
      <VersionDiff before={source(from)} after={source(to)} />
    </div>
  );
}

function VersionPicker({
  label,
  value,
  options,
  onChange,
  testId,
}: {
  label: string;
  value: string;
  options: { key: string; label: string }[];
  onChange: (key: string) => void;
  testId: string;
}) {
  return (
    <label>
      {label}{" "}
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        {options.map((o) => (
          <option key={o.key} value={o.key}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}
