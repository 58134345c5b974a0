import { createCipheriv, createHash } from "node:crypto";

/** mulberry32: a tiny, fast, deterministic PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed derived from any labelled parts, so every stream of randomness is independent. */
export function deriveSeed(...parts: Array<string | number>): number {
  return createHash("sha256").update(parts.join("/")).digest().readUInt32LE(0);
}

/**
 * `length` deterministic, incompressible bytes for the given label: an AES-128-CTR keystream.
 * It runs at memory speed, which matters for hundreds of megabytes of acta scans.
 */
export function pseudoRandomBytes(length: number, ...label: Array<string | number>): Buffer {
  const key = createHash("sha256").update(label.join("/")).digest();
  const cipher = createCipheriv("aes-128-ctr", key.subarray(0, 16), key.subarray(16, 32));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}
