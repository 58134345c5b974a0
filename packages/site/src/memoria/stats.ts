// Visitor statistics over a time window, as the call requires: visitors, pages viewed, the list of
// pages, time on site; plus hits, sessions, status codes and bots (counted apart, never mixed in).
import type { AnalyticsStore } from "../analytics/store";
import { SESSION_IDLE_MS } from "../analytics/store";
import { isoMx, mxHourStart, toEpochMs } from "../time";

export interface StatsWindow {
  from: number | string | Date;
  to: number | string | Date;
}

export interface PageStats {
  path: string;
  pageviews: number;
  visitors: number;
  /** Mean time on page (ms) over the views whose duration is known. */
  avgTimeOnPageMs: number | null;
}

export interface HourStats {
  /** Start of the hour, ISO with -06:00. */
  hour: string;
  visitors: number;
  pageviews: number;
  hits: number;
}

export interface SiteStats {
  from: string;
  to: string;
  visitors: number;
  pageviews: number;
  hits: number;
  sessions: number;
  bytes: number;
  avgTimeOnSiteMs: number | null;
  medianTimeOnSiteMs: number | null;
  hourly: HourStats[];
  topPages: PageStats[];
  pages: PageStats[];
  timeOnSite: { bucket: string; sessions: number }[];
  statusCodes: { status: number; hits: number }[];
  devices: { uaClass: string; hits: number }[];
  bots: { hits: number; visitors: number; bytes: number };
  /** Requests not recorded because the analytics disk budget was reached or the writer could not keep up (all time). */
  droppedHits: number;
}

export const TIME_ON_SITE_BUCKETS: { label: string; maxMs: number }[] = [
  { label: "0-10 s", maxMs: 10_000 },
  { label: "10-30 s", maxMs: 30_000 },
  { label: "30-60 s", maxMs: 60_000 },
  { label: "1-3 min", maxMs: 180_000 },
  { label: "3-10 min", maxMs: 600_000 },
  { label: "10-30 min", maxMs: 1_800_000 },
  { label: "30 min o más", maxMs: Infinity },
];

