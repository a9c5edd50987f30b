// The API's shapes the app reads (see the OpenAPI document at /docs).
export interface Position {
  x: number;
  y: number;
}

export interface WorkflowNode {
  id: string;
  type: string;
  position?: Position | null;
  data: Record<string, unknown>;
}

export interface WorkflowEdge {
  id?: string | null;
  source: string;
  target: string;
  sourceHandle?: string | null;
}

export interface Workflow {
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
  [key: string]: unknown;
}

export interface Bot {
  id: string;
  name: string;
  description: string;
  current_version: number | null;
  created_at: string;
  updated_at: string;
  /** the newest execution; null when never run */
  last_execution?: LastExecution | null;
}

export interface LastExecution {
  id: string;
  status: string;
  rows: number;
  created_at: string;
  finished_at: string | null;
}

export interface BotDetail extends Bot {
  workflow: Workflow;
}

export interface Version {
  version: number;
  created_at: string;
  workflow: Workflow;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  per_page: number;
}

export interface Execution {
  id: string;
  bot_id: string;
  status: string;
  created_at: string;
  rows?: number;
}

export interface NodeKind {
  type: string;
  label: string;
  description: string;
  browser_only: boolean;
  handles: string[];
  loop: boolean;
  schema: Record<string, unknown>;
  defaults: Record<string, unknown>;
}

/** A part of the document the catalog describes: its JSON Schema and defaults. */
export interface SchemaOf {
  schema: Record<string, unknown>;
  defaults: Record<string, unknown>;
}

export interface Catalog {
  nodes: NodeKind[];
  /** The bot's `settings`. */
  settings?: SchemaOf;
  /** One of the bot's `variables`, in its object form. */
  variables?: SchemaOf;
}

export interface Issue {
  node_id: string | null;
  field: string | null;
  message: string;
}

/** An execution as the executions list shows it. */
export interface Run extends Execution {
  bot_version_id: string;
  trigger: string;
  started_at: string | null;
  finished_at: string | null;
  attempt: number;
  pages: number;
  rows: number;
  error: string | null;
}

export interface Schedule {
  id: string;
  bot_id: string;
  cron: string;
  timezone: string;
  active: boolean;
  next_run_at: string | null;
  last_run_at: string | null;
  last_skip_reason: string | null;
  created_at: string;
  next_runs: string[];
}

export interface SchedulePreview {
  next_runs: string[];
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export interface ProxyOut {
  id: string;
  name: string;
  url: string;
  tags: string[];
  tier: number;
  created_at: string;
  disabled_reason: string | null;
}

export interface ModelEndpoint {
  id: string;
  name: string;
  kind: string;
  base_url: string;
  model: string;
  has_api_key: boolean;
  context_tokens: number;
  mode: string | null;
  created_at: string;
}

export interface Usage {
  month: string;
  executions: number;
  rows: number;
  pages: number;
  llm_tokens: number;
  limits: Record<string, number | null>;
}

export interface Me {
  id: string;
  email: string;
  plan: string;
  created_at: string;
}
