import type { RefObject } from "react";
import { ariaKeys, type Command } from "./keys";
import { t } from "./strings";

/** The canvas's editing buttons, each with its keyboard shortcut announced. */
export function EditTools(props: {
  canUndo: boolean;
  canRedo: boolean;
  canDelete: boolean;
  helpButton: RefObject<HTMLButtonElement>;
  onCommand: (command: Command) => void;
}) {
  const { onCommand: run } = props;
  return (
    <div className="tools" role="group" aria-label={t.builder.edit}>
      <button
        type="button"
        onClick={() => run("undo")}
        disabled={!props.canUndo}
        aria-keyshortcuts={ariaKeys("undo")}
      >
        {t.builder.undo}
      </button>
      <button
        type="button"
        onClick={() => run("redo")}
        disabled={!props.canRedo}
        aria-keyshortcuts={ariaKeys("redo")}
      >
        {t.builder.redo}
      </button>
      <button
        type="button"
        onClick={() => run("delete")}
        disabled={!props.canDelete}
        title={t.builder.removeHint}
        aria-keyshortcuts={ariaKeys("delete")}
      >
        {t.builder.remove}
      </button>
      <button type="button" onClick={() => run("layout")} aria-keyshortcuts={ariaKeys("layout")}>
        {t.builder.layout}
      </button>
      <button type="button" onClick={() => run("fit")} aria-keyshortcuts={ariaKeys("fit")}>
        {t.builder.fit}
      </button>
      <button
        type="button"
        ref={props.helpButton}
        onClick={() => run("help")}
        aria-haspopup="dialog"
        aria-keyshortcuts={ariaKeys("help")}
      >
        {t.builder.shortcuts}
      </button>
    </div>
  );
}
