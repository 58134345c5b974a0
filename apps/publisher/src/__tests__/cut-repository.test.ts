// The publisher's cut repository over a real state directory and real generated cuts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initPublisherKeys, loadPublisherSigningMaterial, parseManifest, sha256Hex } from "@prepcast/protocol";
import { generateCut } from "@prepcast/testkit";
import { CutRepository, HOT_CUT_DOCUMENTS } from "../service/cut-repository";

function tmp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `prepcast-${prefix}-`));
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(dir); // removed after the test file (jest.environment.js)
  return dir;
}

describe("CutRepository", () => {
  let work: string;
  let cuts: string[];
  let signing: ReturnType<typeof loadPublisherSigningMaterial>;
  beforeAll(async () => {
    work = tmp("repo");
    initPublisherKeys(path.join(work, "keys"));
    signing = loadPublisherSigningMaterial(path.join(work, "keys"));
    cuts = [];
    for (let k = 1; k <= 5; k++) cuts.push((await generateCut({ outDir: path.join(work, "cuts"), k, scale: "small" })).dir);
  }, 60_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it("holds the documents of the most recent cuts only, and reads older ones back exactly as signed", async () => {
    const state = tmp("repo-state");
    const repo = await CutRepository.open(state, { process: "VER-2024", channel: "produccion", signing });
    const prepared = [];
    for (const dir of cuts) {
      prepared.push(await repo.prepare(dir));
      expect(repo.hotDocuments).toBeLessThanOrEqual(HOT_CUT_DOCUMENTS);
    }
    const first = prepared[0]!;
    // a cold cut: its summary needs no reading, its documents are read back and re-hashed
    expect(first.summary.fileCount).toBeGreaterThan(10);
    const onDisk = fs.readFileSync(path.join(first.dir, "prepcast", "manifest.json"));
    expect(Buffer.from(first.signed.manifest).equals(onDisk)).toBe(true);
    expect(sha256Hex(first.signed.manifest)).toBe(first.ref.manifestSha256);
    expect(first.manifest).toEqual(parseManifest(onDisk));
    expect(first.manifest.files.length).toBe(first.summary.fileCount);
    expect(repo.hotDocuments).toBeLessThanOrEqual(HOT_CUT_DOCUMENTS);
    fs.rmSync(state, { recursive: true, force: true });
  }, 60_000);

  it("retention keeps the newest N, the held, the pinned, the final and the newest public cut, and removes the rest from disk", async () => {
    const state = tmp("repo-retention");
    const repo = await CutRepository.open(state, { process: "VER-2024", channel: "produccion", signing });
    const p = [];
    for (const dir of cuts.slice(0, 4)) p.push(await repo.prepare(dir));
    // the newest is embargoed for a day: the newest public one (#4 is not, #3 is) stays for the monitor
    p.push(await repo.prepare(cuts[4]!, { notBefore: new Date(Date.now() + 86_400_000) }));
    const dirs = () => fs.readdirSync(path.join(state, "cuts")).sort();
    expect(dirs()).toHaveLength(5);
    const release = repo.pin(2);
    const removed = await repo.prune({ keepNewest: 1, held: [1] });
    // #1 held by a receiver, #2 pinned by an in-flight delivery, #4 the newest public, #5 the newest
    expect(removed.map((c) => c.ref.sequence)).toEqual([3]);
    expect(repo.list().map((c) => c.ref.sequence)).toEqual([1, 2, 4, 5]);
    expect(dirs()).toEqual([p[0]!.id, p[1]!.id, p[3]!.id, p[4]!.id]);
    expect(repo.get(3)).toBeUndefined();
    release();
    release(); // a second call changes nothing
    expect(repo.pinned()).toEqual([]);
    expect((await repo.prune({ keepNewest: 1, held: [] })).map((c) => c.ref.sequence)).toEqual([1, 2]);
    expect(dirs()).toEqual([p[3]!.id, p[4]!.id]);
    // nothing half-removed is left behind, and a restart sees the same cuts
    const again = await CutRepository.open(state, { process: "VER-2024", channel: "produccion", signing });
    expect(again.list().map((c) => c.ref.sequence)).toEqual([4, 5]);
    fs.rmSync(state, { recursive: true, force: true });
  }, 60_000);

  it("retention never removes the final cut", async () => {
    const state = tmp("repo-retention-final");
    const repo = await CutRepository.open(state, { process: "VER-2024", channel: "produccion", signing });
    await repo.prepare(cuts[0]!);
    await repo.prepare(cuts[1]!, { final: true, publishUntil: "2099-06-09T23:59:00-06:00" });
    await repo.prepare(cuts[2]!); // (a cut after the final one: e.g. the final was signed too early)
    const removed = await repo.prune({ keepNewest: 1, held: [] });
    expect(removed.map((c) => c.ref.sequence)).toEqual([1]);
    expect(repo.list().map((c) => c.ref.sequence)).toEqual([2, 3]);
    expect(repo.list()[0]!.summary.final).toBeDefined();
    fs.rmSync(state, { recursive: true, force: true });
  }, 60_000);

  it("refuses a cut whose corte is earlier than the latest's (CORTE_ROLLBACK) before signing; --retract signs it as a retraction, only when it goes back in time", async () => {
    const state = tmp("repo-order");
    const repo = await CutRepository.open(state, { process: "VER-2024", channel: "produccion", signing });
    await repo.prepare(cuts[1]!); // cut-0002, 20:15
    const refused = (await repo.prepare(cuts[0]!).then(
      () => ({}),
      (e: unknown) => e,
    )) as { code: string; message: string; hint: string };
    expect(refused).toMatchObject({ code: "CORTE_ROLLBACK" });
    expect(refused.message).toContain("earlier than that of the latest cut, #1 (2024-06-02T20:15:00-06:00)");
    expect(refused.hint).toContain("--retract");
    expect(repo.list().map((c) => c.ref.sequence)).toEqual([1]);
    expect(fs.readdirSync(path.join(state, "cuts")).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    // the same corte is not going back: accepted (a correction of the same corte)
    expect((await repo.prepare(cuts[1]!)).ref.sequence).toBe(2);
    // a retraction that does not go back in time is refused: the override is not a switch
    await expect(repo.prepare(cuts[2]!, { retract: "no hace falta" })).rejects.toMatchObject({ code: "CONFIG_INVALID", where: "--retract" });
    await expect(repo.prepare(cuts[0]!, { retract: " " })).rejects.toMatchObject({ code: "CONFIG_INVALID", where: "--retract" });
    const r = await repo.prepare(cuts[0]!, { retract: "el corte 2 se publicó con un error de captura" });
    expect(r.ref.sequence).toBe(3);
    expect(r.summary.retraction).toEqual({ reason: "el corte 2 se publicó con un error de captura" });
    expect(parseManifest(r.signed.manifest).retraction).toEqual({ reason: "el corte 2 se publicó con un error de captura" });
    // the next cut is compared with the retraction's corte (20:00)
    expect((await repo.prepare(cuts[1]!)).ref.sequence).toBe(4);
    await repo.close();
    fs.rmSync(state, { recursive: true, force: true });
  }, 60_000);

  it("reopens from summaries, and refuses a cold cut whose manifest was altered on disk (STATE_INVALID)", async () => {
    const state = tmp("repo-reopen");
    const repo = await CutRepository.open(state, { process: "VER-2024", channel: "produccion", signing });
    for (const dir of cuts.slice(0, 4)) await repo.prepare(dir);
    const again = await CutRepository.open(state, { process: "VER-2024", channel: "produccion", signing });
    expect(again.list().map((c) => c.ref.sequence)).toEqual([1, 2, 3, 4]);
    expect(again.hotDocuments).toBe(0);
    expect(again.latest()!.summary.corte).toBe(repo.latest()!.summary.corte);
    const victim = again.get(1)!;
    const file = path.join(victim.dir, "prepcast", "manifest.json");
    fs.writeFileSync(file, Buffer.concat([fs.readFileSync(file), Buffer.from(" ")]));
    expect(() => victim.manifest).toThrow(expect.objectContaining({ code: "STATE_INVALID" }));
    // a cut.json written before summaries existed: the manifest is parsed at start instead
    const meta = path.join(again.get(2)!.dir, "cut.json");
    const doc = JSON.parse(fs.readFileSync(meta, "utf8")) as Record<string, unknown>;
    delete doc.summary;
    fs.writeFileSync(meta, JSON.stringify(doc));
    const third = await CutRepository.open(state, { process: "VER-2024", channel: "produccion", signing });
    expect(third.get(2)!.summary).toEqual(again.get(2)!.summary);
    fs.rmSync(state, { recursive: true, force: true });
  }, 60_000);
});
