import { type FormEvent, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, request } from "./api";
import { describeCron } from "./cron";
import { allBots, badField, messageOf, Problem, when } from "./dashboard";
import { Link } from "./Link";
import { t } from "./strings";
import type { Bot, Schedule, SchedulePreview } from "./types";

const PREVIEW_DELAY_MS = 350;
const FIRST_CRON = "0 9 * * 1-5";

/** Every IANA zone the browser knows, UTC first, and the browser's own among them. */
function zones(local: string): string[] {
  let known: string[] = [];
  try {
    known = Intl.supportedValuesOf("timeZone");
  } catch {
    // an older browser: UTC and its own zone only
  }
  return [...new Set(["UTC", local, ...known.slice().sort()])];
}

function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** A run time as the wall clock of `zone` shows it. */
function inZone(iso: string, zone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, {
      timeZone: zone,
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    }).format(new Date(iso));
  } catch {
    return when(iso);
  }
}

type Where = "cron" | "timezone" | "form";

/** Which control a failure belongs beside. */
function whereOf(exc: unknown, fallback: Where): Where {
  const field = badField(exc);
  if (field === "cron" || field === "timezone") return field;
  if (exc instanceof ApiError && exc.status === 402) return "cron"; // too often for the plan
  return fallback;
}

export function Schedules() {
  const [schedules, setSchedules] = useState<Schedule[] | null>(null);
  const [bots, setBots] = useState<Bot[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    Promise.all([request<Schedule[]>("GET", "/schedules"), allBots()]).then(
      ([found, mine]) => {
        if (!live) return;
        setSchedules(found);
        setBots(mine);
      },
      (exc) => live && setError(messageOf(exc)),
    );
    return () => {
      live = false;
    };
  }, []);

  const names = useMemo(() => new Map((bots ?? []).map((bot) => [bot.id, bot.name])), [bots]);
  const replace = (schedule: Schedule) =>
    setSchedules((all) => all && all.map((s) => (s.id === schedule.id ? schedule : s)));
  const remove = (id: string) => setSchedules((all) => all && all.filter((s) => s.id !== id));

  if (error) return <Problem text={error} />;
  if (schedules === null || bots === null) return <p className="loading">{t.loading}</p>;
  return (
    <section className="dash">
      <h1>{t.schedules.title}</h1>
      {schedules.length === 0 ? (
        <p>{t.schedules.empty}</p>
      ) : (
        <div className="scroll">
          <table className="grid schedules" aria-label={t.schedules.listLabel}>
            <thead>
              <tr>
                <th scope="col">{t.schedules.bot}</th>
                <th scope="col">{t.schedules.schedule}</th>
                <th scope="col">{t.schedules.timezone}</th>
                <th scope="col">{t.schedules.enabled}</th>
                <th scope="col">{t.schedules.nextRun}</th>
                <th scope="col" className="wide">
                  {t.schedules.lastRun}
                </th>
                <th scope="col">{t.executions.actions}</th>
              </tr>
            </thead>
            <tbody>
              {schedules.map((schedule) => (
                <ScheduleRow
                  key={schedule.id}
                  schedule={schedule}
                  bot={names.get(schedule.bot_id) ?? t.dashboard.deletedBot}
                  onChange={replace}
                  onDelete={remove}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {bots.length === 0 ? (
        <p>
          <Link to={{ name: "bots" }}>{t.schedules.noBots}</Link>
        </p>
      ) : (
        <NewSchedule
          bots={bots}
          onCreated={(schedule) => setSchedules((all) => [schedule, ...(all ?? [])])}
        />
      )}
    </section>
  );
}

function ScheduleRow(props: {
  schedule: Schedule;
  bot: string;
  onChange: (schedule: Schedule) => void;
  onDelete: (id: string) => void;
}) {
  const { schedule, bot } = props;
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const problemId = `schedule-problem-${schedule.id}`;
  const words = describeCron(schedule.cron);

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setProblem(null);
    try {
      await action();
    } catch (exc) {
      setProblem(messageOf(exc));
    } finally {
      setBusy(false);
    }
  };
  const toggle = () =>
    act(async () => {
      props.onChange(await request<Schedule>("POST", `/schedules/${schedule.id}/toggle`));
    });
  const drop = () => {
    if (!confirm(t.schedules.confirmDelete(bot, schedule.cron))) return;
    void act(async () => {
      await request<null>("DELETE", `/schedules/${schedule.id}`);
      props.onDelete(schedule.id);
    });
  };

  return (
    <tr data-schedule={schedule.id}>
      <td>
        <Link to={{ name: "bot", id: schedule.bot_id }}>{bot}</Link>
      </td>
      <td>
        <code className="cron">{schedule.cron}</code>
        {words && <span className="hint block">{words}</span>}
      </td>
      <td>{schedule.timezone}</td>
      <td>
        <input
          type="checkbox"
          role="switch"
          checked={schedule.active}
          // not disabled while it is sent: a disabled control drops the keyboard focus
          aria-busy={busy}
          onChange={() => !busy && void toggle()}
          aria-label={t.schedules.enabledOf(bot, schedule.cron)}
          aria-describedby={problemId}
        />
      </td>
      <td className="next-run">
        {schedule.next_run_at ? (
          <time dateTime={schedule.next_run_at}>
            {inZone(schedule.next_run_at, schedule.timezone)}
          </time>
        ) : (
          <span className="hint">{t.schedules.paused}</span>
        )}
      </td>
      <td className="wide">
        {schedule.last_run_at ? when(schedule.last_run_at) : t.dashboard.never}
        {schedule.last_skip_reason && (
          <span className="hint block">{t.schedules.skipped(schedule.last_skip_reason)}</span>
        )}
      </td>
      <td className="row-actions">
        <div className="action-row">
          <button
            type="button"
            disabled={busy}
            onClick={drop}
            aria-label={t.schedules.deleteOf(bot, schedule.cron)}
            aria-describedby={problemId}
          >
            {t.dashboard.delete}
          </button>
          <Problem id={problemId} text={problem} />
        </div>
      </td>
    </tr>
  );
}

/** The API's answer for one cron and zone: their next runs, or what is wrong with them. */
interface Preview {
  key: string;
  zone: string;
  runs: string[];
  problem: { where: Where; text: string } | null;
}

function NewSchedule(props: { bots: Bot[]; onCreated: (schedule: Schedule) => void }) {
  const local = useMemo(localZone, []);
  const allZones = useMemo(() => zones(local), [local]);
  const [botId, setBotId] = useState(props.bots[0].id);
  const [cron, setCron] = useState(FIRST_CRON);
  const [zone, setZone] = useState(local);
  const [active, setActive] = useState(true);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [sent, setSent] = useState<{ where: Where; text: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const [done, setDone] = useState(false);
  const key = `${cron}\n${zone}`;
  const checking = preview?.key !== key;
  const typed = useRef(key); // what the form holds now, for answers that come back late
  typed.current = key;

  // the next runs as the API (the scheduler's own cron code) sees them, once typing pauses
  useEffect(() => {
    let live = true;
    const timer = window.setTimeout(() => {
      request<SchedulePreview>("POST", "/schedules/preview", { cron, timezone: zone }).then(
        (found) => live && setPreview({ key, zone, runs: found.next_runs, problem: null }),
        (exc) => {
          const problem = { where: whereOf(exc, "cron"), text: messageOf(exc) };
          if (live) setPreview({ key, zone, runs: [], problem });
        },
      );
    }, PREVIEW_DELAY_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [key, cron, zone]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setDone(false);
    setSent(null);
    const sentKey = key;
    try {
      const body = { bot_id: botId, cron, timezone: zone, active };
      props.onCreated(await request<Schedule>("POST", "/schedules", body));
      setDone(true);
    } catch (exc) {
      // about what was sent: shown unless the form was changed meanwhile
      if (typed.current === sentKey) {
        setSent({ where: whereOf(exc, "form"), text: messageOf(exc) });
      }
    } finally {
      setSaving(false);
    }
  };

  const words = describeCron(cron);
  // what saving answered, else what the preview of what is typed now answered
  const problem = sent ?? (checking ? null : preview.problem);
  const at = (where: Where) => (problem?.where === where ? problem.text : null);
  return (
    <form className="panel new-schedule" aria-labelledby="new-schedule" onSubmit={submit}>
      <h2 id="new-schedule">{t.schedules.create}</h2>
      <div className="fields">
        <label>
          {t.schedules.bot}
          <select value={botId} onChange={(e) => setBotId(e.target.value)}>
            {props.bots.map((bot) => (
              <option key={bot.id} value={bot.id}>
                {bot.name}
              </option>
            ))}
          </select>
        </label>
        <div className="field">
          <label htmlFor="schedule-cron">{t.schedules.cron}</label>
          <input
            id="schedule-cron"
            value={cron}
            onChange={(e) => {
              setCron(e.target.value);
              setDone(false);
              setSent(null);
            }}
            required
            maxLength={120}
            spellCheck={false}
            autoComplete="off"
            className="mono"
            aria-invalid={at("cron") ? true : undefined}
            aria-describedby="schedule-cron-words schedule-cron-problem schedule-cron-help"
          />
          <p id="schedule-cron-words" className="cron-words" aria-live="polite">
            {words ?? ""}
          </p>
          <Problem id="schedule-cron-problem" text={at("cron")} />
          <p id="schedule-cron-help" className="hint">
            {t.schedules.cronHelp}
          </p>
        </div>
        <div className="field">
          <label htmlFor="schedule-zone">{t.schedules.timezone}</label>
          <select
            id="schedule-zone"
            value={zone}
            onChange={(e) => {
              setZone(e.target.value);
              setSent(null);
            }}
            aria-invalid={at("timezone") ? true : undefined}
            aria-describedby="schedule-zone-problem"
          >
            {allZones.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
          <Problem id="schedule-zone-problem" text={at("timezone")} />
        </div>
        <label className="check">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
          {t.schedules.enabled}
        </label>
      </div>
      <section className="next-runs" aria-labelledby="schedule-next-runs" aria-busy={checking}>
        <h3 id="schedule-next-runs">{t.schedules.nextRuns}</h3>
        {checking && <p className="hint">{t.schedules.checking}</p>}
        {preview && preview.runs.length > 0 && (
          <ol>
            {preview.runs.map((run) => (
              <li key={run}>
                <time dateTime={run}>{inZone(run, preview.zone)}</time>
              </li>
            ))}
          </ol>
        )}
      </section>
      <div className="submit">
        <button type="submit" disabled={saving} aria-describedby="schedule-form-problem">
          {saving ? t.schedules.saving : t.schedules.submit}
        </button>
        {done && <span role="status">{t.schedules.created}</span>}
        <Problem id="schedule-form-problem" text={at("form")} />
      </div>
    </form>
  );
}
