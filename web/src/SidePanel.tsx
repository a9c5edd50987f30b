import { useEffect, useRef, type KeyboardEvent, type ReactNode } from "react";
import { t } from "./strings";

export type Tab = "node" | "settings" | "variables";

const TABS: [Tab, string][] = [
  ["node", t.builder.properties],
  ["settings", t.builder.settings],
  ["variables", t.builder.variables],
];

/** The builder's side panel: tabs for the selected node's properties, the bot's settings and
 * its variables (arrow keys move between them), and the chosen one's content. */
export function SidePanel(props: { tab: Tab; onTab: (tab: Tab) => void; children: ReactNode }) {
  const { tab, onTab } = props;
  // the tab chosen by arrow key takes the focus once it is rendered as the selected one
  const focusTab = useRef(false);
  useEffect(() => {
    if (focusTab.current) document.getElementById(`tab-${tab}`)?.focus();
    focusTab.current = false;
  }, [tab]);
  const keys = (event: KeyboardEvent) => {
    const at = TABS.findIndex(([id]) => id === tab);
    const by = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!by) return;
    event.preventDefault();
    focusTab.current = true;
    onTab(TABS[(at + by + TABS.length) % TABS.length][0]);
  };
  return (
    <div className="side">
      <div className="tabs" role="tablist" aria-label={t.builder.panels} onKeyDown={keys}>
        {TABS.map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`tab-${id}`}
            aria-selected={tab === id}
            aria-controls={tab === id ? `panel-${id}` : undefined}
            tabIndex={tab === id ? 0 : -1}
            onClick={() => onTab(id)}
          >
            {label}
          </button>
        ))}
      </div>
      <div className="side-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {props.children}
      </div>
    </div>
  );
}
