import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { loadPublisherSigningMaterial } from "@prepcast/protocol";
import { compareTrees, generateCut } from "@prepcast/testkit";
import { CutRepository, DeltaPlanning } from "@prepcast/publisher";
import { ENCODING_DELTA_ZSTD, ENCODING_FULL_ZSTD } from "@prepcast/delta";
import { InProcessCluster } from "./cluster";

// The whole path on loopback: one publisher service, receiver agents over real gRPC + TLS, small
// generated cuts. Receivers on the common base get the delta; a new receiver gets full-zstd; one
// left two cuts behind gets a delta from the cut it has; a corrupted delta is refused by every
// receiver and the publisher falls back to the full payload until they converge.

jest.setTimeout(60_000);

const cluster = new InProcessCluster();
const cutsDir = path.join(cluster.dir, "cuts");
const cutDir = (k: number) => path.join(cutsDir, `c${k}`, `cut-${String(k).padStart(4, "0")}`);

type Offer = { receiver: string; sequence: number; encoding: string; base: number | null; payloadSize: number };
const offers = (): Offer[] => cluster.audit("offer").map((r) => r.data as Offer);
const offersOf = (sequence: number) =>
  Object.fromEntries(
    offers()
      .filter((o) => o.sequence === sequence)
      .map((o) => [o.receiver, o]),
  );

/** Waits until the publisher has receipts for `k` from exactly these receivers. */
async function waitLive(ids: string[], k: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const done = () => cluster.publisher!.status().receivers.filter((r) => ids.includes(r.id) && (r.live?.sequence ?? 0) >= k).length === ids.length;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

async function expectLive(ids: string[], k: number): Promise<void> {
  for (const id of ids) {
    const live = cluster.node(id).agent!.store.live();
    expect(live?.record.sequence).toBe(k);
    const cmp = await compareTrees(cutDir(k), live!.siteDir);
    expect(cmp.differences).toEqual([]);
  }
}

beforeAll(async () => {
  for (let k = 1; k <= 4; k++) await generateCut({ outDir: path.join(cutsDir, `c${k}`), k, scale: "small" });
  for (const id of ["a", "b", "c"]) await cluster.addReceiver(id);
});

afterAll(async () => {
  await cluster.stop();
  cluster.cleanup();
});

test("first cut: new receivers get full-zstd@1, smaller than the files", async () => {
  for (const id of ["a", "b", "c"]) await cluster.startReceiver(id);
  const pub = await cluster.startPublisher();
  const cut = await pub.publish(cutDir(1));
  await waitLive(["a", "b", "c"], 1);
  await expectLive(["a", "b", "c"], 1);
  const o = offersOf(1);
  for (const id of ["a", "b", "c"]) {
    expect(o[id]).toMatchObject({ encoding: ENCODING_FULL_ZSTD, base: null });
    expect(o[id]!.payloadSize).toBeLessThan(cut.manifest.totalSize / 2);
  }
  // one stream, computed once, for all three
  expect(new Set(Object.values(o).map((x) => x.payloadSize)).size).toBe(1);
});

test("receivers on the common base get one shared delta; a receiver that is down stays behind", async () => {
  const pub = cluster.publisher!;
  await cluster.stopReceiver("c");
  for (const k of [2, 3]) {
    const cut = await pub.publish(cutDir(k));
    await waitLive(["a", "b"], k);
    await expectLive(["a", "b"], k);
    const o = offersOf(k);
    for (const id of ["a", "b"]) {
      expect(o[id]).toMatchObject({ encoding: ENCODING_DELTA_ZSTD, base: k - 1 });
      expect(o[id]!.payloadSize).toBeLessThan(cut.manifest.totalSize / 5);
    }
    expect(o.a!.payloadSize).toBe(o.b!.payloadSize);
    const cached = fs.readdirSync(path.join(cluster.pubDir, "state", "deltas")).filter((f) => f.startsWith(cut.id) && f.endsWith(".bin"));
    expect(cached).toEqual([`${cut.id}-from-${pub.repo.get(k - 1)!.id}.delta-zstd_1.bin`]);
  }
});

test("after a restart: two cuts behind gets a delta from its own base, a new receiver full-zstd, a corrupted delta falls back to full", async () => {
  await cluster.stopPublisher();
  // Prepare cut 4 and plant a damaged 4-from-3 stream in the publisher's cache, recorded as if it
  // were good: the publisher sends it to a and b, and both receivers must catch it.
  const repo = await CutRepository.open(path.join(cluster.pubDir, "state"), {
    process: "VER-2024",
    channel: "produccion",
    signing: loadPublisherSigningMaterial(cluster.pubDir),
  });
  const cut4 = await repo.prepare(cutDir(4));
  const planning = new DeltaPlanning(repo);
  const good = await planning.stream(cut4, repo.get(3)!, ENCODING_DELTA_ZSTD);
  await planning.close();
  const bytes = fs.readFileSync(good.file);
  bytes[bytes.length - 40]! ^= 0x5a; // inside the last group's data
  fs.writeFileSync(good.file, bytes);
  const meta = JSON.parse(fs.readFileSync(`${good.file}.json`, "utf8")) as Record<string, unknown>;
  meta.sha256 = createHash("sha256").update(bytes).digest("hex");
  fs.writeFileSync(`${good.file}.json`, JSON.stringify(meta));

  await cluster.addReceiver("d");
  await cluster.startReceiver("c");
  await cluster.startReceiver("d");
  await cluster.startPublisher();
  await waitLive(["a", "b", "c", "d"], 4, 45_000);
  await expectLive(["a", "b", "c", "d"], 4);
  const all = offers().filter((x) => x.sequence === 4);
  const encodings = (id: string) => all.filter((x) => x.receiver === id).map((x) => `${x.encoding}/${x.base}`);
  expect(encodings("c")).toEqual([`${ENCODING_DELTA_ZSTD}/1`]);
  expect(encodings("d")).toEqual([`${ENCODING_FULL_ZSTD}/null`]);
  for (const id of ["a", "b"]) expect(encodings(id)).toEqual([`${ENCODING_DELTA_ZSTD}/3`, "full/null"]);
  const failures = cluster
    .audit("transfer_failed")
    .map((r) => r.data as { receiver: string; sequence: number; code: string })
    .filter((f) => f.sequence === 4);
  expect(failures.map((f) => f.receiver).sort()).toEqual(["a", "b"]);
  for (const f of failures) expect(["HASH_MISMATCH", "PROTOCOL_ERROR"]).toContain(f.code);
  // the receiver recorded why it refused, and kept cut 3 live meanwhile
  expect(fs.readFileSync(path.join(cluster.node("a").dir, "data", "audit.log"), "utf8")).toMatch(
    /"sequence":4[^\n]*(HASH_MISMATCH|PROTOCOL_ERROR)|(HASH_MISMATCH|PROTOCOL_ERROR)[^\n]*"sequence":4/,
  );
});
