// The cuts the payload encoding compliance suite (./compliance.ts) encodes and applies: signed by
// a FakeOple and verified like a receiver verifies an offer, written as `<dir>/site/<path>`, and
// (for a delta's base) committed into a real CutStore, so a receiver's PayloadApplier can find
// its base exactly as it does in the agent. Deterministic: the same seed gives the same bytes.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CutStore, sitePathIn, verifySignedCut, type ManifestFile, type VerifiedCut } from "@prepcast/protocol";
import { FakeOple } from "@prepcast/protocol/testing";
import { cutDirContent, type CutContent } from "./content";

export type CutFiles = Record<string, Buffer>;

/** What a receiver offer names as the base (InstallRequest.base). */
export interface CodecCutRef {
  process: string;
  channel: string;
  sequence: number;
  manifestSha256: string;
}

/** A signed, verified cut laid out on disk. */
export interface SignedTestCut {
  files: CutFiles;
  verified: VerifiedCut;
  ref: CodecCutRef;
  /** `<dir>/site/<path>` holds the files */
  dir: string;
  content: CutContent;
}

/** A base cut as a receiver holds it: committed in a real CutStore. */
export interface HeldTestCut extends SignedTestCut {
  store: CutStore;
}

/** A small deterministic generator (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBuffer(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let i = 0;
  for (; i + 4 <= n; i += 4) b.writeUInt32LE(Math.floor(rand() * 4294967296), i);
  for (; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

function csv(rand: () => number, rows: number): Buffer {
  const lines = ["CLAVE_CASILLA,SECCION,TIPO,PAN,PRI,PRD,PVEM,PT,MC,MORENA,NULOS,TOTAL"];
  for (let r = 0; r < rows; r++) {
    const votes = Array.from({ length: 8 }, () => Math.floor(rand() * 300));
    lines.push(`30-${String(r).padStart(5, "0")},${1000 + (r % 977)},B,${votes.join(",")},${votes.reduce((s, v) => s + v, 0)}`);
  }
  return Buffer.from(lines.join("\n") + "\n");
}

/** A PREP-like cut: a page, a script, a summary, per-section JSON, a CSV, and an empty file. */
export function prepFiles(seed: number, corte: string, sections = 120): CutFiles {
  const rand = prng(seed);
  const files: CutFiles = {
    "index.html": Buffer.from(`<!doctype html><title>PREP</title><h1>Resultados</h1><p>Corte ${corte}</p>`),
    "assets/app.js": Buffer.from("export function pinta(datos) { return datos.map((d) => d.votos); }\n".repeat(600)),
    "data/resumen.json": Buffer.from(JSON.stringify({ corte, actasCapturadas: Math.floor(rand() * 9000), participacion: rand() })),
    "data/sin-datos.json": Buffer.alloc(0),
    "datos/actas.csv": csv(rand, 1500),
  };
  for (let s = 0; s < sections; s++) {
    const votos = Array.from({ length: 9 }, () => Math.floor(rand() * 500));
    files[`data/secciones/${s}.json`] = Buffer.from(JSON.stringify({ corte, seccion: 1000 + s, votos, total: votos.reduce((a, v) => a + v, 0) }, null, 1));
  }
  return files;
}

