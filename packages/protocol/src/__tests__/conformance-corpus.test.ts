// conformance/packages/ is the hostile package corpus of the conformance kit: files any
// implementation can install, each with the code it must refuse it with (expected.json). This
// keeps the committed files identical to what src/testing/corpus.ts builds, and runs the
// reference installer over the files as committed, following expected.json's procedure.
// PREPCAST_WRITE_CORPUS=1 rewrites the directory after a deliberate change.
import * as fs from "node:fs";
import * as path from "node:path";
import { CutStore } from "../store/cut-store";
import { installPackage } from "../store/install";
import { buildCorpus } from "../testing";
import { tempDir } from "./fixtures-package/signed-cut";

const DIR = path.join(__dirname, "..", "..", "..", "..", "conformance", "packages");
const corpus = buildCorpus();
const expectedJson = `${JSON.stringify(corpus.manifest, null, 2)}\n`;

if (process.env.PREPCAST_WRITE_CORPUS === "1") {
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  for (const [name, bytes] of Object.entries(corpus.files)) fs.writeFileSync(path.join(DIR, name), bytes);
  fs.writeFileSync(path.join(DIR, "expected.json"), expectedJson);
}

describe("conformance/packages: the hostile package corpus", () => {
  it("is what the generator builds, byte for byte (PREPCAST_WRITE_CORPUS=1 rewrites it)", () => {
    expect(fs.readFileSync(path.join(DIR, "expected.json"), "utf8")).toBe(expectedJson);
    const onDisk = fs
      .readdirSync(DIR)
      .filter((f) => f !== "expected.json" && f !== "README.md")
      .sort();
    expect(onDisk).toEqual(Object.keys(corpus.files).sort());
    for (const [name, bytes] of Object.entries(corpus.files)) expect(fs.readFileSync(path.join(DIR, name)).equals(bytes)).toBe(true);
  });

  const manifest = JSON.parse(fs.readFileSync(path.join(DIR, "expected.json"), "utf8")) as typeof corpus.manifest;
  const opts = { rootPublicKey: Buffer.from(manifest.rootPublicKey, "base64"), now: new Date(manifest.now) };

  test.each(manifest.cases.map((c) => [c.file, c.expect, c.what] as const))("%s: %s (%s)", async (file, expected) => {
    const root = path.join(tempDir("corpus"), "receiver");
    const store = await CutStore.open(root);
    try {
      await installPackage(store, path.join(DIR, manifest.base), opts);
      let code = "ACCEPTED";
      try {
        await installPackage(store, path.join(DIR, file), opts);
      } catch (e) {
        code = (e as { code?: string }).code ?? String(e);
      }
      expect(code).toBe(expected);
      expect(fs.readdirSync(path.join(root, "staging"))).toEqual([]);
      const live = fs.readFileSync(path.join(root, "current", "site", "index.html"), "utf8");
      expect(live).toBe(expected === "ACCEPTED" ? "<h1>corte 2</h1>" : "<h1>corte 1</h1>");
    } finally {
      store.close();
    }
  });
});
