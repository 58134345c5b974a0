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
