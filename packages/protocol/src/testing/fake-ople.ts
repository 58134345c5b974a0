// The OPLE's side of PREPcast for tests: an offline root key, a signing key it can rotate, the
// publisher identity, signed keysets and signed cuts made of in-memory files. Test-only: shipped
// as @prepcast/protocol/testing so every package's tests fake the OPLE the same way.
import { sha256Hex } from "../hash";
import { generateKeyPair, keyPairFromSeed, type Ed25519KeyPair } from "../trust/ed25519";
import { keyIdOf } from "../trust/keys";
import { createKeyset } from "../trust/keyset";
import { createManifestDocument, type Channel, type CreateManifestInput, type Manifest } from "../trust/manifest";
import { encodeSigFile, signDocument } from "../trust/signing";
import type { SignedCut } from "../trust/trust";

export type Instant = Date | string;

export interface SignedKeyset {
  keyset: Buffer;
  keysetSig: Buffer;
}

export interface KeysetTerms {
  /** default 1 */
  version?: number;
  /** omitted: createKeyset's default (the time of signing) */
  createdAt?: Instant;
  /** default: 30 days after the keyset is first signed */
  expires?: Instant;
}

/** The manifest fields a test may set; sequence and files come from `cut()`. `corte` may be a Date (written to the second, in UTC). */
export type ManifestTerms = Partial<Omit<CreateManifestInput, "sequence" | "files" | "corte">> & { corte?: Instant };

export interface CutOptions extends ManifestTerms {
  /** sign the manifest with this key instead of the current signing key */
  signWith?: Ed25519KeyPair;
  /** ship this keyset instead of the OPLE's current one */
  keyset?: SignedKeyset;
}

export interface FakeOpleOptions {
  root?: Ed25519KeyPair;
  signing?: Ed25519KeyPair;
  identity?: Ed25519KeyPair;
  /** the terms of the keyset the OPLE publishes (listing its current signing key) */
  keyset?: KeysetTerms;
  /** manifest fields every cut gets unless its options say otherwise; a function is called per cut */
  cutDefaults?: ManifestTerms | ((sequence: number) => ManifestTerms);
}

/** What a cut reference carries on the wire (session's CutRefInfo). */
export interface FakeCutRef {
  process: string;
  channel: string;
  sequence: number;
  manifestSha256: string;
}

export interface FakeCut {
  /** path → bytes, as given */
  files: Record<string, Buffer>;
  manifestBytes: Buffer;
  manifestSig: Buffer;
  manifest: Manifest;
  manifestSha256: string;
  /** keyset, keyset signature, manifest and manifest signature: what a receiver verifies */
  signed: SignedCut;
  ref: FakeCutRef;
  /** the full payload: the files concatenated in manifest order */
  payload: Buffer;
}

export const DEFAULT_CORTE = "2024-06-02T20:15:00-06:00";
const DAY_MS = 86_400_000;

/** Seconds-precision UTC, the form manifests carry. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A key pair from a 32-byte seed given in hex. */
export function keyPairFromHex(seedHex: string): Ed25519KeyPair {
  return keyPairFromSeed(Buffer.from(seedHex, "hex"));
}

/** Signs a keyset listing `signers` with `root`. */
export function signKeyset(root: Ed25519KeyPair, signers: Ed25519KeyPair[], terms: KeysetTerms = {}): SignedKeyset {
  const keyset = createKeyset({
    version: terms.version ?? 1,
    expires: terms.expires ?? new Date(Date.now() + 30 * DAY_MS),
    signingPublicKeys: signers.map((s) => s.publicKey),
    ...(terms.createdAt !== undefined ? { createdAt: terms.createdAt } : {}),
  });
  return { keyset, keysetSig: encodeSigFile(signDocument("keyset", keyset, root.secretKey, keyIdOf(root.publicKey))) };
}

