import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  advanceTrustState, applyFullPayload, createKeyset, createManifest, emptyTrustState, encodeSigFile, generateKeyPair, keyIdOf,
  sha256Hex, signDocument, type Ed25519KeyPair, type SignedCut, type TrustState,
} from "@prepcast/protocol";
import {
  BufferPayloadSource, type CutRefInfo, type InstallRequest, type InstallResult, type ReceiverBackend, type ReceiverSessionOptions, ENCODING_FULL, transferIdFor, type OfferPlan,
} from "../index";

export function tmpDir(prefix = "sess-"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(d); // removed after the test file (jest.environment.js)
  return d;
}

/**
 * What every test receiver shares: receiver "uv", trusting `ople`'s root and the publisher "ople"
 * with key `publisher`, accepting VER-2024 produccion. `extra` adds or overrides the rest.
 */
export function testReceiverOptions(
  o: { ople: TestOple; receiver: Ed25519KeyPair; publisher: { publicKey: Uint8Array }; backend: ReceiverBackend; partialDir: string },
  extra: Partial<ReceiverSessionOptions> = {},
): ReceiverSessionOptions {
  return {
    receiverId: "uv",
    identity: o.receiver,
    publisher: { id: "ople", publicKey: o.publisher.publicKey },
    rootPublicKey: o.ople.root.publicKey,
    accept: { process: "VER-2024", channels: ["produccion"] },
    backend: o.backend,
    partialDir: o.partialDir,
    agentVersion: "test",
    ...extra,
  };
}

/** An OPLE's signing material and a way to sign cuts made of in-memory files. */
export class TestOple {
  readonly root = generateKeyPair();
  readonly signing = generateKeyPair();
  readonly keyset: Buffer;
  readonly keysetSig: Buffer;
  constructor(opts: { keysetVersion?: number } = {}) {
    this.keyset = createKeyset({ version: opts.keysetVersion ?? 1, expires: new Date(Date.now() + 30 * 86400_000), signingPublicKeys: [this.signing.publicKey] });
    this.keysetSig = encodeSigFile(signDocument("keyset", this.keyset, this.root.secretKey, keyIdOf(this.root.publicKey)));
  }

  cut(sequence: number, files: Record<string, string | Buffer>, opts: { notBefore?: Date; channel?: "produccion" | "simulacro"; corte?: string; retraction?: { reason: string } } = {}): { signed: SignedCut; ref: CutRefInfo; payload: Buffer } {
    const entries = Object.entries(files).map(([p, c]) => [p, Buffer.isBuffer(c) ? c : Buffer.from(c)] as const);
    const manifest = createManifest({
      process: "VER-2024",
      channel: opts.channel ?? "produccion",
      sequence,
      corte: opts.corte ?? "2024-06-02T20:15:00-06:00",
      ...(opts.retraction ? { retraction: opts.retraction } : {}),
      notBefore: opts.notBefore ?? new Date(Date.now() - 3600_000),
      files: entries.map(([p, b]) => ({ path: p, size: b.length, sha256: sha256Hex(b) })),
    } as Parameters<typeof createManifest>[0]);
    const manifestSig = encodeSigFile(signDocument("manifest", manifest, this.signing.secretKey, keyIdOf(this.signing.publicKey)));
    const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
    return {
      signed: { keyset: this.keyset, keysetSig: this.keysetSig, manifest, manifestSig },
      ref: { process: "VER-2024", channel: opts.channel ?? "produccion", sequence, manifestSha256: sha256Hex(manifest) },
      payload: Buffer.concat(sorted.map(([, b]) => b)),
    };
  }

  plan(cut: { signed: SignedCut; ref: CutRefInfo; payload: Buffer }, chunkSize = 1024): OfferPlan {
    return { signed: cut.signed, cut: cut.ref, encoding: ENCODING_FULL, base: null, transferId: transferIdFor(cut.ref, ENCODING_FULL, null), payload: new BufferPayloadSource(cut.payload), chunkSize };
  }
}

/** A receiver backend on real files: applies the full payload into a directory per cut. */
export class DirBackend implements ReceiverBackend {
  trust: TrustState = emptyTrustState();
  live: CutRefInfo | null = null;
  installs: string[] = [];
  constructor(readonly dir: string) {}
  snapshot() {
    return { live: this.live, staged: null, trust: this.trust };
  }
  async freeDiskBytes(): Promise<number> {
    return 1 << 30;
  }
  async install(req: InstallRequest): Promise<InstallResult> {
    const target = path.join(this.dir, String(req.verified.manifest.sequence));
    fs.mkdirSync(target, { recursive: true });
    await applyFullPayload(target, req.verified.manifest, fs.createReadStream(req.payloadPath));
    this.trust = advanceTrustState(this.trust, req.verified);
    const m = req.verified.manifest;
    this.live = { process: m.process, channel: m.channel, sequence: m.sequence, manifestSha256: req.verified.manifestSha256 };
    this.installs.push(target);
    return { state: "active", activatedAt: new Date() };
  }
}
