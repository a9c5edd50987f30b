import { useCallback, useEffect, useMemo, useState } from "react";
import {
  addEdge,
  Background,
  Controls,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type Connection,
  type Edge,
  type Node,
} from "@xyflow/react";
import { ApiError, request } from "./api";
import {
  append,
  fromFlow,
  issuesByNode,
  issuesOf,
  nextHandle,
  toFlow,
  type FlowEdge,
  type FlowNode,
} from "./graph";
import { Link } from "./Link";
import { guardLeaving } from "./router";
import { Properties } from "./Properties";
import { IssuesContext, KindsContext, StepNode } from "./StepNode";
import { t } from "./strings";
import type { BotDetail, Catalog, Issue } from "./types";

function asEdge(edge: FlowEdge): Edge {
  return { ...edge, label: edge.sourceHandle ?? undefined };
}

function asFlow(nodes: Node[], edges: Edge[]): { nodes: FlowNode[]; edges: FlowEdge[] } {
  return {
    nodes: nodes.map((n) => ({ id: n.id, type: n.type ?? "", position: n.position, data: n.data })),
    edges: edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      sourceHandle: e.sourceHandle ?? null,
    })),
  };
}

/** A bot's workflow on the canvas: palette, property panel, save. */
export function Builder(props: { botId: string }) {
  return (
    <ReactFlowProvider>
      <Canvas botId={props.botId} />
    </ReactFlowProvider>
  );
}

