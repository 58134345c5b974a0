import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ENCODING_DELTA_ZIP,
  ENCODING_DELTA_ZSTD,
  ENCODING_FULL_ZSTD,
  ObjectIndex,
  applyDelta,
  applyZipDelta,
  cutDirContent,
  readDeltaPackage,
  type CutContent,
} from "@prepcast/delta";
import {
  MANIFEST_ENTRY,
  PrepcastError,
  isEmbargoed,
  stateDirLayout,
  type ManifestFile,
  parseManifest,
  sha256Hex,
  toPrepcastError,
  verifySignedCut,
  type CutStore,
  type InstallOptions,
  type InstallResult,
  type Staging,
  type VerifiedCut,
} from "@prepcast/protocol";
import type { InstallRequest } from "@prepcast/session";
import type { PayloadApplier } from "./store-backend";

/**
 * Parsed manifests of cuts this receiver verified, by manifest SHA-256: the cut just installed is
 * the next delta's base, and re-reading and re-validating its manifest (0.8 MB of JSON at
 * veracruz scale, twice: base and object index) cost ~70 ms per install. A hint only: the
 * record's hash still has to match, and every rebuilt file is verified against the new manifest.
 */
class ManifestMemo {
  private readonly byHash = new Map<string, readonly ManifestFile[]>();
  constructor(private readonly limit = 4) {}
  get(sha256: string): readonly ManifestFile[] | undefined {
    return this.byHash.get(sha256);
  }
  set(sha256: string, files: readonly ManifestFile[]): void {
    this.byHash.delete(sha256);
    this.byHash.set(sha256, files);
    while (this.byHash.size > this.limit) this.byHash.delete(this.byHash.keys().next().value!);
  }
}

/** The committed cut a delta was made against, read back from DIR/cuts (its manifest re-hashed). */
function heldBase(req: InstallRequest, store: CutStore, memo: ManifestMemo | null): { content: CutContent; dir: string } {
  const want = req.base;
  if (!want) throw new PrepcastError("PROTOCOL_ERROR", `a ${req.encoding} offer must name its base cut`, { where: "offer" });
  const record = store.snapshot().cuts.find((c) => c.sequence === want.sequence && c.manifestSha256 === want.manifestSha256);
  if (!record) {
    throw new PrepcastError(
      "NOT_FOUND",
      `the delta is against cut ${want.sequence} (${want.manifestSha256.slice(0, 12)}), which this receiver no longer holds`,
      {
        where: "offer",
        hint: "install that cut first (or the full package of this one); over the push channel the publisher falls back to the full payload",
      },
    );
  }
  const dir = store.cutDir(record.id);
  const known = memo?.get(record.manifestSha256);
  if (known) return { content: cutDirContent(record.manifestSha256, known, dir), dir };
  const content = committedCutContent(dir, record.manifestSha256);
  memo?.set(record.manifestSha256, content.files);
  return { content, dir };
}

/** A committed cut's directory as a delta base: its manifest read back and checked against the hash recorded for it. */
export function committedCutContent(dir: string, manifestSha256: string): CutContent {
  const bytes = fs.readFileSync(path.join(dir, ...MANIFEST_ENTRY.split("/")));
  if (sha256Hex(bytes) !== manifestSha256) {
    throw new PrepcastError("STATE_INVALID", `${dir} holds a manifest that is not the one recorded for it`, {
      where: dir,
      hint: "the cut directory was altered; reinstall from a full payload",
    });
  }
  return cutDirContent(manifestSha256, parseManifest(bytes).files, dir);
}

/** The largest delta stream an offline package may carry for this manifest (refused before it is copied out). */
export function maxDeltaStreamBytes(v: VerifiedCut): number {
  return v.manifest.totalSize + 1024 * v.manifest.files.length + (1 << 20);
}

/**
 * Rebuilds a cut from a `delta-zstd@1` or `delta-zip@1` stream (against a cut this receiver
 * holds) or a `full-zstd@1` stream (from nothing). Unchanged files are copied from the base cut's
 * immutable directory (the object store) and, like every rebuilt file, verified against the
 * signed manifest.
 */
