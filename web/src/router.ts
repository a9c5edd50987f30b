// The app's client-side routes. The server answers index.html under the first segments its
// api/webapp PAGES lists (tests/web/test_serve.py checks both name the same).
import { useEffect, useState } from "react";

export const BASE = "";

export type Route =
  | { name: "bots" }
  | { name: "login" }
  | { name: "signup" }
  | { name: "bot"; id: string }
  | { name: "history"; id: string }
  | { name: "executions" }
  | { name: "schedules" }
  | { name: "settings" }
  | { name: "missing" };

/** Pages that are one fixed path each. */
const PAGES = ["executions", "schedules", "settings"] as const;

export function parse(path: string): Route {
  const rest = path.startsWith(BASE) ? path.slice(BASE.length) : path;
  const parts = rest.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === "bots")) return { name: "bots" };
  if (parts.length === 1 && parts[0] === "login") return { name: "login" };
  if (parts.length === 1 && parts[0] === "signup") return { name: "signup" };
  if (parts.length === 2 && parts[0] === "bots") return { name: "bot", id: parts[1] };
  if (parts.length === 3 && parts[0] === "bots" && parts[2] === "history") {
    return { name: "history", id: parts[1] };
  }
  const page = PAGES.find((name) => parts.length === 1 && parts[0] === name);
  if (page) return { name: page };
  return { name: "missing" };
}

export function href(route: Route): string {
  switch (route.name) {
    case "bot":
      return `${BASE}/bots/${encodeURIComponent(route.id)}`;
    case "history":
      return `${BASE}/bots/${encodeURIComponent(route.id)}/history`;
    case "login":
      return `${BASE}/login`;
    case "signup":
      return `${BASE}/signup`;
    case "executions":
    case "schedules":
    case "settings":
      return `${BASE}/${route.name}`;
    default:
      return `${BASE}/`;
  }
}

let guard: (() => boolean) | null = null;

/** While `check` is set, in-app links ask it first; false stays on the page. */
export function guardLeaving(check: (() => boolean) | null): void {
  guard = check;
}

/** Whether the page may be left for another in-app page. */
export function mayLeave(): boolean {
  return guard === null || guard();
}

export function goTo(url: string, replace = false): void {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function go(route: Route, replace = false): void {
  goTo(href(route), replace);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.pathname));
  useEffect(() => {
    const changed = () => setRoute(parse(location.pathname));
    addEventListener("popstate", changed);
    return () => removeEventListener("popstate", changed);
  }, []);
  return route;
}
