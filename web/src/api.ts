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

async function trade(): Promise<boolean> {
  const answer = await fetch(`${BASE}/auth/refresh`, { method: "POST", credentials: "same-origin" });
  if (!answer.ok) {
    access = null;
    return false;
  }
  access = ((await answer.json()) as { access_token: string }).access_token;
  return true;
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

export async function signOut(): Promise<void> {
  try {
    await fetch(`${BASE}/auth/logout`, { method: "POST", credentials: "same-origin" });
  } finally {
    access = null;
  }
}

/** A JSON request with the access token; a 401 refreshes once and tries again. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const send = () =>
    fetch(`${BASE}${path}`, {
      method,
      headers: {
        ...(access ? { Authorization: `Bearer ${access}` } : {}),
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  let answer = await send();
  if (answer.status === 401 && (await refresh())) answer = await send();
  if (answer.status === 401) {
    access = null;
    onSignedOut();
  }
  if (!answer.ok) throw await errorOf(answer);
  return (answer.status === 204 ? null : await answer.json()) as T;
}
