// One flow in the editor: the canvas (or the text), a palette of every node kind, the selected node's properties,
// the diagnostics of the validator and linter as you type, save (on the revision it was opened at), and publish
// with a note. The draft's text is the state; everything on screen is computed from it.

import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { api, ApiError, asApiError, type Diagnostic, type Flow } from "../api";
import { ErrorAlert } from "../components/ErrorAlert";
import { t } from "../i18n";
import { FlowCanvas } from "./FlowCanvas";
import { IntentsPanel } from "./IntentsPanel";
import { Simulator } from "./Simulator";
import { fixFor } from "./fixes";
import { KINDS, kindOf } from "./kinds";
import type { FieldPath } from "./kinds/types";
import {
  History,
  addIntent,
  addNode,
  connect,
  copyNode,
  diagnosticsByNode,
  intentDefs,
  intentsOf,
  languagesOf,
  nodesOf,
  parseDraft,
  printDraft,
  removeIntent,
  removeNode,
  setField,
  setIntentExamples,
  setIntentKeywords,
  setStart,
  toCanvas,
  withPositions,
  type Positions,
} from "./model";
import type { Document } from "yaml";

const CHECK_DELAY_MS = 400;

interface Props {
  flow: Flow;
  canPublish: boolean;
  onPublished: () => void;
}

