import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import {
  createKeyset,
  createManifest,
  createRoot,
  encodeSigFile,
  encodeSignatures,
  implicitRoot,
  initPublisherKeys,
  loadPublisherSigningMaterial,
  malleateSignature,
  encodeBase64,
  parseRoot,
  parseSignatures,
  readTrustedRoot,
  signDocument,
  signWithKeys,
  verifyKeyset,
  verifySelfSignedRoot,
  verifySignedCut,
  verifyThreshold,
  PUBLISHER_KEY_FILES,
  type TrustRoot,
} from "../index";
import { ROOT, SIGNER, manifestInput, NOW, seededKey, tempDir } from "./helpers";

const R = [seededKey(11), seededKey(12), seededKey(13), seededKey(14), seededKey(15)];
const STRANGER = seededKey(99);
const KEYSET = createKeyset({ version: 1, expires: "2025-01-01T00:00:00Z", createdAt: "2024-01-01T00:00:00Z", signingPublicKeys: [SIGNER.publicKey] });
// one signature per key, made once: the property combines them
const SIG = new Map([...R, STRANGER].map((k) => [k.keyid, signDocument("keyset", KEYSET, k.secretKey, k.keyid)]));

function rootOf(threshold: number, keys = R.slice(0, 3)): TrustRoot {
  return {
    version: 1,
    threshold,
    keys: keys.map((k) => ({ keyid: k.keyid, publicKey: k.publicKey })).sort((a, b) => (a.keyid < b.keyid ? -1 : 1)),
    signed: { root: Buffer.alloc(0), rootSig: Buffer.alloc(0) },
  };
}

function errorOf(f: () => unknown): { code: string; message: string; details?: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error("expected an error");
}

