// Issue 3's acceptance test: one publisher, three receivers (two over gRPC, one over WebSocket),
// three successive generated cuts; every receiver serves the latest cut byte for byte, every
// receipt is in the publisher's log with a valid signature, and a receiver killed during a
// transfer catches up after restart, resuming rather than restarting.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { verifyAuditLog } from "@prepcast/protocol";
import { compareTrees, generateCut, listFiles, Cluster, PUBLISHER_BIN, RECEIVER_BIN, cli, waitFor } from "@prepcast/testkit";

jest.setTimeout(240_000);

describe("push channel end to end (real processes on loopback)", () => {
  let cluster: Cluster;
  let cutsDir: string;

  beforeAll(async () => {
    cluster = await Cluster.create([
      { id: "uv-xalapa", transport: "grpc" },
      { id: "itesm-ver", transport: "grpc" },
      { id: "diario-ws", transport: "websocket" },
    ]);
    cutsDir = path.join(cluster.dir, "cuts");
    for (const r of cluster.receivers) await cluster.startReceiver(r);
    await cluster.startPublisher();
  });

  afterAll(async () => {
    await cluster?.stop();
    cluster?.cleanup();
  });

  const liveTree = (id: string) => path.join(cluster.receiver(id).dir, "data", "current", "site");

  async function expectAllServe(cut: string, sequence: number): Promise<void> {
    for (const r of cluster.receivers) {
      const cmp = await compareTrees(cut, liveTree(r.id));
      expect({ receiver: r.id, differences: cmp.differences.slice(0, 5) }).toEqual({ receiver: r.id, differences: [] });
      // and over HTTP, as a citizen: the cut's own statement of its time, byte for byte
      const res = await fetch(`http://127.0.0.1:${r.sitePort}/data/corte.json`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(path.join(cut, "data/corte.json")))).toBe(true);
      const wk = (await (await fetch(`http://127.0.0.1:${r.sitePort}/.well-known/prepcast.json`)).json()) as { sequence: number };
      expect(wk.sequence).toBe(sequence);
    }
  }

  test("three successive cuts reach every receiver with signed receipts", async () => {
    for (let k = 1; k <= 2; k++) {
      const { dir } = await generateCut({ outDir: cutsDir, k, scale: "small" });
      const res = cluster.push(dir);
      expect(res.json).toMatchObject({ ok: true, sequence: k, delivered: 3, receivers: 3 });
      await expectAllServe(dir, k);
    }
    const receipts = cli(PUBLISHER_BIN, ["receipts", "--config", cluster.pubConfig, "--sequence", "2", "--json"]).json;
    expect(receipts.invalid).toBe(0);
    const live = receipts.receipts
      .filter((r: any) => r.state === "active" && r.valid)
      .map((r: any) => r.receiver)
      .sort();
    expect(live).toEqual(["diario-ws", "itesm-ver", "uv-xalapa"]);
  });

  test("a receiver killed during a transfer resumes after restart and converges", async () => {
    const victim = cluster.receiver("itesm-ver");
    // a bigger cut (scanned actas) so the transfer takes long enough to interrupt
    const { dir } = await generateCut({ outDir: cutsDir, k: 3, scale: "small", actas: true });
    const total = (await listFiles(dir)).reduce((a, f) => a + f.size, 0);
    // run the push as a child process so this test can act while it streams
    const child = spawn(process.execPath, [PUBLISHER_BIN, "push", dir, "--config", cluster.pubConfig, "--timeout", "120", "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const payload = path.join(victim.dir, "data", "partial", "payload.bin");
    const seen = await waitFor(
      "a partial payload on the victim",
      () => {
        const st = fs.statSync(payload, { throwIfNoEntry: false });
        return st && st.size > 1024 * 1024 && st.size < total ? st.size : null;
      },
      60_000,
      5,
    );
    await cluster.kill(victim, "SIGKILL");
    const liveBefore = fs.readlinkSync(path.join(victim.dir, "data", "current"));
    expect(liveBefore).toMatch(/^cuts\/000002-/); // still exactly the previous signed cut
    await new Promise((r) => setTimeout(r, 500));
    await cluster.startReceiver(victim);
    const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? -1)));
    expect({ code, out: out.slice(-500) }).toMatchObject({ code: 0 });
    expect(JSON.parse(out.trim().split("\n").pop()!)).toMatchObject({ ok: true, sequence: 3, delivered: 3 });
    await expectAllServe(dir, 3);
    // it resumed from its verified prefix instead of starting over
    const audit = fs
      .readFileSync(path.join(victim.dir, "data", "audit.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const resumed = audit.filter((e) => e.event === "transfer_started" && e.data.sequence === 3 && e.data.resumeOffset > 0);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    expect(resumed[0].data.resumeOffset).toBeLessThanOrEqual(seen + 8 * 1024 * 1024);
    expect(verifyAuditLog(path.join(victim.dir, "data", "audit.log")).ok).toBe(true);
  });

  test("an embargoed cut is staged early and switched on at notBefore, to the second; a second receipt says so", async () => {
    const { dir } = await generateCut({ outDir: cutsDir, k: 4, scale: "small" });
    const notBefore = new Date(Math.ceil((Date.now() + 15_000) / 1000) * 1000);
    const res = cluster.push(dir, ["--not-before", notBefore.toISOString()]);
    expect(res.json).toMatchObject({ ok: true, sequence: 4, delivered: 3 });
    // on a loaded machine the push may outlast the lead time; the activation times below decide
    if (Date.now() < notBefore.getTime() - 1000)
      expect(res.json.table.map((row: string[]) => row[3])).toEqual(["staged (embargo)", "staged (embargo)", "staged (embargo)"]);
    // before notBefore every site still serves cut 3
    if (Date.now() < notBefore.getTime() - 500) {
      for (const r of cluster.receivers) {
        const wk = (await (await fetch(`http://127.0.0.1:${r.sitePort}/.well-known/prepcast.json`)).json()) as { sequence: number };
        expect(wk.sequence).toBe(3);
      }
    }
    await waitFor(
      "cut 4 live everywhere",
      async () => {
        for (const r of cluster.receivers) {
          const wk = (await (await fetch(`http://127.0.0.1:${r.sitePort}/.well-known/prepcast.json`)).json()) as { sequence: number };
          if (wk.sequence !== 4) return false;
        }
        return true;
      },
      30_000,
      100,
    );
    await expectAllServe(dir, 4);
    // the agents' own record: activated at notBefore (within a second), not before
    for (const r of cluster.receivers) {
      const audit = fs
        .readFileSync(path.join(r.dir, "data", "audit.log"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      const act = audit.find((e) => e.event === "activated" && e.data.sequence === 4);
      expect(act).toBeDefined();
      const at = Date.parse(act.data.activatedAt);
      expect(at).toBeGreaterThanOrEqual(notBefore.getTime());
      expect(at - notBefore.getTime()).toBeLessThan(1500);
    }
    await waitFor(
      "active receipts for cut 4",
      () => {
        const rc = cli(PUBLISHER_BIN, ["receipts", "--config", cluster.pubConfig, "--sequence", "4", "--json"]).json;
        return rc.receipts.filter((x: any) => x.valid && x.state === "active").length === 3;
      },
      30_000,
      500,
    );
    // metrics say the same
    const metrics = await (await fetch(`http://127.0.0.1:${cluster.receivers[0]!.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/prepcast_receiver_live_sequence 4/);
  });

  test("audit logs on both sides verify, and an edited log is detected", () => {
    expect(cli(PUBLISHER_BIN, ["audit", "verify", "--log", path.join(cluster.pubDir, "state", "audit.log"), "--json"]).json.ok).toBe(true);
    for (const r of cluster.receivers) expect(cli(RECEIVER_BIN, ["audit", "verify", "--root", path.join(r.dir, "data"), "--json"]).json.ok).toBe(true);
    const copy = path.join(cluster.dir, "audit-copy.log");
    const text = fs.readFileSync(path.join(cluster.pubDir, "state", "audit.log"), "utf8").replace('"event":"cut_prepared"', '"event":"cut_prepared_x"');
    fs.writeFileSync(copy, text);
    const res = cli(PUBLISHER_BIN, ["audit", "verify", "--log", copy, "--json"], { allowFail: true });
    expect(res.code).toBe(1);
    expect(res.json).toMatchObject({ ok: false, code: "AUDIT_LOG_TAMPERED" });
  });
});
