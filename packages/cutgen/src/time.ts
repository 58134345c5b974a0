/** The PREP of 2 June 2024 opens its first cut at 20:00 in UTC-6 (02:00 UTC on 3 June). */
export const FIRST_CUT_UTC_MS = Date.UTC(2024, 5, 3, 2, 0);
export const CUT_MINUTES = 15;
const OFFSET_MS = -6 * 3600_000;

export interface CutTime {
  /** ISO 8601 with the OPLE's offset, e.g. `2024-06-02T20:15:00-06:00`. */
  iso: string;
  /** As the site shows it: `02/06/2024 20:15 (UTC-6)`. */
  human: string;
  /** The instant (also every file's mtime). */
  date: Date;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** Cut k (1-based) is stamped 2024-06-02 20:00 (UTC-6) + 15 min × (k − 1). */
export function cutTime(k: number): CutTime {
  if (!Number.isSafeInteger(k) || k < 1) throw new RangeError(`cut number must be an integer >= 1, got ${String(k)}`);
  return cutTimeAt(new Date(FIRST_CUT_UTC_MS + (k - 1) * CUT_MINUTES * 60_000));
}

/** A cut stamped at any instant (whole seconds, shown in UTC-6): the demo's and drills' "today" cuts. */
export function cutTimeAt(at: Date): CutTime {
  if (!Number.isFinite(at.getTime())) throw new RangeError("cut time must be a valid date");
  const date = new Date(Math.floor(at.getTime() / 1000) * 1000);
  const l = localParts(date.getTime());
  return {
    iso: `${l.year}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}-06:00`,
    human: `${pad(l.day)}/${pad(l.month)}/${l.year} ${pad(l.hour)}:${pad(l.minute)} (UTC-6)`,
    date,
  };
}

/** Wall-clock fields in UTC-6 for an instant. */
export function localParts(utcMs: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const d = new Date(utcMs + OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** `dd/mm/aaaa hh:mm:ss` in UTC-6, the PREP CSV's timestamp format. */
export function csvStamp(utcMs: number): string {
  const l = localParts(utcMs);
  return `${pad(l.day)}/${pad(l.month)}/${l.year} ${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}`;
}