describe("root document (prepcast/root@1)", () => {
  test("createRoot sorts keys, parseRoot reads it back; bad thresholds and shapes are ROOT_INVALID naming the field", () => {
    const bytes = createRoot({ version: 1, threshold: 2, publicKeys: [R[2]!.publicKey, R[0]!.publicKey, R[1]!.publicKey] });
    const doc = parseRoot(bytes);
    expect(doc).toMatchObject({ format: "prepcast/root@1", version: 1, threshold: 2 });
    expect(doc.keys.map((k) => k.keyid)).toEqual([...doc.keys.map((k) => k.keyid)].sort());
    expect(errorOf(() => createRoot({ version: 1, threshold: 3, publicKeys: [R[0]!.publicKey, R[1]!.publicKey] }))).toMatchObject({
      code: "ROOT_INVALID",
      message: expect.stringContaining("threshold is 3, more than the 2 root key(s)"),
    });
    expect(errorOf(() => createRoot({ version: 1, threshold: 1, publicKeys: [R[0]!.publicKey, R[0]!.publicKey] }))).toMatchObject({
      code: "ROOT_INVALID",
      message: expect.stringContaining("without duplicates"),
    });
    expect(errorOf(() => createRoot({ version: 1, threshold: 0, publicKeys: [R[0]!.publicKey] }))).toMatchObject({
      code: "ROOT_INVALID",
      message: expect.stringContaining("field threshold"),
    });
    const extra = Buffer.from(bytes.toString().replace('"format"', '"extra":1,"format"'));
    expect(errorOf(() => parseRoot(extra))).toMatchObject({ code: "ROOT_INVALID" });
  });

  test('a 1-signature keyset.sig is the plain sig file, byte for byte; several are {"signatures":[…]} sorted by keyid', () => {
    const one = signWithKeys("keyset", KEYSET, [ROOT]);
    expect(one.equals(encodeSigFile(signDocument("keyset", KEYSET, ROOT.secretKey, ROOT.keyid)))).toBe(true);
    expect(parseSignatures(one, "x")).toHaveLength(1);
    const two = signWithKeys("keyset", KEYSET, [R[1]!, R[0]!]);
    const parsed = JSON.parse(two.toString()) as { signatures: Array<{ keyid: string }> };
    expect(parsed.signatures.map((s) => s.keyid)).toEqual([R[0]!.keyid, R[1]!.keyid].sort());
    expect(errorOf(() => parseSignatures(Buffer.from('{"signatures":[]}'), "keyset.sig"))).toMatchObject({ code: "SIGNATURE_MALFORMED" });
    expect(errorOf(() => parseSignatures(Buffer.from('{"signatures":[{"keyid":"ab","sig":"x"}]}'), "keyset.sig"))).toMatchObject({
      code: "SIGNATURE_MALFORMED",
      message: expect.stringContaining("keyset.sig#signatures.0"),
    });
  });

  test("property: the keyset verifies iff at least `threshold` DISTINCT root keys signed; duplicates count once, unknown keys never", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }), fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 9 }))),
        ([n, threshold, picks]) => {
          const root = rootOf(threshold, R.slice(0, n));
          // index 5 is the stranger; an index >= n is a real key that this root does not list
          const signers = picks.map((i) => (i === 5 ? STRANGER : R[i]!));
          const sigBytes = signers.length === 0 ? Buffer.from("{}") : encodeSignatures(signers.map((k) => SIG.get(k.keyid)!));
          const distinctRootSigners = new Set(picks.filter((i) => i < n)).size;
          let ok = true;
          let code = "";
          try {
            verifyThreshold("keyset", KEYSET, sigBytes, root, { where: "keyset.json", sigWhere: "keyset.sig" });
          } catch (e) {
            ok = false;
            code = (e as { code: string }).code;
          }
          expect(ok).toBe(distinctRootSigners >= threshold);
          if (!ok && signers.length > 0) expect(code).toBe(distinctRootSigners === 0 ? "KEY_UNKNOWN" : "SIGNATURE_THRESHOLD");
        },
      ),
      { numRuns: 300 },
    );
  });

  test("short of the threshold: SIGNATURE_THRESHOLD says how many of how many and which keys", () => {
    const sig = encodeSignatures([SIG.get(R[0]!.keyid)!, SIG.get(R[0]!.keyid)!, SIG.get(STRANGER.keyid)!]);
    const e = errorOf(() => verifyThreshold("keyset", KEYSET, sig, rootOf(2), { where: "keyset.json", sigWhere: "keyset.sig" }));
    expect(e.code).toBe("SIGNATURE_THRESHOLD");
    expect(e.message).toContain("1 valid signature(s) by distinct keys of the pinned root, 2 needed (threshold 2 of 3)");
    expect(e.message).toContain(R[0]!.keyid);
    expect(e.message).toContain(`ignored, not root keys: ${STRANGER.keyid}`);
    expect(e.details).toMatchObject({ threshold: 2, valid: [R[0]!.keyid], unknown: [STRANGER.keyid] });
  });

  test("a malleated signature by a root key is never counted (SIGNATURE_INVALID), even beside a valid one", () => {
    const good = SIG.get(R[0]!.keyid)!;
    const bad = SIG.get(R[1]!.keyid)!;
    const malleated = { keyid: bad.keyid, sig: encodeBase64(malleateSignature(Buffer.from(bad.sig, "base64"))) };
    const e = errorOf(() =>
      verifyThreshold("keyset", KEYSET, encodeSignatures([good, malleated]), rootOf(2), { where: "keyset.json", sigWhere: "keyset.sig" }),
    );
    expect(e).toMatchObject({ code: "SIGNATURE_INVALID", message: expect.stringContaining(`root key(s) ${R[1]!.keyid} do not verify`) });
    // a keyset signature is never a root signature: the kind is part of the message
    const asRoot = signWithKeys("root", KEYSET, [R[0]!, R[1]!]);
    expect(errorOf(() => verifyThreshold("keyset", KEYSET, asRoot, rootOf(2), { where: "k", sigWhere: "s" })).code).toBe("SIGNATURE_INVALID");
  });

  test("root.pub keeps its exact behaviour: the implicit 1-of-1 root, same errors as before", () => {
    const sig = encodeSigFile(signDocument("keyset", KEYSET, ROOT.secretKey, ROOT.keyid));
    expect(verifyKeyset(KEYSET, sig, ROOT.publicKey, { now: NOW }).version).toBe(1);
    expect(verifyKeyset(KEYSET, sig, implicitRoot(ROOT.publicKey), { now: NOW }).version).toBe(1);
    const e = errorOf(() => verifyKeyset(KEYSET, sig, R[0]!.publicKey, { now: NOW }));
    expect(e).toMatchObject({ code: "KEY_UNKNOWN", message: `the keyset is signed by key ${ROOT.keyid}, not by the pinned root key ${R[0]!.keyid}` });
  });

  test("root.json self-signed by fewer than its threshold is refused; an expired root refuses its keysets (ROOT_EXPIRED)", () => {
    const bytes = createRoot({ version: 1, threshold: 2, publicKeys: R.slice(0, 3).map((k) => k.publicKey) });
    expect(verifySelfSignedRoot(bytes, signWithKeys("root", bytes, [R[0]!, R[2]!])).threshold).toBe(2);
    expect(errorOf(() => verifySelfSignedRoot(bytes, signWithKeys("root", bytes, [R[0]!]))).code).toBe("SIGNATURE_THRESHOLD");
    const expiring = createRoot({ version: 1, threshold: 1, publicKeys: [R[0]!.publicKey], expires: "2024-06-01T00:00:00Z" });
    const root = verifySelfSignedRoot(expiring, signWithKeys("root", expiring, [R[0]!]));
    expect(errorOf(() => verifyKeyset(KEYSET, signWithKeys("keyset", KEYSET, [R[0]!]), root, { now: NOW })).code).toBe("ROOT_EXPIRED");
  });

  test("init --root-keys 3 --threshold 2: root-N.key files, root.json/root.sig, a keyset every pinning receiver accepts", () => {
    const dir = path.join(tempDir(), "keys");
    const r = initPublisherKeys(dir, { rootKeys: 3, threshold: 2, now: new Date("2024-05-01T00:00:00Z") });
    expect(r).toMatchObject({
      rootKeyId: null,
      threshold: 2,
      rootVersion: 1,
      rootPubPath: path.join(dir, "root.json"),
      rootSigPath: path.join(dir, "root.sig"),
    });
    expect(r.rootKeyFiles.map((f) => path.basename(f))).toEqual(["root-1.key", "root-2.key", "root-3.key"]);
    for (const f of r.rootKeyFiles) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(dir, PUBLISHER_KEY_FILES.rootKey))).toBe(false);
    expect(fs.existsSync(path.join(dir, PUBLISHER_KEY_FILES.rootPub))).toBe(false);
    const pinned = readTrustedRoot(r.rootPubPath);
    expect(pinned).toMatchObject({ version: 1, threshold: 2 });
    const m = loadPublisherSigningMaterial(dir, NOW);
    const manifest = createManifest(manifestInput());
    const cut = {
      keyset: m.keyset,
      keysetSig: m.keysetSig,
      manifest,
      manifestSig: encodeSigFile(signDocument("manifest", manifest, m.signingKey.secretKey, m.signingKey.keyid)),
    };
    expect(verifySignedCut(cut, { rootPublicKey: pinned, now: NOW }).keyset.version).toBe(1);
    // the keyset alone with one official's signature is short of the threshold
    const one = readTrustedRoot(r.rootPubPath);
    const onlyFirst = { ...cut, keysetSig: encodeSignatures([parseSignatures(m.keysetSig, "keyset.sig")[0]!]) };
    expect(errorOf(() => verifySignedCut(onlyFirst, { rootPublicKey: one, now: NOW })).code).toBe("SIGNATURE_THRESHOLD");
  });

  test("readTrustedRoot: root.json without root.sig, or with a root.sig of another root, is refused with what to do", () => {
    const dir = tempDir();
    const bytes = createRoot({ version: 1, threshold: 2, publicKeys: R.slice(0, 3).map((k) => k.publicKey) });
    fs.writeFileSync(path.join(dir, "root.json"), bytes);
    expect(errorOf(() => readTrustedRoot(path.join(dir, "root.json")))).toMatchObject({
      code: "KEY_FILE_INVALID",
      message: expect.stringContaining("root.sig, which does not exist"),
    });
    fs.writeFileSync(path.join(dir, "root.sig"), signWithKeys("root", bytes, [R[3]!, R[4]!]));
    expect(errorOf(() => readTrustedRoot(path.join(dir, "root.json"))).code).toBe("KEY_UNKNOWN");
  });
});
