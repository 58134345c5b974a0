import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { Logger } from "@prepcast/runtime";

export interface InboxItem {
  kind: "dir" | "prep";
  path: string;
  name: string;
}

export type InboxResult = { ok: true; sequence: number } | { ok: false; code: string; message: string };

/**
 * Watches the inbox for new cuts: a folder per cut or a ready `.prep` file. An item is taken once
 * it holds a `READY` marker (folders) or has not changed for `settleMs` (a copy still in progress
 * is never signed half-written). Done items move to `.done/`, rejected ones to `.rejected/` with
 * an `<name>.error.json` saying why. Polling, not fs.watch: it behaves the same on every file system.
 */
export class InboxWatcher {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private readonly seen = new Map<string, { sig: string; since: number }>();

  constructor(
    readonly dir: string,
    private readonly handle: (item: InboxItem) => Promise<InboxResult>,
    private readonly log: Logger,
    private readonly opts: { pollMs?: number; settleMs?: number } = {},
  ) {}

  async start(): Promise<void> {
    for (const d of [this.dir, path.join(this.dir, ".done"), path.join(this.dir, ".rejected")]) await fsp.mkdir(d, { recursive: true });
    this.timer = setInterval(() => void this.scan(), this.opts.pollMs ?? 1000);
    void this.scan();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.busy) await new Promise((r) => setTimeout(r, 50));
  }

  private async signature(p: string): Promise<string> {
    const st = await fsp.stat(p);
    if (!st.isDirectory()) return `${st.size}:${st.mtimeMs}`;
    let count = 0;
    let latest = st.mtimeMs;
    let bytes = 0;
    const walk = async (d: string): Promise<void> => {
      for (const e of await fsp.readdir(d, { withFileTypes: true })) {
        const full = path.join(d, e.name);
        const s = await fsp.lstat(full);
        count++;
        bytes += s.size;
        latest = Math.max(latest, s.mtimeMs);
        if (e.isDirectory()) await walk(full);
      }
    };
    await walk(p);
    return `${count}:${bytes}:${latest}`;
  }

  async scan(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const names = (await fsp.readdir(this.dir)).filter((n) => !n.startsWith(".")).sort();
      for (const name of names) {
        const full = path.join(this.dir, name);
        const st = await fsp.stat(full).catch(() => null);
        if (!st) continue;
        const kind = st.isDirectory() ? "dir" : name.endsWith(".prep") ? "prep" : null;
        if (!kind) continue;
        const ready =
          kind === "dir" &&
          (await fsp.stat(path.join(full, "READY")).then(
            () => true,
            () => false,
          ));
        if (!ready) {
          const sig = await this.signature(full);
          const prev = this.seen.get(name);
          if (!prev || prev.sig !== sig) {
            this.seen.set(name, { sig, since: Date.now() });
            continue;
          }
          if (Date.now() - prev.since < (this.opts.settleMs ?? 3000)) continue;
        }
        this.seen.delete(name);
        if (ready) await fsp.rm(path.join(full, "READY"), { force: true });
        this.log.info({ item: name }, "inbox item taken");
        const result = await this.handle({ kind, path: full, name });
        const stamp = new Date().toISOString().replace(/[:.]/g, "-");
        const dest = path.join(this.dir, result.ok ? ".done" : ".rejected", `${stamp}-${name}`);
        await fsp.rename(full, dest).catch(() => undefined);
        if (!result.ok) await fsp.writeFile(`${dest}.error.json`, JSON.stringify(result, null, 2) + "\n").catch(() => undefined);
      }
    } catch (e) {
      this.log.error({ err: (e as Error).message }, "inbox scan failed");
    } finally {
      this.busy = false;
    }
  }
}
