import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
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
  type FinalConnectionState,
  type Node,
} from "@xyflow/react";
import { ApiError, errorText, openViewer, request } from "./api";
import { copy, paste, STEP, type Clip } from "./clipboard";
import { CanvasNote, candidateOf, explain } from "./CanvasNote";
import { Connections } from "./Connections";
import { EditTools } from "./EditTools";
import {
  append,
  arrange,
  docOf,
  fromDoc,
  issuesByNode,
  issuesOf,
  nextHandle,
  place,
  toFlow,
  without,
  type Doc,
  type FlowEdge,
  type FlowNode,
} from "./graph";
import { commandOf, typing, type Command } from "./keys";
import { Link } from "./Link";
import { KIND_TYPE, Palette } from "./Palette";
import { guardLeaving } from "./router";
import { extensionInstalled, PickEnded, pickWithExtension } from "./extension";
import { Picker } from "./Picker";
import { expand, modeFor, pageUrl, type PickKind } from "./picking";
import { Properties } from "./Properties";
import { RunPanel, useRun } from "./Run";
import { refusal, type Candidate } from "./rules";
import { changedKeys, sameJson } from "./schema";
import { SettingsPanel } from "./SettingsPanel";
import { ShortcutsDialog } from "./Shortcuts";
import { SidePanel, type Tab } from "./SidePanel";
import { IssuesContext, KindsContext, RunContext, StepNode } from "./StepNode";
import { t } from "./strings";
import type { BotDetail, Catalog, Issue } from "./types";
import { useUndo } from "./useUndo";
import { VariablesPanel } from "./VariablesPanel";

/** A selector being picked on the page: for which node and field, and how it is filled in. */
interface Picking {
  node: string;
  kind: PickKind;
  current: string;
  apply: (selector: string) => void;
}

/** About half a node's size: a dropped node is centred on the pointer. */
const HALF = { x: 80, y: 20 };

// the clipboard outlives one bot's page: copy in one bot, paste in another
let clip: Clip | null = null;
let pastes = 0;

type Json = Record<string, unknown>;

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

