import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { execFileSync } from "node:child_process";
import { readPublicKeyFile } from "../trust/keys";
import { initPublisherKeys, loadPublisherSigningMaterial, PUBLISHER_KEY_FILES } from "../trust/publisher-keys";
import { packCut, walkCutDir } from "../archive/writer";
import { readPackage, verifyPackage } from "../archive/reader";
import { applyFullPayload } from "../archive/payload";
import { TarHeaderGuard } from "../archive/tar-guard";
import { isPrepcastError } from "../errors";
import { sha256Hex } from "../hash";
import { makeCut, makeKeys, NOW, readTree, tempDir, writeCutDir } from "./fixtures-package/signed-cut";

const LONG_PATH = `secciones/${"distrito-muy-largo/".repeat(8)}seccion-0001.json`;
const FILES = {
  "index.html": "<h1>PREP Veracruz 2024</h1>",
  "assets/app.js": "console.log('prep')",
  "datos/vacio.txt": "",
  "datos/base.csv": "CLAVE|VOTOS\n" + "30-0001|12\n".repeat(5000),
  [LONG_PATH]: JSON.stringify({ seccion: 1 }),
  "señal/ñandú.json": "{}",
};

function setup() {
  const work = tempDir("pkg");
  const keys = path.join(work, "keys");
  const init = initPublisherKeys(keys, { keysetExpiresDays: 30, now: new Date("2024-05-30T00:00:00Z") });
  const cutDir = writeCutDir(path.join(work, "cut"), FILES);
  const root = readPublicKeyFile(init.rootPubPath).publicKey;
  return { work, keys, init, cutDir, root };
}

const packOpts = {
  process: "VER-2024",
  channel: "produccion" as const,
  corte: "2024-06-02T20:15:00-06:00",
  createdAt: "2024-06-02T20:16:00-06:00",
  expires: "2024-06-20T00:00:00-06:00",
  now: NOW,
};

describe("prep-publisher keys directory", () => {
  test("init writes root and signing keys (secrets 0600) and a keyset that lists the signing key", () => {
    const { keys, init } = setup();
    expect(fs.statSync(path.join(keys, PUBLISHER_KEY_FILES.rootKey)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(keys, PUBLISHER_KEY_FILES.signingKey)).mode & 0o777).toBe(0o600);
    const material = loadPublisherSigningMaterial(keys, new Date("2024-06-01T00:00:00Z"));
    expect(material.signingKey.keyid).toBe(init.signingKeyId);
    expect(init.rootKeyId).toMatch(/^[0-9a-f]{64}$/);
  });

  test("init refuses to replace an existing keys directory", () => {
    const { keys } = setup();
    expect(() => initPublisherKeys(keys)).toThrow(expect.objectContaining({ code: "KEY_FILE_INVALID" }));
  });
});