function deltaApplier(memo: ManifestMemo | null): PayloadApplier {
  return async (req, stagingDir, store) => {
    let base: { content: CutContent; dir: string } | null = null;
    if (req.encoding === ENCODING_DELTA_ZSTD || req.encoding === ENCODING_DELTA_ZIP) base = heldBase(req, store, memo);
    else if (req.base) throw new PrepcastError("PROTOCOL_ERROR", `a ${req.encoding} offer names a base cut`, { where: "offer" });
    // built on the first unchanged file (a cut where everything changed never needs it)
    let objects: ObjectIndex | null = null;
    await (req.encoding === ENCODING_DELTA_ZIP ? applyZipDelta : applyDelta)({
      streamPath: req.payloadPath,
      target: { manifestSha256: req.verified.manifestSha256, files: req.verified.manifest.files },
      base: base ? base.content : null,
      findObject: (sha) => (objects ??= base ? ObjectIndex.fromCut(base.dir, base.content.files) : ObjectIndex.fromCutDirs([])).find(sha),
      stagingDir,
    });
    // this cut is the next one's base
    memo?.set(req.verified.manifestSha256, req.verified.manifest.files);
  };
}

export const applyDeltaPayload: PayloadApplier = deltaApplier(null);

/** The appliers a receiver registers by default: it then advertises both encodings in its hello. */
export function deltaAppliers(): Record<string, PayloadApplier> {
  const applier = deltaApplier(new ManifestMemo());
  return { [ENCODING_DELTA_ZSTD]: applier, [ENCODING_FULL_ZSTD]: applier };
}

/** `delta-zip@1` (docs/protocol.md §9.4), not registered by default: `appliers: { ...deltaAppliers(), ...zipDeltaAppliers() }` advertises it. */
export function zipDeltaAppliers(): Record<string, PayloadApplier> {
  return { [ENCODING_DELTA_ZIP]: deltaApplier(new ManifestMemo()) };
}

/**
 * `prep-receiver install` of a delta package (`prep-publisher pack --base`): the same trust checks
 * and atomic switch as a full package; the base cut must be one this receiver holds.
 */
export async function installDeltaPackage(store: CutStore, file: string, options: InstallOptions): Promise<InstallResult> {
  const now = options.now ?? new Date();
  const partial = stateDirLayout(store.root).partial;
  fs.mkdirSync(partial, { recursive: true, mode: 0o700 });
  const streamOut = path.join(partial, `offline-${randomBytes(6).toString("hex")}.bin`);
  let staging: Staging | undefined;
  try {
    const { verified, base } = await readDeltaPackage(file, {
      verify: (signed) =>
        verifySignedCut(signed, {
          rootPublicKey: options.rootPublicKey,
          state: store.trustState(),
          now,
          ...(options.accept ? { accept: options.accept } : {}),
        }),
      streamOut,
      maxStreamBytes: maxDeltaStreamBytes,
    });
    staging = await store.beginStaging(verified);
    await applyDeltaPayload({ verified, encoding: ENCODING_DELTA_ZSTD, base: base.base, payloadPath: streamOut, receivedAt: now }, staging.dir, store);
    const record = await store.commit(staging);
    const m = verified.manifest;
    if (isEmbargoed(m, now)) {
      await store.markPending(record.id);
      return { status: "staged", record, files: m.files.length, bytes: m.totalSize, removed: await store.retain() };
    }
    await store.activate(record.id);
    return { status: "activated", record, files: m.files.length, bytes: m.totalSize, removed: await store.retain() };
  } catch (e) {
    const err = toPrepcastError(e, file);
    await staging?.abort().catch(() => undefined);
    try {
      store.recordRefusal(err, { source: options.source ?? file, encoding: ENCODING_DELTA_ZSTD });
    } catch {
      /* the refusal itself matters more than its log line */
    }
    throw err;
  } finally {
    fs.rmSync(streamOut, { force: true });
  }
}
