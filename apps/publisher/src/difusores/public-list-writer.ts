import type { AuditLog, PublisherAuditEvent } from "@prepcast/protocol";
import type { Logger } from "@prepcast/runtime";
import type { DifusorMonitor } from "../monitor/monitor";
import { writePublicList, type DifusorListEntry, type PublicListInput, type PublicListResult } from "./public-list";

/** What the public list uses of the running service (PublisherService satisfies it). */
export interface PublicListService {
  readonly config: {
    process: string;
    channel: string;
    publicList: { dir?: string | undefined; title: string };
    receiverEntries: ReadonlyArray<{ id: string; name: string; publicUrl?: string | undefined; logo?: string | undefined }>;
  };
  readonly repo: {
    latest(): { ref: { sequence: number }; summary: { corte: string } } | null;
    get(sequence: number): { summary: { corte: string } } | undefined;
  };
  readonly monitor: Pick<DifusorMonitor, "status">;
  link(id: string): { status(): { live: { sequence: number } | null } } | undefined;
  readonly log: Pick<Logger, "error">;
  readonly audit: Pick<AuditLog<PublisherAuditEvent>, "append">;
  /** Announces each list written ("public-list", PublicListResult). */
  emit(event: "public-list", result: PublicListResult): boolean;
}

/** The list as the running service sees it now: link state from the monitor, corte from the probe (or receipts). */
export function publicListInput(svc: PublicListService, now = new Date()): PublicListInput {
  const c = svc.config;
  const latest = svc.repo.latest();
  const difusores: DifusorListEntry[] = c.receiverEntries.map((e) => {
    const m = svc.monitor.status(e.id);
    const live = svc.link(e.id)?.status().live ?? null;
    const probed = m?.probe?.served?.corte && m.probe.verdict !== "down" && m.probe.verdict !== "notice" ? m.probe.served.corte : null;
    const fromReceipt = live ? (svc.repo.get(live.sequence)?.summary.corte ?? null) : null;
    return { id: e.id, name: e.name, publicUrl: e.publicUrl ?? null, logo: e.logo ?? null, linkEnabled: m?.linkEnabled ?? true, corte: probed ?? fromReceipt };
  });
  return {
    title: c.publicList.title,
    process: c.process,
    channel: c.channel,
    generatedAt: now,
    latest: latest ? { sequence: latest.ref.sequence, corte: latest.summary.corte } : null,
    difusores,
  };
}

/**
 * Regenerates STATE/public (or publicList.dir) shortly after every state change, one write at a
 * time; logo problems are reported once per file in the log and the audit log.
 */
export class PublicListWriter {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly reported = new Set<string>();
  private closed = false;
  last: PublicListResult | null = null;

  constructor(
    private readonly svc: PublicListService,
    private readonly delayMs = 200,
  ) {}

  schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.writeNow();
    }, this.delayMs);
  }

  writeNow(): Promise<void> {
    const run = this.writing.then(async () => {
      try {
        const r = await writePublicList(this.svc.config.publicList.dir!, publicListInput(this.svc));
        this.last = r;
        for (const e of r.logoErrors) {
          if (this.reported.has(e.file)) continue;
          this.reported.add(e.file);
          this.svc.log.error({ receiver: e.id, code: e.code, err: e.message }, "logo refused; the difusor is listed by name");
          this.svc.audit.append("logo_refused", { receiver: e.id, file: e.file, code: e.code, message: e.message });
        }
        this.svc.emit("public-list", r);
      } catch (e) {
        this.svc.log.error({ err: (e as Error).message }, "public list of difusores not written");
      }
    });
    this.writing = run;
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      await this.writeNow();
    }
    await this.writing;
  }
}