/** The next cut after `files`: most sections change, one file goes, one is renamed, one is new. */
export function nextFiles(files: CutFiles, seed: number, corte: string): CutFiles {
  const rand = prng(seed);
  const out: CutFiles = {};
  const names = Object.keys(files).sort();
  names.forEach((name, i) => {
    const data = files[name]!;
    if (i === 3) return; // removed
    if (i === 5) {
      out[`renombrado/${name}`] = data; // same bytes under another name
      return;
    }
    if (name.endsWith(".json") && data.length > 0 && rand() < 0.8) {
      out[name] = Buffer.from(data.toString("utf8").replace(/"corte":"[^"]*"/, `"corte":"${corte}"`) + " ".repeat(Math.floor(rand() * 3)));
    } else if (name.endsWith(".csv")) {
      out[name] = Buffer.concat([data, csv(rand, 40)]);
    } else {
      out[name] = data;
    }
  });
  out["data/nuevo.json"] = Buffer.from(JSON.stringify({ corte, nuevo: true }));
  return out;
}

/** Only empty files (a cut whose payload has no bytes at all). */
export function emptyFiles(): CutFiles {
  return { "a/vacio.txt": Buffer.alloc(0), "b.json": Buffer.alloc(0), "c/d/e.csv": Buffer.alloc(0) };
}

/** Large files: a compressible CSV of about 3 MiB and 2 MiB of random bytes (a photo of an acta). */
export function largeFiles(seed: number): CutFiles {
  const rand = prng(seed);
  return { "datos/actas-grande.csv": csv(rand, 45_000), "fotos/acta-0001.jpg": randomBuffer(rand, 2 << 20), "index.html": Buffer.from("<h1>PREP</h1>") };
}

/** Many small files (1500 of 20 to 80 bytes, in 50 directories). */
export function manySmallFiles(seed: number): CutFiles {
  const rand = prng(seed);
  const files: CutFiles = {};
  for (let i = 0; i < 1500; i++) files[`casillas/${i % 50}/${i}.json`] = Buffer.from(`{"c":${i},"v":"${"x".repeat(Math.floor(rand() * 60))}"}`);
  return files;
}

/** Signs cuts with one FakeOple (sequence 1, 2, ...) and lays them out under `root`. */
export class TestCuts {
  private readonly ople = new FakeOple();
  private sequence = 0;
  private readonly stores: CutStore[] = [];
  private empty: CutStore | null = null;
  constructor(readonly root: string) {}

  sign(files: CutFiles): SignedTestCut {
    const sequence = ++this.sequence;
    const cut = this.ople.cut(sequence, files);
    const verified = verifySignedCut(cut.signed, { rootPublicKey: this.ople.root.publicKey });
    const dir = path.join(this.root, `cut-${sequence}`);
    writeSite(dir, verified.manifest.files, files);
    const m = verified.manifest;
    return {
      files,
      verified,
      ref: { process: m.process, channel: m.channel, sequence: m.sequence, manifestSha256: verified.manifestSha256 },
      dir,
      content: cutDirContent(verified.manifestSha256, m.files, dir),
    };
  }

  /** Signs `files` and commits them into a fresh receiver store: a base a delta applier can find. */
  async held(files: CutFiles): Promise<HeldTestCut> {
    const cut = this.sign(files);
    const store = await CutStore.open(path.join(this.root, `store-${cut.ref.sequence}`), { retain: 1000 });
    this.stores.push(store);
    const staging = await store.beginStaging(cut.verified);
    writeSite(staging.dir, cut.verified.manifest.files, files);
    const record = await store.commit(staging);
    const dir = store.cutDir(record.id);
    return { ...cut, store, dir, content: cutDirContent(cut.verified.manifestSha256, cut.verified.manifest.files, dir) };
  }

  /** A receiver store holding no cut (what a `whole` encoding's applier is handed). */
  async emptyStore(): Promise<CutStore> {
    if (!this.empty) {
      this.empty = await CutStore.open(path.join(this.root, "store-empty"), { retain: 1000 });
      this.stores.push(this.empty);
    }
    return this.empty;
  }

  close(): void {
    for (const s of this.stores) s.close();
  }
}

function writeSite(dir: string, list: readonly ManifestFile[], files: CutFiles): void {
  for (const f of list) {
    const abs = sitePathIn(dir, f.path);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, files[f.path]!);
  }
}

/** Every regular file under `<dir>/site`, by its path relative to it (`/`-separated). */
export function readSiteTree(dir: string): CutFiles {
  const site = path.join(dir, "site");
  const out: CutFiles = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(site, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out[r] = fs.readFileSync(path.join(site, r));
    }
  };
  if (fs.existsSync(site)) walk("");
  return out;
}

/**
 * A cut whose bytes are not the ones its manifest signed: `read`/`readMany` of file `index` give
 * `alter(bytes)`. An encoder fed this writes a stream that is well formed but rebuilds a wrong file.
 */
export function lyingContent(content: CutContent, index: number, alter: (b: Buffer) => Buffer): CutContent {
  const fix = (i: number, b: Buffer) => (i === index ? alter(Buffer.from(b)) : b);
  return {
    manifestSha256: content.manifestSha256,
    files: content.files,
    read: async (i, offset = 0, length) => {
      const whole = fix(i, await content.read(i));
      return whole.subarray(offset, length === undefined ? undefined : offset + length);
    },
    readMany: async (indices) => (await content.readMany(indices)).map((b, k) => fix(indices[k]!, b)),
    close: () => content.close(),
  };
}

/**
 * A decompression bomb in this encoding's own hands: the signed cut's file names, each declared
 * `bytesPerFile` bytes of zeros (made on demand), under the signed manifest's SHA-256. The
 * manifest signed a few bytes per file; the stream rebuilds far more.
 */
export function bombContent(signed: SignedTestCut, bytesPerFile: number): CutContent {
  const sha256 = createHash("sha256").update(Buffer.alloc(bytesPerFile)).digest("hex");
  const files: ManifestFile[] = signed.verified.manifest.files.map((f) => ({ path: f.path, size: bytesPerFile, sha256 }));
  return {
    manifestSha256: signed.verified.manifestSha256,
    files,
    read: async (_i, offset = 0, length) => Buffer.alloc(length ?? bytesPerFile - offset),
    readMany: async (indices) => indices.map(() => Buffer.alloc(bytesPerFile)),
    close: async () => undefined,
  };
}
