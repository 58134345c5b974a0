import { advanceTrustState, emptyTrustState, encodeSigFile, isEmbargoed, signDocument, verifySignedCut, type TrustState } from "../index";
import { NOW, OTHER_SIGNER, ROOT, SIGNER, codeOf, errorOf, signedCut, signedKeyset } from "./helpers";

describe("verifySignedCut", () => {
  const opts = { rootPublicKey: ROOT.publicKey, now: NOW };

  it("accepts a valid cut and advances the state", () => {
    const v = verifySignedCut(signedCut(), opts);
    expect(v.manifest.sequence).toBe(1);
    expect(v.keyset.version).toBe(1);
    const state = advanceTrustState(emptyTrustState(), v);
    expect(state).toEqual({
      keysetVersion: 1,
      cuts: { "VER-2024/produccion": { sequence: 1, manifestSha256: v.manifestSha256, corte: "2024-06-02T20:15:00-06:00" } },
    });
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

  describe("cut order (corte against the installed cut)", () => {
    // installed: #5 with corte 20:15
    const state = advanceTrustState(emptyTrustState(), verifySignedCut(signedCut({ manifest: { sequence: 5 } }), opts));

    it("refuses a higher sequence whose corte is earlier (CORTE_ROLLBACK), naming both cortes", () => {
      const e = errorOf(() => verifySignedCut(signedCut({ manifest: { sequence: 6, corte: "2024-06-02T20:00:00-06:00" } }), { ...opts, state }));
      expect(e).toMatchObject({ code: "CORTE_ROLLBACK", where: "prepcast/manifest.json#corte" });
      expect(e.message).toContain("corte 2024-06-02T20:00:00-06:00, earlier than that of the installed cut #5 (2024-06-02T20:15:00-06:00)");
      expect(e.hint).toContain("retraction");
    });

    it("compares instants, not texts: the same time in another offset is not earlier", () => {
      expect(verifySignedCut(signedCut({ manifest: { sequence: 6, corte: "2024-06-03T02:15:00Z" } }), { ...opts, state }).manifest.sequence).toBe(6);
      expect(codeOf(() => verifySignedCut(signedCut({ manifest: { sequence: 6, corte: "2024-06-03T02:14:59Z" } }), { ...opts, state }))).toBe("CORTE_ROLLBACK");
    });

    it("accepts an earlier corte the OPLE signed as a retraction, and the state then follows it", () => {
      const v = verifySignedCut(
        signedCut({
          manifest: { sequence: 6, corte: "2024-06-02T20:00:00-06:00", retraction: { reason: "el corte 5 se publicó con actas de otra elección" } },
        }),
        { ...opts, state },
      );
      expect(v.manifest.retraction).toEqual({ reason: "el corte 5 se publicó con actas de otra elección" });
      const after = advanceTrustState(state, v);
      expect(after.cuts["VER-2024/produccion"]).toMatchObject({ sequence: 6, corte: "2024-06-02T20:00:00-06:00" });
      // the next regular cut is compared with the retraction's corte
      expect(verifySignedCut(signedCut({ manifest: { sequence: 7, corte: "2024-06-02T20:15:00-06:00" } }), { ...opts, state: after }).manifest.sequence).toBe(
        7,
      );
    });

    it("does not check state written before cortes were recorded", () => {
      const old: TrustState = { keysetVersion: 1, cuts: { "VER-2024/produccion": { sequence: 5, manifestSha256: "00".repeat(32) } } };
      expect(verifySignedCut(signedCut({ manifest: { sequence: 6, corte: "2024-06-02T20:00:00-06:00" } }), { ...opts, state: old }).manifest.sequence).toBe(6);
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
