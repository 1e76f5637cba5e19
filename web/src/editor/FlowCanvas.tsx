// The canvas: React Flow showing what model.ts computed from the document. It owns nothing: positions, connections
// and deletions are reported to the editor, which changes the document (or the layout) and passes the new canvas
// back.

import "@xyflow/react/dist/style.css";
import {
  Background,
  Controls,
  Handle,
  Position as Side,
  ReactFlow,
  type Connection,
  type Edge,
  type Node,
  type NodeChange,
  type NodeProps,
  useReactFlow,
} from "@xyflow/react";
import { memo, useEffect, useMemo, useRef } from "react";
import { t } from "../i18n";
import { kindOf } from "./kinds";
import type { Output } from "./kinds/types";
import type { Canvas, Diagnostic, Position } from "./model";

export interface NodeData extends Record<string, unknown> {
  type: string;
  summary: string;
  outputs: Output[];
  start: boolean;
  diagnostics: Diagnostic[];
  dangling: string[];
  /** The simulated conversation went through this node / waits at it. */
  visited: boolean;
  current: boolean;
}

const FlowNodeView = memo(function FlowNodeView({ id, data, selected }: NodeProps<Node<NodeData>>) {
  const kind = kindOf(data.type);
  const errors = data.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = data.diagnostics.length - errors;
  return (
    <div
      className={`flow-node${selected ? " selected" : ""}${errors ? " has-errors" : warnings ? " has-warnings" : ""}${data.visited ? " on-path" : ""}${data.current ? " current" : ""}`}
      data-testid={`node-${id}`}
      title={data.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n") || undefined}
    >
      <Handle type="target" position={Side.Left} id="in" />
      <div className="flow-node-head">
        {data.start && <span className="badge">{t("editor.start")}</span>}
        <strong>{kind ? t(kind.title) : data.type}</strong>
        <code>{id}</code>
      </div>
      {data.summary && <p className="flow-node-summary">{data.summary}</p>}
      {(errors > 0 || warnings > 0) && (
        <p className="flow-node-diagnostics" data-testid={`node-${id}-diagnostics`}>
          {errors > 0 && <span className="error-count">{t("editor.errors", { n: String(errors) })}</span>}
          {warnings > 0 && <span className="warning-count">{t("editor.warnings", { n: String(warnings) })}</span>}
        </p>
      )}
      <ul className="flow-node-outputs">
        {data.outputs.map((out) => (
          <li key={out.handle} className={data.dangling.includes(out.handle) ? "dangling" : undefined}>
            <span>{out.label}</span>
            <Handle type="source" position={Side.Right} id={out.handle} data-testid={`handle-${id}-${out.handle}`} />
          </li>
        ))}
      </ul>
    </div>
  );
});

const NODE_TYPES = { flow: FlowNodeView };

/** Keeps a node that was just added in view: the whole flow is fitted again when the number of nodes grows. */
function FitOnGrowth({ count }: { count: number }) {
  const flow = useReactFlow();
  const seen = useRef(count);
  useEffect(() => {
    if (count > seen.current) {
      // After React Flow has measured the new node.
      const frame = window.requestAnimationFrame(() => void flow.fitView({ maxZoom: 1 }));
      seen.current = count;
      return () => window.cancelAnimationFrame(frame);
    }
    seen.current = count;
    return undefined;
  }, [count, flow]);
  return null;
}

interface Props {
  canvas: Canvas;
  diagnostics: Map<string, Diagnostic[]>;
  selected: string | null;
  onSelect: (id: string | null) => void;
  onMove: (positions: Record<string, Position>, done: boolean) => void;
  onConnect: (source: string, handle: string, target: string) => void;
  onDisconnect: (edges: { source: string; handle: string }[]) => void;
  onDelete: (ids: string[]) => void;
  /** The simulator's path: the nodes in the order it went through them, and the one it waits at. */
  path?: { visited: string[]; current: string | null };
}

const NO_PATH = { visited: [] as string[], current: null };

export function FlowCanvas({ canvas, diagnostics, selected, onSelect, onMove, onConnect, onDisconnect, onDelete, path = NO_PATH }: Props) {
  const visited = useMemo(() => new Set(path.visited), [path]);
  const steps = useMemo(() => {
    const pairs = new Set<string>();
    for (let i = 1; i < path.visited.length; i++) pairs.add(`${path.visited[i - 1]}>${path.visited[i]}`);
    return pairs;
  }, [path]);
  const nodes = useMemo<Node<NodeData>[]>(
    () =>
      canvas.nodes.map((n) => ({
        id: n.id,
        type: "flow",
        position: n.position,
        selected: n.id === selected,
        data: {
          type: n.type,
          summary: n.summary,
          outputs: n.outputs,
          start: n.start,
          diagnostics: diagnostics.get(n.id) ?? [],
          dangling: canvas.dangling.filter((d) => d.node === n.id).map((d) => d.handle),
          visited: visited.has(n.id),
          current: path.current === n.id,
        },
      })),
    [canvas, diagnostics, selected, visited, path],
  );
  const edges = useMemo<Edge[]>(
    () =>
      canvas.edges.map((e) => ({
        id: e.id,
        source: e.source,
        sourceHandle: e.sourceHandle,
        target: e.target,
        targetHandle: "in",
        label: e.label,
        className: steps.has(`${e.source}>${e.target}`) ? "on-path" : undefined,
        animated: steps.has(`${e.source}>${e.target}`),
      })),
    [canvas, steps],
  );

  function nodesChanged(changes: NodeChange<Node<NodeData>>[]) {
    const moved: Record<string, Position> = {};
    let done = false;
    for (const c of changes) {
      if (c.type === "position" && c.position) {
        moved[c.id] = { x: Math.round(c.position.x), y: Math.round(c.position.y) };
        done ||= c.dragging === false;
      } else if (c.type === "position" && c.dragging === false) {
        done = true;
      } else if (c.type === "select" && c.selected) {
        onSelect(c.id);
      }
    }
    if (Object.keys(moved).length || done) onMove(moved, done);
  }

  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={NODE_TYPES}
      onNodesChange={nodesChanged}
      onConnect={(c: Connection) => c.sourceHandle && onConnect(c.source, c.sourceHandle, c.target)}
      onEdgesDelete={(deleted) =>
        onDisconnect(deleted.map((e) => ({ source: e.source, handle: e.sourceHandle ?? "" })))
      }
      onNodesDelete={(deleted) => onDelete(deleted.map((n) => n.id))}
      onPaneClick={() => onSelect(null)}
      deleteKeyCode={["Delete", "Backspace"]}
      fitView
      fitViewOptions={{ maxZoom: 1 }}
      minZoom={0.2}
    >
      <Background />
      <Controls showInteractive={false} />
      <FitOnGrowth count={nodes.length} />
    </ReactFlow>
  );
}
