// A publisher that reconnects while the receiver is still installing the cut it just delivered
// (commit done, activation not yet): the offer must wait for the install and then be answered
// with a receipt, not refused as ALREADY_INSTALLED (which left the publisher believing the
// receiver had nothing live, found under load in hardening/test/load.hardening.test.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { advanceTrustState, applyFullPayload, emptyTrustState, generateKeyPair, type TrustState } from "@prepcast/protocol";
import { memoryTransport } from "@prepcast/transport";
import { PublisherSession, ReceiverSession, type CutRefInfo, type InstallRequest, type InstallResult, type ReceiverBackend } from "../index";
import { TestOple, testReceiverOptions, tmpDir } from "./fixtures";

/** Like the agent's store: the trust state advances at commit, the cut goes live a while later. */
class SlowActivationBackend implements ReceiverBackend {
  trust: TrustState = emptyTrustState();
  live: CutRefInfo | null = null;
  private serial: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly dir: string,
    private readonly activationDelayMs: number,
  ) {}
  snapshot() {
    return { live: this.live, staged: null, trust: this.trust };
  }
  async freeDiskBytes(): Promise<number> {
    return 1 << 30;
  }
  async settled(): Promise<void> {
    await this.serial;
  }
  install(req: InstallRequest): Promise<InstallResult> {
    const run = this.serial.then(async (): Promise<InstallResult> => {
      await applyFullPayload(path.join(this.dir, String(req.verified.manifest.sequence)), req.verified.manifest, fs.createReadStream(req.payloadPath));
      this.trust = advanceTrustState(this.trust, req.verified); // committed
      await new Promise((r) => setTimeout(r, this.activationDelayMs));
      const m = req.verified.manifest;
      this.live = { process: m.process, channel: m.channel, sequence: m.sequence, manifestSha256: req.verified.manifestSha256 };
      return { state: "active", activatedAt: new Date() };
    });
    this.serial = run.catch(() => undefined);
    return run;
  }
}

jest.setTimeout(30_000);

test("install race: an offer that arrives between commit and activation waits and gets a receipt, not ALREADY_INSTALLED", async () => {
  const ople = new TestOple();
  const dir = tmpDir("race-");
  const backend = new SlowActivationBackend(path.join(dir, "cuts"), 5000);
  const publisher = generateKeyPair();
  const receiver = generateKeyPair();
  const transport = memoryTransport();
  const server = await transport.listen({ host: "127.0.0.1", port: 0 }, (conn) => {
    void new ReceiverSession(
      conn,
      testReceiverOptions({ ople, receiver, publisher, backend, partialDir: path.join(dir, "partial") }, { timeouts: { transferMs: 8000 } }),
    ).run();
  });
  const open = async (transferMs: number) =>
    PublisherSession.open(await transport.connect({ host: "127.0.0.1", port: server.address.port }), {
      publisherId: "ople",
      identity: publisher,
      receiver: { id: "uv", publicKey: receiver.publicKey },
      timeouts: { handshakeMs: 2000, transferMs },
    });
  try {
    const cut = ople.cut(1, { "index.html": "<h1>1</h1>", "datos/a.json": '{"a":1}'.repeat(300) });
    // the first publisher session gives up before the slow activation ends (its receipt is lost)
    const first = await open(1000);
    const r1 = await first.deliver(ople.plan(cut));
    expect(r1.status).toBe("failed");
    await first.close();
    // it reconnects while the cut is committed but not yet live
    for (let i = 0; i < 500 && !backend.trust.cuts["VER-2024/produccion"]; i++) await new Promise((r) => setTimeout(r, 10));
    expect(backend.trust.cuts["VER-2024/produccion"]?.sequence).toBe(1);
    expect(backend.live).toBeNull();
    expect(backend.live).toBeNull();
    const second = await open(10_000);
    const r2 = await second.deliver(ople.plan(cut));
    expect(r2).toMatchObject({ status: "delivered", bytesSent: 0, receipt: { sequence: 1, state: "active" } });
    await second.close();
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
