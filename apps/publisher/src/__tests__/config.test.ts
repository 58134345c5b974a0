import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateKeyPair, initPublisherKeys, isPrepcastError, writeSecretKeyFile } from "@prepcast/protocol";
import { loadPublisherConfig } from "../service/config";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const key = Buffer.from(generateKeyPair().publicKey).toString("base64");
const fp = "ab".repeat(32);

function write(yaml: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcfg-"));
  dirs.push(dir);
  initPublisherKeys(path.join(dir, "keys"));
  writeSecretKeyFile(path.join(dir, "identity.key"), generateKeyPair());
  fs.writeFileSync(path.join(dir, "publisher.yaml"), yaml);
  return path.join(dir, "publisher.yaml");
}

const base = (receivers: string) => `id: ople
process: VER-2024
keys: ./keys
identity: { secretKey: ./identity.key }
state: ./state
receivers:
${receivers}`;

describe("publisher config", () => {
  test("gRPC and WebSocket receivers with pinned fingerprints and inline keys", () => {
    const c = loadPublisherConfig(
      write(
        base(`  - { id: uv, name: UV, address: "203.0.113.10:8730", tlsFingerprint: "${fp}", identityPublicKey: "${key}" }
  - { id: diario, name: Diario, transport: websocket, address: "wss://prep.diario.mx/prepcast/v1/push", tlsFingerprint: "${fp.toUpperCase()}", identityPublicKey: "${key}" }
`),
      ),
      {},
    );
    expect(c.receiverEntries[0]).toMatchObject({ id: "uv", transport: "grpc", host: "203.0.113.10", port: 8730, tlsFingerprint: fp });
    expect(c.receiverEntries[1]).toMatchObject({
      id: "diario",
      transport: "websocket",
      host: "prep.diario.mx",
      port: 443,
      path: "/prepcast/v1/push",
      tlsFingerprint: fp,
    });
    expect(c.admin.listen).toBe("127.0.0.1:8740");
  });

  test("unpinned receivers, duplicates and bad addresses are refused, all at once", () => {
    try {
      loadPublisherConfig(
        write(
          base(`  - { id: uv, name: UV, address: "203.0.113.10:8730", identityPublicKey: "${key}" }
  - { id: uv, name: UV2, address: "nope", tlsFingerprint: "${fp}", identityPublicKey: "${key}" }
`),
        ),
        {},
      );
      throw new Error("accepted");
    } catch (e) {
      expect(isPrepcastError(e, "CONFIG_INVALID")).toBe(true);
      const msg = (e as Error).message;
      expect(msg).toContain("receivers.0.tlsFingerprint");
      expect(msg).toContain("receivers.1.id");
      expect(msg).toContain("receivers.1.address");
    }
  });
});
