import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { isPrepcastError } from "@prepcast/protocol";
import { applyDelta } from "../apply";
import { encodeDelta } from "../encode";
import { ObjectIndex } from "../object-index";
import { readSite, tmpDir, writeCut } from "./helpers";

const root = tmpDir("unit");
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(root, `${name}-${n++}`);

/** Encodes target against base (or from nothing), applies it into a fresh staging dir, returns what was rebuilt. */
async function roundTrip(baseFiles: Record<string, Buffer> | null, targetFiles: Record<string, Buffer>, opts: { groupBytes?: number; level?: number } = {}) {
  const base = baseFiles ? writeCut(fresh("base"), baseFiles) : null;
  const target = writeCut(fresh("target"), targetFiles);
  const stream = fresh("stream") + ".bin";
  const stats = await encodeDelta(target.content, base ? base.content : null, stream, { level: 3, ...opts });
  const staging = fresh("staging");
  const objects = ObjectIndex.fromCutDirs([]);
  const result = await applyDelta({
    streamPath: stream,
    target: { manifestSha256: target.content.manifestSha256, files: target.files },
    base: base ? base.content : null,
    findObject: (sha) => objects.find(sha) ?? (base ? findIn(base.files, sha, base.dir) : null),
    stagingDir: staging,
  });
  return { stats, result, staging, target, base, stream };
}

function findIn(files: Array<{ path: string; sha256: string }>, sha: string, dir: string): string | null {
  const f = files.find((x) => x.sha256 === sha);
  return f ? path.join(dir, "site", ...f.path.split("/")) : null;
}

const json = (corte: string, extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ corte, actas: 1234, votos: [10, 20, 30], ...extra }, null, 2));

