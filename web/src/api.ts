// The REST API client: the access token lives in memory only; the refresh token is the
// server's HttpOnly cookie, traded for a new access token on start and when one expires.
import { t } from "./strings";

export interface ApiErrorBody {
  code: string;
  message: string;
  details: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | null,
  ) {
    super(body?.message ?? t.errors.generic(status));
  }
}

const BASE = "/api/v1";
let access: string | null = null;
let refreshing: Promise<boolean> | null = null;
let onSignedOut: () => void = () => {};

export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

export function signedIn(): boolean {
  return access !== null;
}

/** Sign-outs so far: a refresh that was under way when the user signed out keeps nothing. */
let signOuts = 0;

async function trade(): Promise<boolean> {
  const asked = signOuts;
  const answer = await fetch(`${BASE}/auth/refresh`, {
    method: "POST",
    credentials: "same-origin",
    signal: AbortSignal.timeout(15_000), // it holds the lock every tab waits on
  });
  const token = answer.ok ? ((await answer.json()) as { access_token: string }).access_token : null;
  if (asked !== signOuts) return false;
  access = token;
  return token !== null;
}

/** Trade the refresh cookie for an access token. One at a time, across this browser's tabs
 * too (a Web Lock): the cookie rotates, and the server takes the same one sent twice for a
 * stolen copy and ends the session. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
      return locks ? await locks.request("trawler-refresh", trade) : await trade();
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function errorOf(answer: Response): Promise<ApiError> {
  try {
    const body = (await answer.json()) as { error?: ApiErrorBody };
    return new ApiError(answer.status, body.error ?? null);
  } catch {
    return new ApiError(answer.status, null);
  }
}

export async function signIn(email: string, password: string): Promise<void> {
  const answer = await fetch(`${BASE}/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ email, password }),
  });
  if (!answer.ok) throw await errorOf(answer);
  access = ((await answer.json()) as { access_token: string }).access_token;
}

/** Create an account, then sign in to it. */
export async function signUp(email: string, password: string): Promise<void> {
  const answer = await fetch(`${BASE}/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (!answer.ok) throw await errorOf(answer);
  await signIn(email, password);
}

/** The words to show for a failure: the API's message, or that the server did not answer. */
export function errorText(exc: unknown): string {
  return exc instanceof ApiError ? exc.message : t.errors.network;
}

export interface Detail {
  field?: string;
  message?: string;
}

/** The details of an API error that lists them (a 422's fields), else none. */
export function details(exc: unknown): Detail[] {
  const found = exc instanceof ApiError ? exc.body?.details : null;
  return Array.isArray(found) ? (found as Detail[]) : [];
}

/** The messages of a 422 by the request field they name (`body.password` → `password`). */
export function fieldErrors(error: unknown): Record<string, string> {
  const found: Record<string, string> = {};
  for (const detail of details(error)) {
    if (typeof detail.field !== "string" || typeof detail.message !== "string") continue;
    const name = detail.field.split(".").slice(1).join(".") || detail.field;
    found[name] ??= detail.message;
  }
  return found;
}

export async function signOut(): Promise<void> {
  try {
    const answer = await fetch(`${BASE}/auth/logout`, { method: "POST", credentials: "same-origin" });
    if (!answer.ok) throw await errorOf(answer); // the session may live on: say so
    if (viewerSince) {
      const ended = { method: "POST", credentials: "same-origin", redirect: "manual" } as const;
      await fetch("/viewer/logout", ended).catch(() => undefined); // its cookie expires anyway
    }
  } finally {
    access = null;
    viewerSince = 0;
    signOuts += 1;
  }
}

/** `url` asked with the access token; a 401 refreshes the token once and asks again. */
async function withToken(url: string, init: RequestInit = {}): Promise<Response> {
  const send = () =>
    fetch(url, {
      ...init,
      headers: { ...(access ? { Authorization: `Bearer ${access}` } : {}), ...init.headers },
      credentials: "same-origin",
    });
  const sent = access;
  const answer = await send();
  if (answer.status !== 401) return answer;
  if (access !== null && access !== sent) return send(); // refreshed meanwhile: the new one
  return (await refresh()) ? send() : answer;
}

/** The answer, unless it is an error (thrown); a 401 after `withToken`'s refresh means the
 * session is over: the app signs out. */
async function checked(answer: Response): Promise<Response> {
  if (answer.status === 401) {
    access = null;
    onSignedOut();
  }
  if (!answer.ok) throw await errorOf(answer);
  return answer;
}

/** A request with the access token, answered as it comes (downloads, event streams); a 401
 * refreshes once and tries again, then signs out. */
export async function fetchAuthorized(path: string, init: RequestInit = {}): Promise<Response> {
  return checked(await withToken(`${BASE}${path}`, init));
}

/** A JSON request with the access token. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const answer = await fetchAuthorized(path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (answer.status === 204 ? null : await answer.json()) as T;
}

let viewerSince = 0;

/** A viewer session for the signed-in user (the viewer's pages and its data routes read a
 * cookie, not the bearer token): asked for at most every ten minutes, unless `fresh` (a page
 * about to open cannot retry when the session ended on the server meanwhile). */
export async function viewerSession(fresh = false): Promise<void> {
  if (!fresh && Date.now() - viewerSince < 600_000) return;
  await checked(await withToken("/viewer/session", { method: "POST" }));
  viewerSince = Date.now();
}

/** JSON from the viewer's data routes (the run document with its artifact links). */
export async function viewerData<T>(path: string): Promise<T> {
  await viewerSession();
  let answer = await fetch(path, { credentials: "same-origin" });
  if (answer.status === 401) {
    viewerSince = 0; // ended on the server (signed out elsewhere, a password change)
    await viewerSession();
    answer = await fetch(path, { credentials: "same-origin" });
  }
  if (!answer.ok) throw await errorOf(answer);
  return (await answer.json()) as T;
}

/** Open a viewer page (`/viewer/...`) in a new tab, signed in as the app's user: the tab is
 * opened at once (while the click still counts, so no popup blocker stops it), a viewer
 * session is made sure of with the access token, and only then is the tab sent to `path`.
 * Call it straight from a click handler. A failure closes the tab and is thrown. */
export async function openViewer(path: string): Promise<void> {
  const tab = window.open("about:blank", "_blank");
  if (tab) tab.opener = null; // the viewer's page gets no handle on the app
  try {
    await viewerSession(true);
  } catch (exc) {
    tab?.close();
    throw exc;
  }
  if (tab) tab.location.href = new URL(path, location.href).href;
  else location.assign(path); // no new tab allowed: open it here
}
