import { useEffect, useId, useRef } from "react";
import { SHORTCUTS } from "./keys";
import { t } from "./strings";

/** The canvas's keyboard shortcuts, in a modal dialog (Escape or Close shuts it). */
export function ShortcutsDialog(props: { open: boolean; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const heading = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} className="shortcuts" aria-labelledby={heading} onClose={props.onClose}>
      <h2 id={heading}>{t.builder.shortcuts}</h2>
      <table>
        <tbody>
          {SHORTCUTS.map(({ command, keys }) => (
            <tr key={command}>
              <th scope="row">{t.builder.commands[command]}</th>
              <td>
                {keys.map((key, i) => (
                  <span key={key}>
                    {i > 0 && " / "}
                    <kbd>{key}</kbd>
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">{t.builder.shortcutsNote}</p>
      <button type="button" onClick={props.onClose} autoFocus>
        {t.builder.close}
      </button>
    </dialog>
  );
}
