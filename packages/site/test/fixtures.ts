// Builds receiver state directories (DIR/cuts/<id>/{prepcast,site}, DIR/current) with really
// signed cuts, the same layout prep-receiver installs.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createKeyset, createManifest, encodeSigFile, generateKeyPair, keyIdOf, sha256Hex, signDocument, writePublicKeyFile, type Ed25519KeyPair } from "@prepcast/protocol";

export interface TestKeys {
  root: Ed25519KeyPair;
  signing: Ed25519KeyPair;
  keyset: Buffer;
  keysetSig: Buffer;
}

export function makeKeys(): TestKeys {
  const root = generateKeyPair();
  const signing = generateKeyPair();
  const keyset = createKeyset({ version: 1, expires: new Date(Date.now() + 365 * 86_400_000), signingPublicKeys: [signing.publicKey], createdAt: new Date(Date.now() - 86_400_000) });
  const keysetSig = encodeSigFile(signDocument("keyset", keyset, root.secretKey, keyIdOf(root.publicKey)));
  return { root, signing, keyset, keysetSig };
}

export interface CutSpec {
  sequence: number;
  corte: string;
  notBefore?: string;
  channel?: "produccion" | "simulacro";
  /** sign it as the final cut, shown until this instant */
  publishUntil?: string;
  files: Record<string, string | Buffer>;
}

export function tempRoot(prefix = "prepcast-site-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(d); // removed after the test file (jest.environment.js)
  return d;
}

export function writeCut(root: string, keys: TestKeys, spec: CutSpec): { dir: string; id: string; manifest: Buffer; manifestSha256: string } {
  const files = Object.entries(spec.files).map(([path, content]) => {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    return { path, bytes, size: bytes.length, sha256: sha256Hex(bytes) };
  });
  const manifest = createManifest({
    process: "VER-2024",
    channel: spec.channel ?? "produccion",
    sequence: spec.sequence,
    corte: spec.corte,
    files: files.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
    createdAt: new Date(Date.parse(spec.corte) - 60_000),
    notBefore: spec.notBefore ?? new Date(Date.parse(spec.corte) - 60_000),
    expires: new Date(Date.now() + 30 * 86_400_000),
    ...(spec.publishUntil !== undefined ? { final: { publishUntil: spec.publishUntil } } : {}),
  });
  const manifestSha256 = sha256Hex(manifest);
  const id = `${String(spec.sequence).padStart(6, "0")}-${manifestSha256.slice(0, 12)}`;
  const dir = join(root, "cuts", id);
  for (const f of files) {
    mkdirSync(dirname(join(dir, "site", f.path)), { recursive: true });
    writeFileSync(join(dir, "site", f.path), f.bytes);
  }
  mkdirSync(join(dir, "prepcast"), { recursive: true });
  writeFileSync(join(dir, "prepcast", "keyset.json"), keys.keyset);
  writeFileSync(join(dir, "prepcast", "keyset.sig"), keys.keysetSig);
  writeFileSync(join(dir, "prepcast", "manifest.json"), manifest);
  writeFileSync(join(dir, "prepcast", "manifest.sig"), encodeSigFile(signDocument("manifest", manifest, keys.signing.secretKey, keyIdOf(keys.signing.publicKey))));
  return { dir, id, manifest, manifestSha256 };
}

/** Points DIR/current at the cut atomically (new symlink + rename), as the receiver does. */
export function activate(root: string, cutId: string): void {
  const tmp = join(root, `.current-${process.pid}-${Math.random().toString(16).slice(2)}`);
  symlinkSync(join("cuts", cutId), tmp);
  renameSync(tmp, join(root, "current"));
}

export function writeRootPub(root: string, keys: TestKeys): string {
  const file = join(root, "root.pub");
  writePublicKeyFile(file, keys.root.publicKey, { overwrite: true });
  return file;
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A small PREP-like site: pages, assets, per-section JSON, CSV and a zip-like binary. */
export function sampleSite(tag: string): Record<string, string | Buffer> {
  const big = JSON.stringify({ tag, secciones: Array.from({ length: 400 }, (_, i) => ({ id: i, votos: (i * 37) % 1000, tag })) });
  return {
    "index.html": `<!doctype html><html lang="es"><head><title>PREP ${tag}</title><link rel="stylesheet" href="assets/app.css"><script src="assets/app.js"></script></head><body><h1>Resultados ${tag}</h1><img src="assets/logo.svg"></body></html>`,
    "assets/app.css": `body{color:#123} /* ${tag} */ ${".x{margin:0}".repeat(200)}`,
    "assets/app.js": `console.log(${JSON.stringify(tag)});`,
    "assets/logo.svg": `<svg xmlns="http://www.w3.org/2000/svg"><text>${tag}</text></svg>`,
    "assets/app.3f9a1b2c4d.js": `/* hashed ${tag} */`,
    "datos/entidad.json": big,
    "datos/seccion 1.json": JSON.stringify({ tag, nombre: "sección 1" }),
    "diputaciones/index.html": `<!doctype html><html><body>Diputaciones ${tag}</body></html>`,
    "bd/resultados.csv": `seccion,votos\n${Array.from({ length: 300 }, (_, i) => `${i},${i * 3}`).join("\n")}\n# ${tag}\n`,
    "bd/resultados.zip": Buffer.concat([Buffer.from("PK\u0003\u0004"), Buffer.alloc(300_000, tag.charCodeAt(0))]),
    "bd/resultados.csv.sha256": `${"0".repeat(64)}  resultados.csv\n`,
  };
}
