// The trawler REST API as the extension uses it: the API key goes as `X-API-Key`. Extension
// pages and the service worker hold the server's host permission, so no CORS is needed.
import { t } from "./strings";
import type { Candidate, PathStep } from "./types";

export interface User {
  id: string;
  email: string;
  plan: string;
}

export interface Bot {
  id: string;
  name: string;
  current_version: number | null;
}

export interface Workflow {
  nodes: Array<{ id: string; type: string; position?: { x: number; y: number } | null; data: Record<string, unknown> }>;
  edges: Array<{ source: string; target: string; sourceHandle?: string | null; id?: string | null }>;
  variables?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface BotDetail extends Bot {
  workflow: Workflow;
}

export interface TestRun {
  execution_id: string;
  status: string;
  finished: boolean;
  rows: Array<Record<string, unknown>>;
  error: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The server's origin from what the user typed: a scheme is added when missing. */
export function originOf(typed: string): string {
  const text = typed.trim();
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(t.errors.notWebAddress(typed));
  return url.origin;
}

/** The host permission pattern of an origin (its port included). */
export function patternOf(origin: string): string {
  return `${origin}/*`;
}

export class Api {
  constructor(
    readonly server: string,
    private readonly key: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let answer: Response;
    try {
      answer = await fetch(`${this.server}/api/v1${path}`, {
        method,
        headers: { "X-API-Key": this.key, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
      });
    } catch {
      throw new ApiError(0, t.errors.unreachable(this.server));
    }
    if (!answer.ok) throw new ApiError(answer.status, await messageOf(answer));
    return answer.status === 204 ? (undefined as T) : ((await answer.json()) as T);
  }

  me(): Promise<User> {
    return this.call("GET", "/users/me");
  }

  async bots(): Promise<Bot[]> {
    return (await this.call<{ items: Bot[] }>("GET", "/bots?per_page=100")).items;
  }

  bot(id: string): Promise<BotDetail> {
    return this.call("GET", `/bots/${encodeURIComponent(id)}`);
  }

  create(name: string, workflow: Workflow): Promise<BotDetail> {
    return this.call("POST", "/bots", { name, workflow });
  }

  update(id: string, workflow: Workflow): Promise<BotDetail> {
    return this.call("PUT", `/bots/${encodeURIComponent(id)}`, { workflow });
  }

  test(id: string): Promise<TestRun> {
    return this.call("POST", `/bots/${encodeURIComponent(id)}/test`);
  }

  execution(id: string): Promise<{ status: string; error: string | null }> {
    return this.call("GET", `/executions/${encodeURIComponent(id)}`);
  }

  rows(id: string): Promise<Array<Record<string, unknown>>> {
    return this.call("GET", `/executions/${encodeURIComponent(id)}/result?format=json`);
  }

  /** Selectors for a clicked element, field selectors for it inside the items of `within`, or
   * item selectors of a list from its `examples`. */
  async suggest(html: string, question: { path: PathStep[]; within?: string } | { examples: PathStep[][] }): Promise<Candidate[]> {
    return (await this.call<{ candidates: Candidate[] }>("POST", "/selectors/suggest", { html, ...question })).candidates;
  }

  /** The last screenshot of an execution, as a blob: the viewer's session is opened with the
   * key (POST /viewer/session sets its cookie), then the run's document names the artifacts. */
  async screenshot(executionId: string): Promise<Blob | null> {
    const opened = await fetch(`${this.server}/viewer/session`, {
      method: "POST",
      headers: { "X-API-Key": this.key },
      credentials: "include",
    });
    if (!opened.ok) return null;
    const run = await fetch(`${this.server}/viewer/executions/${encodeURIComponent(executionId)}/run.json`, {
      credentials: "include",
    });
    if (!run.ok) return null;
    const steps = ((await run.json()) as { steps: Array<{ screenshot: string | null }> }).steps;
    const last = [...steps].reverse().find((step) => step.screenshot);
    if (!last?.screenshot) return null;
    const image = await fetch(new URL(last.screenshot, this.server), { credentials: "include" });
    return image.ok ? await image.blob() : null;
  }
}

async function messageOf(answer: Response): Promise<string> {
  try {
    const body = (await answer.json()) as { error?: { message?: string; details?: unknown } };
    const message = body.error?.message ?? t.errors.http(answer.status);
    const details = body.error?.details;
    if (Array.isArray(details) && details.length > 0) {
      const first = details[0] as { field?: string; message?: string };
      return `${message}: ${first.field ?? ""} ${first.message ?? ""}`.trim();
    }
    return message;
  } catch {
    return t.errors.http(answer.status);
  }
}