export function stats(store: AnalyticsStore, window: StatsWindow): SiteStats {
  const from = toEpochMs(window.from, "from");
  const to = toEpochMs(window.to, "to");
  if (to < from) throw new RangeError(`stats window: "to" (${isoMx(to)}) is before "from" (${isoMx(from)})`);
  const db = store.db;
  const one = <T>(sql: string, ...args: unknown[]): T => db.prepare(sql).get(...args) as T;
  const all = <T>(sql: string, ...args: unknown[]): T[] => db.prepare(sql).all(...args) as T[];
  const W = "time >= ? AND time <= ?";
  const totals = one<{ hits: number; bytes: number | null; visitors: number; pageviews: number | null; sessions: number }>(
    `SELECT COUNT(*) AS hits, SUM(bytes) AS bytes, COUNT(DISTINCT visitor) AS visitors, SUM(is_pageview) AS pageviews, COUNT(DISTINCT session) AS sessions FROM hits WHERE ${W} AND is_bot = 0 AND method <> 'BEACON'`,
    from,
    to,
  );
  const bots = one<{ hits: number; visitors: number; bytes: number | null }>(
    `SELECT COUNT(*) AS hits, COUNT(DISTINCT visitor) AS visitors, SUM(bytes) AS bytes FROM hits WHERE ${W} AND is_bot = 1`,
    from,
    to,
  );

  // Time on page: until the next page view of the same session (capped at the idle limit); for the
  // last page of a session, the banner's beacon if one was received for it.
  const views = all<{ session: number; path: string; visitor: string; time: number; next: number | null; beacon: number | null }>(
    `WITH pv AS (
       SELECT session, path, visitor, time, LEAD(time) OVER (PARTITION BY session ORDER BY time, id) AS next
       FROM hits WHERE ${W} AND is_pageview = 1 AND is_bot = 0)
     SELECT pv.session, pv.path, pv.visitor, pv.time, pv.next,
       CASE WHEN pv.next IS NULL THEN (SELECT b.duration_ms FROM hits b WHERE b.session = pv.session AND b.method = 'BEACON' AND b.path = pv.path AND b.time >= pv.time ORDER BY b.time LIMIT 1) END AS beacon
     FROM pv`,
    from,
    to,
  );
  const pages = new Map<string, { pageviews: number; visitors: Set<string>; durSum: number; durN: number }>();
  const sessionTime = new Map<number, number>();
  for (const v of views) {
    const dur = v.next !== null ? Math.min(v.next - v.time, SESSION_IDLE_MS) : v.beacon;
    let p = pages.get(v.path);
    if (!p) pages.set(v.path, (p = { pageviews: 0, visitors: new Set(), durSum: 0, durN: 0 }));
    p.pageviews++;
    p.visitors.add(v.visitor);
    if (dur !== null) {
      p.durSum += dur;
      p.durN++;
    }
    sessionTime.set(v.session, (sessionTime.get(v.session) ?? 0) + (dur ?? 0));
  }
  const pageList: PageStats[] = [...pages.entries()]
    .map(([path, p]) => ({ path, pageviews: p.pageviews, visitors: p.visitors.size, avgTimeOnPageMs: p.durN ? Math.round(p.durSum / p.durN) : null }))
    .sort((a, b) => b.pageviews - a.pageviews || (a.path < b.path ? -1 : 1));
  const durations = [...sessionTime.values()].sort((a, b) => a - b);
  const buckets = TIME_ON_SITE_BUCKETS.map((b) => ({ bucket: b.label, sessions: 0 }));
  for (const d of durations) buckets[TIME_ON_SITE_BUCKETS.findIndex((b) => d < b.maxMs)]!.sessions++;

  const hourlyRows = all<{ hour: number; visitors: number; pageviews: number; hits: number }>(
    `SELECT CAST((time - ?) / 3600000 AS INTEGER) AS hour, COUNT(DISTINCT visitor) AS visitors, SUM(is_pageview) AS pageviews, COUNT(*) AS hits
     FROM hits WHERE ${W} AND is_bot = 0 AND method <> 'BEACON' GROUP BY hour ORDER BY hour`,
    mxHourStart(from),
    from,
    to,
  );
  const byHour = new Map(hourlyRows.map((r) => [r.hour, r]));
  const hourly: HourStats[] = [];
  const firstHour = mxHourStart(from);
  for (let h = 0, t = firstHour; t <= to && h < 24 * 400; h++, t += 3600_000) {
    const r = byHour.get(h);
    hourly.push({ hour: isoMx(t), visitors: r?.visitors ?? 0, pageviews: r?.pageviews ?? 0, hits: r?.hits ?? 0 });
  }

  return {
    from: isoMx(from),
    to: isoMx(to),
    visitors: totals.visitors,
    pageviews: totals.pageviews ?? 0,
    hits: totals.hits,
    sessions: totals.sessions,
    bytes: totals.bytes ?? 0,
    avgTimeOnSiteMs: durations.length ? Math.round(durations.reduce((a, b) => a + b, 0) / durations.length) : null,
    medianTimeOnSiteMs: durations.length ? durations[Math.floor(durations.length / 2)]! : null,
    hourly,
    topPages: pageList.slice(0, 20),
    pages: pageList,
    timeOnSite: buckets,
    statusCodes: all<{ status: number; hits: number }>(
      `SELECT status, COUNT(*) AS hits FROM hits WHERE ${W} AND method <> 'BEACON' GROUP BY status ORDER BY status`,
      from,
      to,
    ),
    devices: all<{ uaClass: string; hits: number }>(
      `SELECT ua_class AS uaClass, COUNT(*) AS hits FROM hits WHERE ${W} AND method <> 'BEACON' GROUP BY ua_class ORDER BY hits DESC`,
      from,
      to,
    ),
    bots: { hits: bots.hits, visitors: bots.visitors, bytes: bots.bytes ?? 0 },
    droppedHits: store.droppedHits(),
  };
}
