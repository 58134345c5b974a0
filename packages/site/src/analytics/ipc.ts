// Hits from a cluster worker to the primary (the only SQLite writer), in compact batches.
import type { RawHit } from "./hit";

/**
 * A batch of hits for IPC: one flat array of numbers (11 per hit) and the batch's distinct strings
 * (addresses, User-Agents, paths, referrers...) once each: a number array serializes several times
 * faster than objects or repeated strings, and a handful of clients, paths and browsers make most
 * requests.
 */
export interface HitBatch {
  strings: string[];
  flat: (number | null)[];
}

const FIELDS = 11;

export function encodeHits(hits: readonly RawHit[]): HitBatch {
  const index = new Map<string, number>();
  const strings: string[] = [];
  const id = (value: string): number => {
    let i = index.get(value);
    if (i === undefined) {
      i = strings.length;
      strings.push(value);
      index.set(value, i);
    }
    return i;
  };
  const flat: (number | null)[] = new Array(hits.length * FIELDS);
  let k = 0;
  for (const h of hits) {
    flat[k++] = h.time;
    flat[k++] = id(h.ip);
    flat[k++] = id(h.ua);
    flat[k++] = id(h.method);
    flat[k++] = id(h.path);
    flat[k++] = h.status;
    flat[k++] = h.bytes;
    flat[k++] = id(h.referrer);
    flat[k++] = id(h.dest);
    flat[k++] = h.html ? 1 : 0;
    flat[k++] = h.durationMs ?? null;
  }
  return { strings, flat };
}

/** Decodes a batch from a worker; malformed hits are dropped rather than trusted. */
export function decodeHits(batch: unknown): RawHit[] {
  const out: RawHit[] = [];
  const b = batch as Partial<HitBatch> | null;
  if (!b || !Array.isArray(b.strings) || !Array.isArray(b.flat) || b.flat.length % FIELDS !== 0) return out;
  const f = b.flat;
  const strings = b.strings;
  const str = (i: unknown): string | undefined => {
    if (typeof i !== "number") return undefined;
    const v: unknown = strings[i];
    return typeof v === "string" ? v : undefined;
  };
  for (let k = 0; k < f.length; k += FIELDS) {
    const time = f[k];
    const ip = str(f[k + 1]);
    const ua = str(f[k + 2]);
    const method = str(f[k + 3]);
    const path = str(f[k + 4]);
    const status = f[k + 5];
    const bytes = f[k + 6];
    const referrer = str(f[k + 7]);
    const dest = str(f[k + 8]);
    const duration = f[k + 10];
    if (
      typeof time !== "number" ||
      ip === undefined ||
      ua === undefined ||
      method === undefined ||
      path === undefined ||
      typeof status !== "number" ||
      typeof bytes !== "number" ||
      referrer === undefined ||
      dest === undefined
    )
      continue;
    const hit: RawHit = { time, ip, ua, method, path, status, bytes, referrer, dest, html: f[k + 9] === 1 };
    if (typeof duration === "number") hit.durationMs = duration;
    out.push(hit);
  }
  return out;
}
