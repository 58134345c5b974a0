import * as fs from "node:fs";
import * as path from "node:path";
import {
  advanceTrustState,
  emptyTrustState,
  encodeSigFile,
  generateKeyPair,
  initPublisherKeys,
  keysDirStatus,
  keysetExpiry,
  loadPublisherSigningMaterial,
  readPublicKeyFile,
  readSecretKeyFile,
  renewKeyset,
  revokeOldSigningKeys,
  revokeSigningKey,
  rotateSigningKey,
  signDocument,
  verifySignedCut,
  writeSecretKeyFile,
  createManifest,
  PUBLISHER_KEY_FILES,
  type SignedCut,
} from "../index";
import { manifestInput, NOW, tempDir } from "./helpers";

const INIT_AT = new Date("2024-05-01T00:00:00Z");
const LATER = new Date("2024-05-10T00:00:00Z");

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string; hint?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; hint?: string };
  }
  throw new Error("expected an error, but the call succeeded");
}

/** A keys directory as init makes it, with root.key moved out of it (cold storage). */
function setup(days = 60): { keys: string; rootKey: string; root: Uint8Array; initialSigner: string } {
  const work = tempDir("prepcast-keyset-life-");
  const keys = path.join(work, "keys");
  const init = initPublisherKeys(keys, { keysetExpiresDays: days, now: INIT_AT });
  const rootKey = path.join(work, "usb-root.key");
  fs.renameSync(path.join(keys, PUBLISHER_KEY_FILES.rootKey), rootKey);
  return { keys, rootKey, root: readPublicKeyFile(init.rootPubPath).publicKey, initialSigner: init.signingKeyId };
}

/** A cut signed with the keys directory's current signing material. */
function cutSignedFrom(keys: string, sequence: number, signer = loadPublisherSigningMaterial(keys, NOW).signingKey): SignedCut {
  const m = loadPublisherSigningMaterial(keys, LATER);
  const manifest = createManifest(manifestInput({ sequence }));
  return { keyset: m.keyset, keysetSig: m.keysetSig, manifest, manifestSig: encodeSigFile(signDocument("manifest", manifest, signer.secretKey, signer.keyid)) };
}