/** A bot's workflow on the canvas: palette, editing, property and settings panels, save. */
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
  const [meta, setMeta] = useState<Pick<Doc, "settings" | "variables">>({
    settings: undefined,
    variables: undefined,
  });
  const [saved, setSaved] = useState<Doc | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [status, setStatus] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const [saving, setSaving] = useState(false);
  const [tab, setTab] = useState<Tab>("node");
  const [help, setHelp] = useState(false);
  const helpButton = useRef<HTMLButtonElement>(null);
  const runner = useRun(props.botId);
  const ranSteps = useMemo(() => runner.run?.steps ?? {}, [runner.run]);
  const [picking, setPicking] = useState<Picking | null>(null);
  const [live, setLive] = useState(false);
  const livePick = useRef<AbortController | null>(null); // a pick in the extension's tab
  useEffect(() => {
    void extensionInstalled().then(setLive);
    return () => livePick.current?.abort(); // leaving the builder stops waiting for it
  }, []);

  useEffect(() => {
    let live = true;
    Promise.all([
      request<BotDetail>("GET", `/bots/${encodeURIComponent(props.botId)}`),
      request<Catalog>("GET", "/nodes"),
    ])
      .then(([found, kinds]) => {
        if (!live) return;
        const flow = toFlow(found.workflow);
        const loaded = {
          settings: found.workflow.settings as Json | undefined,
          variables: found.workflow.variables as Json | undefined,
        };
        const doc = docOf(flow.nodes, flow.edges, loaded);
        setBot(found);
        setCatalog(kinds);
        setNodes(flow.nodes);
        setEdges(flow.edges.map(asEdge));
        setMeta(loaded);
        history.start(doc);
        setSaved(doc);
      })
      .catch((exc: unknown) => {
        if (!live) return;
        setFailed(exc instanceof ApiError && exc.status === 404 ? t.errors.notFound : errorText(exc));
      });
    return () => {
      live = false;
    };
  }, [props.botId, setNodes, setEdges]);

  const flow = useMemo(() => asFlow(nodes, edges), [nodes, edges]);
  const doc = useMemo(() => docOf(flow.nodes, flow.edges, meta), [flow, meta]);
  const dragging = nodes.some((n) => n.dragging);
  const dirty = useMemo(() => saved !== null && !sameJson(doc, saved), [doc, saved]);
  // `restore` (below) puts an undone or redone state on the canvas
  const history = useUndo(doc, dragging, (target: Doc) => restore(target));

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

  const why = useCallback(
    (candidate: Candidate) => refusal(flow.nodes, flow.edges, kinds, candidate),
    [flow, kinds],
  );

  // what ReactFlow is handed keeps its identity between renders: it copies changed handlers
  // into its store, and re-runs onSelectionChange for a new one, in an effect each render
  const onSelectionChange = useCallback(({ nodes: picked }: { nodes: Node[] }) => {
    setSelected(picked[0]?.id ?? null);
    if (picked.length) setTab("node");
  }, []);
  const isValidConnection = useCallback(
    (c: Connection | Edge) =>
      why({ source: c.source, target: c.target, sourceHandle: c.sourceHandle ?? null }) === null,
    [why],
  );
  const onConnectStart = useCallback(() => setNote(""), []);

  const join = (candidate: Candidate) => {
    const refused = why(candidate);
    if (refused) {
      setNote(t.builder.refusedBecause(explain(refused)));
      return;
    }
    const { source, target, sourceHandle } = candidate;
    const edge = { id: `${source}:${sourceHandle ?? ""}->${target}`, source, target, sourceHandle };
    setEdges((current) => addEdge(asEdge(edge), current));
    setNote(t.builder.connected(source, target));
  };

  const joinRef = useRef(join);
  joinRef.current = join;
  const onConnect = useCallback(
    (c: Connection) => joinRef.current({ source: c.source, target: c.target, sourceHandle: c.sourceHandle ?? null }),
    [],
  );

  const onConnectEnd = useCallback(
    (_event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid !== false) return;
      const candidate = candidateOf(state);
      const refused = candidate && why(candidate);
      if (refused) setNote(t.builder.refusedBecause(explain(refused)));
    },
    [why],
  );

  const selectOnly = (ids: Set<string>) => (n: Node) => ({ ...n, selected: ids.has(n.id) });

  const add = (type: string) => {
    const kind = kinds.get(type);
    const from = flow.nodes.find((n) => n.id === selected);
    const handle = from ? nextHandle(from.id, kinds.get(from.type), flow.edges) : null;
    const next = append(flow.nodes, flow.edges, type, kind?.defaults ?? {}, selected, handle);
    const old = new Map(nodes.map((n) => [n.id, n]));
    setNodes(next.nodes.map((n) => ({ ...old.get(n.id), ...n, selected: n.id === next.id })));
    setEdges(next.edges.map(asEdge));
    setSelected(next.id);
  };

  const onDragOver = (event: DragEvent) => {
    if (!event.dataTransfer.types.includes(KIND_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  };

  const onDrop = (event: DragEvent) => {
    const type = event.dataTransfer.getData(KIND_TYPE);
    if (!kinds.has(type)) return;
    event.preventDefault();
    const at = view.screenToFlowPosition({ x: event.clientX, y: event.clientY });
    const next = place(flow.nodes, type, kinds.get(type)?.defaults ?? {}, { x: at.x - HALF.x, y: at.y - HALF.y });
    const added = next.nodes[next.nodes.length - 1];
    setNodes((current) => [...current.map(selectOnly(new Set())), { ...added, selected: true }]);
    setSelected(next.id);
  };

  const changeData = (id: string, data: Json) => {
    const before = nodes.find((n) => n.id === id)?.data;
    history.burst(`data:${id}:${changedKeys(before, data).join(",")}`);
    setNodes((current) => current.map((n) => (n.id === id ? { ...n, data } : n)));
  };

  const changeSettings = (settings: Json | undefined) => {
    history.burst(`settings:${changedKeys(meta.settings, settings).join(",")}`);
    setMeta((current) => ({ ...current, settings }));
  };

  const changeVariables = (variables: Json | undefined, name: string) => {
    history.burst(`variables:${name}`);
    setMeta((current) => ({ ...current, variables }));
  };

  const step = (back: boolean) => {
    if (history.step(back)) setNote(back ? t.builder.undone : t.builder.redone);
  };

  const restore = (target: Doc) => {
    setNodes((current) => {
      const old = new Map(current.map((n) => [n.id, n]));
      return target.nodes.map((n) => ({ ...old.get(n.id), ...n, selected: old.get(n.id)?.selected ?? false }));
    });
    setEdges((current) => {
      const old = new Map(current.map((e) => [e.id, e]));
      return target.edges.map((e) => ({ ...asEdge(e), selected: old.get(e.id)?.selected ?? false }));
    });
    setMeta({ settings: target.settings, variables: target.variables });
  };

  const chosenNodes = nodes.filter((n) => n.selected);
  const chosenEdges = edges.filter((e) => e.selected);

  const remove = () => {
    const count = chosenNodes.length + chosenEdges.length;
    if (count === 0) return;
    const left = without(nodes, edges, chosenNodes.map((n) => n.id), chosenEdges.map((e) => e.id));
    setNodes(left.nodes);
    setEdges(left.edges);
    setNote(t.builder.deleted(count));
  };

  const copySelected = () => {
    const copied = copy(flow.nodes, flow.edges, chosenNodes.map((n) => n.id));
    if (!copied) return false;
    clip = copied;
    pastes = 0;
    setNote(t.builder.copied(copied.nodes.length));
    return true;
  };

  const pasteClip = () => {
    if (!clip) {
      setNote(t.builder.nothingToPaste);
      return;
    }
    pastes += 1;
    const out = paste(clip, nodes.map((n) => n.id), { x: STEP.x * pastes, y: STEP.y * pastes });
    const pasted = out.nodes.map((n) => ({ ...n, selected: true }));
    setNodes((current) => [...current.map(selectOnly(new Set())), ...pasted]);
    setEdges((current) => [...current, ...out.edges.map(asEdge)]);
    setNote(t.builder.pasted(out.nodes.length));
  };

  const fit = () => void view.fitView({ duration: 200, maxZoom: 1.5 });

  const relayout = () => {
    const placed = new Map(arrange(flow.nodes, flow.edges, kinds).map((n) => [n.id, n.position]));
    setNodes((current) => current.map((n) => ({ ...n, position: placed.get(n.id) ?? n.position })));
    fit();
  };

  const run = (command: Command, target: Element | null): boolean => {
    // keys meant for a node's canvas or the page as a whole, not for a panel's control
    const onCanvas = !target || target === document.body || target.closest(".canvas") !== null;
    switch (command) {
      case "undo":
      case "redo":
        step(command === "undo");
        return true;
      case "delete":
        if (!onCanvas) return false;
        remove();
        return true;
      case "copy":
      case "cut":
        if (getSelection()?.toString()) return false; // the user's selected text: the browser's
        if (!copySelected()) return false;
        if (command === "cut") remove();
        return true;
      case "paste":
        pasteClip();
        return true;
      case "selectAll":
        if (!onCanvas) return false;
        setNodes((current) => current.map((n) => ({ ...n, selected: true })));
        return true;
      case "fit":
        fit();
        return true;
      case "layout":
        relayout();
        return true;
      case "help":
        setHelp(true);
        return true;
    }
  };

  // the page's shortcuts, except in a form field (its keys are its own) or a dialog
  const onKey = useRef<(event: KeyboardEvent) => void>(() => {});
  onKey.current = (event: KeyboardEvent) => {
    const command = commandOf(event);
    const target = event.target instanceof Element ? event.target : null;
    if (!command || help || !bot || typing(target) || target?.closest("dialog")) return;
    if (run(command, target)) event.preventDefault();
  };
  useEffect(() => {
    const listen = (event: KeyboardEvent) => onKey.current(event);
    document.addEventListener("keydown", listen);
    return () => document.removeEventListener("keydown", listen);
  }, []);

  /** Save a new version; true when the API took it. */
  const save = async (): Promise<boolean> => {
    if (!bot) return false;
    setSaving(true);
    setStatus(null);
    const sent = doc;
    try {
      const answer = await request<BotDetail>("PUT", `/bots/${encodeURIComponent(bot.id)}`, {
        workflow: fromDoc(bot.workflow, sent),
      });
      setBot(answer);
      setSaved(sent);
      setIssues([]);
      setStatus(t.builder.saved(answer.current_version));
      return true;
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
        setStatus(errorText(exc));
      }
      return false;
    } finally {
      setSaving(false);
    }
  };

  /** A selector picked on the live page in the Chrome extension's tab. */
  const pickLive = async (node: string, kind: PickKind, apply: (selector: string) => void) => {
    const mode = modeFor(kind, nodes.find((n) => n.id === node)?.data ?? {});
    const url = expand(pageUrl(doc, node) ?? "", meta.variables);
    livePick.current?.abort(); // the answer to an earlier pick would fill the wrong field
    const waiting = (livePick.current = new AbortController());
    setNote(t.picker.liveWaiting);
    try {
      const within = mode.kind === "element" ? mode.within : null;
      const found = await pickWithExtension(url, mode.kind, within, waiting.signal);
      const selector = found.css ?? (found.xpath ? `xpath:${found.xpath}` : null);
      if (!selector) throw new PickEnded("no_selector");
      apply(selector);
      setNote(t.picker.livePicked(selector, found.count));
    } catch (exc) {
      if (waiting.signal.aborted) return; // a newer pick, or none: this one says nothing
      setNote(exc instanceof PickEnded ? t.picker.liveEnded(exc.reason, exc.said) : errorText(exc));
    }
  };

  /** Runs use the saved version: unsaved changes are saved first. */
  const start = async (kind: "test" | "execute") => {
    if (dirty && !(await save())) return;
    await runner.start(kind);
  };

  if (failed) return <p role="alert">{failed}</p>;
  if (!bot || !catalog || !saved) return <p className="loading">{t.loading}</p>;
  const chosen = nodes.find((n) => n.id === selected);
  const general = grouped.get("") ?? [];
  return (
    <section className="builder">
      <header className="builder-bar">
        <div className="builder-title">
          <Link to={{ name: "bots" }}>{t.builder.back}</Link>
          <h1>{bot.name}</h1>
          <span className="version">{t.builder.version(bot.current_version)}</span>
          {dirty && <span className="dirty">{t.builder.unsaved}</span>}
          {status && (
            <span className="save-status" role="status">
              {status}
            </span>
          )}
        </div>
        <button type="button" onClick={() => void save()} disabled={saving}>
          {saving ? t.builder.saving : t.builder.save}
        </button>
        <button
          type="button"
          onClick={() => void start("test")}
          disabled={saving || runner.starting}
          title={dirty ? t.run.saveFirst : undefined}
        >
          {t.run.test}
        </button>
        <button
          type="button"
          onClick={() => void start("execute")}
          disabled={saving || runner.starting}
          title={dirty ? t.run.saveFirst : undefined}
        >
          {t.run.execute}
        </button>
        <EditTools
          canUndo={history.canUndo}
          canRedo={history.canRedo}
          canDelete={chosenNodes.length + chosenEdges.length > 0}
          helpButton={helpButton}
          onCommand={(command) => run(command, null)}
        />
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
        <Palette kinds={catalog.nodes} onAdd={add} />
        <div
          className="canvas"
          role="region"
          aria-label={t.builder.canvas}
          onDragOver={onDragOver}
          onDrop={onDrop}
        >
          <KindsContext.Provider value={kinds}>
            <IssuesContext.Provider value={grouped}>
              <RunContext.Provider value={ranSteps}>
              <ReactFlow
                nodes={nodes}
                edges={edges}
                nodeTypes={nodeTypes}
                onNodesChange={onNodesChange}
                onEdgesChange={onEdgesChange}
                onConnect={onConnect}
                onConnectStart={onConnectStart}
                onConnectEnd={onConnectEnd}
                isValidConnection={isValidConnection}
                onSelectionChange={onSelectionChange}
                deleteKeyCode={null}
                ariaLabelConfig={t.canvas}
                fitView
              >
                <Background />
                <Controls />
                <CanvasNote note={note} why={why} />
              </ReactFlow>
              </RunContext.Provider>
            </IssuesContext.Provider>
          </KindsContext.Provider>
        </div>
        <SidePanel tab={tab} onTab={setTab}>
          {tab === "node" &&
            (chosen ? (
              <Properties
                key={chosen.id}
                id={chosen.id}
                kind={kinds.get(chosen.type ?? "")}
                data={chosen.data}
                issues={grouped.get(chosen.id) ?? []}
                onChange={(data) => changeData(chosen.id, data)}
                picking={{
                  pick: (kind, current, apply) => setPicking({ node: chosen.id, kind, current, apply }),
                  pickLive: live ? (kind, apply) => void pickLive(chosen.id, kind, apply) : undefined,
                }}
              >
                <Connections
                  id={chosen.id}
                  kind={kinds.get(chosen.type ?? "")}
                  nodeIds={nodes.map((n) => n.id)}
                  edges={flow.edges}
                  onConnect={(target, handle) => join({ source: chosen.id, target, sourceHandle: handle })}
                  onRemove={(id) => setEdges((current) => current.filter((e) => e.id !== id))}
                />
              </Properties>
            ) : (
              <aside className="properties" aria-label={t.builder.properties}>
                <p>{t.builder.noSelection}</p>
              </aside>
            ))}
          {tab === "settings" && (
            <SettingsPanel
              schema={catalog.settings?.schema}
              value={meta.settings}
              issues={issues}
              onChange={changeSettings}
            />
          )}
          {tab === "variables" && (
            <VariablesPanel
              schema={catalog.variables?.schema}
              value={meta.variables}
              issues={issues}
              onChange={changeVariables}
            />
          )}
        </SidePanel>
      </div>
      {runner.run && (
        <RunPanel
          run={runner.run}
          onCancel={() => void runner.cancel()}
          onClose={runner.close}
          onOpenReplay={() => {
            if (runner.run) {
              openViewer(`/viewer/executions/${runner.run.id}/replay`).catch((exc: unknown) =>
                setNote(errorText(exc)),
              );
            }
          }}
        />
      )}
      {picking && (
        <Picker
          url={expand(pageUrl(doc, picking.node) ?? "", meta.variables)}
          mode={modeFor(picking.kind, nodes.find((n) => n.id === picking.node)?.data ?? {})}
          current={picking.current}
          onPick={(selector) => {
            picking.apply(selector);
            setPicking(null);
          }}
          onClose={() => setPicking(null)}
        />
      )}
      <ShortcutsDialog
        open={help}
        onClose={() => {
          setHelp(false);
          helpButton.current?.focus();
        }}
      />
    </section>
  );
}
