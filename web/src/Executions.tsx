import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import { ApiError, fetchAuthorized, openViewer, request } from "./api";
import { allBots, messageOf, Problem, retryAfter, when } from "./dashboard";
import { saveFile } from "./files";
import { Link } from "./Link";
import { href } from "./router";
import { t } from "./strings";
import type { Page, Run } from "./types";

const STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "timed_out"];
const ACTIVE = new Set(["queued", "running"]);
const FORMATS = ["csv", "json", "ndjson", "xlsx"] as const;
const PER_PAGE = 20;
// The free plan allows 60 requests a minute: a list every 3 s leaves room for the rest.
const POLL_MS = 3000;
const HIDDEN_POLL_MS = 30_000;
const SLOW_POLL_MS = 15_000; // after the server did not answer

interface Filters {
  status: string;
  bot: string;
  page: number;
}

function readFilters(): Filters {
  const query = new URLSearchParams(location.search);
  const page = Number(query.get("page"));
  return {
    status: query.get("status") ?? "",
    bot: query.get("bot") ?? "",
    page: Number.isInteger(page) && page > 1 ? page : 1,
  };
}

/** The filters in the address, so a reload or a shared link shows the same list. */
function writeFilters(filters: Filters): void {
  const query = new URLSearchParams();
  if (filters.status) query.set("status", filters.status);
  if (filters.bot) query.set("bot", filters.bot);
  if (filters.page > 1) query.set("page", String(filters.page));
  const search = query.toString();
  history.replaceState(null, "", `${href({ name: "executions" })}${search ? `?${search}` : ""}`);
}

function duration(run: Run): string {
  if (!run.started_at) return t.dashboard.none;
  const end = run.finished_at ? Date.parse(run.finished_at) : Date.now();
  const seconds = Math.max(0, (end - Date.parse(run.started_at)) / 1000);
  return seconds < 60
    ? t.executions.seconds(seconds)
    : t.executions.minutes(Math.floor(seconds / 60), Math.round(seconds % 60));
}


/** A run's rows as a file: fetched with the bearer header (a plain link cannot send it) and
 * saved under the name the API gives, through an object URL (nothing the CSP refuses). */
async function download(id: string, format: string): Promise<void> {
  const answer = await fetchAuthorized(`/executions/${id}/result?format=${format}`);
  const given = /filename="([^"]+)"/.exec(answer.headers.get("Content-Disposition") ?? "");
  saveFile(given?.[1] ?? `execution-${id}.${format}`, await answer.blob());
}

