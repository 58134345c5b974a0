import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKeyPair, writePublicKeyFile } from "@prepcast/protocol";
import { createSiteServer, SiteServer, verifySite } from "../src";
import { activate, cleanup, makeKeys, sampleSite, tempRoot, writeCut, writeRootPub } from "./fixtures";

describe("verifySite", () => {
  const keys = makeKeys();
  let root: string;
  let server: SiteServer;
  let cut: ReturnType<typeof writeCut>;
  let trust: string;
  beforeAll(async () => {
    root = tempRoot();
    cut = writeCut(root, keys, { sequence: 7, corte: "2024-06-02T21:00:00-06:00", notBefore: "2024-06-02T20:00:00-06:00", files: sampleSite("V") });
    activate(root, cut.id);
    trust = writeRootPub(root, keys);
    server = await createSiteServer({ root, listen: "127.0.0.1:0", log: { info() {}, warn() {}, error() {} } });
  });
  afterAll(async () => {
    await server.close();
    cleanup(root);
  });

  test("an unmodified site verifies: signatures and every file", async () => {
    const seen: string[] = [];
    const r = await verifySite({ url: server.url, trust, onFile: (f) => seen.push(f.path) });
    expect(r).toMatchObject({
      ok: true,
      process: "VER-2024",
      channel: "produccion",
      sequence: 7,
      corte: "2024-06-02T21:00:00-06:00",
      manifestSha256: cut.manifestSha256,
      checked: 11,
      totalFiles: 11,
      differing: [],
    });
    expect(seen.sort()).toEqual(Object.keys(sampleSite("V")).sort());
  });

  test("--sample N checks N random files", async () => {
    const r = await verifySite({ url: server.url, trust: keys.root.publicKey, sample: 3 });
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(3);
  });

  test("another root key is refused before any file is fetched", async () => {
    const other = join(root, "other.pub");
    writePublicKeyFile(other, generateKeyPair().publicKey, { overwrite: true });
    await expect(verifySite({ url: server.url, trust: other })).rejects.toMatchObject({ code: "KEY_UNKNOWN" });
  });

  test("modified files are reported by path with what differs", async () => {
    const other = tempRoot();
    const c = writeCut(other, keys, { sequence: 3, corte: "2024-06-02T21:00:00-06:00", notBefore: "2024-06-02T20:00:00-06:00", files: sampleSite("W") });
    activate(other, c.id);
    const zip = join(c.dir, "site", "bd", "resultados.zip");
    const original = sampleSite("W")["bd/resultados.zip"] as Buffer;
    const altered = Buffer.from(original);
    altered[1000]! ^= 1;
    writeFileSync(zip, altered); // large file: streamed from disk, so the altered bytes go out
    writeFileSync(join(c.dir, "site", "datos", "entidad.json"), "{}"); // small file: the server itself refuses it
    const s = await createSiteServer({ root: other, listen: "127.0.0.1:0", log: { info() {}, warn() {}, error() {} } });
    try {
      const r = await verifySite({ url: `${s.url}/`, trust });
      expect(r.ok).toBe(false);
      expect(r.differing.map((d) => [d.path, d.problem])).toEqual([
        ["bd/resultados.zip", "hash"],
        ["datos/entidad.json", "status"],
      ]);
      expect(r.checked).toBe(11);
    } finally {
      await s.close();
      cleanup(other);
    }
  });

  test("clear errors for a bad URL and an unreachable site", async () => {
    await expect(verifySite({ url: "ftp://x", trust })).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    await expect(verifySite({ url: "http://127.0.0.1:1/", trust, timeoutMs: 2000 })).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });
});
