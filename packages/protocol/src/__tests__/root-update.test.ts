import {
  advanceTrustState,
  createKeyset,
  createManifest,
  createRoot,
  effectiveRoot,
  emptyTrustState,
  encodeSigFile,
  signDocument,
  signWithKeys,
  verifyRootUpdate,
  verifySelfSignedRoot,
  verifySignedCut,
  type SignedCut,
} from "../index";
import { ROOT, SIGNER, manifestInput, NOW, seededKey } from "./helpers";

const V1 = [seededKey(21), seededKey(22), seededKey(23)];
const V2 = [seededKey(31), seededKey(32), seededKey(33)];
const root1Bytes = createRoot({ version: 1, threshold: 2, publicKeys: V1.map((k) => k.publicKey) });
const root1 = verifySelfSignedRoot(root1Bytes, signWithKeys("root", root1Bytes, V1));
const root2Bytes = createRoot({ version: 2, threshold: 2, publicKeys: V2.map((k) => k.publicKey) });
const keyset = createKeyset({ version: 1, expires: "2025-01-01T00:00:00Z", createdAt: "2024-01-01T00:00:00Z", signingPublicKeys: [SIGNER.publicKey] });
const manifest = createManifest(manifestInput());
const manifestSig = encodeSigFile(signDocument("manifest", manifest, SIGNER.secretKey, SIGNER.keyid));

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "no error";
}

describe("root rotation (version N+1 signed by the thresholds of N and N+1)", () => {
  test("accepted with both thresholds; refused without the old one, without its own, or going back", () => {
    expect(verifyRootUpdate(root1, root2Bytes, signWithKeys("root", root2Bytes, [V1[0]!, V1[2]!, V2[0]!, V2[1]!]), { now: NOW })).toMatchObject({
      version: 2,
      threshold: 2,
    });
    expect(codeOf(() => verifyRootUpdate(root1, root2Bytes, signWithKeys("root", root2Bytes, [V1[0]!, V2[0]!, V2[1]!])))).toBe("ROOT_UNTRUSTED");
    expect(codeOf(() => verifyRootUpdate(root1, root2Bytes, signWithKeys("root", root2Bytes, [V1[0]!, V1[1]!, V2[0]!])))).toBe("ROOT_UNTRUSTED");
    expect(codeOf(() => verifyRootUpdate(root1, root2Bytes, signWithKeys("root", root2Bytes, V2)))).toBe("ROOT_UNTRUSTED");
    // the pinned version itself: nothing to do
    expect(verifyRootUpdate(root1, root1Bytes, signWithKeys("root", root1Bytes, V1))).toBeNull();
    const root2 = verifyRootUpdate(root1, root2Bytes, signWithKeys("root", root2Bytes, [...V1, ...V2]))!;
    expect(codeOf(() => verifyRootUpdate(root2, root1Bytes, signWithKeys("root", root1Bytes, V1)))).toBe("ROOT_ROLLBACK");
  });

  test("a root.pub receiver migrates to a root set: version 2 signed by the old root key and 2 of 3 new keys", () => {
    const sig = signWithKeys("root", root2Bytes, [ROOT, V2[1]!, V2[2]!]);
    const cut: SignedCut = { root: root2Bytes, rootSig: sig, keyset, keysetSig: signWithKeys("keyset", keyset, [V2[0]!, V2[2]!]), manifest, manifestSig };
    const v = verifySignedCut(cut, { rootPublicKey: ROOT.publicKey, now: NOW });
    expect(v.rootUpgrade).toMatchObject({ from: 1, to: 2, threshold: 2 });
    const state = advanceTrustState(emptyTrustState(), v);
    expect(state.root?.version).toBe(2);
    // from then on the kept root is in force even though the configuration still names root.pub
    expect(effectiveRoot(ROOT.publicKey, state.root).version).toBe(2);
    const oldStyle: SignedCut = { keyset, keysetSig: signWithKeys("keyset", keyset, [ROOT]), manifest, manifestSig };
    expect(codeOf(() => verifySignedCut(oldStyle, { rootPublicKey: ROOT.publicKey, state, now: NOW }))).toBe("KEY_UNKNOWN");
    // a cut without a root document keeps the state's root
    const plain = verifySignedCut(
      { keyset, keysetSig: cut.keysetSig, manifest, manifestSig },
      { rootPublicKey: ROOT.publicKey, state, now: NOW, allowSameSequence: true },
    );
    expect(plain.rootUpgrade).toBeUndefined();
    expect(advanceTrustState(state, plain).root).toEqual(state.root);
  });
});
