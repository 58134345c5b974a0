// Root rotation (TUF): root version V > N replaces the pinned version N only when the threshold of
// N AND the threshold of V signed it. The new root travels with a cut (Offer.root/root_sig,
// `prepcast/root.json` + `prepcast/root.sig` in a .prep); the receiver keeps the one it accepted in
// its trust state (state.json, saved with the cut) and pins it from then on.
import { PrepcastError } from "../errors";
import { decodeBase64Strict, encodeBase64 } from "./keys";
import { checkRootExpiry, parseRoot, trustRootOf, verifySelfSignedRoot, verifyThreshold, type RootOfTrust, type TrustRoot } from "./root";

/** The root a receiver accepted through a cut, as kept in its trust state (base64 of the exact bytes). */
export interface PinnedRootRecord {
  version: number;
  root: string;
  rootSig: string;
}

export function pinnedRootRecord(root: TrustRoot): PinnedRootRecord {
  if (root.signed === undefined) throw new PrepcastError("INTERNAL", "an implicit root (root.pub) has no document to keep");
  return { version: root.version, root: encodeBase64(root.signed.root), rootSig: encodeBase64(root.signed.rootSig) };
}

/** True when `v` has the shape of a PinnedRootRecord (state.json is checked with it). */
export function isPinnedRootRecord(v: unknown): v is PinnedRootRecord {
  const r = v as PinnedRootRecord;
  return (
    r !== null &&
    typeof r === "object" &&
    Number.isInteger(r.version) &&
    typeof r.root === "string" &&
    typeof r.rootSig === "string" &&
    decodeBase64Strict(r.root) !== undefined &&
    decodeBase64Strict(r.rootSig) !== undefined
  );
}

/**
 * The root in force: the configured one (root.pub / root.json), or the higher version a cut brought
 * and the trust state kept. The kept document is checked again (its own threshold) before use.
 */
export function effectiveRoot(configured: RootOfTrust, kept: PinnedRootRecord | undefined): TrustRoot {
  const base = trustRootOf(configured);
  if (kept === undefined || kept.version <= base.version) return base;
  return verifySelfSignedRoot(Buffer.from(kept.root, "base64"), Buffer.from(kept.rootSig, "base64"), "state.json#trust.root", "state.json#trust.root.rootSig");
}

export interface RootUpdateOptions {
  now?: Date;
  where?: string;
  sigWhere?: string;
}

/**
 * Checks a root document offered with a cut against the pinned root. Returns the new root when its
 * version is higher and both thresholds signed it; null when it is the pinned version (nothing to
 * do). A lower version is ROOT_ROLLBACK; a higher one without both thresholds is ROOT_UNTRUSTED.
 */
export function verifyRootUpdate(pinned: TrustRoot, rootBytes: Buffer, rootSig: Buffer, opts: RootUpdateOptions = {}): TrustRoot | null {
  const where = opts.where ?? "prepcast/root.json";
  const sigWhere = opts.sigWhere ?? "prepcast/root.sig";
  const doc = parseRoot(rootBytes, where);
  if (doc.version === pinned.version) return null;
  if (doc.version < pinned.version) {
    throw new PrepcastError("ROOT_ROLLBACK", `root version ${doc.version} is lower than version ${pinned.version} already pinned`, {
      where: `${where}#version`,
      hint: "the package or offer was made before the OPLE rotated its root; use one made with the current root",
      details: { version: doc.version, pinned: pinned.version },
    });
  }
  let next: TrustRoot;
  try {
    next = verifySelfSignedRoot(rootBytes, rootSig, where, sigWhere);
  } catch (e) {
    throw untrusted(doc.version, pinned, `its own threshold did not sign it: ${(e as Error).message}`, e);
  }
  try {
    verifyThreshold("root", rootBytes, rootSig, pinned, { where, sigWhere, rootLabel: `the pinned root version ${pinned.version}` });
  } catch (e) {
    throw untrusted(doc.version, pinned, (e as Error).message, e);
  }
  checkRootExpiry(next, opts.now ?? new Date(), where);
  return next;
}

function untrusted(version: number, pinned: TrustRoot, why: string, cause: unknown): PrepcastError {
  return new PrepcastError(
    "ROOT_UNTRUSTED",
    `root version ${version} is not signed by the threshold of the pinned root version ${pinned.version} (${pinned.threshold} of ${pinned.keys.length}) and of itself: ${why}`,
    {
      where: "prepcast/root.sig",
      cause,
      hint: "a new root must be signed by the holders of the current root keys (prep-publisher keys root-rotate); if the OPLE rotated more than once since this receiver last heard from it, pin the OPLE's current root.json by hand after checking its fingerprints",
      ...(cause instanceof PrepcastError && cause.details ? { details: cause.details } : {}),
    },
  );
}
