import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateKeyPair, isPrepcastError, writePublicKeyFile, writeSecretKeyFile } from "@prepcast/protocol";
import { loadReceiverConfig } from "../agent/config";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function setup(yaml: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rcfg-"));
  dirs.push(dir);
  writeSecretKeyFile(path.join(dir, "identity.key"), generateKeyPair());
  writePublicKeyFile(path.join(dir, "root.pub"), generateKeyPair().publicKey);
  writePublicKeyFile(path.join(dir, "publisher.pub"), generateKeyPair().publicKey);
  fs.writeFileSync(path.join(dir, "receiver.yaml"), yaml);
  return path.join(dir, "receiver.yaml");
}

const VALID = `id: uv-xalapa
root: ./data
trust: { rootPublicKey: ./root.pub, process: VER-2024 }
identity: { secretKey: ./identity.key }
publisher: { id: ople, identityPublicKey: ./publisher.pub }
push: { allowlist: [203.0.113.0/24] }
`;

describe("receiver config", () => {
  test("defaults, resolved paths and pinned keys", () => {
    const file = setup(VALID);
    const c = loadReceiverConfig(file, {});
    expect(c.root).toBe(path.join(path.dirname(file), "data"));
    expect(c.push.listen).toBe("0.0.0.0:8730");
    expect(c.trust.channels).toEqual(["produccion"]);
    expect(c.admin.listen).toBe("127.0.0.1:8731");
    expect(c.rootPublicKey).toHaveLength(32);
    expect(c.publisherPublicKey).toHaveLength(32);
  });

  test("PREPCAST_* environment variables override the file", () => {
    const c = loadReceiverConfig(setup(VALID), {
      PREPCAST_ALLOWLIST: "198.51.100.7/32,2001:db8::/32",
      PREPCAST_SITE_LISTEN: "127.0.0.1:8080",
      PREPCAST_ROOT: "/srv/prep",
    });
    expect(c.push.allowlist).toEqual(["198.51.100.7/32", "2001:db8::/32"]);
    expect(c.site.listen).toBe("127.0.0.1:8080");
    expect(c.root).toBe("/srv/prep");
  });

  test("every problem is listed at once with its path", () => {
    const file = setup(`id: UV Xalapa
root: ./data
trust: { rootPublicKey: ./root.pub, process: ver, channels: [ensayo] }
identity: {}
publisher: { id: ople, identityPublicKey: ./publisher.pub }
push: { allowlist: [], listen: "8730" }
site: { workers: -2 }
unknown: 1
`);
    try {
      loadReceiverConfig(file, {});
      throw new Error("accepted a broken config");
    } catch (e) {
      expect(isPrepcastError(e, "CONFIG_INVALID")).toBe(true);
      const msg = (e as Error).message;
      for (const where of ["id", "trust.process", "trust.channels.0", "identity.secretKey", "push.allowlist", "push.listen", "site.workers", "(top level)"])
        expect(msg).toContain(`- ${where}`);
    }
  });

  test("a missing key file is named, with what to do", () => {
    const file = setup(VALID.replace("./publisher.pub", "./nope.pub"));
    expect(() => loadReceiverConfig(file, {})).toThrow(/nope\.pub does not exist/);
  });
});
