// The user's bots: search, create, import, and per bot duplicate, export, history, delete.
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { details, errorText, request } from "./api";
import { fileName, saveFile } from "./files";
import { Link } from "./Link";
import { go } from "./router";
import { t } from "./strings";
import type { Bot, BotDetail, Issue, Page } from "./types";

const PER_PAGE = 50;

function starter(name: string, url: string) {
  return {
    version: 1,
    name,
    nodes: [{ id: "open", type: "navigate", position: { x: 0, y: 0 }, data: { url } }],
    edges: [],
  };
}

/** An API error as a sentence, with the issues of an invalid document after it. */
function problem(exc: unknown): { message: string; issues: Issue[] } {
  const issues = (details(exc) as Issue[]).filter((issue) => issue?.message);
  return { message: errorText(exc), issues };
}

function NewBot(props: { onCancel: () => void }) {
  const [name, setName] = useState("");
  const [url, setUrl] = useState("https://");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ReturnType<typeof problem> | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const bot = await request<BotDetail>("POST", "/bots", {
        name,
        workflow: starter(name, url),
      });
      go({ name: "bot", id: bot.id });
    } catch (exc) {
      setError(problem(exc));
      setBusy(false);
    }
  };
  return (
    <form className="new-bot" aria-label={t.bots.createTitle} onSubmit={(e) => void submit(e)}>
      <h2>{t.bots.createTitle}</h2>
      <label>
        {t.bots.createName}
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        {t.bots.createUrl}
        <input type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />
      </label>
      <button type="submit" disabled={busy}>
        {t.bots.createSubmit}
      </button>
      <button type="button" onClick={props.onCancel}>
        {t.bots.cancel}
      </button>
      {error && <Problem {...error} />}
    </form>
  );
}

