import { PrepcastError } from "../errors";
import { sha256Hex } from "../hash";
import { keysetPublicKey, verifyKeyset, type Keyset } from "./keyset";
import { parseManifest, type Channel, type Manifest } from "./manifest";
import { parseSigFile, verifyDocument } from "./signing";
import type { RootOfTrust, TrustRoot } from "./root";
import { effectiveRoot, pinnedRootRecord, verifyRootUpdate, type PinnedRootRecord } from "./root-update";
import { parseIsoWithOffset } from "../time";

/** What a receiver has already accepted; persisted by the receiver (state.json) between runs. */
export interface TrustState {
  /** highest keyset version accepted so far */
  keysetVersion: number;
  /**
   * per "<process>/<channel>": the last installed sequence, its manifest hash and its corte
   * (corte is absent in state written before the cut order was checked: then it is not checked)
   */
  cuts: Record<string, { sequence: number; manifestSha256: string; corte?: string }>;
  /** the root a cut brought (root rotation), when its version is above the configured root's; pinned from then on */
  root?: PinnedRootRecord;
}

export function emptyTrustState(): TrustState {
  return { keysetVersion: 0, cuts: {} };
}

/** The four signed files of a cut, exact bytes as received, and the root document when the publisher sends one. */
export interface SignedCut {
  keyset: Buffer;
  keysetSig: Buffer;
  manifest: Buffer;
  manifestSig: Buffer;
  /** root.json and root.sig (prepcast/root@1) of a root set: a receiver pinning a lower version upgrades to it */
  root?: Buffer;
  rootSig?: Buffer;
}

export interface VerifiedCut {
  keyset: Keyset;
  manifest: Manifest;
  /** hex SHA-256 of the exact manifest bytes: the cut's identity */
  manifestSha256: string;
  signed: SignedCut;
  /** the root the keyset was checked against */
  root: TrustRoot;
  /** set when the cut brought a higher root version that both thresholds signed */
  rootUpgrade?: { from: number; to: number; threshold: number; keys: string[] };
}

export interface VerifySignedCutOptions {
  /** the pinned root: a root.pub's 32 bytes (implicit 1-of-1 root) or a root set (root.json) */
  rootPublicKey: RootOfTrust;
  state?: TrustState;
  now?: Date;
  accept?: { process?: string; channels?: Channel[] };
  /** re-verifying an installed cut (e.g. `verify` of the live tree) is not an error */
  allowSameSequence?: boolean;
}

/** The key a cut is tracked under in TrustState.cuts. */
export function cutStreamKey(manifest: Pick<Manifest, "process" | "channel">): string {
  return `${manifest.process}/${manifest.channel}`;
}

/**
 * The one verification order shared by the offline reader and the push channel, run before any
 * content byte is looked at:
 *   0. root: the configured root, or the higher version kept in state; a root document sent with
 *      the cut replaces it when its version is higher and both thresholds signed it (ROOT_ROLLBACK,
 *      ROOT_UNTRUSTED); it is kept (advanceTrustState) only when the cut is installed
 *   1. keyset: sig file(s), the root's threshold of signatures over exact bytes, parse, expiry, version >= state
 *   2. manifest sig file; its key must be listed by that keyset (KEY_UNKNOWN)
 *   3. manifest signature over its exact bytes, then parse (paths, collisions, totals)
 *   4. manifest expiry, accepted process/channel
 *   5. sequence against state: lower = ROLLBACK, equal with other hash = REPLAY, equal = ALREADY_INSTALLED
 *   6. a higher sequence whose corte is earlier than the last installed cut's = CORTE_ROLLBACK,
 *      unless the manifest is a signed retraction (manifest.retraction)
 * notBefore is not checked here: embargoed cuts are staged early and activated later (isEmbargoed).
 */
