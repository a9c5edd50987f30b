// What the dashboard's pages (executions, schedules, settings) share: reading the API's errors,
// the user's bots, dates, and an error shown beside the control it is about.
import { ApiError, details, errorText, request } from "./api";
import { t } from "./strings";
import type { Bot, Page } from "./types";
import "./dashboard.css";

/** The words to show for a failure: the API's message, with the fields it names when the
 * message alone says nothing ("the request is invalid"), and when to try again after a 429. */
export function messageOf(exc: unknown): string {
  if (!(exc instanceof ApiError)) return errorText(exc);
  const listed = details(exc).filter((detail) => detail.message);
  if (exc.message === t.dashboard.invalidRequest && listed.length > 0) {
    const each = listed.map((d) => (d.field ? `${fieldOf(d.field)}: ${d.message}` : d.message));
    return each.join("; ");
  }
  const retry = retryAfter(exc);
  return retry === null ? exc.message : `${exc.message}. ${t.dashboard.tryAgainIn(retry)}`;
}

function fieldOf(path: string): string {
  return path.split(".").pop() ?? path;
}

/** The request field the API names as wrong (`cron`, `timezone`, `url`…), if any. */
export function badField(exc: unknown): string | null {
  const field = details(exc)[0]?.field;
  return field ? fieldOf(field) : null;
}

/** Seconds to wait before asking again, when the API said so (a 429). */
export function retryAfter(exc: unknown): number | null {
  const found = exc instanceof ApiError ? exc.body?.details : null;
  const seconds = (found as { retry_after?: unknown } | null)?.retry_after;
  return typeof seconds === "number" ? seconds : null;
}

/** Every bot of the user, a hundred to a request. */
export async function allBots(): Promise<Bot[]> {
  const bots: Bot[] = [];
  for (let page = 1; ; page++) {
    const found = await request<Page<Bot>>("GET", `/bots?per_page=100&page=${page}`);
    bots.push(...found.items);
    if (found.items.length === 0 || bots.length >= found.total) return bots;
  }
}

/** A date and time in the browser's zone and language; `—` for none. */
export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : t.dashboard.none;
}

/** An error beside the control it is about (the control points at it with aria-describedby). */
export function Problem(props: { id?: string; text: string | null | undefined }) {
  if (!props.text) return null;
  return (
    <p className="problem" role="alert" id={props.id}>
      {props.text}
    </p>
  );
}
