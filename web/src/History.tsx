// A bot's versions: compare any two, restore an old one as a new version.
import { useCallback, useEffect, useState } from "react";
import { ApiError, errorText, request } from "./api";
import { diffWorkflows, type Change } from "./diff";
import { Link } from "./Link";
import { t } from "./strings";
import type { BotDetail, Version } from "./types";

function shown(value: unknown): string {
  if (value === undefined) return "";
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function subjectOf(change: Change): string {
  if (change.what === "node") return t.history.nodeLabel(change.subject);
  if (change.what === "edge") return t.history.edgeLabel(change.subject);
  return t.history.fieldLabel(change.subject);
}

function ChangeItem(props: { change: Change }) {
  const { change } = props;
  const kind = t.history[change.kind];
  const whole = change.path === "";
  return (
    <li className={`change ${change.kind}`} data-subject={change.subject}>
      <span className="change-kind">{kind}</span> <b>{subjectOf(change)}</b>
      {!whole && <code> {change.path}</code>}
      {change.what === "node" && whole && <span> ({shown(change.before ?? change.after)})</span>}
      {!whole && change.before !== undefined && <del>{shown(change.before)}</del>}
      {!whole && change.after !== undefined && <ins>{shown(change.after)}</ins>}
    </li>
  );
}

export function History(props: { botId: string }) {
  const [bot, setBot] = useState<BotDetail | null>(null);
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    const [detail, list] = await Promise.all([
      request<BotDetail>("GET", `/bots/${encodeURIComponent(props.botId)}`),
      request<Version[]>("GET", `/bots/${encodeURIComponent(props.botId)}/versions`),
    ]);
    const newest = [...list].sort((a, b) => b.version - a.version);
    setBot(detail);
    setVersions(newest);
    setTo(newest[0]?.version ?? null);
    setFrom(newest[1]?.version ?? newest[0]?.version ?? null);
  }, [props.botId]);

  useEffect(() => {
    load().catch((exc: unknown) =>
      setError(exc instanceof ApiError && exc.status === 404 ? t.errors.notFound : errorText(exc)),
    );
  }, [load]);

  if (error) return <p role="alert">{error}</p>;
  if (bot === null || versions === null) return <p className="loading">{t.loading}</p>;

  const restore = async (version: Version) => {
    if (!confirm(t.history.restoreConfirm(version.version))) return;
    setError(null);
    try {
      const saved = await request<BotDetail>("PUT", `/bots/${encodeURIComponent(bot.id)}`, {
        workflow: version.workflow,
      });
      await load();
      setNotice(t.history.restored(version.version, saved.current_version));
    } catch (exc) {
      setNotice(errorText(exc));
    }
  };

  const older = versions.find((v) => v.version === from);
  const newer = versions.find((v) => v.version === to);
  const changes = older && newer ? diffWorkflows(older.workflow, newer.workflow) : null;

  return (
    <section className="history">
      <p>
        <Link to={{ name: "bot", id: bot.id }}>{t.history.back}</Link>
      </p>
      <h1>{t.history.title(bot.name)}</h1>
      <p role="status" aria-live="polite">
        {notice}
      </p>
      <table className="bots" aria-label={t.history.listLabel}>
        <thead>
          <tr>
            <th scope="col">{t.history.version}</th>
            <th scope="col">{t.history.saved}</th>
            <th scope="col">{t.history.nodes}</th>
            <th scope="col">{t.history.from}</th>
            <th scope="col">{t.history.to}</th>
            <th scope="col">{t.bots.actions}</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((version) => (
            <tr key={version.version} data-version={version.version}>
              <td>
                {version.version}
                {version.version === bot.current_version && ` (${t.history.current})`}
              </td>
              <td>{new Date(version.created_at).toLocaleString()}</td>
              <td>{version.workflow.nodes.length}</td>
              <td>
                <input
                  type="radio"
                  name="from"
                  aria-label={t.history.compareFrom(version.version)}
                  checked={from === version.version}
                  onChange={() => setFrom(version.version)}
                />
              </td>
              <td>
                <input
                  type="radio"
                  name="to"
                  aria-label={t.history.compareTo(version.version)}
                  checked={to === version.version}
                  onChange={() => setTo(version.version)}
                />
              </td>
              <td>
                {version.version !== bot.current_version && (
                  <button type="button" onClick={() => void restore(version)}>
                    {t.history.restoreVersion(version.version)}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {changes === null || from === null || to === null ? (
        <p>{t.history.pick}</p>
      ) : (
        <section aria-label={t.history.diffTitle(from, to)}>
          <h2>{t.history.diffTitle(from, to)}</h2>
          {changes.length === 0 ? (
            <p>{t.history.same}</p>
          ) : (
            <ul className="changes">
              {changes.map((change, i) => (
                <ChangeItem key={i} change={change} />
              ))}
            </ul>
          )}
        </section>
      )}
    </section>
  );
}
