import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tar from "tar-stream";
import * as zstd from "zstd-napi/binding";
import {
  CutStore,
  MANIFEST_ENTRY,
  MANIFEST_ZSTD_ENTRY,
  MAX_MANIFEST_BYTES,
  compressManifest,
  initPublisherKeys,
  installPackage,
  packCut,
  readPublicKeyFile,
  verifyPackage,
  type ErrorCode,
} from "@prepcast/protocol";
import { compareTrees } from "@prepcast/testkit";
import { installDeltaPackage } from "@prepcast/receiver";
import { BASE_ENTRY, DELTA_PACKAGE_FORMAT, DELTA_PACKAGE_FORMAT_V1, buildDeltaPackage } from "@prepcast/delta";

// The offline delta package of format prepcast/delta-package@2 carries the signed manifest as one
// zstd frame (prepcast/manifest.json.zst). Decompressing it is the only work done on its bytes
// before the signature check, so every hostile form is refused with its exact code, and with the
// promise every refusal keeps: the live cut untouched, nothing left in partial/, the refusal in
// the audit log. A @1 package (manifest uncompressed) still installs.

jest.setTimeout(30_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-delta-hostile-"));
(globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(dir); // removed after the test file (jest.environment.js)
const keys = path.join(dir, "keys");
const pkg = (k: number) => path.join(dir, `cut${k}.prep`);
const deltaPkg = path.join(dir, "cut2-from-1.prep");
let rootPublicKey: Uint8Array;

function writeCut(k: number): string {
  const cutDir = path.join(dir, `cut-${k}`);
  fs.mkdirSync(path.join(cutDir, "datos"), { recursive: true });
  fs.writeFileSync(path.join(cutDir, "index.html"), `<h1>corte ${k}</h1>`);
  for (let s = 1; s <= 200; s++)
    fs.writeFileSync(path.join(cutDir, "datos", `seccion-${s}.json`), JSON.stringify({ s, votos: s * (k === 1 ? 3 : s % 7 === 0 ? 5 : 3) }));
  return cutDir;
}

beforeAll(async () => {
  initPublisherKeys(keys);
  rootPublicKey = readPublicKeyFile(path.join(keys, "root.pub")).publicKey;
  for (const k of [1, 2]) {
    await packCut({
      cutDir: writeCut(k),
      keysDir: keys,
      process: "VER-2024",
      channel: "produccion",
      sequence: k,
      corte: `2024-06-02T2${k}:00:00-06:00`,
      out: pkg(k),
    });
  }
  await buildDeltaPackage({ target: pkg(2), base: pkg(1), rootPublicKey, out: deltaPkg, workDir: dir });
});

interface Entry {
  name: string;
  data: Buffer;
}

/** The entries of a package written by tar-stream (short names, ustar headers, no pax). */
function entriesOf(file: string): Entry[] {
  const b = fs.readFileSync(file);
  const out: Entry[] = [];
  let at = 0;
  while (at + 512 <= b.length && b[at] !== 0) {
    const name = b
      .subarray(at, at + 100)
      .toString("latin1")
      .replace(/\0.*$/s, "");
    const size = parseInt(
      b
        .subarray(at + 124, at + 136)
        .toString("latin1")
        .replace(/[\0 ]/g, ""),
      8,
    );
    out.push({ name, data: Buffer.from(b.subarray(at + 512, at + 512 + size)) });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** A well-formed tar of exactly these entries: the archive itself is sound, only its contents lie. */
async function writeEntries(file: string, entries: Entry[]): Promise<void> {
  const pack = tar.pack();
  const parts: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) parts.push(c as Buffer);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: e.name, size: e.data.length, mode: 0o644, mtime: new Date(0) }, e.data, (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await done;
  fs.writeFileSync(file, Buffer.concat(parts));
}

/** The delta package with its entry `name` replaced (and renamed, if `rename`). */
async function tampered(name: string, replace: (data: Buffer) => Buffer, rename?: string): Promise<string> {
  const entries = entriesOf(deltaPkg).map((e) => (e.name === name ? { name: rename ?? name, data: replace(e.data) } : e));
  const file = path.join(dir, `hostile-${Math.random().toString(36).slice(2)}.prep`);
  await writeEntries(file, entries);
  return file;
}

/** The exact signed manifest.json of cut 2, from its full package. */
function signedManifest(): Buffer {
  return entriesOf(pkg(2)).find((e) => e.name === MANIFEST_ENTRY)!.data;
}

/** One zstd frame with the content-size flag off: its header declares no size. */
function frameWithoutContentSize(data: Buffer): Buffer {
  const cctx = new zstd.CCtx();
  cctx.setParameter(zstd.CParameter.contentSizeFlag, 0);
  cctx.setParameter(zstd.CParameter.compressionLevel, 1);
  const dst = Buffer.alloc(zstd.compressBound(data.length));
  return Buffer.from(dst.subarray(0, cctx.compress2(dst, data)));
}

/** Rewrites the Frame_Content_Size field of a frame compressed with the content size (RFC 8878 §3.1.1.1). */
function withDeclaredSize(frame: Buffer, size: number): Buffer {
  const out = Buffer.from(frame);
  const fhd = out[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictIdBytes = [0, 1, 2, 4][fhd & 3]!;
  const at = 5 + (singleSegment ? 0 : 1) + dictIdBytes;
  if (fcsFlag === 1) out.writeUInt16LE(size - 256, at);
  else if (fcsFlag === 2) out.writeUInt32LE(size, at);
  else if (fcsFlag === 3) out.writeBigUInt64LE(BigInt(size), at);
  else out.writeUInt8(size, at);
  return out;
}

let stores = 0;
/** A receiver with cut 1 live, for one install attempt. */
async function liveStore(): Promise<{ store: CutStore; root: string }> {
  const root = path.join(dir, `recv-${++stores}`);
  const store = await CutStore.open(root, {});
  await installPackage(store, pkg(1), { rootPublicKey });
  return { store, root };
}

async function expectRefused(file: string, code: ErrorCode, message?: RegExp): Promise<void> {
  const { store, root } = await liveStore();
  try {
    const err = await installDeltaPackage(store, file, { rootPublicKey }).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err).not.toBeNull();
    expect({ code: err!.code, message: err!.message }).toEqual({ code, message: message ? expect.stringMatching(message) : expect.any(String) });
    expect(store.live()!.record.sequence).toBe(1);
    expect((await compareTrees(path.join(dir, "cut-1"), store.live()!.siteDir)).differences).toEqual([]);
    expect(fs.readdirSync(path.join(root, "partial"))).toEqual([]);
    expect(fs.readFileSync(path.join(root, "audit.log"), "utf8")).toContain(code);
  } finally {
    store.close();
  }
}

describe("a delta package's compressed manifest", () => {
  test("format @2 carries manifest.json.zst, under half the manifest, and installs byte for byte", async () => {
    const names = entriesOf(deltaPkg).map((e) => e.name);
    expect(names).toEqual(["prepcast/keyset.json", "prepcast/keyset.sig", MANIFEST_ZSTD_ENTRY, "prepcast/manifest.sig", BASE_ENTRY, "prepcast/delta.bin"]);
    expect(JSON.parse(entriesOf(deltaPkg)[4]!.data.toString()).format).toBe(DELTA_PACKAGE_FORMAT);
    const z = entriesOf(deltaPkg)[2]!.data;
    expect(z.length).toBeLessThan(signedManifest().length / 2);
    const { store } = await liveStore();
    try {
      expect((await installDeltaPackage(store, deltaPkg, { rootPublicKey })).status).toBe("activated");
      expect((await compareTrees(path.join(dir, "cut-2"), store.live()!.siteDir)).differences).toEqual([]);
    } finally {
      store.close();
    }
  });

  test("backward compatible: a @1 package (manifest.json uncompressed) still installs", async () => {
    const v1 = path.join(dir, "cut2-from-1.v1.prep");
    await buildDeltaPackage({ target: pkg(2), base: pkg(1), rootPublicKey, out: v1, workDir: dir, format: 1 });
    expect(entriesOf(v1)[2]!.name).toBe(MANIFEST_ENTRY);
    expect(JSON.parse(entriesOf(v1)[4]!.data.toString()).format).toBe(DELTA_PACKAGE_FORMAT_V1);
    expect(fs.statSync(v1).size).toBeGreaterThan(fs.statSync(deltaPkg).size);
    const { store } = await liveStore();
    try {
      expect((await installDeltaPackage(store, v1, { rootPublicKey })).status).toBe("activated");
      expect((await compareTrees(path.join(dir, "cut-2"), store.live()!.siteDir)).differences).toEqual([]);
    } finally {
      store.close();
    }
  });

  test("a plain .prep reader refuses manifest.json.zst (an old receiver never half-installs @2)", async () => {
    await expect(verifyPackage(deltaPkg, { rootPublicKey })).rejects.toMatchObject({
      code: "UNEXPECTED_ENTRY",
      hint: expect.stringContaining("delta-package@2"),
    });
  });
});

describe("hostile compressed manifests are refused before anything parses them", () => {
  test("zip bomb: a tiny frame declaring more than the 32 MiB manifest limit is refused before allocating", async () => {
    const bomb = compressManifest(Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20));
    expect(bomb.length).toBeLessThan(4096);
    await expectRefused(await tampered(MANIFEST_ZSTD_ENTRY, () => bomb), "TOO_LARGE", /exceeds the 33554432-byte manifest limit/);
  });

  test("zip bomb within the limit: 32 MiB of spaces decompress (bounded) and fail the signature, never parsed", async () => {
    const bomb = compressManifest(Buffer.alloc(MAX_MANIFEST_BYTES, 0x20));
    await expectRefused(await tampered(MANIFEST_ZSTD_ENTRY, () => bomb), "SIGNATURE_INVALID");
  });

  test("declared size lies low: the frame header says 100 bytes less than the frame holds", async () => {
    const m = signedManifest();
    await expectRefused(
      await tampered(MANIFEST_ZSTD_ENTRY, (z) => withDeclaredSize(z, m.length - 100)),
      "TOO_LARGE",
      /decompresses to more than the declared content size/,
    );
  });

  test("declared size lies high: the frame header says 100 bytes more than the frame holds", async () => {
    const m = signedManifest();
    await expectRefused(await tampered(MANIFEST_ZSTD_ENTRY, (z) => withDeclaredSize(z, m.length + 100)), "PACKAGE_INVALID", /does not decompress/);
  });

  test("no declared size: a frame whose header omits the content size", async () => {
    await expectRefused(
      await tampered(MANIFEST_ZSTD_ENTRY, () => frameWithoutContentSize(signedManifest())),
      "PACKAGE_INVALID",
      /does not declare the manifest's size/,
    );
  });

  test("truncated frame: the compressed manifest cut short by 16 bytes", async () => {
    await expectRefused(await tampered(MANIFEST_ZSTD_ENTRY, (z) => z.subarray(0, z.length - 16)), "PACKAGE_INVALID", /not a valid zstd frame/);
  });

  test("two frames: a second frame appended after the manifest's", async () => {
    await expectRefused(
      await tampered(MANIFEST_ZSTD_ENTRY, (z) => Buffer.concat([z, compressManifest(Buffer.from("{}"))])),
      "PACKAGE_INVALID",
      /exactly one frame is allowed/,
    );
  });

  test("not zstd: the manifest's plain bytes under the .zst name", async () => {
    await expectRefused(await tampered(MANIFEST_ZSTD_ENTRY, () => signedManifest()), "PACKAGE_INVALID", /bad magic number/);
  });

  test("a frame that names a zstd dictionary (id 9 in its header) the manifest is never compressed with", async () => {
    const z = compressManifest(signedManifest());
    const fhd = z[4]!;
    expect(fhd & 3).toBe(0);
    const at = 5 + ((fhd >> 5) & 1 ? 0 : 1); // after the window descriptor, where the dictionary id goes
    const frame = Buffer.concat([z.subarray(0, 4), Buffer.from([fhd | 1]), z.subarray(5, at), Buffer.from([9]), z.subarray(at)]);
    expect(zstd.getDictIDFromFrame(frame)).toBe(9);
    await expectRefused(await tampered(MANIFEST_ZSTD_ENTRY, () => frame), "PACKAGE_INVALID", /needs zstd dictionary 9/);
  });

  test("manifest edited after signing, compressed properly: the signature fails before any parse", async () => {
    const edited = Buffer.from(signedManifest().toString("utf8").replace('"sequence":2', '"sequence":9'));
    await expectRefused(await tampered(MANIFEST_ZSTD_ENTRY, () => compressManifest(edited)), "SIGNATURE_INVALID");
  });

  test("layout and format disagree: manifest.json.zst with a base.json saying @1", async () => {
    const f = await tampered(BASE_ENTRY, (b) => Buffer.from(b.toString().replace(DELTA_PACKAGE_FORMAT, DELTA_PACKAGE_FORMAT_V1)));
    await expectRefused(f, "PACKAGE_INVALID", /says prepcast\/delta-package@1 but the package is laid out as prepcast\/delta-package@2/);
  });

  test("unknown version: a base.json saying prepcast/delta-package@3 is named, with the versions this receiver reads", async () => {
    const f = await tampered(BASE_ENTRY, (b) => Buffer.from(b.toString().replace(DELTA_PACKAGE_FORMAT, "prepcast/delta-package@3")));
    await expectRefused(
      f,
      "PACKAGE_INVALID",
      /delta package format "prepcast\/delta-package@3" is not one this receiver reads \(prepcast\/delta-package@1, prepcast\/delta-package@2\)/,
    );
  });

  test("a compressed manifest renamed manifest.json: the signature is checked over the bytes as they are", async () => {
    await expectRefused(await tampered(MANIFEST_ZSTD_ENTRY, (z) => z, MANIFEST_ENTRY), "SIGNATURE_INVALID");
  });
});
