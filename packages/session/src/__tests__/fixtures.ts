import * as fs from "node:fs";
import * as path from "node:path";
import { advanceTrustState, applyFullPayload, emptyTrustState, type Ed25519KeyPair, type SignedCut, type TrustState } from "@prepcast/protocol";
import { FakeOple, tempDir } from "@prepcast/protocol/testing";
import {
  BufferPayloadSource,
  type CutRefInfo,
  type InstallRequest,
  type InstallResult,
  type ReceiverBackend,
  type ReceiverSessionOptions,
  ENCODING_FULL,
  transferIdFor,
  type OfferPlan,
} from "../index";

export function tmpDir(prefix = "sess-"): string {
  return tempDir(prefix);
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

/** protocol/testing's FakeOple with this package's defaults (a keyset for 30 days, cuts out of embargo an hour ago) and offer plans. */
export class TestOple extends FakeOple {
  constructor(opts: { keysetVersion?: number } = {}) {
    super({
      keyset: { version: opts.keysetVersion ?? 1, expires: new Date(Date.now() + 30 * 86400_000) },
      cutDefaults: () => ({ notBefore: new Date(Date.now() - 3600_000) }),
    });
  }

  plan(cut: { signed: SignedCut; ref: CutRefInfo; payload: Buffer }, chunkSize = 1024): OfferPlan {
    return {
      signed: cut.signed,
      cut: cut.ref,
      encoding: ENCODING_FULL,
      base: null,
      transferId: transferIdFor(cut.ref, ENCODING_FULL, null),
      payload: new BufferPayloadSource(cut.payload),
      chunkSize,
    };
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
