// Picking a selector on a screenshot of the page, for users without the extension: a worker
// opens the page; a click asks the server for the element there and its ranked selectors, each
// with how many elements it matches (outlined over the screenshot); the chosen one fills the field.
import { useEffect, useRef, useState, type FormEvent, type MouseEvent } from "react";
import { errorText, request } from "./api";
import { boxStyle, pointOf, type Box, type PickMode, type Point } from "./picking";
import { t } from "./strings";

interface Candidate {
  selector: string;
  count: number;
  unique: boolean;
  boxes: Box[];
  reason?: string;
}

interface Tested {
  screenshot: string | null;
  selectors: { selector: string; count: number; boxes: Box[]; error: string | null }[];
}

interface Picked {
  screenshot: string;
  elements: { tag: string; text: string }[];
  candidates: Candidate[];
}

export function Picker(props: {
  url: string;
  mode: PickMode;
  current: string;
  onPick: (selector: string) => void;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [url, setUrl] = useState(props.url);
  const [shot, setShot] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [first, setFirst] = useState<Point | null>(null);
  const [candidates, setCandidates] = useState<Candidate[]>([]);
  const [chosen, setChosen] = useState(0);
  const [picked, setPicked] = useState<string | null>(null);
  const [typed, setTyped] = useState(props.current);
  const { mode } = props;
  const within = mode.kind === "element" ? mode.within : null;

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  const ask = async <T,>(path: string, body: unknown): Promise<T | null> => {
    setBusy(true);
    setError(null);
    try {
      return await request<T>("POST", path, body);
    } catch (exc) {
      setError(errorText(exc));
      return null;
    } finally {
      setBusy(false);
    }
  };

  /** Try selectors on the page; the first one's matches are outlined. */
  const test = async (selectors: string[]) => {
    const found = await ask<Tested>("/selectors/test", { url, selectors, screenshot: true });
    if (!found) return;
    setShot(found.screenshot);
    setCandidates(
      found.selectors.map((match) => ({
        selector: match.selector,
        count: match.count,
        unique: match.count === 1,
        boxes: match.boxes,
        reason: match.error ?? undefined,
      })),
    );
    setChosen(0);
  };

  const load = () => {
    setFirst(null);
    setPicked(null);
    const outlined = within ?? props.current;
    void test(outlined ? [outlined] : []);
  };
  useEffect(load, []); // the page as the node has it, once

  const pickAt = async (points: Point[]) => {
    const found = await ask<Picked>("/selectors/at-point", {
      url,
      points,
      ...(within ? { within } : {}),
    });
    if (!found) return;
    setShot(found.screenshot);
    setCandidates(found.candidates);
    setChosen(0);
    setPicked(found.elements.map((element) => `<${element.tag}> ${element.text}`).join(" · "));
  };

  const clicked = (event: MouseEvent<HTMLImageElement>) => {
    if (busy) return;
    const image = event.currentTarget;
    const point = pointOf(
      event.nativeEvent.offsetX,
      event.nativeEvent.offsetY,
      image.clientWidth,
      image.clientHeight,
    );
    if (mode.kind === "items" && first === null) {
      setFirst(point);
      return;
    }
    const points = mode.kind === "items" && first ? [first, point] : [point];
    setFirst(null);
    void pickAt(points);
  };

  const typedTest = (event: FormEvent) => {
    event.preventDefault();
    if (typed.trim()) void test([within ? `${within} ${typed.trim()}` : typed.trim()]);
  };

  const choice = candidates[chosen];
  const use = () => {
    if (!choice) return;
    const selector =
      within && choice.selector.startsWith(`${within} `)
        ? choice.selector.slice(within.length + 1)
        : choice.selector;
    props.onPick(selector);
  };

  const hint =
    mode.kind === "items"
      ? first
        ? t.picker.secondItem
        : t.picker.firstItem
      : within
        ? t.picker.inItem(within)
        : t.picker.element;

  return (
    <dialog
      ref={dialog}
      className="picker"
      aria-label={t.picker.title}
      onClose={props.onClose}
      onCancel={props.onClose}
    >
      <header>
        <h2>{t.picker.title}</h2>
        <button type="button" onClick={() => dialog.current?.close()} aria-label={t.picker.close}>
          ×
        </button>
      </header>
      <form
        className="picker-url"
        onSubmit={(event) => {
          event.preventDefault();
          load();
        }}
      >
        <label>
          {t.picker.url}
          <input type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />
        </label>
        <button type="submit" disabled={busy}>
          {t.picker.load}
        </button>
      </form>
      <p className="hint" aria-live="polite">
        {busy ? t.picker.busy : hint}
      </p>
      {error && <p role="alert">{error}</p>}
      <div className="picker-body">
        <div className="shot">
          {shot && (
            <>
              <img
                src={shot}
                alt={t.picker.screenshot(url)}
                onClick={clicked}
                className={busy ? "busy" : ""}
              />
              {choice?.boxes.map((box, i) => (
                <span key={i} className="match-box" style={boxStyle(box)} aria-hidden="true" />
              ))}
              {first && (
                <span
                  className="first-point"
                  style={{ left: `${first.x * 100}%`, top: `${first.y * 100}%` }}
                  aria-hidden="true"
                />
              )}
            </>
          )}
        </div>
        <div className="candidates">
          {picked && <p className="picked">{picked}</p>}
          {candidates.length > 0 && (
            <fieldset>
              <legend>{t.picker.candidates}</legend>
              {candidates.map((candidate, i) => (
                <label key={candidate.selector} className="candidate">
                  <input
                    type="radio"
                    name="candidate"
                    checked={i === chosen}
                    onChange={() => setChosen(i)}
                  />
                  <code>{candidate.selector}</code>
                  <span className="count">{t.picker.matches(candidate.count)}</span>
                  {candidate.reason && <span className="hint">{candidate.reason}</span>}
                </label>
              ))}
            </fieldset>
          )}
          <form onSubmit={typedTest} className="typed">
            <label>
              {within ? t.picker.typeInItem(within) : t.picker.type}
              <input value={typed} onChange={(e) => setTyped(e.target.value)} />
            </label>
            <button type="submit" disabled={busy}>
              {t.picker.test}
            </button>
          </form>
          <button type="button" onClick={use} disabled={!choice || busy} className="primary">
            {t.picker.use}
          </button>
        </div>
      </div>
    </dialog>
  );
}
