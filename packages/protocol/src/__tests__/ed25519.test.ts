import * as crypto from "node:crypto";
import nacl from "tweetnacl";
import fc from "fast-check";
import {
  FIELD_PRIME_P,
  GROUP_ORDER_L,
  assertSignatureShape,
  malleateSignature,
  generateKeyPair,
  keyPairFromSeed,
  pointEncodingProblem,
  signDetached,
  signatureProblem,
  verifyStrict,
} from "../index";
import { codeOf } from "./helpers";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

// RFC 8032 §7.1, TEST 1-3.
const RFC8032 = [
  {
    name: "TEST 1",
    secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    name: "TEST 2",
    secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    name: "TEST 3",
    secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

function addLittleEndian(a: Uint8Array, b: bigint): Uint8Array {
  let n = 0n;
  for (let i = a.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(a[i]!);
  n += b;
  const out = new Uint8Array(a.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  if (n !== 0n) throw new Error("overflow");
  return out;
}

function encodeY(y: bigint, signBit: 0 | 1): Uint8Array {
  const out = addLittleEndian(new Uint8Array(32), y);
  out[31]! |= signBit << 7;
  return out;
}

// A tiny independent Edwards25519 model (affine, BigInt) to prove which encodings are small order.
const p = FIELD_PRIME_P;
const mod = (a: bigint) => ((a % p) + p) % p;
const pow = (b: bigint, e: bigint): bigint => {
  let r = 1n;
  b = mod(b);
  while (e > 0n) {
    if (e & 1n) r = mod(r * b);
    b = mod(b * b);
    e >>= 1n;
  }
  return r;
};
const inv = (a: bigint) => pow(a, p - 2n);
const d = mod(-121665n * inv(121666n));
type Point = [bigint, bigint];
function decompress(y: bigint, sign: number): Point | undefined {
  const u = mod(y * y - 1n);
  const v = mod(d * y * y + 1n);
  const x2 = mod(u * inv(v));
  let x = pow(x2, (p + 3n) / 8n);
  if (mod(x * x) !== x2) x = mod(x * pow(2n, (p - 1n) / 4n));
  if (mod(x * x) !== x2) return undefined;
  if (Number(x & 1n) !== sign) x = mod(-x);
  return [x, y];
}
function add([x1, y1]: Point, [x2, y2]: Point): Point {
  const t = mod(d * x1 * x2 * y1 * y2);
  return [mod((x1 * y2 + y1 * x2) * inv(1n + t)), mod((y1 * y2 + x1 * x2) * inv(1n - t))];
}
function times8(P: Point): Point {
  let Q = P;
  for (let i = 0; i < 3; i++) Q = add(Q, Q);
  return Q;
}

const Y8 = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;
const SMALL_ORDER_Y = [0n, 1n, p - 1n, Y8, p - Y8];

describe("RFC 8032 test vectors", () => {
  it.each(RFC8032)("$name: key derivation, signature and strict verification", (v) => {
    const kp = keyPairFromSeed(hex(v.secret));
    expect(Buffer.from(kp.publicKey).toString("hex")).toBe(v.public);
    expect(Buffer.from(signDetached(hex(v.message), kp.secretKey)).toString("hex")).toBe(v.signature);
    expect(verifyStrict(hex(v.message), hex(v.signature), hex(v.public))).toBe(true);
    // and an independent implementation (OpenSSL via node:crypto) agrees
    const key = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(v.public, "hex").toString("base64url") }, format: "jwk" });
    expect(crypto.verify(null, hex(v.message), key, hex(v.signature))).toBe(true);
  });

  it.each(RFC8032)("$name: a flipped message or signature bit fails", (v) => {
    const msg = Uint8Array.from([...hex(v.message), 0]);
    expect(verifyStrict(msg, hex(v.signature), hex(v.public))).toBe(false);
    const sig = hex(v.signature);
    sig[10]! ^= 1;
    expect(verifyStrict(hex(v.message), sig, hex(v.public))).toBe(false);
  });
});

describe("malleability: S + L", () => {
  it.each(RFC8032)("$name with S + L: tweetnacl alone accepts it, verifyStrict refuses", (v) => {
    const sig = hex(v.signature);
    const malleated = Uint8Array.from([...sig.subarray(0, 32), ...addLittleEndian(sig.subarray(32), GROUP_ORDER_L)]);
    expect(Buffer.from(malleated).equals(Buffer.from(sig))).toBe(false);
    expect(nacl.sign.detached.verify(hex(v.message), malleated, hex(v.public))).toBe(true); // the vector is meaningful
    expect(verifyStrict(hex(v.message), malleated, hex(v.public))).toBe(false);
    expect(codeOf(() => assertSignatureShape(malleated, hex(v.public)))).toBe("SIGNATURE_MALFORMED");
    expect(Buffer.from(malleateSignature(sig)).equals(Buffer.from(malleated))).toBe(true); // the shared helper makes the same twin
  });

  it("with fresh keys and random messages, S + L is always refused and the original always accepted", () => {
    for (let i = 0; i < 5; i++) {
      const kp = generateKeyPair();
      const msg = crypto.randomBytes(i * 7);
      const sig = signDetached(msg, kp.secretKey);
      const malleated = Uint8Array.from([...sig.subarray(0, 32), ...addLittleEndian(sig.subarray(32), GROUP_ORDER_L)]);
      expect(nacl.sign.detached.verify(msg, malleated, kp.publicKey)).toBe(true);
      expect(verifyStrict(msg, malleated, kp.publicKey)).toBe(false);
      expect(verifyStrict(msg, sig, kp.publicKey)).toBe(true);
    }
  });

  it("refuses S = L exactly and S with the top bits set", () => {
    const v = RFC8032[0]!;
    const sig = hex(v.signature);
    const sEqualsL = Uint8Array.from([...sig.subarray(0, 32), ...addLittleEndian(new Uint8Array(32), GROUP_ORDER_L)]);
    expect(verifyStrict(hex(v.message), sEqualsL, hex(v.public))).toBe(false);
    const high = Uint8Array.from(sig);
    high[63]! |= 0xe0;
    expect(verifyStrict(hex(v.message), high, hex(v.public))).toBe(false);
  });
});

describe("small-order and non-canonical keys", () => {
  it("the refused y-coordinates really are the 8 torsion points (checked with an independent curve model)", () => {
    let points = 0;
    for (const y of SMALL_ORDER_Y) {
      for (const sign of [0, 1]) {
        const P = decompress(y, sign);
        if (!P) continue;
        points++;
        expect(times8(P)).toEqual([0n, 1n]); // [8]P is the identity
      }
    }
    // x = 0 for y = ±1 makes both signs the same point: 2 + 2 (y=0) + 4 (order 8) = 8 distinct points, 10 (y, sign) pairs
    expect(points).toBe(10);
    // a real public key (RFC 8032 TEST 1) decompresses to a point of large order
    const realY = BigInt("0x" + Buffer.from(hex(RFC8032[0]!.public)).reverse().toString("hex")) & ((1n << 255n) - 1n);
    const real = decompress(realY, 0);
    expect(real).toBeDefined();
    expect(times8(real!)).not.toEqual([0n, 1n]);
  });

  it.each(SMALL_ORDER_Y.flatMap((y) => [0, 1].map((s) => [y.toString(16).slice(0, 8), s, y] as const)))(
    "refuses the small-order key y=%s… sign %i",
    (_label, sign, y) => {
      const pk = encodeY(y, sign as 0 | 1);
      expect(pointEncodingProblem(pk)).toMatch(/small-order/);
      expect(verifyStrict(hex(RFC8032[0]!.message), hex(RFC8032[0]!.signature), pk)).toBe(false);
    },
  );

  it("refuses the identity key even though tweetnacl accepts a universal forgery for it", () => {
    const identity = encodeY(1n, 0);
    const basePoint = hex("5866666666666666666666666666666666666666666666666666666666666666");
    const forged = Uint8Array.from([...basePoint, 1, ...new Uint8Array(31)]); // R = B, S = 1: [1]B = B + [k]O for every message
    for (const msg of ["results are fake", "anything at all"]) {
      expect(nacl.sign.detached.verify(Buffer.from(msg), forged, identity)).toBe(true);
      expect(verifyStrict(Buffer.from(msg), forged, identity)).toBe(false);
    }
  });

  it("refuses non-canonical encodings (y >= p)", () => {
    for (const y of [p, p + 1n, p + 18n, (1n << 255n) - 1n]) {
      const enc = encodeY(y, 0);
      expect(pointEncodingProblem(enc)).toMatch(/non-canonical/);
      expect(verifyStrict(Buffer.from("m"), new Uint8Array(64), enc)).toBe(false);
    }
  });

  it("refuses a small-order or non-canonical R", () => {
    const v = RFC8032[1]!;
    for (const r of [encodeY(1n, 0), encodeY(Y8, 1), encodeY(p, 0)]) {
      const sig = Uint8Array.from([...r, ...hex(v.signature).subarray(32)]);
      expect(verifyStrict(hex(v.message), sig, hex(v.public))).toBe(false);
      expect(codeOf(() => assertSignatureShape(sig, hex(v.public), "x.sig"))).toBe("SIGNATURE_MALFORMED");
    }
  });

  it("refuses wrong lengths without throwing", () => {
    const v = RFC8032[2]!;
    expect(verifyStrict(hex(v.message), hex(v.signature).subarray(0, 63), hex(v.public))).toBe(false);
    expect(verifyStrict(hex(v.message), Uint8Array.from([...hex(v.signature), 0]), hex(v.public))).toBe(false);
    expect(verifyStrict(hex(v.message), hex(v.signature), hex(v.public).subarray(0, 31))).toBe(false);
    expect(verifyStrict(hex(v.message), hex(v.signature), Uint8Array.from([...hex(v.public), 0]))).toBe(false);
    expect(verifyStrict("not bytes" as unknown as Uint8Array, hex(v.signature), hex(v.public))).toBe(false);
  });

  it("accepts freshly generated keys", () => {
    for (let i = 0; i < 10; i++) expect(pointEncodingProblem(generateKeyPair().publicKey)).toBeUndefined();
  });
});

describe("native Ed25519 (Node crypto) agrees with tweetnacl behind the strict checks", () => {
  it("signs byte for byte like tweetnacl and verifies like it, on random keys, messages and tampering", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 512 }), fc.nat(), (seed, message, flip) => {
        const kp = keyPairFromSeed(seed);
        const ours = signDetached(message, kp.secretKey);
        expect(Buffer.from(ours).equals(Buffer.from(nacl.sign.detached(message, kp.secretKey)))).toBe(true);
        expect(verifyStrict(message, ours, kp.publicKey)).toBe(true);
        const tampered = Uint8Array.from(ours);
        tampered[flip % 64]! ^= 1 << (flip % 8);
        const strictShapeOk = signatureProblem(tampered) === undefined;
        // where the strict checks let a tampered signature through, the curve equation decides as tweetnacl does
        expect(verifyStrict(message, tampered, kp.publicKey)).toBe(strictShapeOk && nacl.sign.detached.verify(message, tampered, kp.publicKey));
        if (message.length > 0) {
          const other = Uint8Array.from(message);
          other[flip % message.length]! ^= 0x80;
          expect(verifyStrict(other, ours, kp.publicKey)).toBe(false);
        }
      }),
      { numRuns: 30 },
    );
  });

  it("a key whose halves disagree still signs as tweetnacl does (never produced here, kept exact)", () => {
    const a = keyPairFromSeed(new Uint8Array(32).fill(1));
    const b = keyPairFromSeed(new Uint8Array(32).fill(2));
    const mixed = Uint8Array.from([...a.secretKey.subarray(0, 32), ...b.publicKey]);
    const msg = Buffer.from("corte 2024-06-02T20:15");
    expect(Buffer.from(signDetached(msg, mixed)).equals(Buffer.from(nacl.sign.detached(msg, mixed)))).toBe(true);
  });

  it("a 32-byte key that is no curve point verifies nothing, without throwing", () => {
    // y = 2 has no x on edwards25519 (2 is not a valid y: (y²-1)/(dy²+1) is a non-square)
    const notOnCurve = new Uint8Array(32);
    notOnCurve[0] = 2;
    const kp = generateKeyPair();
    const sig = signDetached(Buffer.from("x"), kp.secretKey);
    expect(verifyStrict(Buffer.from("x"), sig, notOnCurve)).toBe(false);
  });
});
