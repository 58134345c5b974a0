// `prep-receiver verify` of an offline delta package (`prep-publisher pack --base`, the contingency
// path): the same checks as `install`, in the same order, without touching the receiver. The signed
// documents, then base.json and the stream's size and hash; with `--root DIR`, the whole cut is
// rebuilt against the base cut that receiver holds, every file checked against the signed manifest,
// in a temporary directory that is removed afterwards. Without `--root` the files cannot be checked
// (a delta holds only what changed): the result says so.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ObjectIndex, applyDelta, readDeltaPackage, type DeltaPackageBase } from "@prepcast/delta";
import { committedCutContent, maxDeltaStreamBytes } from "./delta-applier";
import {
  PrepcastError,
  inspectStore,
  stateDirLayout,
  verifySignedCut,
  type Channel,
  type RootOfTrust,
  type TrustState,
  type VerifiedCut,
} from "@prepcast/protocol";

export interface VerifyDeltaOptions {
  rootPublicKey: RootOfTrust;
  accept?: { process?: string; channels?: Channel[] };
  /** a receiver's state directory (read only): its trust state, and the base cut to rebuild against */
  root?: string;
  now?: Date;
}

export interface VerifiedDeltaPackage {
  verified: VerifiedCut;
  base: DeltaPackageBase;
  /** the rebuilt cut's files and bytes, every one checked; null without a base to rebuild against */
  contents: { files: number; bytes: number } | null;
}

export async function verifyDeltaPackage(file: string, opts: VerifyDeltaOptions): Promise<VerifiedDeltaPackage> {
  const now = opts.now ?? new Date();
  const view = opts.root !== undefined ? inspectStore(opts.root, "--root") : null;
  const state: TrustState | undefined = view?.state.trust;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-verify-"));
  try {
    const streamOut = path.join(work, "delta.bin");
    const { verified, base } = await readDeltaPackage(file, {
      verify: (signed) =>
        verifySignedCut(signed, {
          rootPublicKey: opts.rootPublicKey,
          now,
          ...(opts.accept ? { accept: opts.accept } : {}),
          ...(state ? { state, allowSameSequence: true } : {}),
        }),
      streamOut,
      maxStreamBytes: maxDeltaStreamBytes,
    });
    if (!view) return { verified, base, contents: null };
    const want = base.base;
    const record = view.state.cuts.find((c) => c.sequence === want.sequence && c.manifestSha256 === want.manifestSha256);
    if (!record) {
      throw new PrepcastError(
        "NOT_FOUND",
        `${file} is a delta against cut ${want.sequence} (${want.manifestSha256.slice(0, 12)}), which ${view.root} does not hold`,
        {
          where: file,
          hint: "verify it on the receiver that holds that cut, or ask the OPLE for the full .prep of this cut",
        },
      );
    }
    const dir = path.join(stateDirLayout(view.root).cuts, record.id);
    const baseContent = committedCutContent(dir, record.manifestSha256);
    let objects: ObjectIndex | null = null;
    const r = await applyDelta({
      streamPath: streamOut,
      target: { manifestSha256: verified.manifestSha256, files: verified.manifest.files },
      base: baseContent,
      findObject: (sha) => (objects ??= ObjectIndex.fromCut(dir, baseContent.files)).find(sha),
      stagingDir: work,
    });
    return { verified, base, contents: { files: r.files, bytes: r.bytes } };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
