import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { applyFullPayload, isEmbargoed, toPrepcastError, type CutRecord, type CutStore, type Staging, type VerifiedCut } from "@prepcast/protocol";
import { prepareCompressedVariants } from "@prepcast/site";
import { ENCODING_FULL, type CutRefInfo, type InstallRequest, type InstallResult, type ReceiverBackend } from "@prepcast/session";
import type { DoctorSummaryInfo } from "@prepcast/session";
import { readDoctorSummary } from "../doctor/summary";

/** Rebuilds a cut's files from a payload into `<stagingDir>/site`; each file verified against the manifest. */
export type PayloadApplier = (req: InstallRequest, stagingDir: string, store: CutStore) => Promise<void>;

export const applyFull: PayloadApplier = async (req, stagingDir) => {
  await applyFullPayload(stagingDir, req.verified.manifest, fs.createReadStream(req.payloadPath, { highWaterMark: 1 << 20 }));
};

export interface ActivationEvent {
  record: CutRecord;
  verified: VerifiedCut | null;
  activatedAt: Date;
  receivedAt: Date | null;
  late: boolean;
  /** switched on by the embargo timer (not as the last step of an install) */
  fromTimer: boolean;
}

const refOf = (r: CutRecord | null | undefined): CutRefInfo | null =>
  r ? { process: r.process, channel: r.channel, sequence: r.sequence, manifestSha256: r.manifestSha256 } : null;

/**
 * The receiver session's view of the cut store: stage, verify, commit, then switch `current` now
 * or at the cut's notBefore (a timer on the receiver's own clock, re-armed after a restart).
 * Emits "activated" for each switch.
 */
