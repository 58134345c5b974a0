// The status document of /.well-known/prepcast.json (also shown by the admin page): what is live,
// since when, how stale, whether a suspension notice is in force.
import type { NoticeReader } from "../cut/notice";
import { formatMx } from "../time";
import type { CurrentCut } from "./live-cut";

export interface StatusOptions {
  notices: NoticeReader;
  /** Age of the corte (ms) from which the status reports `stale: true`. */
  staleAfterMs: number;
}

export function statusOf(cut: CurrentCut, now: number, { notices, staleAfterMs }: StatusOptions): Record<string, unknown> {
  if (!cut || cut instanceof Error) return { format: "prepcast/site-status@1", status: "no-cut", now: new Date(now).toISOString() };
  const m = cut.manifest;
  if (now < cut.notBeforeMs) return { format: "prepcast/site-status@1", status: "embargo", notBefore: m.notBefore, now: new Date(now).toISOString() };
  const notice = notices.current(now);
  const staleSeconds = Math.max(0, Math.floor((now - cut.corteMs) / 1000));
  const out: Record<string, unknown> = {
    format: "prepcast/site-status@1",
    status: notice ? "suspended" : "live",
    process: m.process,
    channel: m.channel,
    simulacro: m.channel === "simulacro",
    sequence: m.sequence,
    corte: m.corte,
    corteLocal: `${formatMx(cut.corteMs)} (UTC-6)`,
    manifestSha256: cut.manifestSha256,
    notBefore: m.notBefore,
    expires: m.expires ?? null,
    now: new Date(now).toISOString(),
    staleSeconds,
    stale: now - cut.corteMs > staleAfterMs,
    final: false,
  };
  if (m.final !== undefined) {
    // the OPLE's last cut: no newer one will come, so its age is no alarm; it stays up until the
    // signed end of publication (and after it, the results are simply the last ones)
    out.final = true;
    out.publishUntil = m.final.publishUntil;
    out.publishUntilLocal = `${formatMx(Date.parse(m.final.publishUntil))} (UTC-6)`;
    out.publicationEnded = now > Date.parse(m.final.publishUntil);
    out.stale = false;
  }
  if (notice) out.notice = { title: notice.title, text: notice.text };
  return out;
}
