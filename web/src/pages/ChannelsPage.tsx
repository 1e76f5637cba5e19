// Where callers come in: phone numbers (which flow answers which number, on which channels — calls, SMS, WhatsApp —
// in which language, and what a conversation keeps of the caller's number) and web-chat widgets (their looks, the
// sites allowed to embed them, the flow they run, the snippet to paste and a preview of how they look).

import { useId, useState, type FormEvent } from "react";
import { api, type Flow } from "../api";
import type { PageProps } from "../App";
import { ErrorAlert } from "../components/ErrorAlert";
import { localFieldErrors } from "../contact/problems";
import { channelLabel, t } from "../i18n";
import { useAction, useLoad } from "../useApi";
import type { PhoneNumberDto, PhoneNumberRequest, WidgetDto, WidgetRequest } from "../api.gen";
import { DEFAULT_NUMBER_CHANNELS, NUMBER_CHANNELS, withChannel, type NumberChannel } from "./channels/numberChannels";

const CALLER_ID_MODES = ["pseudonymised", "identified", "anonymous"] as const;

export function ChannelsPage({ can }: PageProps) {
  const manage = can("flows_manage");
  const flows = useLoad(async () => (await api.listFlows()).items, []);
  return (
    <>
      <ErrorAlert error={flows.error} />
      <PhoneNumbers manage={manage} flows={flows.data ?? []} />
      <Widgets manage={manage} flows={flows.data ?? []} />
    </>
  );
}

function FlowSelect({
  flows,
  value,
  onChange,
  testId,
}: {
  flows: Flow[];
  value: string;
  onChange: (id: string) => void;
  testId: string;
}) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
      <option value="">{t("channels.noFlow")}</option>
      {flows.map((f) => (
        <option key={f.id} value={f.id} disabled={f.active_version === null}>
          {f.name}
          {f.active_version === null ? ` (${t("flows.notLive")})` : ""}
        </option>
      ))}
    </select>
  );
}

/** A number's channel in words ("Voice" rather than the history's "Call", since a number serves all calls). */
function numberChannelName(channel: string): string {
  return channel === "voice" ? t("channels.channel.voice") : channelLabel(channel);
}

/** A number's binding as it stands, so that changing one part sends the others back unchanged. */
function binding(n: PhoneNumberDto): PhoneNumberRequest {
  return { flow_id: n.flow_id, language: n.language, caller_id: n.caller_id, channels: n.channels, proxy: n.proxy };
}