describe("keyset lifecycle (rotate, revoke, renew, status)", () => {
  test("rotate: new signing key (0600), keyset N+1 lists old and new, root-verified; the publisher loads it", async () => {
    const { keys, rootKey, root, initialSigner } = setup();
    const r = await rotateSigningKey(keys, { rootKeyFile: rootKey, now: LATER });
    expect(r).toMatchObject({ previousVersion: 1, version: 2, removed: [] });
    expect(r.added).toEqual([r.signingKeyId]);
    expect(r.keys.sort()).toEqual([initialSigner, r.signingKeyId].sort());
    expect(fs.statSync(path.join(keys, PUBLISHER_KEY_FILES.signingKey)).mode & 0o777).toBe(0o600);
    expect(readPublicKeyFile(path.join(keys, PUBLISHER_KEY_FILES.signingPub)).keyid).toBe(r.signingKeyId);
    const m = loadPublisherSigningMaterial(keys, LATER);
    expect(m.signingKey.keyid).toBe(r.signingKeyId);
    // the expiry was kept (init's 60 days)
    expect(Date.parse(r.expires)).toBe(INIT_AT.getTime() + 60 * 86_400_000);
    // a receiver accepts a cut signed with the new key under keyset 2 and records version 2
    const v = verifySignedCut(cutSignedFrom(keys, 1), { rootPublicKey: root, now: LATER });
    expect(advanceTrustState(emptyTrustState(), v).keysetVersion).toBe(2);
  });

  test("rotate --drop-old lists only the new key: the old key is then KEY_UNKNOWN for a receiver that has seen keyset N+1", async () => {
    const { keys, rootKey, root } = setup();
    const oldKeys = path.join(path.dirname(keys), "old-signing.key");
    fs.copyFileSync(path.join(keys, PUBLISHER_KEY_FILES.signingKey), oldKeys);
    const old = readSecretKeyFile(oldKeys);
    const before = cutSignedFrom(keys, 1); // keyset 1, old key
    const r = await rotateSigningKey(keys, { rootKeyFile: rootKey, dropOld: true, now: LATER });
    expect(r.keys).toEqual([r.signingKeyId]);
    expect(r.removed).toEqual([old.keyid]);
    const state = advanceTrustState(emptyTrustState(), verifySignedCut(cutSignedFrom(keys, 2), { rootPublicKey: root, now: LATER }));
    expect(state.keysetVersion).toBe(2);
    // the old key under the new keyset: not listed
    expect(() => verifySignedCut(cutSignedFrom(keys, 3, old), { rootPublicKey: root, state, now: LATER })).toThrow(
      expect.objectContaining({ code: "KEY_UNKNOWN", message: expect.stringContaining("revoked") }),
    );
    // the old key with the old keyset: a rollback of the keyset
    expect(() =>
      verifySignedCut(
        { ...before, manifest: cutSignedFrom(keys, 3, old).manifest, manifestSig: cutSignedFrom(keys, 3, old).manifestSig },
        { rootPublicKey: root, state, now: LATER },
      ),
    ).toThrow(expect.objectContaining({ code: "KEYSET_ROLLBACK" }));
  });

  test("revoke: keyset N+1 without the key; refuses the last key, the key in signing.key, and an unknown id", async () => {
    const { keys, rootKey, initialSigner } = setup();
    expect(await errorOf(revokeSigningKey(keys, initialSigner, { rootKeyFile: rootKey, now: LATER }))).toMatchObject({
      code: "STATE_CONFLICT",
      message: expect.stringContaining("only key"),
    });
    const rotated = await rotateSigningKey(keys, { rootKeyFile: rootKey, now: LATER });
    expect(await errorOf(revokeSigningKey(keys, rotated.signingKeyId!, { rootKeyFile: rootKey, now: LATER }))).toMatchObject({
      code: "STATE_CONFLICT",
      hint: expect.stringContaining("rotate --drop-old"),
    });
    expect(await errorOf(revokeSigningKey(keys, "ab".repeat(32), { rootKeyFile: rootKey, now: LATER }))).toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining("does not list"),
    });
    expect(await errorOf(revokeSigningKey(keys, "not-a-key", { rootKeyFile: rootKey, now: LATER }))).toMatchObject({ code: "CONFIG_INVALID" });
    const r = await revokeSigningKey(keys, initialSigner.slice(0, 12), { rootKeyFile: rootKey, now: LATER });
    expect(r).toMatchObject({ previousVersion: 2, version: 3, removed: [initialSigner], keys: [rotated.signingKeyId] });
    expect(keysDirStatus(keys, { now: LATER })).toMatchObject({ version: 3, keys: [{ keyid: rotated.signingKeyId, inUse: true }], verified: true });
  });

  test("revoke --old keeps only the key in signing.key (completes a rotation); refused when there is nothing to revoke", async () => {
    const { keys, rootKey, initialSigner } = setup();
    expect(await errorOf(revokeOldSigningKeys(keys, { rootKeyFile: rootKey, now: LATER }))).toMatchObject({
      code: "STATE_CONFLICT",
      message: expect.stringContaining("nothing to revoke"),
    });
    const rotated = await rotateSigningKey(keys, { rootKeyFile: rootKey, now: LATER });
    const r = await revokeOldSigningKeys(keys, { rootKeyFile: rootKey, now: LATER });
    expect(r).toMatchObject({ previousVersion: 2, version: 3, keys: [rotated.signingKeyId], removed: [initialSigner], added: [] });
    fs.rmSync(path.join(keys, PUBLISHER_KEY_FILES.signingKey));
    fs.rmSync(path.join(keys, PUBLISHER_KEY_FILES.signingPub));
    expect(await errorOf(revokeOldSigningKeys(keys, { rootKeyFile: rootKey, now: LATER }))).toMatchObject({
      code: "STATE_CONFLICT",
      message: expect.stringContaining("no signing.key"),
    });
  });

  test("a root key other than the one that signed the current keyset is refused before anything is written", async () => {
    const { keys } = setup();
    const impostor = path.join(path.dirname(keys), "impostor.key");
    writeSecretKeyFile(impostor, generateKeyPair());
    const before = fs.readFileSync(path.join(keys, PUBLISHER_KEY_FILES.keyset));
    const signingBefore = fs.readFileSync(path.join(keys, PUBLISHER_KEY_FILES.signingKey));
    expect(await errorOf(rotateSigningKey(keys, { rootKeyFile: impostor, now: LATER }))).toMatchObject({
      code: "KEY_UNKNOWN",
      message: expect.stringContaining("root.pub"),
    });
    fs.rmSync(path.join(keys, PUBLISHER_KEY_FILES.rootPub)); // even without root.pub: the current keyset's signature decides
    expect(await errorOf(rotateSigningKey(keys, { rootKeyFile: impostor, now: LATER }))).toMatchObject({
      code: "KEY_UNKNOWN",
      hint: expect.stringContaining("ceremony"),
    });
    expect(fs.readFileSync(path.join(keys, PUBLISHER_KEY_FILES.keyset)).equals(before)).toBe(true);
    expect(fs.readFileSync(path.join(keys, PUBLISHER_KEY_FILES.signingKey)).equals(signingBefore)).toBe(true);
  });

  test("a root key file readable by others is refused (KEY_FILE_PERMISSIONS)", async () => {
    const { keys, rootKey } = setup();
    fs.chmodSync(rootKey, 0o644);
    expect(await errorOf(rotateSigningKey(keys, { rootKeyFile: rootKey, now: LATER }))).toMatchObject({ code: "KEY_FILE_PERMISSIONS" });
  });

  test("renew extends the expiry of the same keys (also of an expired keyset); --expires must be in the future and later", async () => {
    const { keys, rootKey, initialSigner } = setup(10);
    const afterExpiry = new Date("2024-05-20T00:00:00Z");
    expect(keysDirStatus(keys, { now: afterExpiry })).toMatchObject({ expired: true, warning: expect.stringContaining("EXPIRED") });
    expect(() => loadPublisherSigningMaterial(keys, afterExpiry)).toThrow(expect.objectContaining({ code: "KEYSET_EXPIRED" }));
    // rotating an expired keyset without a new expiry: refused, naming --expires
    expect(await errorOf(rotateSigningKey(keys, { rootKeyFile: rootKey, now: afterExpiry }))).toMatchObject({ code: "CONFIG_INVALID", where: "--expires" });
    expect(await errorOf(renewKeyset(keys, { rootKeyFile: rootKey, expires: "2024-05-19T00:00:00Z", now: afterExpiry }))).toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining("not in the future"),
    });
    expect(await errorOf(renewKeyset(keys, { rootKeyFile: rootKey, expires: "2024-06-30", now: afterExpiry }))).toMatchObject({ code: "TIME_INVALID" });
    const r = await renewKeyset(keys, { rootKeyFile: rootKey, expires: "2024-06-30T23:59:00-06:00", now: afterExpiry });
    expect(r).toMatchObject({ version: 2, keys: [initialSigner], added: [], removed: [], expires: "2024-06-30T23:59:00-06:00" });
    expect(loadPublisherSigningMaterial(keys, afterExpiry).signingKey.keyid).toBe(initialSigner);
    expect(await errorOf(renewKeyset(keys, { rootKeyFile: rootKey, expires: "2024-06-01T00:00:00Z", now: afterExpiry }))).toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining("not later"),
    });
  });

  test("status and expiry warnings: days left, warning inside the window only", () => {
    const { keys, initialSigner } = setup(30);
    const s = keysDirStatus(keys, { now: LATER });
    expect(s).toMatchObject({
      version: 1,
      daysLeft: 21,
      expiringSoon: false,
      expired: false,
      warning: null,
      signingKeyId: initialSigner,
      verified: true,
      keys: [{ keyid: initialSigner, inUse: true }],
    });
    expect(keysDirStatus(keys, { now: LATER, warnDays: 22 })).toMatchObject({ expiringSoon: true, warning: expect.stringContaining("expires in 21 day(s)") });
    expect(keysetExpiry({ version: 4, expires: "2024-06-10T00:00:00Z" }, new Date("2024-06-09T12:00:00Z"))).toMatchObject({
      daysLeft: 0,
      expiringSoon: true,
      expired: false,
    });
    expect(keysetExpiry({ version: 4, expires: "2024-06-10T00:00:00Z" }, new Date("2024-06-10T00:00:00Z"))).toMatchObject({
      expired: true,
      expiringSoon: false,
    });
    // a keyset altered on disk is refused by status too (verified against root.pub)
    const file = path.join(keys, PUBLISHER_KEY_FILES.keyset);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"version":1', '"version":9'));
    expect(() => keysDirStatus(keys, { now: LATER })).toThrow(expect.objectContaining({ code: "SIGNATURE_INVALID" }));
  });
});