describe("delta-zstd@1 round trips", () => {
  test("unchanged files cost no data; changed JSON costs its differences", async () => {
    const big = Buffer.from("static asset ".repeat(5000));
    const base: Record<string, Buffer> = { "index.html": Buffer.from("<h1>PREP</h1>"), "assets/app.js": big };
    const target: Record<string, Buffer> = { "index.html": Buffer.from("<h1>PREP</h1>"), "assets/app.js": big };
    for (let s = 0; s < 300; s++) {
      base[`data/secciones/${s}.json`] = json("2024-06-02T20:00", { seccion: s, lista: Array.from({ length: 40 }, (_, i) => i * s) });
      target[`data/secciones/${s}.json`] = json("2024-06-02T20:15", { seccion: s, lista: Array.from({ length: 40 }, (_, i) => i * s) });
    }
    target["data/nuevo.json"] = json("new");
    const { stats, result, staging, target: t, base: held } = await roundTrip(base, target);
    expect(readSite(staging, t.files)).toEqual(target);
    expect(stats.unchanged).toBe(2);
    expect(stats.referenced).toBe(300);
    expect(stats.whole).toBe(1);
    expect(result).toMatchObject({ files: 303, copied: 2, linked: 2, rebuilt: 301 });
    // the unchanged files are the held cut's own inodes (hard links), the rebuilt ones new files
    const ino = (dir: string, p: string) => fs.statSync(path.join(dir, "site", ...p.split("/"))).ino;
    expect(ino(staging, "assets/app.js")).toBe(ino(held!.dir, "assets/app.js"));
    expect(ino(staging, "data/secciones/1.json")).not.toBe(ino(held!.dir, "data/secciones/1.json"));
    const targetBytes = Object.values(target).reduce((s, b) => s + b.length, 0);
    expect(stats.size).toBeLessThan(targetBytes / 50);
  });

  test("full-zstd@1 (no base) rebuilds a cut from nothing, including empty files", async () => {
    const files = { "a.txt": Buffer.from("x".repeat(10000)), "b/empty": Buffer.alloc(0), "c.bin": Buffer.from([1, 2, 3]) };
    const { staging, target, stats } = await roundTrip(null, files);
    expect(readSite(staging, target.files)).toEqual(files);
    expect(stats.unchanged).toBe(0);
    expect(stats.size).toBeLessThan(10000);
  });

  test("a file larger than a group travels alone; incompressible data travels stored", async () => {
    const random = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24));
    const { staging, target, stats } = await roundTrip({ "r.bin": Buffer.alloc(10) }, { "r.bin": random, "z.json": json("z") }, { groupBytes: 100_000 });
    expect(readSite(staging, target.files)["r.bin"]).toEqual(random);
    expect(stats.groups).toBe(2);
  });

  test("a stream of many MiB: records that straddle the reader's 1 MiB pieces rebuild exactly", async () => {
    // poorly compressible, varied content: groups compress to tens of KiB and fall across piece boundaries
    const noise = (seed: number, n: number) => {
      const b = Buffer.allocUnsafe(n);
      let x = (Math.imul(seed, 2654435761) + 1) >>> 0;
      for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        b[i] = i % 7 === 0 ? 0x20 : x >>> 24;
      }
      return b;
    };
    const base: Record<string, Buffer> = {};
    const target: Record<string, Buffer> = {};
    for (let i = 0; i < 240; i++) {
      const size = 5_000 + ((i * 7919) % 40_000);
      base[`actas/${String(i).padStart(3, "0")}.bin`] = noise(i, size);
      const t = Buffer.from(noise(i, size));
      if (i % 3 === 0) t.write(`changed ${i}`, (i * 31) % (size - 20));
      target[`actas/${String(i).padStart(3, "0")}.bin`] = i % 5 === 0 ? noise(i + 1000, size + 17) : t;
    }
    target["bd/grande.bin"] = noise(7, 2_500_000); // alone and stored: read in 1 MiB pieces
    target["bd/otro.bin"] = noise(8, 1_300_000);
    const { stats, staging, target: t, stream } = await roundTrip(base, target, { groupBytes: 50_000 });
    expect(fs.statSync(stream).size).toBeGreaterThan(4 << 20);
    expect(stats.groups).toBeGreaterThan(40);
    const rebuilt = readSite(staging, t.files);
    for (const [p, data] of Object.entries(target)) expect({ p, same: rebuilt[p]!.equals(data) }).toEqual({ p, same: true });
  });

  test("property: any base and target file sets round-trip exactly, with or without a base", async () => {
    const content = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: 2000 }).map((s) => Buffer.from(`{"corte":"${s}","x":[1,2,3]}`)),
    );
    const name = fc.constantFrom("a", "b", "c/d", "c/e", "f.json", "g/h/i.csv", "j", "k.txt");
    const cut = fc.dictionary(name, content, { maxKeys: 8 });
    await fc.assert(
      fc.asyncProperty(cut, cut, fc.boolean(), fc.integer({ min: 1, max: 5000 }), fc.boolean(), async (base, target, withBase, groupBytes, copySome) => {
        if (copySome) for (const k of Object.keys(base).slice(0, 2)) target[`copy-${k.replace(/\//g, "_")}`] = base[k]!;
        const { staging, target: t } = await roundTrip(withBase ? base : null, target, { groupBytes });
        expect(readSite(staging, t.files)).toEqual(target);
      }),
      { numRuns: 60 },
    );
  });
});

