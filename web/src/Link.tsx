import type { MouseEvent, ReactNode } from "react";
import { go, href, mayLeave, type Route } from "./router";

/** An in-app link: a real href (opens in a new tab too), navigated without a reload. */
export function Link(props: {
  to: Route;
  children: ReactNode;
  className?: string;
  label?: string;
  /** the page shown now (aria-current) */
  current?: boolean;
}) {
  const click = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    if (mayLeave()) go(props.to);
  };
  return (
    <a
      href={href(props.to)}
      onClick={click}
      className={props.className}
      aria-label={props.label}
      aria-current={props.current ? "page" : undefined}
    >
      {props.children}
    </a>
  );
}