/** Checkboxes for the channels a number serves; the server's message (none ticked) is shown beneath them. */
function ChannelBoxes({
  value,
  onChange,
  legend,
  hideLegend = false,
  disabled = false,
  error,
  testId,
}: {
  value: readonly NumberChannel[];
  onChange: (channels: NumberChannel[]) => void;
  legend: string;
  hideLegend?: boolean;
  disabled?: boolean;
  error: string | undefined;
  testId: string;
}) {
  const errorId = `${useId()}-error`;
  return (
    <fieldset className="channel-boxes" aria-describedby={error ? errorId : undefined} data-testid={testId}>
      <legend className={hideLegend ? "visually-hidden" : undefined}>{legend}</legend>
      {NUMBER_CHANNELS.map((c) => (
        <label key={c}>
          <input
            type="checkbox"
            checked={value.includes(c)}
            disabled={disabled}
            aria-invalid={error ? true : undefined}
            onChange={(e) => onChange(withChannel(value, c, e.target.checked))}
            data-testid={`${testId}-${c}`}
          />
          {numberChannelName(c)}
        </label>
      ))}
      {error && (
        <p id={errorId} className="field-error" data-testid={`${testId}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}

function PhoneNumbers({ manage, flows }: { manage: boolean; flows: Flow[] }) {
  const numbers = useLoad(async () => (await api.phoneNumbers()).items, []);
  const action = useAction();
  // Which change failed last (a row's number or "add"), so its field message is shown next to its own checkboxes.
  const [lastKey, setLastKey] = useState<string | null>(null);
  const [number, setNumber] = useState("");
  const [flow, setFlow] = useState("");
  const [language, setLanguage] = useState("");
  const [callerId, setCallerId] = useState<(typeof CALLER_ID_MODES)[number]>("pseudonymised");
  const [channels, setChannels] = useState<NumberChannel[]>([...DEFAULT_NUMBER_CHANNELS]);
  const [proxy, setProxy] = useState(false);
  const flowName = (id: string | null) => flows.find((f) => f.id === id)?.name ?? t("channels.noFlow");
  const channelsError = localFieldErrors(action.error).channels;
  const channelsErrorOf = (key: string) => (key === lastKey ? channelsError : undefined);

  function run(key: string, work: () => Promise<string | void>) {
    setLastKey(key);
    void action.run(key, work);
  }

  function save(key: string, target: string, body: PhoneNumberRequest) {
    run(key, async () => {
      await api.putPhoneNumber(target, body);
      await numbers.reload();
      if (key === "add") setNumber("");
      return t("channels.numberSaved", { number: target });
    });
  }

  function add(e: FormEvent) {
    e.preventDefault();
    // A proxy number relays follow-up SMS; it serves SMS only and runs no flow.
    save(
      "add",
      number.trim(),
      proxy
        ? { flow_id: null, language: null, caller_id: callerId, channels: ["sms"], proxy: true }
        : { flow_id: flow || null, language: language || null, caller_id: callerId, channels },
    );
  }

  return (
    <section className="card" aria-labelledby="numbers-heading">
      <h2 id="numbers-heading">{t("channels.numbers")}</h2>
      {/* A refused channel choice is said next to the checkboxes that made it, not repeated here. */}
      <ErrorAlert error={action.error ?? numbers.error} fields={channelsError ? ["channels"] : []} />
      <p role="status" className="status">
        {action.status}
      </p>
      {numbers.data && (
        <div className="table-wrap">
          <table data-testid="numbers-table">
            <caption>{t("channels.numbersCaption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("channels.number")}</th>
                <th scope="col">{t("channels.channels")}</th>
                <th scope="col">{t("channels.flow")}</th>
                <th scope="col">{t("channels.language")}</th>
                <th scope="col">{t("channels.callerId")}</th>
                {manage && <th scope="col">{t("common.actions")}</th>}
              </tr>
            </thead>
            <tbody>
              {numbers.data.map((n) => (
                <tr key={n.number} data-testid={`number-${n.number}`}>
                  <th scope="row" className="mono">
                    {n.number}
                  </th>
                  <td>
                    {n.proxy ? (
                      <span className="badge" data-testid={`number-proxy-${n.number}`}>
                        {t("channels.proxyNumber")}
                      </span>
                    ) : manage ? (
                      <ChannelBoxes
                        value={n.channels.filter((c): c is NumberChannel => c !== "chat")}
                        onChange={(chosen) => save(n.number, n.number, { ...binding(n), channels: chosen })}
                        legend={t("channels.channelsOf", { number: n.number })}
                        hideLegend
                        disabled={action.busy === n.number}
                        error={channelsErrorOf(n.number)}
                        testId={`number-channel-${n.number}`}
                      />
                    ) : (
                      n.channels.map(numberChannelName).join(", ")
                    )}
                  </td>
                  <td>
                    {n.proxy ? (
                      <span className="muted small">{t("channels.proxyRelays")}</span>
                    ) : manage ? (
                      <FlowSelect
                        flows={flows}
                        value={n.flow_id ?? ""}
                        testId={`number-flow-${n.number}`}
                        onChange={(id) => save(n.number, n.number, { ...binding(n), flow_id: id || null })}
                      />
                    ) : (
                      flowName(n.flow_id)
                    )}
                  </td>
                  <td>{n.language ?? t("channels.flowLanguage")}</td>
                  <td>{t(`channels.callerId.${n.caller_id}` as "channels.callerId.pseudonymised")}</td>
                  {manage && (
                    <td className="actions">
                      <button
                        type="button"
                        className="danger"
                        disabled={action.busy === n.number}
                        onClick={() => {
                          if (!window.confirm(t("channels.removeNumberConfirm", { number: n.number }))) return;
                          run(n.number, async () => {
                            await api.deletePhoneNumber(n.number);
                            await numbers.reload();
                            return t("channels.numberRemoved", { number: n.number });
                          });
                        }}
                      >
                        {t("channels.remove")}
                        <span className="visually-hidden"> {n.number}</span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {manage && (
        <form className="inline-form" onSubmit={add} aria-label={t("channels.addNumber")}>
          <label>
            {t("channels.number")}
            <input value={number} onChange={(e) => setNumber(e.target.value)} placeholder="+4930123456" required data-testid="new-number" />
          </label>
          <label>
            <input type="checkbox" checked={proxy} onChange={(e) => setProxy(e.target.checked)} data-testid="new-number-proxy" />
            {t("channels.proxyNumber")}
          </label>
          {!proxy && (
            <>
              <ChannelBoxes
                value={channels}
                onChange={setChannels}
                legend={t("channels.channels")}
                error={channelsErrorOf("add")}
                testId="new-number-channel"
              />
              <label>
                {t("channels.flow")}
                <FlowSelect flows={flows} value={flow} onChange={setFlow} testId="new-number-flow" />
              </label>
            </>
          )}
          <label>
            {t("channels.language")}
            <select value={language} onChange={(e) => setLanguage(e.target.value)}>
              <option value="">{t("channels.flowLanguage")}</option>
              <option value="de">Deutsch</option>
              <option value="en">English</option>
            </select>
          </label>
          <label>
            {t("channels.callerId")}
            <select value={callerId} onChange={(e) => setCallerId(e.target.value as (typeof CALLER_ID_MODES)[number])}>
              {CALLER_ID_MODES.map((m) => (
                <option key={m} value={m}>
                  {t(`channels.callerId.${m}`)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={action.busy !== null || !number.trim()} data-testid="add-number">
            {t("channels.addNumber")}
          </button>
        </form>
      )}
      <p className="hint" data-testid="provider-hint">
        {t("channels.providerHint")}
      </p>
    </section>
  );
}

const BLANK_WIDGET: WidgetRequest = {
  name: "",
  title: "",
  greeting: "",
  primary_color: "#0b5cad",
  allowed_origins: [],
  flow_id: null,
};

function Widgets({ manage, flows }: { manage: boolean; flows: Flow[] }) {
  const widgets = useLoad(async () => (await api.widgets()).items, []);
  const [editing, setEditing] = useState<WidgetDto | "new" | null>(null);
  return (
    <section className="card" aria-labelledby="widgets-heading">
      <h2 id="widgets-heading">{t("channels.widgets")}</h2>
      <ErrorAlert error={widgets.error} />
      {widgets.data && (
        <ul className="widget-list" data-testid="widgets">
          {widgets.data.map((w) => (
            <li key={w.id}>
              <button type="button" className="link" onClick={() => setEditing(w)} data-testid={`widget-${w.id}`}>
                {w.name}
              </button>{" "}
              <span className="muted mono">{w.id}</span>
            </li>
          ))}
        </ul>
      )}
      {manage && editing === null && (
        <button type="button" onClick={() => setEditing("new")} data-testid="new-widget">
          {t("channels.newWidget")}
        </button>
      )}
      {editing !== null && (
        <WidgetForm
          key={editing === "new" ? "new" : editing.id}
          widget={editing === "new" ? null : editing}
          flows={flows}
          manage={manage}
          onSaved={(w) => {
            setEditing(w);
            void widgets.reload();
          }}
          onClose={() => setEditing(null)}
        />
      )}
    </section>
  );
}

function WidgetForm({
  widget,
  flows,
  manage,
  onSaved,
  onClose,
}: {
  widget: WidgetDto | null;
  flows: Flow[];
  manage: boolean;
  onSaved: (w: WidgetDto) => void;
  onClose: () => void;
}) {
  const [form, setForm] = useState<WidgetRequest>(
    widget
      ? {
          name: widget.name,
          title: widget.title,
          greeting: widget.greeting,
          primary_color: widget.primary_color,
          allowed_origins: widget.allowed_origins,
          flow_id: widget.flow_id,
        }
      : BLANK_WIDGET,
  );
  const [origins, setOrigins] = useState(form.allowed_origins.join("\n"));
  const action = useAction();
  const set = (patch: Partial<WidgetRequest>) => setForm((f) => ({ ...f, ...patch }));
  const snippet = widget
    ? `<script src="${window.location.origin}/widget.js" data-widget="${widget.id}" async></script>`
    : "";

  function save(e: FormEvent) {
    e.preventDefault();
    const body = {
      ...form,
      allowed_origins: origins
        .split("\n")
        .map((o) => o.trim())
        .filter(Boolean),
    };
    void action.run("save", async () => {
      const saved = widget ? await api.updateWidget(widget.id, body) : await api.createWidget(body);
      onSaved(saved);
      return t("channels.widgetSaved", { name: saved.name });
    });
  }

  return (
    <div className="widget-editor">
      <form onSubmit={save} className="widget-form" aria-label={t("channels.widgetForm")}>
        <ErrorAlert error={action.error} />
        <p role="status" className="status">
          {action.status}
        </p>
        <fieldset disabled={!manage}>
          <label className="editor-field">
            <span>{t("channels.widgetName")}</span>
            <input value={form.name} onChange={(e) => set({ name: e.target.value })} required data-testid="widget-name" />
          </label>
          <label className="editor-field">
            <span>{t("channels.widgetTitle")}</span>
            <input value={form.title} onChange={(e) => set({ title: e.target.value })} required data-testid="widget-title" />
          </label>
          <label className="editor-field">
            <span>{t("channels.widgetGreeting")}</span>
            <textarea rows={2} value={form.greeting} onChange={(e) => set({ greeting: e.target.value })} data-testid="widget-greeting" />
          </label>
          <label className="editor-field">
            <span>{t("channels.widgetColor")}</span>
            <input type="color" value={form.primary_color} onChange={(e) => set({ primary_color: e.target.value })} data-testid="widget-color" />
          </label>
          <label className="editor-field">
            <span>{t("channels.widgetOrigins")}</span>
            <textarea
              rows={3}
              value={origins}
              placeholder="https://www.example.org"
              onChange={(e) => setOrigins(e.target.value)}
              data-testid="widget-origins"
            />
          </label>
          <label className="editor-field">
            <span>{t("channels.flow")}</span>
            <FlowSelect flows={flows} value={form.flow_id ?? ""} onChange={(id) => set({ flow_id: id || null })} testId="widget-flow" />
          </label>
          <div className="toolbar">
            <button type="submit" disabled={action.busy !== null} data-testid="widget-save">
              {t("channels.saveWidget")}
            </button>
            <button type="button" onClick={onClose}>
              {t("channels.close")}
            </button>
          </div>
        </fieldset>
      </form>
      <div className="widget-side">
        <h3>{t("channels.preview")}</h3>
        {/* How the chat window looks with these settings (the real widget runs on the sites allowed above). */}
        <div className="widget-preview" data-testid="widget-preview" aria-hidden="true">
          <div className="widget-preview-head" style={{ background: form.primary_color }}>
            {form.title || "…"}
          </div>
          <p className="widget-preview-bubble">{form.greeting || "…"}</p>
        </div>
        {snippet && (
          <>
            <h3>{t("channels.snippet")}</h3>
            <p className="hint">{t("channels.snippetHint")}</p>
            <textarea readOnly rows={3} className="mono" value={snippet} data-testid="widget-snippet" onFocus={(e) => e.target.select()} />
          </>
        )}
      </div>
    </div>
  );
}
