// The signing keyset a running service uses, reloaded from its keys directory before each cut it
// signs: a keyset from `prep-publisher keys rotate` / `revoke` / `renew` copied in is used from the
// next cut on, without a restart (docs/operations/keys.md). Files that do not load together (half
// copied, a keyset that does not list signing.key, a lower version) leave the keyset in use
// unchanged; the problem is logged, audited once (keyset_reload_failed) and shown in status until
// the files are fixed.
import * as path from "node:path";
import {
  PrepcastError,
  keysetExpiry,
  loadPublisherSigningMaterial,
  parseKeyset,
  parseRoot,
  rootSigPathFor,
  verifyRootUpdate,
  verifySelfSignedRoot,
  toPrepcastError,
  PUBLISHER_KEY_FILES,
  type AuditLog,
  type Keyset,
  type PublisherAuditEvent,
  type PublisherSigningMaterial,
} from "@prepcast/protocol";
import type { Logger } from "@prepcast/runtime";
import type { StatusReport } from "./status-report";

/** The keyset in bytes the service produced or loaded itself (already verified). */
export function keysetOf(bytes: Buffer): Keyset {
  return parseKeyset(bytes, "keyset in use");
}

export interface KeysetReloaderDeps {
  keysDir: string;
  warnDays: number;
  audit: Pick<AuditLog<PublisherAuditEvent>, "append">;
  log: Logger;
  now: () => number;
  /** where the material in use lives (the cut repository signs with it) */
  material: { readonly signingMaterial: PublisherSigningMaterial; useSigningMaterial(m: PublisherSigningMaterial): void };
}

export class KeysetReloader {
  /** The problem of the last reload, while the directory's files do not load. */
  private problem: { code: string; message: string; at: string } | null = null;

  /** The material in use, parsed once (status is asked for several times a second during a push). */
  private parsed: { material: PublisherSigningMaterial; keyset: Keyset; root: StatusReport["keyset"]["root"] } | null = null;

  constructor(private readonly deps: KeysetReloaderDeps) {}

  /** The keyset the next cut is signed with, its expiry warning (config keysetWarnDays), and a keys directory that failed to reload. */
  status(): StatusReport["keyset"] {
    const m = this.deps.material.signingMaterial;
    if (this.parsed?.material !== m) this.parsed = { material: m, keyset: keysetOf(m.keyset), root: rootSummary(m) };
    const keyset = this.parsed.keyset;
    return {
      ...keysetExpiry(keyset, new Date(this.deps.now()), this.deps.warnDays),
      keys: keyset.keys.map((k) => k.keyid),
      signingKeyId: m.signingKey.keyid,
      root: this.parsed.root,
      reloadProblem: this.problem,
    };
  }

  /** Reads the keys directory again; switches to a newer keyset, or keeps the one in use and says why. */
  reload(): void {
    const { keysDir, audit, log } = this.deps;
    const keysetFile = path.join(keysDir, PUBLISHER_KEY_FILES.keyset);
    const current = this.deps.material.signingMaterial;
    let next: PublisherSigningMaterial;
    let keyset: Keyset;
    try {
      next = loadPublisherSigningMaterial(keysDir, new Date(this.deps.now()));
      keyset = parseKeyset(next.keyset, keysetFile);
      const inUse = keysetOf(current.keyset);
      if (keyset.version < inUse.version) {
        throw new PrepcastError("KEYSET_ROLLBACK", `${keysetFile} is keyset version ${keyset.version}, lower than version ${inUse.version} in use`, {
          where: keysetFile,
          hint: "copy the newest keyset.json and keyset.sig (and the signing.key they list) from the offline machine",
        });
      }
      checkRootChain(current, next, path.join(keysDir, PUBLISHER_KEY_FILES.rootJson));
    } catch (e) {
      const err = toPrepcastError(e, keysDir);
      if (this.problem?.message !== err.message) {
        audit.append("keyset_reload_failed", {
          code: err.code,
          message: err.message.slice(0, 2000),
          where: err.where ?? null,
          keysetVersion: keysetOf(current.keyset).version,
        });
        log.error({ code: err.code, err: err.message }, "the keys directory does not load: signing with the keyset in use");
      }
      this.problem = { code: err.code, message: err.message, at: new Date(this.deps.now()).toISOString() };
      return;
    }
    this.problem = null;
    if (next.keyset.equals(current.keyset) && next.keysetSig.equals(current.keysetSig) && next.signingKey.keyid === current.signingKey.keyid) return;
    this.recordChange(keysetOf(current.keyset), keyset, next);
    this.deps.material.useSigningMaterial(next);
  }

  /** Audits a keyset change (also at start-up, against the keyset the latest cut carries). */
  recordChange(from: Keyset, to: Keyset, material: PublisherSigningMaterial): void {
    const removed = from.keys.filter((k) => !to.keys.some((n) => n.keyid === k.keyid)).map((k) => k.keyid);
    const added = to.keys.filter((k) => !from.keys.some((o) => o.keyid === k.keyid)).map((k) => k.keyid);
    this.deps.audit.append("keyset_changed", {
      from: from.version,
      to: to.version,
      expires: to.expires,
      keys: to.keys.map((k) => k.keyid),
      added,
      removed,
      signingKeyId: material.signingKey.keyid,
    });
    this.deps.log.warn({ from: from.version, to: to.version, added, removed, signingKeyId: material.signingKey.keyid }, "signing with a new keyset");
  }
}

/** The root the keyset is signed under: the root set's root.json when the keys directory has one, else root.pub (version 1, one key). */
function rootSummary(m: PublisherSigningMaterial): StatusReport["keyset"]["root"] {
  if (!m.root) return { version: 1, threshold: 1, keyIds: null };
  const doc = parseRoot(m.root, PUBLISHER_KEY_FILES.rootJson);
  return { version: doc.version, threshold: doc.threshold, keyIds: doc.keys.map((k) => k.keyid) };
}

/**
 * A root set's root.json replaced in the keys directory must be the next link of the chain
 * receivers follow: a higher version signed by the threshold of the version in use and its own
 * (ROOT_UNTRUSTED otherwise), never a lower one (ROOT_ROLLBACK), never other bytes under the same
 * version. Sending a root receivers refuse would stop every delivery; keeping the one in use
 * does not.
 */
function checkRootChain(current: PublisherSigningMaterial, next: PublisherSigningMaterial, rootFile: string): void {
  if (!current.root || !current.rootSig || !next.root || !next.rootSig) return;
  if (current.root.equals(next.root)) return;
  const inUse = verifySelfSignedRoot(current.root, current.rootSig, "root.json in use", "root.sig in use");
  if (parseRoot(next.root, rootFile).version === inUse.version) {
    throw new PrepcastError("ROOT_INVALID", `${rootFile} differs from root version ${inUse.version} in use but has the same version`, {
      where: rootFile,
      hint: "a new root is made with prep-publisher keys root-rotate (version + 1, signed by both thresholds); copy that root.json and root.sig",
    });
  }
  verifyRootUpdate(inUse, next.root, next.rootSig, { where: rootFile, sigWhere: rootSigPathFor(rootFile) });
}
