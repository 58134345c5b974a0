// The running service picks up a keyset from `prep-publisher keys rotate` at the next cut, without
// a restart: the cut carries keyset N+1, the receiver records it, the audit log says so. Keys
// directories that do not load together leave the keyset in use unchanged. Real service, real
// receiver agent, the keys CLI as a process.
import * as fs from "node:fs";
import * as path from "node:path";
import { readSecretKeyFile, PUBLISHER_KEY_FILES } from "@prepcast/protocol";
import type { PublisherService } from "../src/service/publisher-service";
import {
  auditEvents,
  cut,
  makePublisherKeys,
  runPublisherCli,
  startPublisher,
  startReceiver,
  tmpDir,
  waitFor,
  writePublisherConfig,
  type PublisherKeys,
  type ReceiverFixture,
} from "./helpers";

jest.setTimeout(120_000);

describe("keyset rotation while the service runs", () => {
  const work = tmpDir("keyset-rotation");
  let keys: PublisherKeys;
  let rootKey: string;
  let rx: ReceiverFixture;
  let svc: PublisherService;
  const state = path.join(work, "pub-state");
  const receiverKeyset = () =>
    (JSON.parse(fs.readFileSync(path.join(rx.root, "state.json"), "utf8")) as { trust: { keysetVersion: number } }).trust.keysetVersion;
  const keysCli = (...args: string[]) => runPublisherCli(["keys", ...args, "--json"]);

  beforeAll(async () => {
    keys = makePublisherKeys(work);
    // cold storage: the root key leaves the keys directory, as docs/operations/keys.md says
    fs.mkdirSync(path.join(work, "usb"), { mode: 0o700 });
    rootKey = path.join(work, "usb", "root.key");
    fs.renameSync(path.join(keys.dir, PUBLISHER_KEY_FILES.rootKey), rootKey);
    rx = await startReceiver(work, "uv", keys);
    // init's keyset lives 365 days: a 400-day window warns, the default (14) does not
    svc = await startPublisher(writePublisherConfig(work, keys, [rx], { keysetWarnDays: 400 }), { monitor: false });
  });

  afterAll(async () => {
    await svc?.stop();
    await rx?.agent.stop();
  });

  async function publishAndWait(k: number): Promise<number> {
    const c = await svc.publish((await cut(work, k)).dir);
    await svc.waitForDelivery(c.ref.sequence, 30_000);
    expect(svc.status().receivers[0]!.live?.sequence).toBe(c.ref.sequence);
    return c.ref.sequence;
  }

  test("status warns within keysetWarnDays; rotate is picked up at the next cut, which carries keyset 2 to the receiver", async () => {
    expect(svc.status().keyset).toMatchObject({
      version: 1,
      expiringSoon: true,
      warnDays: 400,
      warning: expect.stringContaining("keys renew"),
      reloadProblem: null,
    });
    await publishAndWait(1);
    expect(receiverKeyset()).toBe(1);
    const oldKey = svc.status().keyset.signingKeyId;

    const r = await keysCli("rotate", "--keys", keys.dir, "--root-key", rootKey);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; version: number; previousVersion: number; signingKeyId: string; keys: string[]; added: string[] };
    expect(out).toMatchObject({ ok: true, previousVersion: 1, version: 2, added: [out.signingKeyId] });
    expect(out.keys.sort()).toEqual([oldKey, out.signingKeyId].sort());
    // secrets are never printed
    const secret = readSecretKeyFile(path.join(keys.dir, PUBLISHER_KEY_FILES.signingKey)).secretKey;
    expect(r.stdout + r.stderr).not.toContain(Buffer.from(secret).toString("base64"));
    expect(r.stdout + r.stderr).not.toContain(Buffer.from(secret.subarray(0, 32)).toString("base64").slice(0, 20));

    // not yet: the service signs the next cut with what the keys directory holds then
    expect(svc.status().keyset.version).toBe(1);
    await publishAndWait(2);
    expect(svc.status().keyset).toMatchObject({ version: 2, signingKeyId: out.signingKeyId });
    expect(svc.repo.latest()!.signed.keyset.toString()).toContain('"version":2');
    await waitFor("receiver records keyset 2", () => receiverKeyset() === 2, 10_000);
    expect(svc.status().receivers[0]!.keysetVersion).toBe(2);
    const changed = auditEvents(state).filter((e) => e.event === "keyset_changed");
    expect(changed).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ from: 1, to: 2, added: [out.signingKeyId], removed: [], signingKeyId: out.signingKeyId }) }),
    ]);
  });

  test("a keys directory that does not load together keeps the keyset in use, audited once and shown in status, until fixed", async () => {
    const sigFile = path.join(keys.dir, PUBLISHER_KEY_FILES.keysetSig);
    const goodSig = fs.readFileSync(sigFile);
    const r = await keysCli("rotate", "--keys", keys.dir, "--root-key", rootKey, "--drop-old");
    expect(r.status).toBe(0);
    const rotated = JSON.parse(r.stdout) as { version: number; signingKeyId: string; removed: string[] };
    expect(rotated.version).toBe(3);
    const newSig = fs.readFileSync(sigFile);
    // half copied: keyset 3 with keyset 2's signature
    fs.writeFileSync(sigFile, goodSig);
    const before = svc.status().keyset;
    await publishAndWait(3);
    await publishAndWait(4);
    expect(svc.status().keyset).toMatchObject({ version: 2, signingKeyId: before.signingKeyId, reloadProblem: { code: "SIGNATURE_INVALID" } });
    expect(receiverKeyset()).toBe(2);
    expect(auditEvents(state).filter((e) => e.event === "keyset_reload_failed")).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ code: "SIGNATURE_INVALID", keysetVersion: 2 }) }),
    ]);
    // the copy completed: keyset 3 from the next cut on
    fs.writeFileSync(sigFile, newSig);
    await publishAndWait(5);
    expect(svc.status().keyset).toMatchObject({ version: 3, signingKeyId: rotated.signingKeyId, keys: [rotated.signingKeyId], reloadProblem: null });
    await waitFor("receiver records keyset 3", () => receiverKeyset() === 3, 10_000);
  });

  test("keys status reads the directory (no root key); revoke refuses the key in signing.key and the last key with their codes", async () => {
    const s = await keysCli("status", "--keys", keys.dir);
    expect(s.status).toBe(0);
    const status = JSON.parse(s.stdout) as {
      version: number;
      verified: boolean;
      keys: Array<{ keyid: string; inUse: boolean }>;
      daysLeft: number;
      warning: string | null;
    };
    expect(status).toMatchObject({ version: 3, verified: true, warning: null });
    expect(status.keys).toHaveLength(1);
    expect(status.keys[0]!.inUse).toBe(true);
    const refused = await keysCli("revoke", status.keys[0]!.keyid, "--keys", keys.dir, "--root-key", rootKey);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, code: "STATE_CONFLICT" });
    const unknown = await keysCli("revoke", "0123456789abcdef", "--keys", keys.dir, "--root-key", rootKey);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ ok: false, code: "NOT_FOUND", message: expect.stringContaining("does not list") });
    // a mistyped --keys is named and nothing is created there
    const typo = path.join(work, "kyes");
    const mistyped = await keysCli("rotate", "--keys", typo, "--root-key", rootKey);
    expect(JSON.parse(mistyped.stdout)).toMatchObject({
      ok: false,
      code: "KEY_FILE_INVALID",
      message: expect.stringContaining(path.join(typo, "keyset.json")),
    });
    expect(fs.existsSync(typo)).toBe(false);
    const neither = await keysCli("revoke", "--keys", keys.dir, "--root-key", rootKey);
    expect(JSON.parse(neither.stdout)).toMatchObject({ ok: false, code: "CONFIG_INVALID", message: expect.stringContaining("--old") });
    const nothingOld = await keysCli("revoke", "--old", "--keys", keys.dir, "--root-key", rootKey);
    expect(JSON.parse(nothingOld.stdout)).toMatchObject({ ok: false, code: "STATE_CONFLICT", message: expect.stringContaining("nothing to revoke") });
    const renew = await keysCli("renew", "--keys", keys.dir, "--root-key", rootKey);
    expect(JSON.parse(renew.stdout)).toMatchObject({ ok: false, code: "CONFIG_INVALID", where: "--expires" });
    const renewed = await keysCli("renew", "--keys", keys.dir, "--root-key", rootKey, "--keyset-expires-days", "500");
    expect(JSON.parse(renewed.stdout)).toMatchObject({ ok: true, version: 4, added: [], removed: [] });
    await publishAndWait(6);
    // every change is in the keyset's own hash-chained history beside it (refusals changed nothing and are not); --drop-old removed both keys of keyset 2
    const history = auditEvents(keys.dir, "keyset-history.log");
    expect(history.map((e) => [e.event, e.data.from, e.data.to])).toEqual([
      ["keyset_rotated", 1, 2],
      ["keyset_rotated", 2, 3],
      ["keyset_renewed", 3, 4],
    ]);
    expect(history[1]!.data).toMatchObject({
      removed: [expect.any(String), expect.any(String)],
      by: expect.any(String),
      keysetSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const verified = await runPublisherCli(["audit", "verify", "--log", path.join(keys.dir, "keyset-history.log"), "--json"]);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, entries: 3 });
    // renewed beyond the 400-day window: no warning any more
    expect(svc.status().keyset).toMatchObject({ version: 4, expiringSoon: false, warning: null });
  });
});
