// A crontab expression in words, for the schedule form's preview. Only the common shapes are
// described; anything else gets null and the form shows the next run times alone (the API,
// which the scheduler shares its cron code with, is the judge of what is valid).
import { t } from "./strings";

type Item = { from: number; to: number; step: number | null };

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTH_NAMES = "jan feb mar apr may jun jul aug sep oct nov dec".split(" ");

function value(text: string, min: number, max: number, names: string[], offset: number): number {
  const named = names.indexOf(text.toLowerCase());
  const found = named >= 0 ? named + offset : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(found >= min && found <= max)) throw new RangeError(text);
  return found;
}

/** One field as items (single values have from === to); throws on what it cannot read. */
function items(field: string, min: number, max: number, names: string[] = [], offset = 0): Item[] {
  return field.split(",").map((part) => {
    const [base, step] = part.split("/");
    const every = step === undefined ? null : value(step, 1, max, [], 0);
    if (base === "*") return { from: min, to: max, step: every };
    const [first, last] = base.split("-");
    const from = value(first, min, max, names, offset);
    // "5/15" runs from 5 to the end, as in cron
    const open = every === null ? from : max;
    const to = last === undefined ? open : value(last, min, max, names, offset);
    if (from > to) throw new RangeError(part);
    return { from, to, step: every };
  });
}

function list(words: string[]): string {
  if (words.length <= 1) return words.join("");
  return words.slice(0, -1).join(t.cron.comma) + t.cron.and + words[words.length - 1];
}

function singles(found: Item[]): number[] | null {
  return found.every((item) => item.from === item.to) ? found.map((item) => item.from) : null;
}

function named(found: Item[], label: (n: number) => string): string | null {
  if (found.some((item) => item.step !== null)) return null;
  return list(
    found.map((item) =>
      item.from === item.to ? label(item.from) : t.cron.range(label(item.from), label(item.to)),
    ),
  );
}

const pad = (n: number) => String(n).padStart(2, "0");

function time(minute: string, hour: string): { words: string; daily: boolean } | null {
  const [byMinute, hours] = [items(minute, 0, 59), items(hour, 0, 23)]; // throw when out of range
  if (minute === "*" && hour === "*") return { words: t.cron.everyMinute, daily: false };
  const step = /^\*\/(\d+)$/.exec(minute);
  if (step) return hour === "*" ? { words: t.cron.everyMinutes(step[1]), daily: false } : null;
  const minutes = singles(byMinute);
  if (minutes === null) return null;
  const atMinutes = list(minutes.map(String));
  if (hour === "*") return { words: t.cron.everyHourAt(atMinutes), daily: false };
  const hourStep = /^\*\/(\d+)$/.exec(hour);
  if (hourStep) return { words: t.cron.everyHoursAt(hourStep[1], atMinutes), daily: false };
  const fixed = singles(hours);
  if (fixed !== null && fixed.length * minutes.length <= 6) {
    const times = fixed.flatMap((h) => minutes.map((m) => `${pad(h)}:${pad(m)}`));
    return { words: t.cron.at(list(times)), daily: true };
  }
  if (hours.length === 1 && hours[0].step === null) {
    const [from, to] = [`${pad(hours[0].from)}:00`, `${pad(hours[0].to)}:00`];
    return { words: t.cron.hourlyBetween(from, to, atMinutes), daily: false };
  }
  return null;
}

/** The expression in words, or null when it is not one of the shapes described here. */
export function describeCron(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const [minute, hour, day, month, weekday] = fields;
  try {
    const when = time(minute, hour);
    if (when === null) return null;
    const parts = [when.words];
    const onDays = day === "*" ? "" : named(items(day, 1, 31), String);
    // 7 is Sunday as 0 is; a range ending at 7 stays as written ("Friday to Sunday")
    const dayName = (n: number) => t.cron.days[n % 7];
    const onWeekdays = weekday === "*" ? "" : named(items(weekday, 0, 7, DAY_NAMES, 0), dayName);
    if (onDays === null || onWeekdays === null) return null;
    // as in cron, with both restricted a day matching either runs
    if (onDays && onWeekdays) {
      parts.push(t.cron.either(t.cron.onDaysOfMonth(onDays), t.cron.onWeekdays(onWeekdays)));
    } else if (onDays) parts.push(t.cron.onDaysOfMonth(onDays));
    else if (onWeekdays) parts.push(t.cron.onWeekdays(onWeekdays));
    else if (when.daily) parts.push(t.cron.everyDay);
    if (month !== "*") {
      const months = named(items(month, 1, 12, MONTH_NAMES, 1), (n) => t.cron.months[n - 1]);
      if (months === null) return null;
      parts.push(t.cron.inMonths(months));
    }
    return parts.join(" ");
  } catch {
    return null;
  }
}