export class StoreBackend extends EventEmitter implements ReceiverBackend {
  private timer: NodeJS.Timeout | null = null;
  private readonly receivedAt = new Map<string, Date>();
  private readonly verifiedById = new Map<string, VerifiedCut>();
  private lastActivation: { id: string; at: Date } | null = null;
  private serial: Promise<unknown> = Promise.resolve();
  /** compressed variants being prepared for embargoed cuts (awaited by stop) */
  private readonly variantWork = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    readonly store: CutStore,
    private readonly opts: { clock?: () => Date; appliers?: Record<string, PayloadApplier>; freeDisk?: () => Promise<number> } = {},
  ) {
    super();
    this.armPending();
  }

  private now(): Date {
    return this.opts.clock ? this.opts.clock() : new Date();
  }

  snapshot() {
    const s = this.store.snapshot();
    const live = s.live ? this.store.record(s.live) : null;
    const pending = s.pending ? this.store.record(s.pending) : null;
    return {
      live: refOf(live),
      staged: refOf(pending),
      trust: s.trust,
      liveReceivedAt: live ? (this.receivedAt.get(live.id) ?? new Date(live.committedAt)) : null,
      liveActivatedAt: live && this.lastActivation?.id === live.id ? this.lastActivation.at : null,
    };
  }

  async freeDiskBytes(): Promise<number> {
    if (this.opts.freeDisk) return this.opts.freeDisk();
    const st = await fsp.statfs(this.store.root);
    return Number(st.bavail) * Number(st.bsize);
  }

  doctorSummary(): DoctorSummaryInfo | null {
    return readDoctorSummary(this.store.root);
  }

  encodings(): string[] {
    return [ENCODING_FULL, ...Object.keys(this.opts.appliers ?? {}).filter((e) => e !== ENCODING_FULL)];
  }

  async settled(): Promise<void> {
    await this.serial;
  }

  install(req: InstallRequest): Promise<InstallResult> {
    // one install at a time per store, whatever the number of sessions
    const run = this.serial.then(() => this.installNow(req));
    // Older cuts are removed once the result (and so the receipt) is out: deleting thousands of
    // files is not on the way to "live". The next install still waits for it.
    this.serial = run.then(
      () => this.retainQuietly(),
      () => undefined,
    );
    return run;
  }

  private async installNow(req: InstallRequest): Promise<InstallResult> {
    const applier = req.encoding === ENCODING_FULL ? applyFull : this.opts.appliers?.[req.encoding];
    let staging: Staging | undefined;
    try {
      if (!applier) throw toPrepcastError(new Error(`no applier for encoding ${req.encoding}`));
      staging = await this.store.beginStaging(req.verified);
      await applier(req, staging.dir, this.store);
      const record = await this.store.commit(staging);
      this.receivedAt.set(record.id, req.receivedAt);
      this.verifiedById.set(record.id, req.verified);
      if (isEmbargoed(req.verified.manifest, this.now())) {
        await this.store.markPending(record.id);
        this.armPending();
        // While the embargo runs, prepare the gzip/brotli variants so the cut goes live ready.
        const work: Promise<void> = prepareCompressedVariants({ root: this.store.root, cutDir: this.store.cutDir(record.id) }).then(
          () => undefined,
          (e) => {
            if (!this.stopped) this.emit("warning", e);
          },
        );
        this.variantWork.add(work);
        void work.finally(() => this.variantWork.delete(work));
        return { state: "staged", activatedAt: null };
      }
      const at = await this.activate(record);
      return { state: "active", activatedAt: at };
    } catch (e) {
      const err = toPrepcastError(e, "install");
      await staging?.abort().catch(() => undefined);
      this.store.recordRefusal(err, { sequence: req.verified.manifest.sequence, encoding: req.encoding, source: "push" });
      throw err;
    }
  }

  /**
   * A re-offer of the cut whose install stopped between commit and switch (the switch failed):
   * finish it now, in turn with the installs. null when the store has no such cut.
   */
  complete(cut: CutRefInfo): Promise<InstallResult | null> {
    const run = this.serial.then(async (): Promise<InstallResult | null> => {
      const record = this.store.unsettled();
      if (
        !record ||
        record.sequence !== cut.sequence ||
        record.manifestSha256 !== cut.manifestSha256 ||
        record.process !== cut.process ||
        record.channel !== cut.channel
      )
        return null;
      if ((await this.store.settle(record, "re-offer", this.now())) === "pending") {
        this.armPending();
        return { state: "staged", activatedAt: null };
      }
      return { state: "active", activatedAt: this.announce(record, false) };
    });
    this.serial = run.then(
      () => this.retainQuietly(),
      () => undefined,
    );
    return run;
  }

  private async activate(record: CutRecord, fromTimer = false): Promise<Date> {
    await this.store.activate(record.id);
    return this.announce(record, fromTimer);
  }

  /** Records that `record` just went live and emits "activated". */
  private announce(record: CutRecord, fromTimer: boolean): Date {
    const at = this.now();
    this.lastActivation = { id: record.id, at };
    const late =
      at.getTime() - Date.parse(record.notBefore) > 60_000 &&
      this.receivedAt.has(record.id) &&
      this.receivedAt.get(record.id)!.getTime() < Date.parse(record.notBefore);
    this.emit("activated", {
      record,
      verified: this.verifiedById.get(record.id) ?? null,
      activatedAt: at,
      receivedAt: this.receivedAt.get(record.id) ?? null,
      late,
      fromTimer,
    } satisfies ActivationEvent);
    return at;
  }

  /** Applies the retention policy; a failure (e.g. a file held open elsewhere) is a warning, retried at the next cut. */
  private async retainQuietly(): Promise<void> {
    try {
      await this.store.retain();
    } catch (e) {
      this.emit("warning", e);
    }
  }

  /** Arms (or re-arms) the timer that switches the pending cut on at its notBefore. */
  armPending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const pending = this.store.pending();
    if (!pending) return;
    const due = Date.parse(pending.notBefore) - this.now().getTime();
    // long waits are re-checked every minute: a changed clock (NTP step) is followed
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (isEmbargoed(pending, this.now())) return this.armPending();
        const run = this.serial.then(async () => {
          const still = this.store.pending();
          if (still && still.id === pending.id) {
            await this.activate(still, true);
            await this.retainQuietly();
          }
        });
        this.serial = run.catch((e) => this.emit("error", e));
      },
      Math.max(0, Math.min(due, 60_000)),
    );
    this.timer.unref?.();
  }

  /** Stops the embargo timer; resolves once no compressed variant is being written for a staged cut. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.all(this.variantWork);
  }
}
