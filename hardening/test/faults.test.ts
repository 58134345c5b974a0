// Faults on real processes (the built CLIs via testkit's Cluster) and on a receiver with a wrong
// clock. The long versions (50 kills, network namespaces) are in *.hardening.test.ts.
// Full disk during staging: e2e/test/disk-full.test.ts (tmpfs filled mid-transfer).
import * as fs from "node:fs";
import * as path from "node:path";
import { generateKeyPair, initPublisherKeys, writePublicKeyFile, writeSecretKeyFile } from "@prepcast/protocol";
import { cli, Cluster, generateCut, PUBLISHER_BIN, waitFor } from "@prepcast/testkit";
import { auditEvents, expectExactlyOneSignedCut, liveState, pushInBackground } from "./support/faults";
import { killReceiverLoop } from "./support/kill-loop";
import { PublisherService, loadPublisherConfig } from "@prepcast/publisher";
import { quietLog, siteFiles, startAgentRig, tmpDir, wellKnown } from "./support/rig";

// Measured figures are printed for the long suite (PREPCAST_HARDENING=1) or on request (PREPCAST_TEST_FIGURES=1),
// not in every `npm test`.
const printFigure = (line: string): void => {
  if (process.env.PREPCAST_HARDENING || process.env.PREPCAST_TEST_FIGURES) console.log(line);
};

jest.setTimeout(240_000);

const FAST_KILLS = Number(process.env.PREPCAST_FAST_KILLS ?? 3);

