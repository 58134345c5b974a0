import { z } from "zod";
import { PrepcastError } from "./errors";

// Dates in signed documents must say their offset: a bare "2024-06-02T20:15:00" would be read in
// the verifier's local zone and could shift an embargo or an expiry by hours.
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Why `s` is not an ISO 8601 timestamp with an explicit offset, or undefined when it is one. */
export function isoWithOffsetProblem(s: unknown): string | undefined {
  if (typeof s !== "string") return "is not a string";
  const m = ISO_WITH_OFFSET.exec(s);
  if (!m) return `"${s.slice(0, 64)}" is not of the form YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year < 1970 || year > 9999) return `year ${year} is out of range 1970..9999`;
  if (month < 1 || month > 12) return `month ${month} does not exist`;
  if (day < 1 || day > daysInMonth(year, month)) return `day ${day} does not exist in ${year}-${String(month).padStart(2, "0")}`;
  if (hour > 23 || minute > 59 || second > 59) return `time ${m[4]}:${m[5]}:${m[6]} does not exist`;
  if (m[8] !== "Z") {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 14 || om > 59 || (oh === 14 && om > 0)) return `offset ${m[8]} is out of range -14:00..+14:00`;
  }
  return undefined;
}

/** Parses an ISO 8601 timestamp that carries `Z` or `±HH:MM`; anything else is TIME_INVALID. */
export function parseIsoWithOffset(s: unknown, where: string): Date {
  const problem = isoWithOffsetProblem(s);
  if (problem !== undefined) {
    throw new PrepcastError("TIME_INVALID", `${where}: timestamp ${problem}`, {
      where,
      hint: "write it as ISO 8601 with an explicit offset, e.g. 2024-06-02T20:15:00-06:00 or 2024-06-03T02:15:00Z",
    });
  }
  return new Date(s as string);
}

/** Formats `date` as seen at UTC offset `offsetMinutes` (e.g. -360 for Mexico City): 2024-06-02T20:15:00-06:00. */
export function formatIsoOffset(date: Date, offsetMinutes: number): string {
  if (!Number.isInteger(offsetMinutes) || Math.abs(offsetMinutes) > 14 * 60) {
    throw new PrepcastError("TIME_INVALID", `offset ${offsetMinutes} minutes is not an integer within ±14 hours`, {
      hint: "pass the offset in minutes, e.g. -360 for UTC-06:00",
    });
  }
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new PrepcastError("TIME_INVALID", "cannot format an invalid Date", { hint: "pass a valid Date" });
  const shifted = new Date(ms + offsetMinutes * 60_000).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const millis = shifted.slice(19, 23);
  const base = shifted.slice(0, 19) + (millis === ".000" ? "" : millis);
  if (offsetMinutes === 0) return `${base}Z`;
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${base}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** `Date` → ISO string in UTC (Z) without milliseconds when they are zero; strings are validated and kept as given. */
export function toIsoTimestamp(value: Date | string, where: string): string {
  if (typeof value === "string") {
    parseIsoWithOffset(value, where);
    return value;
  }
  return formatIsoOffset(value, 0);
}

/** A timestamp in a signed document: ISO 8601 with an explicit offset (isoWithOffsetProblem). */
export const isoTimestampSchema = z.string().superRefine((s, ctx) => {
  const problem = isoWithOffsetProblem(s);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: `timestamp ${problem}` });
});
