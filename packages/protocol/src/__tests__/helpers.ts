import { signKeyset, tempDir as newTempDir, type SignedKeyset } from "../testing";
import {
  createManifest,
  encodeSigFile,
  keyIdOf,
  keyPairFromSeed,
  sha256Hex,
  signDocument,
  type CreateManifestInput,
  type Ed25519KeyPair,
  type SignedCut,
} from "../index";

/** A key pair from a one-byte-repeated seed: reproducible and distinct per label. */
export function seededKey(byte: number): Ed25519KeyPair & { keyid: string } {
  const kp = keyPairFromSeed(new Uint8Array(32).fill(byte));
  return { ...kp, keyid: keyIdOf(kp.publicKey) };
}

export const ROOT = seededKey(1);
export const SIGNER = seededKey(2);
export const OTHER_SIGNER = seededKey(3);

export const NOW = new Date("2024-06-02T21:00:00Z");

export function tempDir(prefix = "prepcast-protocol-"): string {
  return newTempDir(prefix);
}

// tweetnacl signs in milliseconds, many times slower under a loaded test runner: sign each distinct fixture once.
const memo = new Map<string, unknown>();
function memoized<T>(key: string, make: () => T): T {
  if (!memo.has(key)) memo.set(key, make());
  return memo.get(key) as T;
}
const keyLabel = (k: Ed25519KeyPair) => keyIdOf(k.publicKey).slice(0, 16);

export function signedKeyset(version: number, signers: Ed25519KeyPair[], expires = "2025-01-01T00:00:00Z", root = ROOT): { keyset: Buffer; keysetSig: Buffer } {
  return memoized(`keyset|${version}|${signers.map(keyLabel).join(",")}|${expires}|${keyLabel(root)}`, () => makeSignedKeyset(version, signers, expires, root));
}

function makeSignedKeyset(version: number, signers: Ed25519KeyPair[], expires: string, root: Ed25519KeyPair): SignedKeyset {
  return signKeyset(root, signers, { version, expires, createdAt: "2024-01-01T00:00:00Z" });
}

export function fileEntry(p: string, content: string): { path: string; size: number; sha256: string } {
  return { path: p, size: Buffer.byteLength(content), sha256: sha256Hex(content) };
}

export function manifestInput(overrides: Partial<CreateManifestInput> = {}): CreateManifestInput {
  return {
    process: "VER-2024",
    channel: "produccion",
    sequence: 1,
    corte: "2024-06-02T20:15:00-06:00",
    createdAt: "2024-06-02T20:16:00-06:00",
    expires: "2024-07-01T00:00:00Z",
    files: [fileEntry("index.html", "<h1>PREP</h1>\n"), fileEntry("datos/presidencia.csv", "seccion|votos\n0001|42\n")],
    ...overrides,
  };
}

export function signedCut(
  options: { keysetVersion?: number; signers?: Ed25519KeyPair[]; signWith?: Ed25519KeyPair; manifest?: Partial<CreateManifestInput> } = {},
): SignedCut {
  const key = `cut|${options.keysetVersion ?? 1}|${(options.signers ?? [SIGNER]).map(keyLabel).join(",")}|${keyLabel(options.signWith ?? SIGNER)}|${JSON.stringify(options.manifest ?? {})}`;
  return memoized(key, () => makeSignedCut(options));
}

function makeSignedCut(options: {
  keysetVersion?: number;
  signers?: Ed25519KeyPair[];
  signWith?: Ed25519KeyPair;
  manifest?: Partial<CreateManifestInput>;
}): SignedCut {
  const signer = options.signWith ?? SIGNER;
  const { keyset, keysetSig } = signedKeyset(options.keysetVersion ?? 1, options.signers ?? [SIGNER]);
  const manifest = createManifest(manifestInput(options.manifest));
  const manifestSig = encodeSigFile(signDocument("manifest", manifest, signer.secretKey, keyIdOf(signer.publicKey)));
  return { keyset, keysetSig, manifest, manifestSig };
}

/** Runs fn and returns the PrepcastError code it threw (fails the test if it did not throw). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? `non-Prepcast error: ${String(e)}`;
  }
  throw new Error("expected an error, but the call succeeded");
}

export function errorOf(fn: () => unknown): { code: string; message: string; where?: string; hint?: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error("expected an error, but the call succeeded");
}