describe("faults", () => {
  test(`kill -9 of a receiver at random points of transfer and activation (${FAST_KILLS} in a row): the live tree is always exactly one signed cut and converges to the latest`, async () => {
    const report = await killReceiverLoop(FAST_KILLS);
    printFigure(`kill -9 loop: ${JSON.stringify(report)}`);
    expect(report).toMatchObject({ kills: FAST_KILLS, converged: FAST_KILLS, mixesFound: 0, emptyAfterLive: 0 });
  });

  test("publisher crash (kill -9) in the middle of a fan-out: on restart it resumes, and no receipt is lost", async () => {
    const cluster = await Cluster.create([
      { id: "r-grpc-1", transport: "grpc" },
      { id: "r-grpc-2", transport: "grpc" },
      { id: "r-ws", transport: "websocket" },
    ]);
    try {
      for (const r of cluster.receivers) await cluster.startReceiver(r);
      await cluster.startPublisher();
      const cutsDir = path.join(cluster.dir, "cuts");
      const cut1 = (await generateCut({ outDir: cutsDir, k: 1, scale: "small" })).dir;
      expect(cluster.push(cut1).json).toMatchObject({ ok: true, delivered: 3 });
      const cut2 = (await generateCut({ outDir: cutsDir, k: 2, scale: "small", actas: true })).dir;
      const push = pushInBackground(cluster, cut2, 60);
      // kill the publisher once a receiver holds part of the payload, before all are done
      await waitFor(
        "a partial payload on some receiver",
        () =>
          cluster.receivers.some((r) => (fs.statSync(path.join(r.dir, "data", "partial", "payload.bin"), { throwIfNoEntry: false })?.size ?? 0) > 600 * 1024),
        60_000,
        5,
      );
      const pid = cluster.publisher!.pid!;
      const exited = new Promise((r) => cluster.publisher!.once("exit", r));
      process.kill(pid, "SIGKILL");
      await exited;
      cluster.publisher = null;
      await push.done; // the push CLI talked to the dead service; its outcome does not matter
      const before = cluster.receivers.map((r) => liveState(r).sequence);
      expect(before.some((s) => s !== 2)).toBe(true); // the fan-out really was interrupted
      for (const r of cluster.receivers)
        await expectExactlyOneSignedCut(
          r,
          new Map([
            [1, cut1],
            [2, cut2],
          ]),
          true,
        );
      await cluster.startPublisher();
      await waitFor("cut 2 live on every receiver", () => cluster.receivers.every((r) => liveState(r).sequence === 2), 90_000, 100);
      for (const r of cluster.receivers)
        await expectExactlyOneSignedCut(
          r,
          new Map([
            [1, cut1],
            [2, cut2],
          ]),
          true,
        );
      // no receipt lost: every receiver's signed receipt for cut 2 is in receipts.jsonl (verified by the CLI)
      const receiptsFor2 = () =>
        cli(PUBLISHER_BIN, ["receipts", "--config", cluster.pubConfig, "--sequence", "2", "--json"]).json as {
          invalid: number;
          receipts: Array<{ receiver: string; state: string; valid: boolean }>;
        };
      await waitFor(
        "an active receipt for cut 2 from every receiver",
        () => {
          const rc = receiptsFor2();
          const who = new Set(rc.receipts.filter((x) => x.valid && x.state === "active").map((x) => x.receiver));
          return cluster.receivers.every((r) => who.has(r.id));
        },
        60_000,
        500,
      );
      expect(receiptsFor2().invalid).toBe(0);
      // and it resumed rather than restarted where a partial payload was left
      const resumed = cluster.receivers
        .filter((r) => auditEvents(r).some((e) => e.event === "transfer_started" && e.data.sequence === 2 && e.data.resumeOffset > 0))
        .map((r) => r.id);
      printFigure(`publisher crash: live before restart ${JSON.stringify(before)}, resumed on ${JSON.stringify(resumed)}`);
      expect(resumed.length).toBeGreaterThanOrEqual(1);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- publisher log ---\n${cluster.publisherLog.slice(-3000)}`);
    } finally {
      await cluster.stop();
      cluster.cleanup();
    }
  });
});

describe("clock skew", () => {
  test("clock skew on a receiver: the publisher reports it (clockSkewMs, warning); an embargo is never released early; staleness is judged on the receiver's own clock", async () => {
    const work = tmpDir("skew");
    const keysDir = path.join(work, "keys");
    initPublisherKeys(keysDir);
    const identity = generateKeyPair();
    writeSecretKeyFile(path.join(keysDir, "identity.key"), identity);
    writePublicKeyFile(path.join(keysDir, "identity.pub"), identity.publicKey);
    const SKEW = 10 * 60_000; // the receiver's clock runs ten minutes ahead
    const clock = () => new Date(Date.now() + SKEW);
    const rig = await startAgentRig({ clock, rootPublicKeyFile: path.join(keysDir, "root.pub"), publisherIdentityFile: path.join(keysDir, "identity.pub") });
    const configFile = path.join(work, "publisher.json");
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        id: "ople",
        process: "VER-2024",
        channel: "produccion",
        keys: keysDir,
        identity: { secretKey: path.join(keysDir, "identity.key") },
        state: path.join(work, "pub-state"),
        admin: { listen: "127.0.0.1:0" },
        updatePeriodMinutes: 15,
        pingSeconds: 5,
        log: { level: "fatal" },
        receivers: [
          {
            id: "uv-xalapa",
            name: "UV",
            address: `127.0.0.1:${rig.pushPort}`,
            tlsFingerprint: rig.tlsFingerprint,
            identityPublicKey: Buffer.from(rig.receiverIdentity.publicKey).toString("base64"),
          },
        ],
      }),
    );
    const svc = await PublisherService.start({ config: loadPublisherConfig(configFile), log: quietLog(), admin: false, watchInbox: false, monitor: false });
    try {
      const cutDir = path.join(work, "cut");
      for (const [p, c] of Object.entries(siteFiles("skewed"))) {
        fs.mkdirSync(path.dirname(path.join(cutDir, p)), { recursive: true });
        fs.writeFileSync(path.join(cutDir, p), c);
      }
      // embargoed until 6 s from now (publisher time); the fast receiver's own clock already says it is past
      const notBefore = new Date(Math.ceil((Date.now() + 6000) / 1000) * 1000);
      const prepared = await svc.publish(cutDir, { notBefore, corte: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") });
      await waitFor(
        "the cut staged on the receiver",
        () => rig.agent.status().staged?.sequence === prepared.ref.sequence || rig.agent.status().live?.sequence === prepared.ref.sequence,
        20_000,
      );
      const st = svc.status().receivers[0];
      // reported on the publisher: skew measured at the hello, flagged
      expect(Math.abs(st.hello!.clockSkewMs - SKEW)).toBeLessThan(5000);
      expect(st.clockSkewWarning).toBe(true);
      // and on the receiver's own status
      expect(Math.abs(rig.agent.status().clockSkewMs - SKEW)).toBeLessThan(5000);
      // embargo: a clock ten minutes fast must not release the cut early
      if (Date.now() < notBefore.getTime() - 500) {
        expect(rig.agent.status().live).toBeNull();
        expect((await wellKnown(rig)).sequence ?? null).toBeNull();
      }
      await waitFor("the cut live after notBefore", () => rig.agent.status().live?.sequence === prepared.ref.sequence, 20_000, 50);
      const wentLiveAt = Date.now();
      expect(wentLiveAt).toBeGreaterThanOrEqual(notBefore.getTime());
      expect(wentLiveAt - notBefore.getTime()).toBeLessThan(3000);
      // staleness is judged on the receiver's own clock: ten minutes fast is still well within two periods
      expect(rig.agent.status().stale).toBe(false);
      printFigure(
        `clock skew: publisher reports ${st.hello!.clockSkewMs} ms (warning ${st.clockSkewWarning}); receiver reports ${rig.agent.status().clockSkewMs} ms; embargoed cut live ${wentLiveAt - notBefore.getTime()} ms after notBefore`,
      );
    } finally {
      await svc.stop();
      await rig.close();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