function Problem(props: { message: string; issues: Issue[]; prefix?: string }) {
  return (
    <div role="alert" className="error">
      <p>{props.prefix ? `${props.prefix}: ${props.message}` : props.message}</p>
      {props.issues.length > 0 && (
        <ul>
          {props.issues.map((issue, i) => (
            <li key={i}>
              {[issue.node_id, issue.field].filter(Boolean).join(" · ")}
              {issue.node_id || issue.field ? ": " : ""}
              {issue.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Bots() {
  const [bots, setBots] = useState<Bot[] | null>(null);
  const [total, setTotal] = useState(0);
  const [search, setSearch] = useState("");
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<(ReturnType<typeof problem> & { prefix?: string }) | null>(
    null,
  );
  const [listError, setListError] = useState<ReturnType<typeof problem> | null>(null);
  const [notice, setNotice] = useState("");
  const picker = useRef<HTMLInputElement>(null);
  const asked = useRef(0);

  const load = useCallback(async (query: string, page = 1) => {
    const ticket = ++asked.current;
    const params = new URLSearchParams({ per_page: String(PER_PAGE), page: String(page) });
    if (query.trim()) params.set("search", query.trim());
    const found = await request<Page<Bot>>("GET", `/bots?${params}`);
    if (ticket !== asked.current) return; // a newer search answered first
    setBots((shown) => (page === 1 ? found.items : [...(shown ?? []), ...found.items]));
    setTotal(found.total);
  }, []);

  useEffect(() => {
    const timer = setTimeout(() => {
      // the list's own error, which a later search clears (an action's stays its own)
      load(search).then(
        () => setListError(null),
        (exc: unknown) => setListError(problem(exc)),
      );
    }, 200);
    return () => clearTimeout(timer);
  }, [search, load]);

  const act = async (work: () => Promise<string>) => {
    setError(null);
    try {
      setNotice(await work());
      await load(search);
    } catch (exc) {
      setError(problem(exc));
    }
  };

  const duplicate = (bot: Bot) =>
    act(async () => {
      const detail = await request<BotDetail>("GET", `/bots/${bot.id}`);
      const name = t.bots.duplicateOf(detail.name);
      await request("POST", "/bots", {
        name,
        description: detail.description,
        workflow: { ...detail.workflow, name },
      });
      return t.bots.duplicated(name);
    });

  const exportBot = (bot: Bot) =>
    act(async () => {
      const detail = await request<BotDetail>("GET", `/bots/${bot.id}`);
      const text = `${JSON.stringify(detail.workflow, null, 2)}\n`;
      saveFile(fileName(detail.name, "json"), new Blob([text], { type: "application/json" }));
      return "";
    });

  const remove = (bot: Bot) => {
    if (!confirm(t.bots.confirmRemove(bot.name))) return;
    void act(async () => {
      await request("DELETE", `/bots/${bot.id}`);
      return t.bots.removed(bot.name);
    });
  };

  const importFile = async (file: File) => {
    setError(null);
    let document: unknown;
    try {
      document = JSON.parse(await file.text());
    } catch {
      setError({ message: t.bots.notJson, issues: [], prefix: t.bots.importFailed(file.name) });
      return;
    }
    try {
      const bot = await request<BotDetail>("POST", "/bots/import", document);
      setNotice(t.bots.imported(bot.name));
      await load(search);
    } catch (exc) {
      setError({ ...problem(exc), prefix: t.bots.importFailed(file.name) });
    }
  };

  return (
    <section className="bots-page">
      <h1>{t.bots.title}</h1>
      <div className="toolbar">
        <label className="search">
          <span>{t.bots.search}</span>
          <input
            type="search"
            placeholder={t.bots.searchPlaceholder}
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
        </label>
        <button type="button" onClick={() => setCreating(true)} aria-expanded={creating}>
          {t.bots.create}
        </button>
        <button type="button" onClick={() => picker.current?.click()}>
          {t.bots.importFile}
        </button>
        <input
          ref={picker}
          type="file"
          accept=".json,application/json"
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          onChange={(event) => {
            const file = event.target.files?.[0];
            event.target.value = "";
            if (file) void importFile(file);
          }}
        />
      </div>
      {creating && <NewBot onCancel={() => setCreating(false)} />}
      <p role="status" aria-live="polite" className="notice">
        {notice}
      </p>
      {listError && <Problem {...listError} />}
      {error && <Problem {...error} />}
      {bots === null ? (
        <p className="loading">{t.loading}</p>
      ) : bots.length === 0 ? (
        <p>{search.trim() ? t.bots.noMatch(search.trim()) : t.bots.empty}</p>
      ) : (
        <>
          <table className="bots" aria-label={t.bots.listLabel}>
            <thead>
              <tr>
                <th scope="col">{t.bots.name}</th>
                <th scope="col">{t.bots.version}</th>
                <th scope="col">{t.bots.lastRun}</th>
                <th scope="col">{t.bots.rows}</th>
                <th scope="col">{t.bots.updated}</th>
                <th scope="col">{t.bots.actions}</th>
              </tr>
            </thead>
            <tbody>
              {bots.map((bot) => {
                const last = bot.last_execution;
                return (
                  <tr key={bot.id} data-bot={bot.id}>
                    <td>
                      <Link to={{ name: "bot", id: bot.id }}>{bot.name}</Link>
                    </td>
                    <td>{bot.current_version ?? ""}</td>
                    <td className={`status ${last?.status ?? "none"}`}>
                      {last ? t.statusOf(last.status) : t.bots.never}
                    </td>
                    <td className="rows">{last?.rows ?? ""}</td>
                    <td>{new Date(bot.updated_at).toLocaleString()}</td>
                    <td>
                      <div className="actions">
                      <button
                        type="button"
                        aria-label={t.bots.duplicateBot(bot.name)}
                        onClick={() => void duplicate(bot)}
                      >
                        {t.bots.duplicate}
                      </button>
                      <button
                        type="button"
                        aria-label={t.bots.exportOf(bot.name)}
                        onClick={() => void exportBot(bot)}
                      >
                        {t.bots.exportJson}
                      </button>
                      <Link
                        to={{ name: "history", id: bot.id }}
                        className="button"
                        label={t.bots.historyOf(bot.name)}
                      >
                        {t.bots.history}
                      </Link>
                      <button
                        type="button"
                        className="danger"
                        aria-label={t.bots.removeOf(bot.name)}
                        onClick={() => remove(bot)}
                      >
                        {t.bots.remove}
                      </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {bots.length < total && (
            <p>
              {t.bots.more(bots.length, total)}{" "}
              <button
                type="button"
                onClick={() =>
                  void load(search, Math.floor(bots.length / PER_PAGE) + 1).catch(
                    (exc: unknown) => setError(problem(exc)),
                  )
                }
              >
                {t.bots.showMore}
              </button>
            </p>
          )}
        </>
      )}
    </section>
  );
}
