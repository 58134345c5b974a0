// Builds receiver state directories (DIR/cuts/<id>/{prepcast,site}, DIR/current) with really
// signed cuts, the same layout prep-receiver installs: @prepcast/protocol/testing's FakeOple with
// a keyset valid for a year and manifests created a minute before their corte.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { writePublicKeyFile } from "@prepcast/protocol";
import { FakeOple, tempDir, writeCutState } from "@prepcast/protocol/testing";

export { activateCut as activate } from "@prepcast/protocol/testing";

export type TestKeys = FakeOple;

export function makeKeys(): TestKeys {
  return new FakeOple({ keyset: { version: 1, expires: new Date(Date.now() + 365 * 86_400_000), createdAt: new Date(Date.now() - 86_400_000) } });
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
  return tempDir(prefix);
}

export function writeCut(root: string, keys: TestKeys, spec: CutSpec): { dir: string; id: string; manifest: Buffer; manifestSha256: string } {
  const createdAt = new Date(Date.parse(spec.corte) - 60_000);
  const cut = keys.cut(spec.sequence, spec.files, {
    channel: spec.channel ?? "produccion",
    corte: spec.corte,
    createdAt,
    notBefore: spec.notBefore ?? createdAt,
    expires: new Date(Date.now() + 30 * 86_400_000),
    ...(spec.publishUntil !== undefined ? { final: { publishUntil: spec.publishUntil } } : {}),
  });
  const { dir, id } = writeCutState(root, cut);
  return { dir, id, manifest: cut.manifestBytes, manifestSha256: cut.manifestSha256 };
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
