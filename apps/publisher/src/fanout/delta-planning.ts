import * as path from "node:path";
import { DeltaCache, payloadFileContent, type CachedStream, type EncodeOptions } from "@prepcast/delta";
import { ENCODING_FULL, FilePayloadSource, transferIdFor, type CutRefInfo, type OfferPlan } from "@prepcast/session";
import { PrepcastError } from "@prepcast/protocol";
import type { Logger } from "@prepcast/runtime";
import type { CutRepository, PreparedCut } from "../service/cut-repository";
import type { OfferPlanner } from "./offer-planner";
import { SharedPayloadSource } from "./shared-payload-source";
import { checkEncoders, defaultEncoders, type PayloadEncoder } from "./encoders";

const pick = (o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

/** Failures after which a receiver gets the plain `full` payload for that cut. */
const FALLBACK_CODES = new Set(["HASH_MISMATCH", "SIZE_MISMATCH", "PROTOCOL_ERROR", "TRUNCATED", "STATE_INVALID", "NOT_FOUND", "INTERNAL", "IO_ERROR"]);

export interface DeltaPlanningOptions {
  log?: Logger;
  /** zstd settings of the default encoders (ignored when `encoders` is given). */
  encode?: EncodeOptions;
  /** The encodings offered, in order of preference (default `defaultEncoders()`: delta-zstd@1, full-zstd@1); `full` is always the last resort. */
  encoders?: readonly PayloadEncoder[];
  /** Where streams are cached (default STATE/deltas). */
  cacheDir?: string;
}

/**
 * Chooses, per receiver, the first registered encoding it can use for the latest cut (by
 * default, the cheapest):
 * - a `delta` encoder (`delta-zstd@1`) from the cut it has live, when this publisher still holds that cut;
 * - a `whole` encoder (`full-zstd@1`) when its stream is smaller than the plain payload;
 * - `full` when it accepts nothing else, or after an encoded payload failed to apply for that cut.
 * Every stream is computed once per (target, base) and shared: all sessions on the same base read
 * the same cached file through one PayloadSource.
 */
export class DeltaPlanning {
  readonly cache: DeltaCache;
  private readonly sources = new Map<string, { sequence: number; source: Promise<SharedPayloadSource> }>();
  private readonly lastPlan = new Map<string, { manifestSha256: string; encoding: string }>();
  private readonly fallback = new Map<string, Set<string>>();

  private readonly encoders: readonly PayloadEncoder[];

  constructor(
    private readonly repo: CutRepository,
    private readonly opts: DeltaPlanningOptions = {},
  ) {
    this.cache = new DeltaCache(opts.cacheDir ?? path.join(repo.stateDir, "deltas"));
    this.encoders = opts.encoders ?? defaultEncoders(opts.encode ?? {});
    checkEncoders(this.encoders);
  }

  /** The encodings this planner can offer, in order of preference (`full` last). */
  encodings(): string[] {
    return [...this.encoders.map((e) => e.encoding), ENCODING_FULL];
  }

  /** The planner one receiver link uses. */
  forReceiver(receiverId: string): OfferPlanner {
    return (target, hello) => this.plan(receiverId, target, hello);
  }

  /** A delivery failed: if it was a delta for that cut, this receiver gets the full payload next. */
  recordFailure(receiverId: string, failure: { sequence: number; code: string }): void {
    const last = this.lastPlan.get(receiverId);
    const cut = this.repo.get(failure.sequence);
    if (!last || !cut || last.manifestSha256 !== cut.ref.manifestSha256 || last.encoding === ENCODING_FULL || !FALLBACK_CODES.has(failure.code)) return;
    let set = this.fallback.get(receiverId);
    if (!set) this.fallback.set(receiverId, (set = new Set()));
    set.add(cut.ref.manifestSha256);
    this.opts.log?.warn(
      { receiver: receiverId, sequence: failure.sequence, encoding: last.encoding, code: failure.code },
      "delta failed; falling back to the full payload for this receiver",
    );
  }

  /** Whether this receiver was switched to `full` for this cut after a failed delta. */
  fellBack(receiverId: string, manifestSha256: string): boolean {
    return this.fallback.get(receiverId)?.has(manifestSha256) ?? false;
  }

  async plan(receiverId: string, target: PreparedCut, hello: { live: CutRefInfo | null; acceptedEncodings: string[] }): Promise<OfferPlan> {
    // older streams drop their cached chunks before this cut's stream is computed, not after:
    // at national scale a delta's computation is the publisher's peak of memory (issue 15)
    this.retire(target.ref.sequence);
    const plan = await this.choose(receiverId, target, hello);
    this.lastPlan.set(receiverId, { manifestSha256: target.ref.manifestSha256, encoding: plan.encoding });
    return plan;
  }

  private async choose(receiverId: string, target: PreparedCut, hello: { live: CutRefInfo | null; acceptedEncodings: string[] }): Promise<OfferPlan> {
    const accepts = (e: string) => hello.acceptedEncodings.includes(e);
    const full = async (): Promise<OfferPlan> => ({
      signed: target.signed,
      cut: target.ref,
      encoding: ENCODING_FULL,
      base: null,
      transferId: transferIdFor(target.ref, ENCODING_FULL, null),
      payload: await this.repo.payload(target),
    });
    if (this.fellBack(receiverId, target.ref.manifestSha256)) return full();
    const live = hello.live;
    const held = live && live.sequence < target.ref.sequence ? this.repo.get(live.sequence) : undefined;
    const base = held && held.ref.manifestSha256 === live!.manifestSha256 ? held : undefined;
    for (const encoder of this.encoders) {
      if (!accepts(encoder.encoding)) continue;
      if (encoder.kind === "delta") {
        if (base) return this.planFor(target, base.ref, await this.stream(target, base, encoder.encoding));
        continue;
      }
      const stream = await this.stream(target, null, encoder.encoding);
      if (stream.size < target.summary.totalSize) return this.planFor(target, null, stream);
    }
    return full();
  }

  private async planFor(target: PreparedCut, base: CutRefInfo | null, stream: CachedStream): Promise<OfferPlan> {
    return {
      signed: target.signed,
      cut: target.ref,
      encoding: stream.encoding,
      base,
      transferId: transferIdFor(target.ref, stream.encoding, base),
      payload: await this.source(stream, target.ref.sequence),
    };
  }

  /** The cached stream for (target, base) in a registered encoding, computed on first use. */
  stream(target: PreparedCut, base: PreparedCut | null, encoding: string): Promise<CachedStream> {
    const encoder = this.encoders.find((e) => e.encoding === encoding);
    if (!encoder)
      return Promise.reject(
        new PrepcastError("INTERNAL", `no payload encoder registered for "${encoding}"`, { hint: `registered: ${this.encodings().join(", ")}` }),
      );
    return this.cache.get(
      { targetId: target.id, targetSha256: target.ref.manifestSha256, baseId: base?.id ?? null, baseSha256: base?.ref.manifestSha256 ?? null, encoding },
      async (outFile) => {
        const t = await payloadFileContent(target.ref.manifestSha256, target.manifest.files, target.payloadPath);
        const b = base ? await payloadFileContent(base.ref.manifestSha256, base.manifest.files, base.payloadPath) : null;
        try {
          const stats = await encoder.encode(t, b, outFile);
          this.opts.log?.info(
            { sequence: target.ref.sequence, base: base?.ref.sequence ?? null, encoding, bytes: stats.size, ...pick(stats, ["files", "unchanged", "cpuMs"]) },
            "payload stream computed",
          );
          return stats;
        } finally {
          await t.close();
          await b?.close();
        }
      },
    );
  }

  private source(stream: CachedStream, sequence: number): Promise<SharedPayloadSource> {
    let entry = this.sources.get(stream.file);
    if (!entry) {
      const source = FilePayloadSource.open(stream.file, Buffer.from(stream.sha256, "hex")).then((f) => new SharedPayloadSource(f));
      source.catch(() => this.sources.delete(stream.file));
      this.sources.set(stream.file, (entry = { sequence, source }));
    }
    return entry.source;
  }

  /** A newer cut is being offered: older streams lose their cached chunks, much older ones close. */
  private retire(latest: number): void {
    for (const [file, e] of this.sources) {
      if (e.sequence >= latest) continue;
      if (e.sequence < latest - 1) {
        this.sources.delete(file);
        void e.source.then((s) => s.close()).catch(() => undefined);
      } else {
        void e.source.then((s) => s.forget()).catch(() => undefined);
      }
    }
  }

  /** The publisher pruned these cuts: their cached streams (as target or base) go, readers closed. */
  async forgetCuts(cuts: readonly PreparedCut[]): Promise<string[]> {
    const removed = await this.cache.removeFor(cuts.map((c) => c.id));
    for (const file of removed) {
      const e = this.sources.get(file);
      this.sources.delete(file);
      await e?.source.then((s) => s.close()).catch(() => undefined);
    }
    return removed;
  }

  /** Closes the shared stream readers. */
  async close(): Promise<void> {
    const all = [...this.sources.values()];
    this.sources.clear();
    await Promise.all(all.map((e) => e.source.then((s) => s.close()).catch(() => undefined)));
  }
}
