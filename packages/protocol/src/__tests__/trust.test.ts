import { advanceTrustState, emptyTrustState, encodeSigFile, isEmbargoed, signDocument, verifySignedCut, type TrustState } from "../index";
import { NOW, OTHER_SIGNER, ROOT, SIGNER, codeOf, errorOf, signedCut, signedKeyset } from "./helpers";

describe("verifySignedCut", () => {
  const opts = { rootPublicKey: ROOT.publicKey, now: NOW };

  it("accepts a valid cut and advances the state", () => {
    const v = verifySignedCut(signedCut(), opts);
    expect(v.manifest.sequence).toBe(1);
    expect(v.keyset.version).toBe(1);
    const state = advanceTrustState(emptyTrustState(), v);
    expect(state).toEqual({ keysetVersion: 1, cuts: { "VER-2024/produccion": { sequence: 1, manifestSha256: v.manifestSha256 } } });
  });

  it("advanceTrustState is pure", () => {
    const before: TrustState = { keysetVersion: 0, cuts: {} };
    advanceTrustState(before, verifySignedCut(signedCut(), opts));
    expect(before).toEqual({ keysetVersion: 0, cuts: {} });
  });

  describe("sequence against state", () => {
    const first = verifySignedCut(signedCut({ manifest: { sequence: 5 } }), opts);
    const state = advanceTrustState(emptyTrustState(), first);

    it("accepts the next sequence", () => {
      expect(verifySignedCut(signedCut({ manifest: { sequence: 6 } }), { ...opts, state }).manifest.sequence).toBe(6);
    });

    it("refuses a lower sequence (ROLLBACK)", () => {
      const e = errorOf(() => verifySignedCut(signedCut({ manifest: { sequence: 4 } }), { ...opts, state }));
      expect(e.code).toBe("ROLLBACK");
      expect(e.message).toContain("#4 is older than the installed #5");
    });

    it("refuses the same sequence with other content (REPLAY)", () => {
      expect(codeOf(() => verifySignedCut(signedCut({ manifest: { sequence: 5, corte: "2024-06-02T20:30:00-06:00" } }), { ...opts, state }))).toBe("REPLAY");
    });

    it("reports the same cut as ALREADY_INSTALLED unless allowSameSequence", () => {
      expect(codeOf(() => verifySignedCut(first.signed, { ...opts, state }))).toBe("ALREADY_INSTALLED");
      expect(verifySignedCut(first.signed, { ...opts, state, allowSameSequence: true }).manifestSha256).toBe(first.manifestSha256);
    });

    it("tracks each process/channel separately", () => {
      expect(verifySignedCut(signedCut({ manifest: { sequence: 1, channel: "simulacro" } }), { ...opts, state }).manifest.channel).toBe("simulacro");
      expect(verifySignedCut(signedCut({ manifest: { sequence: 1, process: "GOB-2024" } }), { ...opts, state }).manifest.process).toBe("GOB-2024");
    });
  });

  it("refuses a cut for another channel or process (CHANNEL_MISMATCH)", () => {
    const sim = signedCut({ manifest: { channel: "simulacro" } });
    expect(codeOf(() => verifySignedCut(sim, { ...opts, accept: { channels: ["produccion"] } }))).toBe("CHANNEL_MISMATCH");
    expect(codeOf(() => verifySignedCut(signedCut(), { ...opts, accept: { process: "GOB-2024" } }))).toBe("CHANNEL_MISMATCH");
    expect(verifySignedCut(sim, { ...opts, accept: { process: "VER-2024", channels: ["simulacro", "produccion"] } }).manifest.channel).toBe("simulacro");
  });

  it("refuses an expired manifest (MANIFEST_EXPIRED)", () => {
    expect(codeOf(() => verifySignedCut(signedCut(), { ...opts, now: new Date("2024-07-01T00:00:00Z") }))).toBe("MANIFEST_EXPIRED");
  });

  it("refuses a manifest signed by a key the keyset does not list (KEY_UNKNOWN)", () => {
    const e = errorOf(() => verifySignedCut(signedCut({ signWith: OTHER_SIGNER }), opts));
    expect(e.code).toBe("KEY_UNKNOWN");
    expect(e.message).toContain(OTHER_SIGNER.keyid);
  });

  it("refuses a revoked key: signed by a key that a newer keyset no longer lists", () => {
    // keyset v1 lists SIGNER; v2 rotates to OTHER_SIGNER. A receiver that has seen v2 must not accept SIGNER's manifests,
    // neither with the new keyset (KEY_UNKNOWN) nor by replaying the old keyset (KEYSET_ROLLBACK).
    const old = signedCut({ keysetVersion: 1, signers: [SIGNER], manifest: { sequence: 7 } });
    const rotated = signedCut({ keysetVersion: 2, signers: [OTHER_SIGNER], signWith: OTHER_SIGNER, manifest: { sequence: 6 } });
    const state = advanceTrustState(emptyTrustState(), verifySignedCut(rotated, opts));
    expect(state.keysetVersion).toBe(2);
    expect(codeOf(() => verifySignedCut(old, { ...opts, state }))).toBe("KEYSET_ROLLBACK");
    const v2 = signedKeyset(2, [OTHER_SIGNER]);
    expect(codeOf(() => verifySignedCut({ ...old, keyset: v2.keyset, keysetSig: v2.keysetSig }, { ...opts, state }))).toBe("KEY_UNKNOWN");
  });

  it("refuses a tampered manifest or a signature moved between kinds (SIGNATURE_INVALID)", () => {
    const cut = signedCut();
    const tampered = Buffer.from(cut.manifest.toString().replace('"sequence":1', '"sequence":2'));
    expect(codeOf(() => verifySignedCut({ ...cut, manifest: tampered }, opts))).toBe("SIGNATURE_INVALID");
    const asKeyset = encodeSigFile(signDocument("keyset", cut.manifest, SIGNER.secretKey, SIGNER.keyid));
    expect(codeOf(() => verifySignedCut({ ...cut, manifestSig: asKeyset }, opts))).toBe("SIGNATURE_INVALID");
  });

  it("checks the keyset first: a bad keyset signature hides everything else", () => {
    const cut = signedCut({ signWith: OTHER_SIGNER, manifest: { sequence: 1 } });
    const badKeysetSig = encodeSigFile(signDocument("keyset", cut.keyset, OTHER_SIGNER.secretKey, OTHER_SIGNER.keyid));
    expect(codeOf(() => verifySignedCut({ ...cut, keysetSig: badKeysetSig }, opts))).toBe("KEY_UNKNOWN");
    expect(codeOf(() => verifySignedCut({ ...cut, keyset: Buffer.from("garbage") }, opts))).toBe("SIGNATURE_INVALID");
  });

  it("embargo is not an error here; isEmbargoed tells whether to wait", () => {
    const cut = signedCut({ manifest: { notBefore: "2024-06-02T22:00:00Z" } });
    const v = verifySignedCut(cut, opts);
    expect(isEmbargoed(v.manifest, NOW)).toBe(true);
    expect(isEmbargoed(v.manifest, new Date("2024-06-02T22:00:00Z"))).toBe(false);
  });
});
