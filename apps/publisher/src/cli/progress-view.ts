import * as cliProgress from "cli-progress";
import { formatBytes } from "@prepcast/protocol";
import type { LinkStatus } from "../service/receiver-link";

/**
 * One live line per receiver (bytes, %, rate, ETA) on a terminal; plain log lines every few
 * seconds when stderr is not a TTY (CI, journald), and nothing with --json.
 */
export class ProgressView {
  private readonly multi: cliProgress.MultiBar | null;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private readonly lastLine = new Map<string, number>();
  private total = 0;
  private sequence = 0;
  private stopped = false;

  constructor(
    private readonly ids: string[],
    private readonly quiet: boolean,
  ) {
    this.multi =
      !quiet && process.stderr.isTTY
        ? new cliProgress.MultiBar(
            {
              stream: process.stderr,
              format: "{id} |{bar}| {percentage}% {done}/{size} {rate}/s ETA {eta_formatted} {state}",
              hideCursor: true,
              clearOnComplete: false,
              etaBuffer: 20,
            },
            cliProgress.Presets.shades_classic,
          )
        : null;
  }

  setTotal(total: number, sequence: number): void {
    this.total = total;
    this.sequence = sequence;
    if (this.multi)
      for (const id of this.ids)
        this.bars.set(
          id,
          this.multi.create(Math.max(1, total), 0, { id: id.padEnd(16), done: "0 B", size: formatBytes(total), rate: "0 B", state: "waiting" }),
        );
  }

  update(s: LinkStatus): void {
    if (this.quiet || this.stopped) return;
    const p = s.progress;
    const has = (s.live?.sequence ?? 0) >= this.sequence && this.sequence > 0;
    const bar = this.bars.get(s.id);
    if (bar) {
      const total = p?.total ?? this.total;
      bar.setTotal(Math.max(1, total));
      bar.update(has ? total : (p?.sent ?? 0), {
        done: formatBytes(has ? total : (p?.sent ?? 0)),
        size: formatBytes(total),
        rate: formatBytes(Math.round(p?.bytesPerSecond ?? 0)),
        state: has ? "live" : s.lastError ? s.lastError.code : s.state,
      });
      return;
    }
    const now = Date.now();
    if (now - (this.lastLine.get(s.id) ?? 0) < 2000 && !has) return;
    this.lastLine.set(s.id, now);
    const pct = p ? Math.round((100 * p.sent) / Math.max(1, p.total)) : has ? 100 : 0;
    const eta = p && p.bytesPerSecond > 0 ? Math.round((p.total - p.sent) / p.bytesPerSecond) : null;
    process.stderr.write(
      `${s.id}: ${pct}% ${p ? `${formatBytes(p.sent)}/${formatBytes(p.total)} ${formatBytes(Math.round(p.bytesPerSecond))}/s${eta !== null ? ` ETA ${eta}s` : ""}` : ""} ${has ? "live" : s.state}\n`,
    );
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.multi?.stop();
  }
}