describe("packCut + readPackage", () => {
  test("a packed cut verifies and extracts byte for byte, long and non-ASCII paths included", async () => {
    const { work, keys, cutDir, root } = setup();
    const out = path.join(work, "cut1.prep");
    const packed = await packCut({ ...packOpts, cutDir, keysDir: keys, sequence: 1, out });
    expect(packed.manifest.files.map((f) => f.path)).toContain(LONG_PATH);
    expect(fs.readdirSync(work).filter((n) => n.includes(".tmp-"))).toEqual([]);
    const verified = await verifyPackage(out, { rootPublicKey: root, now: NOW });
    expect(verified.files).toBe(Object.keys(FILES).length);
    expect(verified.bytes).toBe(Object.values(FILES).reduce((s, v) => s + Buffer.byteLength(v), 0));
    expect(verified.verified.manifestSha256).toBe(packed.manifestSha256);

    const staging = path.join(work, "staging");
    fs.mkdirSync(staging);
    await readPackage(out, { rootPublicKey: root, now: NOW, extractInto: () => staging });
    const tree = readTree(path.join(staging, "site"));
    expect(Object.keys(tree).sort()).toEqual(Object.keys(FILES).sort());
    for (const [p, v] of Object.entries(FILES)) expect(tree[p]!.equals(Buffer.from(v))).toBe(true);
    expect(fs.statSync(path.join(staging, "site", "index.html")).mode & 0o7777).toBe(0o644);
  });

  test("the same cut and times pack to identical bytes (reproducible)", async () => {
    const { work, keys, cutDir } = setup();
    const a = await packCut({ ...packOpts, cutDir, keysDir: keys, sequence: 7, out: path.join(work, "a.prep") });
    const b = await packCut({ ...packOpts, cutDir, keysDir: keys, sequence: 7, out: path.join(work, "b.prep") });
    expect(sha256Hex(fs.readFileSync(a.out))).toBe(sha256Hex(fs.readFileSync(b.out)));
  });

  test("GNU tar reads the package as plain regular files with fixed mode and mtime", async () => {
    const { work, keys, cutDir } = setup();
    const out = path.join(work, "c.prep");
    await packCut({ ...packOpts, cutDir, keysDir: keys, sequence: 2, out });
    const listing = execFileSync("tar", ["-tvf", out], { encoding: "utf8" }).trim().split("\n");
    expect(listing.slice(0, 4).map((l) => l.split(/\s+/).pop())).toEqual([
      "prepcast/keyset.json",
      "prepcast/keyset.sig",
      "prepcast/manifest.json",
      "prepcast/manifest.sig",
    ]);
    for (const line of listing) expect(line.startsWith("-rw-r--r--")).toBe(true);
    expect(listing.some((l) => l.endsWith(`site/${LONG_PATH}`))).toBe(true);
  });

  test("packing refuses a symlink in the cut directory and names it", async () => {
    const { work, keys, cutDir } = setup();
    fs.symlinkSync("/etc/passwd", path.join(cutDir, "assets", "passwd"));
    await expect(packCut({ ...packOpts, cutDir, keysDir: keys, sequence: 1, out: path.join(work, "x.prep") })).rejects.toMatchObject({
      code: "ENTRY_TYPE",
      where: expect.stringContaining("assets/passwd"),
    });
    expect(fs.existsSync(path.join(work, "x.prep"))).toBe(false);
  });

  test("packing refuses a FIFO and a path that breaks the site path rules", async () => {
    const { cutDir } = setup();
    execFileSync("mkfifo", [path.join(cutDir, "pipe")]);
    await expect(walkCutDir(cutDir)).rejects.toMatchObject({ code: "ENTRY_TYPE" });
    fs.rmSync(path.join(cutDir, "pipe"));
    fs.writeFileSync(path.join(cutDir, "bad\\name"), "x");
    await expect(walkCutDir(cutDir)).rejects.toMatchObject({ code: "PATH_UNSAFE" });
  });

  test("readPackage accepts a Readable as well as a path", async () => {
    const { work, keys, cutDir, root } = setup();
    const out = path.join(work, "s.prep");
    await packCut({ ...packOpts, cutDir, keysDir: keys, sequence: 3, out });
    const bytes = fs.readFileSync(out);
    // deliver it in awkward 700-byte pieces so every header straddles a chunk boundary
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 700) pieces.push(bytes.subarray(i, i + 700));
    const r = await verifyPackage(Readable.from(pieces), { rootPublicKey: root, now: NOW });
    expect(r.verified.manifest.sequence).toBe(3);
  });
});

describe("TarHeaderGuard", () => {
  test("tracks a real package to its end-of-archive marker", async () => {
    const { work, keys, cutDir } = setup();
    const out = path.join(work, "g.prep");
    await packCut({ ...packOpts, cutDir, keysDir: keys, sequence: 1, out });
    const guard = new TarHeaderGuard();
    guard.inspect(fs.readFileSync(out));
    guard.end();
    expect(guard.entries).toBe(4 + Object.keys(FILES).length);
  });
});

describe("applyFullPayload (files concatenated in manifest order)", () => {
  const keys = makeKeys();
  const cut = makeCut(keys, 1, { "a.txt": "alpha", "b/empty": "", "b/c.json": '{"x":1}', "z.bin": Buffer.alloc(70_000, 7) });
  const payload = Buffer.concat(cut.manifest.files.map((f) => cut.files[f.path]!));

  test("splits the stream into verified files", async () => {
    const dir = tempDir("payload");
    const r = await applyFullPayload(dir, cut.manifest, Readable.from([payload.subarray(0, 3), payload.subarray(3, 9000), payload.subarray(9000)]));
    expect(r).toEqual({ files: 4, bytes: payload.length });
    const tree = readTree(path.join(dir, "site"));
    for (const f of cut.manifest.files) expect(tree[f.path]!.equals(cut.files[f.path]!)).toBe(true);
  });

  test("more bytes than totalSize is TOO_LARGE", async () => {
    await expect(applyFullPayload(null, cut.manifest, Readable.from([payload, Buffer.from("x")]))).rejects.toMatchObject({ code: "TOO_LARGE" });
  });

  test("a short stream is TRUNCATED, naming the file it stopped in", async () => {
    await expect(applyFullPayload(null, cut.manifest, Readable.from([payload.subarray(0, payload.length - 1)]))).rejects.toMatchObject({
      code: "TRUNCATED",
      where: "z.bin",
    });
  });

  test("a flipped byte is HASH_MISMATCH for that file", async () => {
    const bad = Buffer.from(payload);
    bad[1]! ^= 1;
    const err = await applyFullPayload(null, cut.manifest, Readable.from([bad])).catch((e: unknown) => e);
    expect(isPrepcastError(err, "HASH_MISMATCH")).toBe(true);
    expect((err as { where: string }).where).toBe("a.txt");
  });
});
