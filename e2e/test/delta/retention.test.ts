// Issue 15: the publisher's retention of prepared cuts, with real processes on loopback. The
// publisher (`prep-publisher run`, retention.keepCuts: 2) pushes cut after cut; STATE/cuts and
// STATE/deltas stay bounded while a lagging receiver is down, its live cut is kept so it catches
// up by a delta when it comes back, and a receiver whose cut the publisher no longer holds gets
// the whole cut (full-zstd@1) and converges all the same.
import * as fs from "node:fs";
import * as path from "node:path";
import { Cluster, generateCut, waitFor } from "@prepcast/testkit";

jest.setTimeout(240_000);

describe("retention of prepared cuts (real processes)", () => {
  let cluster: Cluster;
  let cutsDir: string;
  const state = () => path.join(cluster.pubDir, "state");
  const cutDirs = () =>
    fs
      .readdirSync(path.join(state(), "cuts"))
      .filter((n) => !n.startsWith("."))
      .sort();
  const sequences = () => cutDirs().map((n) => Number(n.split("-")[0]));
  const streams = () => (fs.existsSync(path.join(state(), "deltas")) ? fs.readdirSync(path.join(state(), "deltas")).filter((n) => n.endsWith(".bin")) : []);
  const audit = () =>
    fs
      .readFileSync(path.join(state(), "audit.log"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>);
  const live = async (id: string): Promise<number> =>
    ((await cluster.status()).receivers as Array<{ id: string; live: { sequence: number } | null }>).find((r) => r.id === id)?.live?.sequence ?? 0;
  const offersTo = (id: string) =>
    audit()
      .filter((e) => (e.event ?? e.type) === "offer" && (e.receiver ?? e.data?.receiver) === id)
      .map((e) => e.data ?? e);

  /** Signs and pushes cut k through the running service's API (as `push` does), without waiting. */
  async function push(k: number): Promise<void> {
    const { dir } = await generateCut({ outDir: cutsDir, k, scale: "small" });
    const res = (await (
      await fetch(`${cluster.adminUrl}/api/push`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dir }) })
    ).json()) as { ok: boolean; sequence: number };
    expect(res).toMatchObject({ ok: true, sequence: k });
  }

  beforeAll(async () => {
    cluster = await Cluster.create([
      { id: "rapido", transport: "grpc" },
      { id: "rezagado", transport: "grpc" },
    ]);
    cutsDir = path.join(cluster.dir, "cuts");
    fs.appendFileSync(cluster.pubConfig, "retention:\n  keepCuts: 2\n");
    for (const r of cluster.receivers) await cluster.startReceiver(r);
    await cluster.startPublisher();
  });

  afterAll(async () => {
    await cluster?.stop();
    cluster?.cleanup();
  });

  test("while a receiver lags, STATE/cuts holds the newest 2 and its live cut; back online it catches up by a delta", async () => {
    for (const k of [1, 2]) {
      await push(k);
      for (const id of ["rapido", "rezagado"]) await waitFor(`${id} live on ${k}`, async () => (await live(id)) === k, 60_000, 200);
    }
    await cluster.kill(cluster.receiver("rezagado"), "SIGTERM");
    for (let k = 3; k <= 7; k++) {
      await push(k);
      await waitFor(`rapido live on ${k}`, async () => (await live("rapido")) === k, 60_000, 200);
      // pruning follows the delivery: never more than the newest 2 plus rezagado's cut 2
      await waitFor(`STATE/cuts pruned after cut ${k}`, () => cutDirs().length <= 3, 30_000, 100);
      expect(sequences()).toContain(2);
    }
    expect(sequences()).toEqual([2, 6, 7]);
    // the delta streams of removed cuts go too (just after their cuts): none names a cut not kept
    const kept = new Set(cutDirs());
    const orphans = () =>
      streams().filter((s) => {
        const [, target, base] = /^(.+?)-from-(.+?)\./.exec(s)!;
        return !kept.has(target!) || (base !== "empty" && !kept.has(base!));
      });
    await waitFor("no stream of a removed cut", () => orphans().length === 0, 30_000, 100).catch(() => expect(orphans()).toEqual([]));
    expect(streams().length).toBeGreaterThan(0);
    const pruned = audit().filter((e) => (e.event ?? e.type) === "cuts_pruned");
    expect(pruned.length).toBeGreaterThan(0);
    expect(pruned.flatMap((e) => (e.data ?? e).sequences as number[]).sort((a, b) => a - b)).toEqual([1, 3, 4, 5]);

    await cluster.startReceiver(cluster.receiver("rezagado"));
    await waitFor("rezagado live on 7", async () => (await live("rezagado")) === 7, 90_000, 200);
    const last = offersTo("rezagado").pop();
    expect(last).toMatchObject({ sequence: 7, encoding: "delta-zstd@1", base: 2 });
    // its old cut is no longer held by anyone: pruned after that delivery
    await waitFor("cut 2 pruned", () => !sequences().includes(2), 30_000, 100);
    expect(sequences()).toEqual([6, 7]);
  });

  test("a receiver whose cut the publisher no longer holds gets the whole cut and converges", async () => {
    // rezagado goes down on cut 7; the publisher restarts having lost receipts.jsonl (state
    // restored from a backup without it), so it cannot know what rezagado holds
    await cluster.kill(cluster.receiver("rezagado"), "SIGTERM");
    await cluster.stop(); // stops the publisher and rapido
    fs.renameSync(path.join(state(), "receipts.jsonl"), path.join(state(), "receipts.jsonl.lost"));
    await cluster.startReceiver(cluster.receiver("rapido"));
    await cluster.startPublisher();
    for (const k of [8, 9]) {
      await push(k);
      await waitFor(`rapido live on ${k}`, async () => (await live("rapido")) === k, 60_000, 200);
      await waitFor(`STATE/cuts pruned after cut ${k}`, () => cutDirs().length <= 2, 30_000, 100);
    }
    expect(sequences()).toEqual([8, 9]);
    await cluster.startReceiver(cluster.receiver("rezagado"));
    await waitFor("rezagado live on 9", async () => (await live("rezagado")) === 9, 90_000, 200);
    const status = (await cluster.status()) as { latest: { manifestSha256: string }; receivers: Array<{ id: string; live: { manifestSha256: string } }> };
    expect(status.receivers.find((r) => r.id === "rezagado")!.live.manifestSha256).toBe(status.latest.manifestSha256);
    expect(offersTo("rezagado").pop()).toMatchObject({ sequence: 9, encoding: "full-zstd@1", base: null });
    expect(sequences()).toEqual([8, 9]);
  });
});