export function FlowEditor({ flow, canPublish, onPublished }: Props) {
  const [source, setSource] = useState(flow.draft);
  const [saved, setSaved] = useState({ source: flow.draft, revision: flow.revision });
  const [positions, setPositions] = useState<Positions>(() => {
    const stored: Positions = {};
    for (const [id, p] of Object.entries(flow.layout.positions)) stored[id] = { x: p.x, y: p.y };
    return stored;
  });
  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [view, setView] = useState<"canvas" | "text">("canvas");
  const [error, setError] = useState<ApiError | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const [panel, setPanel] = useState<"properties" | "simulator" | "intents">("properties");
  const [simulatorOpened, setSimulatorOpened] = useState(false);
  const [path, setPath] = useState<{ visited: string[]; current: string | null }>({ visited: [], current: null });
  const history = useRef(new History());
  const clipboard = useRef<string | null>(null);
  const [, setHistoryTick] = useState(0);

  const draft = useMemo(() => parseDraft(source), [source]);
  const canvas = useMemo(() => (draft.error ? null : toCanvas(draft.doc, positions)), [draft, positions]);
  const byNode = useMemo(() => diagnosticsByNode(draft.doc, diagnostics), [draft, diagnostics]);
  const dirty = source !== saved.source;
  const selectedNode = selected ? nodesOf(draft.doc).find((n) => n.id === selected) : undefined;

  // The server's validator and linter run as the operator types (debounced); their codes are the ones the CLI and
  // the publish refusal use.
  useEffect(() => {
    let current = true;
    const timer = window.setTimeout(() => {
      api
        .checkFlow(source)
        .then((r) => current && setDiagnostics(r.diagnostics))
        .catch((e: unknown) => {
          if (!current) return;
          const problem = asApiError(e).problem;
          setDiagnostics((problem.diagnostics as Diagnostic[] | undefined) ?? []);
        });
    }, CHECK_DELAY_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [source]);

  // Leaving with unsaved changes asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  /** Applies an edit to a fresh copy of the document; the text before it goes on the undo stack. */
  const edit = useCallback(
    (change: (doc: Document) => void) => {
      const { doc, error: parseError } = parseDraft(source);
      if (parseError) return;
      try {
        change(doc);
      } catch (e) {
        setError(asApiError(e));
        return;
      }
      const next = printDraft(doc);
      if (next === source) return;
      history.current.record(source);
      setHistoryTick((n) => n + 1);
      setSource(next);
    },
    [source],
  );

  function undo() {
    const previous = history.current.undo(source);
    if (previous !== null) setSource(previous);
    setHistoryTick((n) => n + 1);
  }

  function redo() {
    const next = history.current.redo(source);
    if (next !== null) setSource(next);
    setHistoryTick((n) => n + 1);
  }

  const storeLayout = useCallback(
    (all: Positions) => {
      api
        .saveLayout(flow.id, { positions: all })
        .catch((e: unknown) => setError(asApiError(e)));
    },
    [flow.id],
  );

  function moved(changed: Positions, done: boolean) {
    const next = { ...positions, ...changed };
    setPositions(next);
    if (done) storeLayout(withPositions(draft.doc, next));
  }

  async function save(): Promise<boolean> {
    setBusy(true);
    setError(null);
    setStatus("");
    try {
      const stored = await api.saveDraft(flow.id, source, saved.revision);
      setSaved({ source, revision: stored.revision });
      setStatus(t("editor.saved", { revision: String(stored.revision) }));
      return true;
    } catch (e) {
      const err = asApiError(e);
      if (err.status === 409 && err.problem.type?.endsWith(":stale-draft")) setConflict(source);
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }

  /** After a conflict: the stored draft comes in, the operator's text stays on screen to copy from. */
  async function loadCurrent() {
    setBusy(true);
    try {
      const current = await api.flow(flow.id);
      history.current.record(source);
      setSource(current.draft);
      setSaved({ source: current.draft, revision: current.revision });
      setError(null);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  async function publish() {
    if (dirty && !(await save())) return;
    setBusy(true);
    setError(null);
    try {
      const { version } = await api.publishFlow(flow.id, note);
      setStatus(t("editor.published", { version: String(version) }));
      setNote("");
      onPublished();
    } catch (e) {
      const err = asApiError(e);
      const listed = err.problem.diagnostics as Diagnostic[] | undefined;
      if (listed?.length) setDiagnostics(listed);
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  function keys(e: KeyboardEvent<HTMLDivElement>) {
    const mod = e.ctrlKey || e.metaKey;
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
    if (mod && e.key.toLowerCase() === "s") {
      e.preventDefault();
      void save();
      return;
    }
    if (typing || !mod) return;
    const key = e.key.toLowerCase();
    if (key === "z" && !e.shiftKey) {
      e.preventDefault();
      undo();
    } else if ((key === "z" && e.shiftKey) || key === "y") {
      e.preventDefault();
      redo();
    } else if (key === "c" && selected) {
      clipboard.current = selected;
    } else if (key === "v" && clipboard.current) {
      const from = clipboard.current;
      edit((doc) => {
        setSelected(copyNode(doc, from));
      });
    }
  }

  const change = (path: FieldPath, value: unknown) => {
    if (selected) edit((doc) => setField(doc, selected, path, value));
  };

  const documentWide = byNode.get("") ?? [];
  const languages = useMemo(() => languagesOf(draft.doc), [draft]);
  const intents = useMemo(() => intentDefs(draft.doc), [draft]);
  const openPanel = (p: typeof panel) => {
    setPanel(p);
    if (p === "simulator") setSimulatorOpened(true);
  };
  const errors = diagnostics.filter((d) => d.severity === "error").length;

  return (
    <div className="flow-editor" onKeyDown={keys} data-testid="flow-editor">
      <div className="toolbar" role="toolbar" aria-label={t("editor.toolbar")}>
        <button type="button" onClick={undo} disabled={!history.current.canUndo} data-testid="undo" aria-keyshortcuts="Control+Z">
          {t("editor.undo")}
        </button>
        <button type="button" onClick={redo} disabled={!history.current.canRedo} data-testid="redo" aria-keyshortcuts="Control+Shift+Z">
          {t("editor.redo")}
        </button>
        <button type="button" onClick={() => setView(view === "canvas" ? "text" : "canvas")} data-testid="toggle-view">
          {view === "canvas" ? t("editor.showText") : t("editor.showCanvas")}
        </button>
        <button type="button" onClick={() => void save()} disabled={busy || !dirty} data-testid="save-draft" aria-keyshortcuts="Control+S">
          {dirty ? t("editor.save") : t("editor.savedShort")}
        </button>
        {canPublish && (
          <span className="publish">
            <label>
              <span className="visually-hidden">{t("editor.note")}</span>
              <input
                value={note}
                maxLength={500}
                placeholder={t("editor.notePlaceholder")}
                onChange={(e) => setNote(e.target.value)}
                data-testid="publish-note"
              />
            </label>
            <button type="button" onClick={() => void publish()} disabled={busy || errors > 0} data-testid="publish">
              {t("editor.publish")}
            </button>
          </span>
        )}
      </div>
      <ErrorAlert error={error} />
      {conflict !== null && (
        <div className="alert" data-testid="conflict">
          <p>{t("editor.conflict")}</p>
          <button type="button" onClick={() => void loadCurrent()} disabled={busy}>
            {t("editor.loadCurrent")}
          </button>
          <label className="editor-field">
            <span>{t("editor.yourVersion")}</span>
            <textarea readOnly rows={6} value={conflict} />
          </label>
          <button type="button" onClick={() => setConflict(null)}>
            {t("common.done")}
          </button>
        </div>
      )}
      <p role="status" className="status" data-testid="status">
        {status}
      </p>

      <div className="flow-editor-body">
        <aside className="palette" aria-label={t("editor.palette")}>
          <h2>{t("editor.palette")}</h2>
          <ul>
            {KINDS.map((kind) => (
              <li key={kind.kind}>
                <button
                  type="button"
                  title={t(kind.hint)}
                  disabled={draft.error !== null}
                  data-testid={`add-${kind.kind}`}
                  onClick={() => edit((doc) => setSelected(addNode(doc, kind.kind)))}
                >
                  {t(kind.title)}
                </button>
              </li>
            ))}
          </ul>
        </aside>

        <section className="flow-editor-main" aria-label={t("editor.canvas")}>
          {view === "text" || !canvas ? (
            <label className="editor-field">
              <span>{t("editor.source")}</span>
              <textarea
                className="flow-source"
                spellCheck={false}
                value={source}
                data-testid="flow-source"
                onChange={(e) => {
                  history.current.record(source);
                  setSource(e.target.value);
                }}
              />
              {draft.error && <span className="field-error">{draft.error}</span>}
            </label>
          ) : (
            <div className="flow-canvas" data-testid="flow-canvas">
              <FlowCanvas
                canvas={canvas}
                diagnostics={byNode}
                selected={selected}
                onSelect={(id) => {
                  setSelected(id);
                  if (id && panel === "intents") setPanel("properties");
                }}
                path={panel === "simulator" ? path : undefined}
                onMove={moved}
                onConnect={(source, handle, target) => edit((doc) => connect(doc, source, handle, target))}
                onDisconnect={(edges) => edit((doc) => edges.forEach((e) => connect(doc, e.source, e.handle, null)))}
                onDelete={(ids) => {
                  edit((doc) => ids.forEach((id) => removeNode(doc, id)));
                  setSelected(null);
                }}
              />
            </div>
          )}
        </section>

        <aside className="properties" aria-label={t("editor.sidePanel")}>
          <div className="tabs" role="tablist">
            {(["properties", "simulator", "intents"] as const).map((p) => (
              <button
                key={p}
                type="button"
                role="tab"
                aria-selected={panel === p}
                onClick={() => openPanel(p)}
                data-testid={`tab-${p}`}
              >
                {t(`editor.tab.${p}`)}
              </button>
            ))}
          </div>
          {simulatorOpened && (
            <div role="tabpanel" hidden={panel !== "simulator"}>
              <Simulator source={source} languages={languages} onPath={setPath} onSelect={setSelected} />
            </div>
          )}
          {panel === "intents" && (
            <div role="tabpanel">
              <IntentsPanel
                source={source}
                intents={intents}
                languages={languages}
                onAdd={(name) => edit((doc) => addIntent(doc, name))}
                onRemove={(name) => edit((doc) => removeIntent(doc, name))}
                onExamples={(name, language, examples) => edit((doc) => setIntentExamples(doc, name, language, examples))}
                onKeywords={(name, keywords) => edit((doc) => setIntentKeywords(doc, name, keywords))}
              />
            </div>
          )}
          {panel === "properties" && (
          <div role="tabpanel">
          {selectedNode ? (
            <NodeProperties
              key={selectedNode.id}
              id={selectedNode.id}
              isStart={draft.doc.get("start") === selectedNode.id}
              onStart={() => edit((doc) => setStart(doc, selectedNode.id))}
              onConnect={(handle, target) => edit((doc) => connect(doc, selectedNode.id, handle, target))}
              nodeIds={nodesOf(draft.doc).map((n) => n.id)}
              onChange={change}
              intents={intentsOf(draft.doc)}
              languages={languages}
              diagnostics={byNode.get(selectedNode.id) ?? []}
              node={selectedNode}
            />
          ) : (
            <p className="muted">{t("editor.selectHint")}</p>
          )}
          <h2>{t("editor.diagnostics", { n: String(diagnostics.length) })}</h2>
          <ul className="diagnostics" data-testid="diagnostics">
            {diagnostics.map((d, i) => (
              <li key={i} className={d.severity}>
                <button type="button" className="link" onClick={() => d.node && setSelected(d.node)}>
                  <code>{d.code}</code> {d.node && <strong>{d.node}</strong>}
                </button>
                <span> {d.message}</span>
                <span className="fix" data-testid={`fix-${d.code}`}>
                  {" "}
                  → {fixFor(d.code)}
                </span>
              </li>
            ))}
            {diagnostics.length === 0 && <li className="muted">{t("editor.noDiagnostics")}</li>}
          </ul>
          {documentWide.length > 0 && <p className="muted small">{t("editor.documentWide")}</p>}
          </div>
          )}
        </aside>
      </div>
    </div>
  );
}

function NodeProperties({
  id,
  node,
  isStart,
  onStart,
  onConnect,
  nodeIds,
  onChange,
  intents,
  languages,
  diagnostics,
}: {
  id: string;
  node: ReturnType<typeof nodesOf>[number];
  isStart: boolean;
  onStart: () => void;
  onConnect: (handle: string, target: string | null) => void;
  nodeIds: string[];
  onChange: (path: FieldPath, value: unknown) => void;
  intents: string[];
  languages: string[];
  diagnostics: Diagnostic[];
}) {
  const kind = kindOf(node.type);
  if (!kind) return <p className="muted">{node.type}</p>;
  const Panel = kind.Panel;
  const outputs = kind.outputs(node);
  return (
    <div data-testid="properties">
      <h2>
        {t(kind.title)} <code>{id}</code>
      </h2>
      <p className="muted small">{t(kind.hint)}</p>
      {diagnostics.map((d, i) => (
        <p key={i} className={d.severity === "error" ? "field-error" : "muted"}>
          <code>{d.code}</code> {d.message} <span className="fix">→ {fixFor(d.code)}</span>
        </p>
      ))}
      {!isStart && (
        <button type="button" onClick={onStart}>
          {t("editor.makeStart")}
        </button>
      )}
      <Panel node={node} onChange={onChange} intents={intents} languages={languages} />
      {outputs.length > 0 && (
        // The ways out without a mouse: the same as dragging a connection on the canvas.
        <fieldset className="editor-field" data-testid="connections">
          <legend>{t("editor.connections")}</legend>
          {outputs.map((out) => {
            let target: unknown = node;
            for (const key of out.path) target = (target as Record<string | number, unknown> | undefined)?.[key];
            return (
              <label key={out.handle} className="editor-field">
                <span>{out.label}</span>
                <select
                  value={typeof target === "string" ? target : ""}
                  data-testid={`connect-${out.handle}`}
                  onChange={(e) => onConnect(out.handle, e.target.value || null)}
                >
                  <option value="">{t("editor.notConnected")}</option>
                  {nodeIds
                    .filter((other) => other !== id)
                    .map((other) => (
                      <option key={other} value={other}>
                        {other}
                      </option>
                    ))}
                </select>
              </label>
            );
          })}
        </fieldset>
      )}
    </div>
  );
}
