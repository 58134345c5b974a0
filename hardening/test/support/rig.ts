// The attacker's and the OPLE's side of the update channel against a real receiver agent: a
// ReceiverAgent in this process (real gRPC over TLS on 127.0.0.1, real cut store, real site
// server), an OPLE that signs whatever the test needs (good cuts, revoked keys, forged
// payloads), and a publisher that dials the agent exactly as prep-publisher does.
import { waitFor as pollUntil, writeReceiverDir } from "@prepcast/testkit";
import * as fs from "node:fs";
import * as path from "node:path";
import { writePublicKeyFile, type Ed25519KeyPair } from "@prepcast/protocol";
import { FakeOple, tempDir, type FakeCut } from "@prepcast/protocol/testing";
import { BufferPayloadSource, ENCODING_FULL, FrameReader, PublisherSession, signAuth, transferIdFor, type OfferPlan } from "@prepcast/session";
import { grpcTransport, type FrameConnection } from "@prepcast/transport";
import { PROTOCOL_VERSION } from "@prepcast/proto";
import { loadReceiverConfig, ReceiverAgent, type ReceiverAgentOptions } from "@prepcast/receiver";

export const REPO = path.resolve(__dirname, "../../..");

export function tmpDir(prefix: string): string {
  return tempDir(`prepcast-hardening-${prefix}-`);
}

/** The agent class lives in an app, not a package: loaded by path (jest compiles it) and typed here. */
export interface AgentHandle {
  siteUrl: string | null;
  adminAddress: { host: string; port: number } | null;
  pushAddresses(): Array<{ host: string; port: number }>;
  status(): Record<string, any>;
  stop(): Promise<void>;
  /** The agent's store queue: settled() resolves once no install or housekeeping (retention) runs. */
  backend: { settled(): Promise<void> };
}
function load<T>(rel: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(REPO, rel)) as T;
}
/** A silent logger for the agent and the publisher run in the test's process. */
export function quietLog(): NonNullable<ReceiverAgentOptions["log"]> {
  const { createLogger } = load<{ createLogger(o: { name: string; level: string }): NonNullable<ReceiverAgentOptions["log"]> }>("packages/runtime/src/logger");
  return createLogger({ name: "hardening", level: "silent" });
}

/**
 * The OPLE: protocol/testing's FakeOple (an offline root, signing keys it can rotate by assigning
 * `signing`, the publisher identity) with cuts cut now, out of embargo a minute ago and valid for
 * a week, plus offer plans.
 */
export class Ople extends FakeOple {
  constructor() {
    super({
      cutDefaults: () => ({
        corte: new Date(),
        createdAt: new Date(),
        notBefore: new Date(Date.now() - 60_000),
        expires: new Date(Date.now() + 7 * 86400_000),
      }),
    });
  }

  /** The offer of `cut`'s full payload (or of other bytes in its name). */
  plan(cut: TestCut, payload: Buffer = cut.payload, chunkSize = 1024): OfferPlan {
    return {
      signed: cut.signed,
      cut: cut.ref,
      encoding: ENCODING_FULL,
      base: null,
      transferId: transferIdFor(cut.ref, ENCODING_FULL, null),
      payload: new BufferPayloadSource(payload),
      chunkSize,
    };
  }
}

export type TestCut = FakeCut;

/** Site files of a small cut; `tag` makes the content unique, `pad` fixes the size. */
export function siteFiles(tag: string, n = 6, pad = 900): Record<string, string> {
  const out: Record<string, string> = { "index.html": `<h1>${tag.padEnd(12, ".")}</h1>` };
  for (let i = 0; i < n; i++) out[`datos/s${i}.json`] = JSON.stringify({ i, tag: tag.padEnd(12, "."), pad: "x".repeat(pad) });
  return out;
}

export interface AgentRig {
  work: string;
  root: string;
  ople: Ople;
  agent: AgentHandle;
  receiverIdentity: Ed25519KeyPair;
  tlsFingerprint: string;
  pushPort: number;
  configFile: string;
  /** Dials the agent over gRPC with the pinned certificate and authenticates as the OPLE. */
  connect(opts?: { identity?: Ed25519KeyPair; fingerprint?: string }): Promise<PublisherSession>;
  /** Dials and authenticates, then hands over the raw connection (for frames no honest publisher sends). */
  connectRaw(): Promise<{ conn: FrameConnection; reader: FrameReader }>;
  /** The connection alone, before any PREPcast message. */
  dial(fingerprint?: string): Promise<FrameConnection>;
  liveTarget(): string | null;
  /** Resolves once the agent's store is idle (old cuts are removed after the receipt is sent). */
  settled(): Promise<void>;
  auditEvents(): Array<{ event: string; data: any }>;
  restart(opts?: { clock?: () => Date }): Promise<void>;
  close(): Promise<void>;
}

