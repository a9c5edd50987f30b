import { t } from "./strings";
import type { NodeKind } from "./types";

/** What a kind dragged from the palette carries: its type. */
export const KIND_TYPE = "application/x-trawler-kind";

/** The node kinds: click one to add it after the selected node, or drag it onto the canvas. */
export function Palette(props: { kinds: NodeKind[]; onAdd: (type: string) => void }) {
  return (
    <nav className="palette" aria-label={t.builder.palette}>
      <h2>{t.builder.palette}</h2>
      <p className="hint">{t.builder.paletteHint}</p>
      <ul>
        {props.kinds.map((kind) => (
          <li key={kind.type}>
            <button
              type="button"
              data-kind={kind.type}
              title={kind.description}
              draggable
              onDragStart={(event) => {
                event.dataTransfer.setData(KIND_TYPE, kind.type);
                event.dataTransfer.effectAllowed = "copy";
              }}
              onClick={() => props.onAdd(kind.type)}
            >
              {kind.label}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
