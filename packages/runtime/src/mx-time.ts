// Central Mexico has used a fixed UTC-6 offset since DST ended in 2022, so every displayed time is
// computed with that offset rather than the host's time zone (servers usually run in UTC).
export const MX_OFFSET_MS = -6 * 3600_000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** "dd/mm/aaaa hh:mm" in UTC-6. */
export function formatMx(ms: number): string {
  const d = new Date(ms + MX_OFFSET_MS);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** "dd/mm/aaaa hh:mm:ss" in UTC-6. */
export function formatMxSeconds(ms: number): string {
  const d = new Date(ms + MX_OFFSET_MS);
  return `${formatMx(ms)}:${pad(d.getUTCSeconds())}`;
}

/** ISO 8601 with the -06:00 offset, e.g. 2024-06-02T20:15:00-06:00. */
export function isoMx(ms: number): string {
  const d = new Date(ms + MX_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}-06:00`;
}

/** Start (epoch ms) of the UTC-6 hour that contains `ms`. */
export function mxHourStart(ms: number): number {
  return Math.floor((ms + MX_OFFSET_MS) / 3600_000) * 3600_000 - MX_OFFSET_MS;
}

/** "aaaa-mm-dd" of the UTC-6 calendar day that contains `ms` (the analytics salt rotates on it). */
export function mxDay(ms: number): string {
  return isoMx(ms).slice(0, 10);
}

/** Accepts epoch ms, a Date or an ISO string (a bare "2024-06-02T20:00" is read as UTC-6). */
export function toEpochMs(value: number | string | Date, what: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`${what}: not a finite time`);
    return value;
  }
  if (value instanceof Date) return value.getTime();
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim());
  const ms = Date.parse(hasZone ? value : `${value}-06:00`);
  if (!Number.isFinite(ms)) throw new TypeError(`${what}: "${value}" is not an ISO 8601 time (example: 2024-06-02T20:00-06:00)`);
  return ms;
}

export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}