function Canvas(props: { botId: string }) {
  const view = useReactFlow();
  const [bot, setBot] = useState<BotDetail | null>(null);
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [nodes, setNodes, onNodesChange] = useNodesState<Node>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [status, setStatus] = useState<string | null>(null);
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    let live = true;
    Promise.all([
      request<BotDetail>("GET", `/bots/${encodeURIComponent(props.botId)}`),
      request<Catalog>("GET", "/nodes"),
    ])
      .then(([found, kinds]) => {
        if (!live) return;
        const flow = toFlow(found.workflow);
        setBot(found);
        setCatalog(kinds);
        setNodes(flow.nodes);
        setEdges(flow.edges.map(asEdge));
      })
      .catch((exc: unknown) => {
        if (!live) return;
        setFailed(exc instanceof ApiError && exc.status === 404 ? t.errors.notFound : String(exc));
      });
    return () => {
      live = false;
    };
  }, [props.botId, setNodes, setEdges]);

  // unsaved changes: the browser asks before leaving the page, the app before another page
  useEffect(() => {
    if (!dirty) return;
    const guard = (event: BeforeUnloadEvent) => event.preventDefault();
    addEventListener("beforeunload", guard);
    guardLeaving(() => confirm(t.builder.leave));
    return () => {
      removeEventListener("beforeunload", guard);
      guardLeaving(null);
    };
  }, [dirty]);

  const kinds = useMemo(() => new Map((catalog?.nodes ?? []).map((k) => [k.type, k])), [catalog]);
  const nodeTypes = useMemo(
    () => Object.fromEntries((catalog?.nodes ?? []).map((k) => [k.type, StepNode])),
    [catalog],
  );
  const grouped = useMemo(() => issuesByNode(issues, nodes.map((n) => n.id)), [issues, nodes]);

  const onConnect = useCallback(
    (connection: Connection) => {
      setEdges((current) => addEdge({ ...connection, label: connection.sourceHandle ?? undefined }, current));
      setDirty(true);
    },
    [setEdges],
  );

  const add = (type: string) => {
    const kind = kinds.get(type);
    const flow = asFlow(nodes, edges);
    const from = flow.nodes.find((n) => n.id === selected);
    const handle = from ? nextHandle(from.id, kinds.get(from.type), flow.edges) : null;
    const next = append(flow.nodes, flow.edges, type, kind?.defaults ?? {}, selected, handle);
    setNodes(next.nodes.map((n) => ({ ...n, selected: n.id === next.id })));
    setEdges(next.edges.map(asEdge));
    setSelected(next.id);
    setDirty(true);
  };

  const changeData = (id: string, data: Record<string, unknown>) => {
    setNodes((current) => current.map((n) => (n.id === id ? { ...n, data } : n)));
    setDirty(true);
  };

  const save = async () => {
    if (!bot) return;
    setSaving(true);
    setStatus(null);
    const flow = asFlow(nodes, edges);
    try {
      const saved = await request<BotDetail>("PUT", `/bots/${encodeURIComponent(bot.id)}`, {
        workflow: fromFlow(bot.workflow, flow.nodes, flow.edges),
      });
      setBot(saved);
      setIssues([]);
      setDirty(false);
      setStatus(t.builder.saved(saved.current_version));
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 422) {
        const found = issuesOf(exc.body?.details);
        setIssues(found);
        setStatus(t.builder.invalid);
        // bring the nodes with issues into view
        const marked = new Set(found.map((issue) => issue.node_id));
        const shown = nodes.filter((n) => marked.has(n.id)).map((n) => ({ id: n.id }));
        if (shown.length) void view.fitView({ nodes: shown, maxZoom: 1, duration: 200 });
      } else {
        setStatus(exc instanceof Error ? exc.message : String(exc));
      }
    } finally {
      setSaving(false);
    }
  };

  if (failed) return <p role="alert">{failed}</p>;
  if (!bot || !catalog) return <p className="loading">{t.loading}</p>;
  const chosen = nodes.find((n) => n.id === selected);
  const general = grouped.get("") ?? [];
  return (
    <section className="builder">
      <header className="builder-bar">
        <Link to={{ name: "bots" }}>{t.builder.back}</Link>
        <h1>{bot.name}</h1>
        <span className="version">{t.builder.version(bot.current_version)}</span>
        {dirty && <span className="dirty">{t.builder.unsaved}</span>}
        <button type="button" onClick={() => void save()} disabled={saving}>
          {saving ? t.builder.saving : t.builder.save}
        </button>
        {status && (
          <span className="save-status" role="status">
            {status}
          </span>
        )}
      </header>
      {general.length > 0 && (
        <ul className="issues general" role="alert" aria-label={t.builder.general}>
          {general.map((issue, i) => (
            <li key={i}>
              {issue.field ? <b>{issue.field}: </b> : null}
              {issue.message}
            </li>
          ))}
        </ul>
      )}
      <div className="builder-body">
        <nav className="palette" aria-label={t.builder.palette}>
          <h2>{t.builder.palette}</h2>
          <p className="hint">{t.builder.paletteHint}</p>
          <ul>
            {catalog.nodes.map((kind) => (
              <li key={kind.type}>
                <button type="button" data-kind={kind.type} title={kind.description} onClick={() => add(kind.type)}>
                  {kind.label}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <div className="canvas" role="region" aria-label={t.builder.canvas}>
          <KindsContext.Provider value={kinds}>
            <IssuesContext.Provider value={grouped}>
              <ReactFlow
                nodes={nodes}
                edges={edges}
                nodeTypes={nodeTypes}
                onNodesChange={(changes) => {
                  onNodesChange(changes);
                  if (changes.some((c) => c.type === "position" || c.type === "remove")) setDirty(true);
                }}
                onEdgesChange={(changes) => {
                  onEdgesChange(changes);
                  if (changes.some((c) => c.type === "remove")) setDirty(true);
                }}
                onConnect={onConnect}
                onSelectionChange={({ nodes: picked }) => setSelected(picked[0]?.id ?? null)}
                fitView
              >
                <Background />
                <Controls />
              </ReactFlow>
            </IssuesContext.Provider>
          </KindsContext.Provider>
        </div>
        {chosen ? (
          <Properties
            key={chosen.id}
            id={chosen.id}
            kind={kinds.get(chosen.type ?? "")}
            data={chosen.data}
            issues={grouped.get(chosen.id) ?? []}
            onChange={(data) => changeData(chosen.id, data)}
          />
        ) : (
          <aside className="properties" aria-label={t.builder.properties}>
            <p>{t.builder.noSelection}</p>
          </aside>
        )}
      </div>
    </section>
  );
}