/** Signs `files` as cut `sequence` of `terms.process` (default VER-2024) on `terms.channel` (default produccion). */
export function signCut(
  signer: Ed25519KeyPair,
  keyset: SignedKeyset,
  sequence: number,
  files: Record<string, string | Buffer>,
  terms: ManifestTerms = {},
): FakeCut {
  const bufs: Record<string, Buffer> = {};
  for (const [p, v] of Object.entries(files)) bufs[p] = Buffer.isBuffer(v) ? v : Buffer.from(v);
  const { corte, ...rest } = terms;
  const input: CreateManifestInput = {
    process: "VER-2024",
    channel: "produccion" as Channel,
    ...rest,
    sequence,
    corte: corte === undefined ? DEFAULT_CORTE : typeof corte === "string" ? corte : isoSeconds(corte),
    files: Object.entries(bufs).map(([p, b]) => ({ path: p, size: b.length, sha256: sha256Hex(b) })),
  };
  const { bytes: manifestBytes, manifest } = createManifestDocument(input);
  const manifestSig = encodeSigFile(signDocument("manifest", manifestBytes, signer.secretKey, keyIdOf(signer.publicKey)));
  const manifestSha256 = sha256Hex(manifestBytes);
  return {
    files: bufs,
    manifestBytes,
    manifestSig,
    manifest,
    manifestSha256,
    signed: { keyset: keyset.keyset, keysetSig: keyset.keysetSig, manifest: manifestBytes, manifestSig },
    ref: { process: manifest.process, channel: manifest.channel, sequence, manifestSha256 },
    payload: Buffer.concat(manifest.files.map((f) => bufs[f.path]!)),
  };
}

/**
 * An OPLE: root, signing and identity keys (random, or from seeds), the keyset it publishes (its
 * terms, listing the current signing key; signed again when `signing` changes) and signed cuts.
 */
export class FakeOple {
  readonly root: Ed25519KeyPair;
  readonly identity: Ed25519KeyPair;
  /** the key cuts are signed with; assign to rotate (the published keyset follows) */
  signing: Ed25519KeyPair;
  private readonly keysetTerms: KeysetTerms;
  private readonly cutDefaults: FakeOpleOptions["cutDefaults"];
  private published: { signing: Ed25519KeyPair; keyset: SignedKeyset } | undefined;

  constructor(options: FakeOpleOptions = {}) {
    this.root = options.root ?? generateKeyPair();
    this.signing = options.signing ?? generateKeyPair();
    this.identity = options.identity ?? generateKeyPair();
    this.keysetTerms = options.keyset ?? {};
    this.cutDefaults = options.cutDefaults;
  }

  /** An OPLE whose keys come from hex seeds (reproducible signatures). */
  static fromSeeds(
    seeds: { root: string; signing: string; identity?: string },
    options: Omit<FakeOpleOptions, "root" | "signing" | "identity"> = {},
  ): FakeOple {
    return new FakeOple({
      ...options,
      root: keyPairFromHex(seeds.root),
      signing: keyPairFromHex(seeds.signing),
      ...(seeds.identity ? { identity: keyPairFromHex(seeds.identity) } : {}),
    });
  }

  /** The keyset the OPLE publishes now (signed once per signing key). */
  get publishedKeyset(): SignedKeyset {
    if (this.published?.signing !== this.signing) this.published = { signing: this.signing, keyset: signKeyset(this.root, [this.signing], this.keysetTerms) };
    return this.published.keyset;
  }
  get keyset(): Buffer {
    return this.publishedKeyset.keyset;
  }
  get keysetSig(): Buffer {
    return this.publishedKeyset.keysetSig;
  }

  /** Another keyset signed by this OPLE's root (or `root`): a rotation, a rollback, a forgery. */
  signKeyset(version: number, signers: Ed25519KeyPair[] = [this.signing], terms: Omit<KeysetTerms, "version"> & { root?: Ed25519KeyPair } = {}): SignedKeyset {
    const { root, ...rest } = terms;
    return signKeyset(root ?? this.root, signers, { ...rest, version });
  }

  /** Cut `sequence` of `files`, signed with the current signing key and shipped with the published keyset. */
  cut(sequence: number, files: Record<string, string | Buffer>, options: CutOptions = {}): FakeCut {
    const { signWith, keyset, ...terms } = options;
    const defaults = typeof this.cutDefaults === "function" ? this.cutDefaults(sequence) : this.cutDefaults;
    const given = Object.fromEntries(Object.entries(terms).filter(([, v]) => v !== undefined)) as ManifestTerms;
    return signCut(signWith ?? this.signing, keyset ?? this.publishedKeyset, sequence, files, { ...defaults, ...given });
  }
}

/** Manifest times that never read the clock: created 20:00 on election night (UTC-6), cut n at 20:n, expiring at the end of 2024. */
export function fixedClockTerms(sequence: number): ManifestTerms {
  return {
    createdAt: "2024-06-02T20:00:00-06:00",
    expires: "2024-12-31T00:00:00-06:00",
    corte: `2024-06-02T20:${String(sequence % 60).padStart(2, "0")}:00-06:00`,
  };
}
