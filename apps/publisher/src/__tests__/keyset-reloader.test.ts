// The running service reloads the keys directory before each cut it signs: a root set's root.json
// replaced there is used only when it is the next link of the chain receivers follow (a higher
// version signed by the thresholds of the version in use and its own); a forged or older root is
// refused, audited, and the material in use stays. Real key files, real signatures.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  createRoot,
  generateKeyPair,
  initPublisherKeys,
  keyIdOf,
  loadPublisherSigningMaterial,
  PUBLISHER_KEY_FILES,
  rotateRoot,
  signWithKeys,
  type PublisherSigningMaterial,
} from "@prepcast/protocol";
import { createLogger } from "@prepcast/runtime";
import { KeysetReloader, type KeysetReloaderDeps } from "../service/keyset-reloader";

function tmp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `prepcast-${prefix}-`));
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(dir); // removed after the test file (jest.environment.js)
  return dir;
}

test("root.json replaced in the keys directory: the next version is taken, a forged one and an older one are refused and the root in use stays", async () => {
  const dir = path.join(tmp("reloader"), "keys");
  const init = initPublisherKeys(dir, { rootKeys: 3, threshold: 2 });
  const file = (name: string) => path.join(dir, name);
  const v1Files = Object.fromEntries(
    [PUBLISHER_KEY_FILES.rootJson, PUBLISHER_KEY_FILES.rootSig, PUBLISHER_KEY_FILES.keysetSig].map((f) => [f, fs.readFileSync(file(f))]),
  );
  const holder = {
    signingMaterial: loadPublisherSigningMaterial(dir),
    useSigningMaterial(m: PublisherSigningMaterial) {
      this.signingMaterial = m;
    },
  };
  const audit: Array<{ event: string; data: Record<string, unknown> }> = [];
  const reloader = new KeysetReloader({
    keysDir: dir,
    warnDays: 14,
    audit: {
      append: (event, data) => {
        audit.push({ event, data: data as Record<string, unknown> });
        return { seq: audit.length, ts: new Date().toISOString(), event, data, prev: "", hash: "" } as unknown as ReturnType<
          KeysetReloaderDeps["audit"]["append"]
        >;
      },
    },
    log: createLogger({ name: "test", level: "silent" }),
    now: () => Date.now(),
    material: holder,
  });
  expect(reloader.status().root).toMatchObject({ version: 1, threshold: 2 });

  // the ceremony's rotation: version 2, signed by two keys of version 1 and by its own
  const rotated = await rotateRoot(dir, { rootKeyFiles: init.rootKeyFiles.slice(0, 2), rootKeys: 3, threshold: 2 });
  reloader.reload();
  expect(reloader.status()).toMatchObject({ root: { version: 2, threshold: 2, keyIds: [...rotated.rootKeyIds].sort() }, reloadProblem: null });
  const v2 = holder.signingMaterial;

  // a version 3 made by someone without the version 2 keys: self-signed, with a keyset it signed
  const forged = [generateKeyPair(), generateKeyPair()].map((k) => ({ ...k, keyid: keyIdOf(k.publicKey) }));
  const v3 = createRoot({ version: 3, threshold: 2, publicKeys: forged.map((k) => k.publicKey) });
  fs.writeFileSync(file(PUBLISHER_KEY_FILES.rootJson), v3);
  fs.writeFileSync(file(PUBLISHER_KEY_FILES.rootSig), signWithKeys("root", v3, forged));
  fs.writeFileSync(file(PUBLISHER_KEY_FILES.keysetSig), signWithKeys("keyset", fs.readFileSync(file(PUBLISHER_KEY_FILES.keyset)), forged));
  reloader.reload();
  expect(reloader.status().reloadProblem).toMatchObject({ code: "ROOT_UNTRUSTED" });
  expect(holder.signingMaterial).toBe(v2);
  expect(audit.filter((a) => a.event === "keyset_reload_failed").map((a) => a.data.code)).toEqual(["ROOT_UNTRUSTED"]);

  // version 1's files put back: older than the root in use
  for (const [name, bytes] of Object.entries(v1Files)) fs.writeFileSync(file(name), bytes);
  reloader.reload();
  expect(reloader.status().reloadProblem).toMatchObject({ code: "ROOT_ROLLBACK" });
  expect(holder.signingMaterial).toBe(v2);
  expect(reloader.status().root.version).toBe(2);
});