export function Executions() {
  const [filters, setFilters] = useState(readFilters);
  const [list, setList] = useState<Page<Run> | null>(null);
  const [bots, setBots] = useState<Map<string, string> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [botsError, setBotsError] = useState<string | null>(null);
  const [botsTry, setBotsTry] = useState(0);
  const [reloads, setReloads] = useState(0);

  // the bots' names, asked for again when the list shows a bot made since (once per bot)
  const asked = useRef(new Set<string>());
  const unknown = (list?.items ?? [])
    .map((run) => run.bot_id)
    .filter((id) => bots !== null && !bots.has(id) && !asked.current.has(id));
  const botsKey = bots === null ? "first" : [...new Set(unknown)].sort().join(",");
  useEffect(() => {
    if (botsKey === "") {
      setBotsError(null); // every name known, or no longer shown
      return;
    }
    let live = true;
    let retry: number | undefined;
    const ids = botsKey.split(",");
    for (const id of ids) asked.current.add(id);
    allBots().then(
      (found) => {
        if (!live) return;
        setBots(new Map(found.map((bot) => [bot.id, bot.name])));
        setBotsError(null);
      },
      (exc) => {
        for (const id of ids) asked.current.delete(id);
        if (!live) return;
        setBotsError(messageOf(exc));
        retry = window.setTimeout(() => setBotsTry((n) => n + 1), SLOW_POLL_MS); // again
      },
    );
    return () => {
      live = false;
      window.clearTimeout(retry);
    };
  }, [botsKey, botsTry]);

  // the list, asked for again every few seconds while one of its runs is queued or running
  useEffect(() => {
    writeFilters(filters);
    let live = true;
    let timer: number | undefined;
    const query = new URLSearchParams({ page: String(filters.page), per_page: String(PER_PAGE) });
    if (filters.status) query.set("status", filters.status);
    if (filters.bot) query.set("bot_id", filters.bot);
    const load = async () => {
      let wait = document.hidden ? HIDDEN_POLL_MS : POLL_MS;
      try {
        const found = await request<Page<Run>>("GET", `/executions?${query}`);
        if (!live) return;
        setList(found);
        setError(null);
        if (!found.items.some((run) => ACTIVE.has(run.status))) return;
      } catch (exc) {
        if (!live) return;
        setError(messageOf(exc));
        // refused for a while (429), or the server did not answer: asked again, more slowly;
        // any other refusal stays on the page until the filters change
        const retry = retryAfter(exc);
        const answered = exc instanceof ApiError && exc.status < 500;
        if (retry === null && answered) return;
        wait = retry === null ? SLOW_POLL_MS : retry * 1000;
      }
      timer = window.setTimeout(() => void load(), wait);
    };
    void load();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [filters, reloads]);

  const change = (next: Partial<Filters>) => setFilters({ ...filters, page: 1, ...next });
  const replace = (run: Run) =>
    setList((current) =>
      current && { ...current, items: current.items.map((r) => (r.id === run.id ? run : r)) },
    );
  const pages = list ? Math.max(1, Math.ceil(list.total / PER_PAGE)) : 1;
  const polling = list?.items.some((run) => ACTIVE.has(run.status)) ?? false;

  return (
    <section className="dash">
      <h1>{t.executions.title}</h1>
      <form
        className="filters"
        aria-label={t.executions.filters}
        onSubmit={(event) => event.preventDefault()}
      >
        <label>
          {t.executions.status}
          <select value={filters.status} onChange={(e) => change({ status: e.target.value })}>
            <option value="">{t.executions.anyStatus}</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {t.statusOf(status)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.executions.bot}
          <select value={filters.bot} onChange={(e) => change({ bot: e.target.value })}>
            <option value="">{t.executions.anyBot}</option>
            {[...(bots ?? new Map<string, string>())].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setReloads(reloads + 1)}>
          {t.dashboard.refresh}
        </button>
        {polling && <span className="hint">{t.executions.live}</span>}
      </form>
      <Problem text={error} />
      <Problem text={botsError} />
      {list === null ? (
        !error && <p className="loading">{t.loading}</p>
      ) : list.items.length === 0 ? (
        <p>{t.executions.empty}</p>
      ) : (
        <div className="scroll">
          <table className="grid runs" aria-label={t.executions.listLabel}>
            <thead>
              <tr>
                <th scope="col">{t.executions.bot}</th>
                <th scope="col">{t.executions.status}</th>
                <th scope="col">{t.executions.created}</th>
                <th scope="col" className="wide">
                  {t.executions.trigger}
                </th>
                <th scope="col" className="wide">
                  {t.executions.duration}
                </th>
                <th scope="col" className="wide number">
                  {t.executions.pages}
                </th>
                <th scope="col" className="number">
                  {t.executions.rows}
                </th>
                <th scope="col">{t.executions.actions}</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((run) => (
                <RunRow
                  key={run.id}
                  run={run}
                  bot={bots === null ? null : bots.get(run.bot_id)}
                  onChange={replace}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list !== null && pages > 1 && (
        <nav className="pager" aria-label={t.executions.pager}>
          <button
            type="button"
            disabled={filters.page <= 1}
            onClick={() => setFilters({ ...filters, page: filters.page - 1 })}
          >
            {t.executions.previous}
          </button>
          <span>{t.executions.pageOf(filters.page, pages, list.total)}</span>
          <button
            type="button"
            disabled={filters.page >= pages}
            onClick={() => setFilters({ ...filters, page: filters.page + 1 })}
          >
            {t.executions.next}
          </button>
        </nav>
      )}
    </section>
  );
}

/** Close the menu `inside` is in, and put the focus back on its summary. */
function closeMenu(inside: Element): void {
  const menu = inside.closest("details");
  if (!menu) return;
  menu.open = false;
  menu.querySelector("summary")?.focus();
}

function closeOnEscape(event: KeyboardEvent<HTMLDetailsElement>): void {
  if (event.key === "Escape" && event.currentTarget.open) {
    event.preventDefault();
    closeMenu(event.currentTarget);
  }
}

/** One run; `bot` is its bot's name, null while the names load, undefined for a deleted bot. */
function RunRow(props: { run: Run; bot: string | null | undefined; onChange: (run: Run) => void }) {
  const { run } = props;
  const [busy, setBusy] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const problemId = `run-problem-${run.id}`;
  const what = t.executions.runOf(props.bot ?? null, when(run.created_at)); // in the buttons' names

  const act = async (label: string, action: () => Promise<void>) => {
    setBusy(label);
    setProblem(null);
    try {
      await action();
    } catch (exc) {
      setProblem(messageOf(exc));
    } finally {
      setBusy(null);
    }
  };
  const save = (format: string) =>
    act(t.executions.downloading, () => download(run.id, format));
  const cancel = () =>
    act(t.executions.cancelling, async () => {
      props.onChange(await request<Run>("POST", `/executions/${run.id}/cancel`));
    });
  // openViewer opens its tab before its first await: called straight from the click
  const replay = () =>
    void openViewer(`/viewer/executions/${run.id}/replay`).catch((exc) =>
      setProblem(messageOf(exc)),
    );

  return (
    <tr data-execution={run.id}>
      <td>
        {props.bot === null ? null : props.bot === undefined ? (
          <span className="hint">{t.dashboard.deletedBot}</span>
        ) : (
          <Link to={{ name: "bot", id: run.bot_id }}>{props.bot}</Link>
        )}
      </td>
      <td>
        <span className={`status ${run.status}`} aria-live="polite">
          {t.statusOf(run.status)}
        </span>
        {run.error && (
          <span className="exec-error" title={run.error}>
            {run.error}
          </span>
        )}
      </td>
      <td>{when(run.created_at)}</td>
      <td className="wide">{run.trigger}</td>
      <td className="wide">{duration(run)}</td>
      <td className="wide number">{run.pages}</td>
      <td className="number rows">{run.rows}</td>
      <td className="row-actions">
        <div className="action-row">
          <details className="menu" onKeyDown={closeOnEscape}>
            <summary aria-label={t.executions.downloadOf(what)} aria-describedby={problemId}>
              {t.executions.download}
            </summary>
            <div className="menu-items">
              {FORMATS.map((format) => (
                <button
                  key={format}
                  type="button"
                  disabled={busy !== null}
                  aria-label={t.executions.downloadAs(format.toUpperCase(), what)}
                  onClick={(event) => {
                    closeMenu(event.currentTarget);
                    void save(format);
                  }}
                >
                  {format.toUpperCase()}
                </button>
              ))}
            </div>
          </details>
          <button
            type="button"
            onClick={replay}
            aria-label={t.executions.replayOf(what)}
            aria-describedby={problemId}
          >
            {t.executions.replay}
          </button>
          {ACTIVE.has(run.status) && (
            <button
              type="button"
              disabled={busy !== null}
              onClick={() => void cancel()}
              aria-label={t.executions.cancelOf(what)}
              aria-describedby={problemId}
            >
              {busy === t.executions.cancelling ? busy : t.executions.cancel}
            </button>
          )}
          {busy && busy !== t.executions.cancelling && (
            <span className="hint" role="status">
              {busy}
            </span>
          )}
          <Problem id={problemId} text={problem} />
        </div>
      </td>
    </tr>
  );
}