describe("a damaged or forged stream never yields a wrong file", () => {
  const base: Record<string, Buffer> = {};
  const target: Record<string, Buffer> = {};
  for (let s = 0; s < 40; s++) {
    base[`d/${s}.json`] = json("20:00", { s });
    target[`d/${s}.json`] = json(s % 5 === 0 ? "20:00" : "20:15", { s });
  }
  target["new.txt"] = Buffer.from("nuevo");

  test("property: flipping any byte makes apply fail with a typed error or still rebuild the exact cut", async () => {
    const good = await roundTrip(base, target, { groupBytes: 300 });
    const bytes = fs.readFileSync(good.stream);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const bad = Buffer.from(bytes);
        bad[at]! ^= xor;
        const file = fresh("bad") + ".bin";
        fs.writeFileSync(file, bad);
        const staging = fresh("staging");
        try {
          await applyDelta({
            streamPath: file,
            target: { manifestSha256: good.target.content.manifestSha256, files: good.target.files },
            base: good.base!.content,
            findObject: (sha) => findIn(good.base!.files, sha, good.base!.dir),
            stagingDir: staging,
          });
        } catch (e) {
          expect(isPrepcastError(e)).toBe(true);
          expect(["PROTOCOL_ERROR", "TRUNCATED", "HASH_MISMATCH", "SIZE_MISMATCH"]).toContain((e as { code: string }).code);
          return;
        }
        expect(readSite(staging, good.target.files)).toEqual(target);
      }),
      { numRuns: 150 },
    );
  });

  test("truncated stream, trailing data, wrong base, and a huge declared length are refused", async () => {
    const good = await roundTrip(base, target);
    const bytes = fs.readFileSync(good.stream);
    const attempt = async (data: Buffer, over: Partial<{ base: null; noObjects: true }> = {}) => {
      const file = fresh("bad") + ".bin";
      fs.writeFileSync(file, data);
      return applyDelta({
        streamPath: file,
        target: { manifestSha256: good.target.content.manifestSha256, files: good.target.files },
        base: "base" in over ? null : good.base!.content,
        findObject: (sha) => (over.noObjects ? null : findIn(good.base!.files, sha, good.base!.dir)),
        stagingDir: fresh("staging"),
      }).then(
        () => "applied",
        (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
      );
    };
    expect(await attempt(bytes.subarray(0, bytes.length - 5))).toMatch(/^(TRUNCATED|PROTOCOL_ERROR)/);
    expect(await attempt(Buffer.concat([bytes, Buffer.from([0])]))).toMatch(/^PROTOCOL_ERROR: 1 bytes after the end record/);
    expect(await attempt(bytes, { base: null })).toMatch(/^PROTOCOL_ERROR: delta stream is against base/);
    expect(await attempt(Buffer.from("not a delta at all, just some text......................................................"))).toMatch(
      /^PROTOCOL_ERROR: not a PREPcast delta stream/,
    );
    // a group claiming 2^40 files, or a varint that never ends
    const header = bytes.subarray(0, 78);
    expect(await attempt(Buffer.concat([header, Buffer.from([0x47, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20])]))).toMatch(
      /^PROTOCOL_ERROR: group file count \d+ exceeds 41/,
    );
    expect(await attempt(Buffer.concat([header, Buffer.from([0x47, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])]))).toMatch(/^PROTOCOL_ERROR: group start/);
    // "unchanged" for an object this receiver does not hold
    expect(await attempt(bytes, { noObjects: true })).toMatch(/^PROTOCOL_ERROR: d\/0.json is marked unchanged but no held cut/);
  });

  test("an unchanged file is linked only after its held copy verified again: one altered on disk is refused, never linked", async () => {
    const base = { "a.txt": Buffer.from("same ".repeat(2000)), "b.json": json("1") };
    const good = await roundTrip(base, { ...base, "b.json": json("2") });
    expect(good.result).toMatchObject({ copied: 1, linked: 1 });
    // the held copy of a.txt changed on disk after it was installed (same size, one byte)
    const held = path.join(good.base!.dir, "site", "a.txt");
    const bytes = fs.readFileSync(held);
    bytes[10] = 0x58;
    fs.writeFileSync(held, bytes);
    const staging = fresh("staging");
    const refused = await applyDelta({
      streamPath: good.stream,
      target: { manifestSha256: good.target.content.manifestSha256, files: good.target.files },
      base: good.base!.content,
      findObject: (sha) => findIn(good.base!.files, sha, good.base!.dir),
      stagingDir: staging,
    }).then(
      () => "applied",
      (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
    );
    expect(refused).toMatch(/^HASH_MISMATCH: /);
    expect(fs.existsSync(path.join(staging, "site", "a.txt"))).toBe(false);
  });
});
