import { useEffect, useState } from "react";
import { request } from "./api";
import { Link } from "./Link";
import { t } from "./strings";
import type { Bot, Execution, Page } from "./types";

interface Row {
  bot: Bot;
  /** null: never run; undefined: not known */
  last: Execution | null | undefined;
}

export function Bots() {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    (async () => {
      const [bots, recent] = await Promise.all([
        request<Page<Bot>>("GET", "/bots?per_page=100"),
        request<Page<Execution>>("GET", "/executions?per_page=100"),
      ]);
      // the last run of each bot: its newest execution, from the recent ones when it is
      // among them (one request), else asked for on its own (a missing answer shows nothing)
      const lasts = await Promise.all(
        bots.items.map(
          (bot) =>
            recent.items.find((run) => run.bot_id === bot.id) ??
            (recent.total <= recent.items.length
              ? null
              : request<Page<Execution>>("GET", `/executions?bot_id=${bot.id}&per_page=1`).then(
                  (page) => page.items[0] ?? null,
                  () => undefined,
                )),
        ),
      );
      if (live) setRows(bots.items.map((bot, i) => ({ bot, last: lasts[i] })));
    })().catch((exc: Error) => live && setError(exc.message));
    return () => {
      live = false;
    };
  }, []);

  if (error) return <p role="alert">{error}</p>;
  if (rows === null) return <p className="loading">{t.loading}</p>;
  return (
    <section>
      <h1>{t.bots.title}</h1>
      {rows.length === 0 ? (
        <p>{t.bots.empty}</p>
      ) : (
        <table className="bots" aria-label={t.bots.listLabel}>
          <thead>
            <tr>
              <th scope="col">{t.bots.name}</th>
              <th scope="col">{t.bots.version}</th>
              <th scope="col">{t.bots.lastRun}</th>
              <th scope="col">{t.bots.rows}</th>
              <th scope="col">{t.bots.updated}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ bot, last }) => (
              <tr key={bot.id} data-bot={bot.id}>
                <td>
                  <Link to={{ name: "bot", id: bot.id }}>{bot.name}</Link>
                </td>
                <td>{bot.current_version ?? ""}</td>
                <td className={`status ${last?.status ?? "none"}`}>
                  {last === null ? t.bots.never : (last?.status ?? "")}
                </td>
                <td className="rows">{last?.rows ?? ""}</td>
                <td>{new Date(bot.updated_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
