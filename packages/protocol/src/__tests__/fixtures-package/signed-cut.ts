import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateKeyPair, type Ed25519KeyPair } from "../../trust/ed25519";
import { keyIdOf } from "../../trust/keys";
import { sha256Hex } from "../../hash";
import { createKeyset } from "../../trust/keyset";
import { createManifest, parseManifest, type Manifest } from "../../trust/manifest";
import { encodeSigFile, signDocument } from "../../trust/signing";
import type { RawEntry } from "./tar-builder";

export interface TestKeys {
  root: Ed25519KeyPair;
  signing: Ed25519KeyPair;
  keyset: Buffer;
  keysetSig: Buffer;
}

export const NOW = new Date("2024-06-02T20:30:00-06:00");

export function makeKeys(): TestKeys {
  const root = generateKeyPair();
  const signing = generateKeyPair();
  const keyset = createKeyset({ version: 1, expires: "2025-01-01T00:00:00Z", signingPublicKeys: [signing.publicKey], createdAt: "2024-05-01T00:00:00Z" });
  const keysetSig = encodeSigFile(signDocument("keyset", keyset, root.secretKey, keyIdOf(root.publicKey)));
  return { root, signing, keyset, keysetSig };
}

export interface TestCut {
  files: Record<string, Buffer>;
  manifestBytes: Buffer;
  manifestSig: Buffer;
  manifest: Manifest;
  keys: TestKeys;
}

export function makeCut(keys: TestKeys, sequence: number, files: Record<string, string | Buffer>, extra: { notBefore?: string; signWith?: Ed25519KeyPair; corte?: string; retraction?: { reason: string } } = {}): TestCut {
  const bufs: Record<string, Buffer> = {};
  for (const [p, v] of Object.entries(files)) bufs[p] = Buffer.isBuffer(v) ? v : Buffer.from(v);
  const manifestBytes = createManifest({
    process: "VER-2024",
    channel: "produccion",
    sequence,
    corte: extra.corte ?? `2024-06-02T20:${String(sequence % 60).padStart(2, "0")}:00-06:00`,
    ...(extra.retraction ? { retraction: extra.retraction } : {}),
    createdAt: "2024-06-02T20:00:00-06:00",
    expires: "2024-12-31T00:00:00-06:00",
    ...(extra.notBefore ? { notBefore: extra.notBefore } : {}),
    files: Object.entries(bufs).map(([p, b]) => ({ path: p, size: b.length, sha256: sha256Hex(b) })),
  });
  const signer = extra.signWith ?? keys.signing;
  const manifestSig = encodeSigFile(signDocument("manifest", manifestBytes, signer.secretKey, keyIdOf(signer.publicKey)));
  return { files: bufs, manifestBytes, manifestSig, manifest: parseManifest(manifestBytes), keys };
}

/** The entries of a well-formed package for `cut`, in order; tests mutate this list. */
export function packageEntries(cut: TestCut): RawEntry[] {
  return [
    { name: "prepcast/keyset.json", data: cut.keys.keyset },
    { name: "prepcast/keyset.sig", data: cut.keys.keysetSig },
    { name: "prepcast/manifest.json", data: cut.manifestBytes },
    { name: "prepcast/manifest.sig", data: cut.manifestSig },
    ...cut.manifest.files.map((f) => ({ name: `site/${f.path}`, data: cut.files[f.path]! })),
  ];
}

export function tempDir(label: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `prepcast-${label}-`));
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(d); // removed after the test file (jest.environment.js)
  return d;
}

/** Every file under `dir` (relative path → bytes), for byte-for-byte comparisons. */
export function readTree(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out[r] = fs.readFileSync(path.join(d, e.name));
    }
  };
  walk(dir, "");
  return out;
}

/** Writes `files` as a cut directory. */
export function writeCutDir(dir: string, files: Record<string, string | Buffer>): string {
  for (const [p, v] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), v);
  }
  return dir;
}