export interface AgentRigOptions {
  clock?: () => Date;
  updatePeriodMinutes?: number;
  stalePeriods?: number;
  site?: boolean;
  allowlist?: string[];
  maxFrameBytes?: number;
  ople?: Ople;
  /** Trust these key files instead of the rig's own OPLE (e.g. a real publisher's keys directory). */
  rootPublicKeyFile?: string;
  publisherIdentityFile?: string;
  /** receiver id (default uv-xalapa) */
  id?: string;
  retain?: number;
}

export async function startAgentRig(opts: AgentRigOptions = {}): Promise<AgentRig> {
  const work = tmpDir("agent");
  const ople = opts.ople ?? new Ople();
  if (opts.rootPublicKeyFile) fs.copyFileSync(opts.rootPublicKeyFile, path.join(work, "root.pub"));
  else writePublicKeyFile(path.join(work, "root.pub"), ople.root.publicKey);
  if (opts.publisherIdentityFile) fs.copyFileSync(opts.publisherIdentityFile, path.join(work, "publisher-identity.pub"));
  else writePublicKeyFile(path.join(work, "publisher-identity.pub"), ople.identity.publicKey);
  const {
    configFile,
    identity: receiverIdentity,
    tlsFingerprint,
  } = await writeReceiverDir(work, {
    id: opts.id ?? "uv-xalapa",
    rootPublicKey: "./root.pub",
    publisherIdentityPublicKey: "./publisher-identity.pub",
    push: { allowlist: opts.allowlist ?? ["127.0.0.1/32"], ...(opts.maxFrameBytes ? { maxFrameBytes: opts.maxFrameBytes } : {}) },
    extra: { retain: opts.retain ?? 3, updatePeriodMinutes: opts.updatePeriodMinutes ?? 15, stalePeriods: opts.stalePeriods ?? 2 },
  });
  const startAgent = (clock?: () => Date) =>
    ReceiverAgent.start({ config: loadReceiverConfig(configFile), log: quietLog(), ...(clock ? { clock } : {}), site: opts.site ?? true });
  let agent = await startAgent(opts.clock);
  const root = path.join(work, "data");
  const open: FrameConnection[] = [];
  const rig: AgentRig = {
    work,
    root,
    ople,
    receiverIdentity,
    tlsFingerprint,
    configFile,
    get agent() {
      return agent;
    },
    get pushPort() {
      return agent.pushAddresses()[0]!.port;
    },
    async dial(fingerprint = tlsFingerprint) {
      const conn = await grpcTransport().connect({ host: "127.0.0.1", port: rig.pushPort, tls: { expectedFingerprint: fingerprint }, connectTimeoutMs: 5000 });
      open.push(conn);
      return conn;
    },
    async connect(o = {}) {
      const conn = await rig.dial(o.fingerprint);
      return PublisherSession.open(conn, {
        publisherId: "ople",
        identity: o.identity ?? ople.identity,
        receiver: { id: opts.id ?? "uv-xalapa", publicKey: receiverIdentity.publicKey },
        timeouts: { handshakeMs: 5000, transferMs: 10_000 },
      });
    },
    async connectRaw() {
      const conn = await rig.dial();
      const reader = new FrameReader(conn);
      const hello = await reader.expect("hello", 5000);
      const nonce = Buffer.alloc(32, 7);
      const params = {
        publisherId: "ople",
        publisherKey: ople.identity.publicKey,
        publisherNonce: nonce,
        receiverId: opts.id ?? "uv-xalapa",
        receiverKey: receiverIdentity.publicKey,
        receiverNonce: hello.nonce!,
      };
      await conn.send({
        publisherAuth: {
          publisherId: "ople",
          identityPublicKey: ople.identity.publicKey,
          nonce,
          signature: signAuth("publisher", params, ople.identity),
          clockUnixMs: Date.now(),
        },
      });
      await reader.expect("receiverAuth", 5000);
      expect(hello.protocolVersion).toBe(PROTOCOL_VERSION);
      return { conn, reader };
    },
    settled() {
      return agent.backend.settled();
    },
    liveTarget() {
      try {
        return fs.readlinkSync(path.join(root, "current"));
      } catch {
        return null;
      }
    },
    auditEvents() {
      return fs
        .readFileSync(path.join(root, "audit.log"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { event: string; data: any });
    },
    async restart(o = {}) {
      await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
      await agent.stop();
      agent = await startAgent(o.clock ?? opts.clock);
    },
    async close() {
      await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
      await agent.stop().catch(() => undefined);
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
  return rig;
}

/** testkit's waitFor with this suite's defaults. */
export function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  return pollUntil(what, fn, timeoutMs, everyMs) as Promise<NonNullable<T>>;
}

export async function wellKnown(rig: AgentRig): Promise<Record<string, any>> {
  const res = await fetch(`${rig.agent.siteUrl}/.well-known/prepcast.json`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as Record<string, any>;
}

export function readLive(rig: AgentRig, file: string): string | null {
  try {
    return fs.readFileSync(path.join(rig.root, "current", "site", file), "utf8");
  } catch {
    return null;
  }
}
