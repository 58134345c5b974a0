import { createPrivateKey, createPublicKey, sign as nativeSign, verify as nativeVerify, type KeyObject } from "node:crypto";
import nacl from "tweetnacl";
import { PrepcastError } from "../errors";

// tweetnacl verifies the cofactorless equation [S]B = R + [k]A but does not reduce or bound S,
// and accepts any 32 bytes as a key. That allows malleable signatures (S + L verifies too) and
// keys for which a signature says nothing (small-order points). verifyStrict adds the checks of
// RFC 8032 §5.1.7 and of the "strict" profile used by libsodium and ed25519-dalek.

export const PUBLIC_KEY_LENGTH = 32;
export const SECRET_KEY_LENGTH = 64;
export const SIGNATURE_LENGTH = 64;
export const SEED_LENGTH = 32;

/** Order of the prime-order subgroup: 2^252 + 27742317777372353535851937790883648493. */
export const GROUP_ORDER_L = (1n << 252n) + 27742317777372353535851937790883648493n;
/** The field prime 2^255 - 19. */
export const FIELD_PRIME_P = (1n << 255n) - 19n;

// y-coordinates of the 8 torsion points (x = 0 gives y = ±1; x = ±sqrt(-1) gives y = 0; the four
// points of order 8 share y = ±Y8). A y in this set is small order whichever x-sign bit is set.
const Y8 = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;
const SMALL_ORDER_Y = new Set<bigint>([0n, 1n, FIELD_PRIME_P - 1n, Y8, FIELD_PRIME_P - Y8]);

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** The y-coordinate a point encoding claims (sign bit of x cleared), possibly >= p. */
function encodedY(point: Uint8Array): bigint {
  const copy = Uint8Array.from(point);
  copy[31]! &= 0x7f;
  return littleEndian(copy);
}

/** Why a 32-byte point encoding is refused as a public key or R, or undefined if acceptable. */
export function pointEncodingProblem(point: Uint8Array): string | undefined {
  if (!(point instanceof Uint8Array) || point.length !== PUBLIC_KEY_LENGTH) return `must be ${PUBLIC_KEY_LENGTH} bytes`;
  const y = encodedY(point);
  if (y >= FIELD_PRIME_P) return "is a non-canonical encoding (y >= 2^255 - 19)";
  if (SMALL_ORDER_Y.has(y)) return "is a small-order point";
  return undefined;
}

/** Why a signature's shape is refused, or undefined. Checks length, S < L and R. */
export function signatureProblem(signature: Uint8Array): string | undefined {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) return `signature must be ${SIGNATURE_LENGTH} bytes`;
  if (littleEndian(signature.subarray(32, 64)) >= GROUP_ORDER_L) return "signature scalar S is not below the group order L (malleated signature)";
  const r = pointEncodingProblem(signature.subarray(0, 32));
  if (r !== undefined) return `signature point R ${r}`;
  return undefined;
}

/** Throws SIGNATURE_MALFORMED when the signature or public key cannot pass strict verification for structural reasons. */
export function assertSignatureShape(signature: Uint8Array, publicKey: Uint8Array, where?: string): void {
  const opts = { ...(where === undefined ? {} : { where }), hint: "the signature or key was corrupted or crafted; obtain the original files from the OPLE" };
  const sig = signatureProblem(signature);
  if (sig !== undefined) throw new PrepcastError("SIGNATURE_MALFORMED", `${where ? `${where}: ` : ""}${sig}`, opts);
  const key = pointEncodingProblem(publicKey);
  if (key !== undefined) throw new PrepcastError("SIGNATURE_MALFORMED", `${where ? `${where}: ` : ""}public key ${key}`, opts);
}