export function verifySignedCut(cut: SignedCut, opts: VerifySignedCutOptions): VerifiedCut {
  const state = opts.state ?? emptyTrustState();
  const now = opts.now ?? new Date();
  const pinned = effectiveRoot(opts.rootPublicKey, state.root);
  let root = pinned;
  let rootUpgrade: VerifiedCut["rootUpgrade"];
  if (cut.root !== undefined && cut.root.length > 0) {
    const next = verifyRootUpdate(pinned, cut.root, cut.rootSig ?? Buffer.alloc(0), { now });
    if (next !== null) {
      root = next;
      rootUpgrade = { from: pinned.version, to: next.version, threshold: next.threshold, keys: next.keys.map((k) => k.keyid) };
    }
  }
  const keyset = verifyKeyset(cut.keyset, cut.keysetSig, root, { now, minVersion: state.keysetVersion });

  const sig = parseSigFile(cut.manifestSig, "prepcast/manifest.sig");
  const signingKey = keysetPublicKey(keyset, sig.keyid);
  if (!signingKey) {
    throw new PrepcastError(
      "KEY_UNKNOWN",
      `the manifest is signed by key ${sig.keyid}, which keyset version ${keyset.version} does not list (revoked or foreign key)`,
      {
        where: "prepcast/manifest.sig",
        hint: "the signing key may have been revoked; ask the OPLE for a package signed with a current key",
      },
    );
  }
  verifyDocument("manifest", cut.manifest, sig, signingKey, "prepcast/manifest.json");
  const manifest = parseManifest(cut.manifest);

  const expires = parseIsoWithOffset(manifest.expires, "prepcast/manifest.json#expires");
  if (now.getTime() >= expires.getTime()) {
    throw new PrepcastError("MANIFEST_EXPIRED", `cut ${manifest.process}/${manifest.channel} #${manifest.sequence} expired at ${manifest.expires}`, {
      where: "prepcast/manifest.json#expires",
      hint: "use a newer cut; if the date looks wrong, check this machine's clock",
    });
  }
  if (opts.accept?.process !== undefined && opts.accept.process !== manifest.process) {
    throw new PrepcastError("CHANNEL_MISMATCH", `the cut belongs to process ${manifest.process}, but this receiver accepts only ${opts.accept.process}`, {
      where: "prepcast/manifest.json#process",
      hint: "check the receiver's configured process, or that the package is the one meant for it",
    });
  }
  if (opts.accept?.channels !== undefined && !opts.accept.channels.includes(manifest.channel)) {
    throw new PrepcastError(
      "CHANNEL_MISMATCH",
      `the cut is for channel ${manifest.channel}, but this receiver accepts only ${opts.accept.channels.join(", ") || "no channel"}`,
      {
        where: "prepcast/manifest.json#channel",
        hint: "a simulacro cut must never replace produccion results (and vice versa); check the receiver's channel setting",
      },
    );
  }

  const manifestSha256 = sha256Hex(cut.manifest);
  const seen = state.cuts[cutStreamKey(manifest)];
  if (seen !== undefined) {
    const stream = cutStreamKey(manifest);
    if (manifest.sequence < seen.sequence) {
      throw new PrepcastError("ROLLBACK", `cut ${stream} #${manifest.sequence} is older than the installed #${seen.sequence}`, {
        where: "prepcast/manifest.json#sequence",
        hint: "an older cut can never replace a newer one; install a cut with a higher sequence",
        details: { sequence: manifest.sequence, installed: seen.sequence },
      });
    }
    if (manifest.sequence === seen.sequence) {
      if (manifestSha256 !== seen.manifestSha256) {
        throw new PrepcastError(
          "REPLAY",
          `cut ${stream} #${manifest.sequence} has the same sequence as the installed cut but different content (manifest ${manifestSha256.slice(0, 12)} vs ${seen.manifestSha256.slice(0, 12)})`,
          {
            where: "prepcast/manifest.json#sequence",
            hint: "each sequence number may be signed only once; report this to the OPLE",
            details: { sequence: manifest.sequence, manifestSha256, installedSha256: seen.manifestSha256 },
          },
        );
      }
      if (opts.allowSameSequence !== true) {
        throw new PrepcastError("ALREADY_INSTALLED", `cut ${stream} #${manifest.sequence} is already installed`, {
          where: "prepcast/manifest.json#sequence",
          hint: "nothing to do",
          details: { sequence: manifest.sequence, manifestSha256 },
        });
      }
    }
    if (manifest.sequence > seen.sequence) checkCorteOrder(manifest, { corte: seen.corte, label: `the installed cut #${seen.sequence}` });
  }
  return { keyset, manifest, manifestSha256, signed: cut, root, ...(rootUpgrade !== undefined ? { rootUpgrade } : {}) };
}

/**
 * The cut order: a cut whose corte is earlier than `previousCorte` (the live or last cut of its
 * process and channel) is refused with CORTE_ROLLBACK, unless the OPLE signed it as a retraction.
 * The same rule the receivers apply is applied by the publisher before it signs (`push`, `pack`).
 */
export function checkCorteOrder(
  manifest: Pick<Manifest, "process" | "channel" | "sequence" | "corte" | "retraction">,
  previous: { corte: string | undefined; label: string } | null,
  opts: { where?: string; hint?: string } = {},
): void {
  if (previous === null || previous.corte === undefined || manifest.retraction !== undefined) return;
  const where = opts.where ?? "prepcast/manifest.json#corte";
  const at = parseIsoWithOffset(manifest.corte, where).getTime();
  const before = parseIsoWithOffset(previous.corte, "previous corte").getTime();
  if (at >= before) return;
  throw new PrepcastError(
    "CORTE_ROLLBACK",
    `cut ${cutStreamKey(manifest)} #${manifest.sequence} has corte ${manifest.corte}, earlier than that of ${previous.label} (${previous.corte}): the results would go back in time`,
    {
      where,
      hint: opts.hint ?? "only the OPLE can withdraw a cut, by signing a retraction (prep-publisher push/pack --retract REASON); tell the OPLE",
      details: { sequence: manifest.sequence, corte: manifest.corte, previousCorte: previous.corte },
    },
  );
}

/** True while the cut's notBefore lies in the future: it may be staged but not shown. */
export function isEmbargoed(manifest: Pick<Manifest, "notBefore">, now: Date = new Date()): boolean {
  return now.getTime() < parseIsoWithOffset(manifest.notBefore, "prepcast/manifest.json#notBefore").getTime();
}

/** The state after installing `verified`; pure (the input is not modified). */
export function advanceTrustState(state: TrustState, verified: VerifiedCut): TrustState {
  const key = cutStreamKey(verified.manifest);
  const root = verified.rootUpgrade !== undefined && verified.root.version > (state.root?.version ?? 0) ? pinnedRootRecord(verified.root) : state.root;
  return {
    keysetVersion: Math.max(state.keysetVersion, verified.keyset.version),
    cuts: { ...state.cuts, [key]: { sequence: verified.manifest.sequence, manifestSha256: verified.manifestSha256, corte: verified.manifest.corte } },
    ...(root !== undefined ? { root } : {}),
  };
}
