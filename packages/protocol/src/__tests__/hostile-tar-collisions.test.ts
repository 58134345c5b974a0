// Hostile archives the main corpus (hostile-tar.test.ts) does not carry: a correctly signed
// manifest whose paths collide after case folding or NFKD. On a case-insensitive or normalizing
// file system two such entries would land on one file (the second silently replacing the
// first, or a directory swapped for a file). The manifest parser refuses them before any
// content is read, whatever the archive holds.
import * as fs from "node:fs";
import * as path from "node:path";
import { canonicalBytes } from "../trust/canonical-json";
import { sha256Hex } from "../hash";
import { keyIdOf } from "../trust/keys";
import { encodeSigFile, signDocument } from "../trust/signing";
import { parseManifest } from "../trust/manifest";
import { CutStore } from "../store/cut-store";
import { installPackage } from "../store/install";
import { readAuditLog } from "../audit-log";
import { buildTar } from "../testing";
import { makeCut, makeKeys, NOW, packageEntries, tempDir } from "./fixtures-package/signed-cut";

const keys = makeKeys();

/** A manifest createManifest would refuse to write, signed anyway by the listed signing key. */
function signedManifestWith(files: Record<string, string>): { bytes: Buffer; sig: Buffer; entries: Array<{ name: string; data: Buffer }> } {
  const list = Object.entries(files)
    .map(([p, c]) => ({ path: p, sha256: sha256Hex(c), size: Buffer.byteLength(c) }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const bytes = canonicalBytes({
    channel: "produccion",
    corte: "2024-06-02T20:02:00-06:00",
    createdAt: "2024-06-02T20:00:00-06:00",
    expires: "2024-12-31T00:00:00-06:00",
    files: list,
    format: "prepcast/manifest@1",
    notBefore: "2024-06-02T20:00:00-06:00",
    process: "VER-2024",
    sequence: 2,
    totalSize: list.reduce((a, f) => a + f.size, 0),
  });
  const sig = encodeSigFile(signDocument("manifest", bytes, keys.signing.secretKey, keyIdOf(keys.signing.publicKey)));
  return { bytes, sig, entries: list.map((f) => ({ name: `site/${f.path}`, data: Buffer.from(files[f.path]!) })) };
}

async function expectCollisionRefused(files: Record<string, string>): Promise<void> {
  const work = tempDir("collide");
  const root = path.join(work, "receiver");
  const store = await CutStore.open(root);
  try {
    const good = path.join(work, "cut1.prep");
    fs.writeFileSync(good, buildTar(packageEntries(makeCut(keys, 1, { "index.html": "<h1>corte 1</h1>" }))));
    await installPackage(store, good, { rootPublicKey: keys.root.publicKey, now: NOW });
    const m = signedManifestWith(files);
    const hostile = path.join(work, "hostile.prep");
    fs.writeFileSync(
      hostile,
      buildTar([
        { name: "prepcast/keyset.json", data: keys.keyset },
        { name: "prepcast/keyset.sig", data: keys.keysetSig },
        { name: "prepcast/manifest.json", data: m.bytes },
        { name: "prepcast/manifest.sig", data: m.sig },
        ...m.entries,
      ]),
    );
    await expect(installPackage(store, hostile, { rootPublicKey: keys.root.publicKey, now: NOW })).rejects.toMatchObject({ code: "PATH_COLLISION" });
    expect(fs.readlinkSync(path.join(root, "current"))).toMatch(/^cuts\/000001-/);
    expect(fs.readdirSync(path.join(root, "staging"))).toEqual([]);
    expect(fs.readdirSync(path.join(root, "cuts")).length).toBe(1);
    expect(readAuditLog(path.join(root, "audit.log")).at(-1)).toMatchObject({ event: "cut.refused", data: { code: "PATH_COLLISION" } });
  } finally {
    store.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

describe("hostile archives: collisions after case folding and NFKD", () => {
  test("case collision: index.html and INDEX.html in one signed package", async () => {
    await expectCollisionRefused({ "index.html": "<h1>a</h1>", "INDEX.html": "<script>evil()</script>" });
  });

  test("NFKD collision: ﬁle.json (ligature) and file.json", async () => {
    await expectCollisionRefused({ "datos/\ufb01le.json": "{}", "datos/file.json": '{"x":1}' });
  });

  test("NFKD + case collision: straße.csv and STRASSE.csv", async () => {
    await expectCollisionRefused({ "stra\u00dfe.csv": "a", "STRASSE.csv": "b" });
  });

  test("file/directory collision across case: datos and DATOS/x.json", async () => {
    await expectCollisionRefused({ datos: "a file", "DATOS/x.json": "{}" });
  });

  test("the signed manifest itself is what is refused (signature valid, parse refuses)", () => {
    const m = signedManifestWith({ "a.html": "1", "A.html": "2" });
    expect(() => parseManifest(m.bytes)).toThrow(expect.objectContaining({ code: "PATH_COLLISION" }));
  });
});
