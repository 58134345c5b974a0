/* PREPcast SHA-256 for the in-browser verifier (see verify.html). */
// Browser script (tsconfig.browser.json, served as dist/browser/sha256.js, before verify.js); its one
// global is prepcastSha256. SHA-256 in plain JS: crypto.subtle exists only in secure contexts, and a
// difusor may serve plain HTTP.

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- used by verify.js, a later classic script
const prepcastSha256 = (function () {
  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
    0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
    0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
    0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
    0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  function sha256js(data: Uint8Array): Uint8Array {
    const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    const len = data.length,
      total = ((len + 9 + 63) >> 6) << 6,
      m = new Uint8Array(total);
    m.set(data);
    m[len] = 0x80;
    const bits = len * 8,
      dv = new DataView(m.buffer);
    dv.setUint32(total - 4, bits >>> 0);
    dv.setUint32(total - 8, Math.floor(bits / 4294967296));
    const w = new Uint32Array(64);
    for (let off = 0; off < total; off += 64) {
      for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + i * 4);
      for (let i = 16; i < 64; i++) {
        const a0 = w[i - 15]!,
          a1 = w[i - 2]!;
        const s0 = ((a0 >>> 7) | (a0 << 25)) ^ ((a0 >>> 18) | (a0 << 14)) ^ (a0 >>> 3);
        const s1 = ((a1 >>> 17) | (a1 << 15)) ^ ((a1 >>> 19) | (a1 << 13)) ^ (a1 >>> 10);
        w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
      }
      let A = h[0]!,
        B = h[1]!,
        C = h[2]!,
        D = h[3]!,
        E = h[4]!,
        F = h[5]!,
        G = h[6]!,
        H = h[7]!;
      for (let i = 0; i < 64; i++) {
        const S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7));
        const t1 = (H + S1 + ((E & F) ^ (~E & G)) + K[i]! + w[i]!) | 0;
        const S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10));
        const t2 = (S0 + ((A & B) ^ (A & C) ^ (B & C))) | 0;
        H = G;
        G = F;
        F = E;
        E = (D + t1) | 0;
        D = C;
        C = B;
        B = A;
        A = (t1 + t2) | 0;
      }
      h[0] = h[0]! + A;
      h[1] = h[1]! + B;
      h[2] = h[2]! + C;
      h[3] = h[3]! + D;
      h[4] = h[4]! + E;
      h[5] = h[5]! + F;
      h[6] = h[6]! + G;
      h[7] = h[7]! + H;
    }
    const out = new Uint8Array(32),
      odv = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) odv.setUint32(i * 4, h[i]!);
    return out;
  }
  function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    if (window.crypto && crypto.subtle)
      return crypto.subtle.digest("SHA-256", bytes).then(function (d) {
        return new Uint8Array(d);
      });
    return Promise.resolve(sha256js(bytes));
  }

  return sha256;
})();
