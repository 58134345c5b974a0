import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CutStore, initPublisherKeys, installPackage, packCut, readPublicKeyFile, verifyPackage } from "@prepcast/protocol";
import { compareTrees, generateCut } from "@prepcast/testkit";
import { installDeltaPackage } from "@prepcast/receiver";
import { buildDeltaPackage, isDeltaPackage } from "@prepcast/delta";

// The offline path: `pack --base` writes a delta package from two full ones, `install` applies it
// on top of the installed base with the same checks and atomic switch as a full package.

jest.setTimeout(30_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-delta-offline-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const keys = path.join(dir, "keys");
const cut = (k: number) => path.join(dir, `c${k}`, `cut-${String(k).padStart(4, "0")}`);
const pkg = (k: number) => path.join(dir, `cut${k}.prep`);
let rootPublicKey: Uint8Array;

beforeAll(async () => {
  initPublisherKeys(keys);
  rootPublicKey = readPublicKeyFile(path.join(keys, "root.pub")).publicKey;
  for (const k of [1, 2]) {
    await generateCut({ outDir: path.join(dir, `c${k}`), k, scale: "small" });
    await packCut({
      cutDir: cut(k),
      keysDir: keys,
      process: "VER-2024",
      channel: "produccion",
      sequence: k,
      corte: `2024-06-02T2${k}:00:00-06:00`,
      out: pkg(k),
    });
  }
});

test("a delta package installs on top of its base, byte for byte, and is much smaller", async () => {
  const out = path.join(dir, "cut2-from-1.prep");
  const r = await buildDeltaPackage({ target: pkg(2), base: pkg(1), rootPublicKey, out, workDir: dir });
  expect(await isDeltaPackage(out)).toBe(true);
  expect(await isDeltaPackage(pkg(2))).toBe(false);
  expect(r.packageBytes).toBeLessThan(fs.statSync(pkg(2)).size / 5);
  // a plain .prep reader refuses it: an old receiver never half-installs a delta package
  await expect(verifyPackage(out, { rootPublicKey })).rejects.toMatchObject({ code: "UNEXPECTED_ENTRY" });

  const store = await CutStore.open(path.join(dir, "recv"), {});
  try {
    await installPackage(store, pkg(1), { rootPublicKey });
    const res = await installDeltaPackage(store, out, { rootPublicKey });
    expect(res.status).toBe("activated");
    expect((await compareTrees(cut(2), store.live()!.siteDir)).differences).toEqual([]);
  } finally {
    store.close();
  }
});

test("refused without its base, or tampered: the live cut stays and the refusal is logged", async () => {
  const out = path.join(dir, "cut2-from-1.prep");
  const root = path.join(dir, "recv2");
  const store = await CutStore.open(root, {});
  try {
    await expect(installDeltaPackage(store, out, { rootPublicKey })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await installPackage(store, pkg(1), { rootPublicKey });
    const bytes = fs.readFileSync(out);
    // flip a byte in the middle of delta.bin, the sixth tar entry
    let at = 0;
    for (let i = 0; i < 5; i++)
      at +=
        512 +
        Math.ceil(
          parseInt(
            bytes
              .subarray(at + 124, at + 136)
              .toString("latin1")
              .replace(/[\0 ]/g, ""),
            8,
          ) / 512,
        ) *
          512;
    const size = parseInt(
      bytes
        .subarray(at + 124, at + 136)
        .toString("latin1")
        .replace(/[\0 ]/g, ""),
      8,
    );
    expect(bytes.subarray(at, at + 18).toString("latin1")).toBe("prepcast/delta.bin");
    bytes[at + 512 + Math.floor(size / 2)]! ^= 0x01;
    const bad = path.join(dir, "bad.prep");
    fs.writeFileSync(bad, bytes);
    await expect(installDeltaPackage(store, bad, { rootPublicKey })).rejects.toMatchObject({ code: "HASH_MISMATCH" });
    expect(store.live()!.record.sequence).toBe(1);
    expect((await compareTrees(cut(1), store.live()!.siteDir)).differences).toEqual([]);
    expect(fs.readdirSync(path.join(root, "partial"))).toEqual([]);
    const audit = fs.readFileSync(path.join(root, "audit.log"), "utf8");
    expect(audit).toContain("NOT_FOUND");
    expect(audit).toContain("HASH_MISMATCH");
    const res = await installDeltaPackage(store, out, { rootPublicKey });
    expect(res.record.sequence).toBe(2);
    expect((await compareTrees(cut(2), store.live()!.siteDir)).differences).toEqual([]);
  } finally {
    store.close();
  }
  await expect(buildDeltaPackage({ target: pkg(1), base: pkg(2), rootPublicKey, out: path.join(dir, "backwards.prep"), workDir: dir })).rejects.toMatchObject({
    code: "STATE_CONFLICT",
  });
});