// The curve equation itself runs in Node's crypto (OpenSSL), after the strict checks above:
// tweetnacl's pure-JS SHA-512 and field arithmetic cost ~25 ms for a 0.8 MB manifest and showed
// among the publisher's and receivers' top costs per cut (docs/benchmarks.md, Transfer). Both
// check the same cofactorless equation and compare R byte for byte; with S < L and canonical,
// non-small-order A and R enforced first they decide alike (tested against tweetnacl on random
// and tampered inputs, and on the RFC 8032 / malleability / torsion vectors). tweetnacl stays
// for key generation.
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const KEY_CACHE_LIMIT = 256;
const publicKeyObjects = new Map<string, KeyObject>();
const privateKeyObjects = new Map<string, KeyObject | null>();

function cached<T>(cache: Map<string, T>, raw: Uint8Array, make: () => T): T {
  const id = Buffer.from(raw).toString("base64");
  let key = cache.get(id);
  if (key === undefined) {
    if (cache.size >= KEY_CACHE_LIMIT) cache.clear();
    key = make();
    cache.set(id, key);
  }
  return key;
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return cached(publicKeyObjects, publicKey, () => createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: "der", type: "spki" }));
}

/** Strict Ed25519 verification: exact lengths, S < L, canonical non-small-order A and R, then the curve equation. */
export function verifyStrict(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(message instanceof Uint8Array)) return false;
  if (signatureProblem(signature) !== undefined) return false;
  if (pointEncodingProblem(publicKey) !== undefined) return false;
  try {
    return nativeVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false; // a y with no x on the curve: not a key
  }
}

export interface Ed25519KeyPair {
  publicKey: Uint8Array;
  /** tweetnacl's 64-byte form: seed followed by the public key. */
  secretKey: Uint8Array;
}

/** A fresh key pair from the system CSPRNG (tweetnacl uses crypto.randomBytes on Node). */
export function generateKeyPair(): Ed25519KeyPair {
  const kp = nacl.sign.keyPair();
  return { publicKey: kp.publicKey, secretKey: kp.secretKey };
}

/** Deterministic key pair from a 32-byte seed (test vectors, reproducible fixtures). */
export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_LENGTH) throw new PrepcastError("KEY_FILE_INVALID", `an Ed25519 seed must be ${SEED_LENGTH} bytes`);
  const kp = nacl.sign.keyPair.fromSeed(seed);
  return { publicKey: kp.publicKey, secretKey: kp.secretKey };
}

/** Ed25519 signature (64 bytes) of `message`. */
export function signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_LENGTH) {
    throw new PrepcastError("KEY_FILE_INVALID", `an Ed25519 secret key must be ${SECRET_KEY_LENGTH} bytes`, { hint: "load it with readSecretKeyFile" });
  }
  // tweetnacl's secret key is seed ‖ public key; the signature depends on both halves, so a
  // pair whose halves disagree (never produced by this module) keeps tweetnacl's answer.
  const native = cached(privateKeyObjects, secretKey, () => {
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, secretKey.subarray(0, SEED_LENGTH)]), format: "der", type: "pkcs8" });
    const publicHalf = createPublicKey(key).export({ format: "der", type: "spki" }).subarray(SPKI_ED25519_PREFIX.length);
    return publicHalf.equals(secretKey.subarray(SEED_LENGTH)) ? key : null;
  });
  if (native === null) return nacl.sign.detached(message, secretKey);
  return new Uint8Array(nativeSign(null, message, native));
}

/**
 * The malleated twin of a valid signature: the same R with S + L (the group order) in place of S.
 * tweetnacl's verify accepts it, verifyStrict must not. For tests and for generators of hostile
 * fixtures (the conformance corpus); nothing in the protocol makes one.
 */
export function malleateSignature(signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_LENGTH) throw new RangeError(`a signature has ${SIGNATURE_LENGTH} bytes, got ${signature.length}`);
  const out = Uint8Array.from(signature);
  let carry = 0n;
  let l = GROUP_ORDER_L;
  for (let i = 32; i < 64; i++) {
    const sum = BigInt(out[i]!) + (l & 0xffn) + carry;
    out[i] = Number(sum & 0xffn);
    carry = sum >> 8n;
    l >>= 8n;
  }
  return out;
}
