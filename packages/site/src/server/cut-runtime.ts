// What the server keeps per cut: its compressed variants (prepared in the background when
// missing), the files verified into memory against the manifest, and the fast path's routes.
// Everything hangs off the cut object (a WeakMap), so a replaced cut's memory goes with it.
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import type { CutFile, LoadedCut } from "../cut/cut";
import { loadVariants, prepareCompressedVariants, Variant } from "../cut/compress";
import { manifestPathOf } from "./request";
import type { SiteLogger } from "./log";

const MEMORY_BUDGET_PER_CUT = 48 * 1024 * 1024;

export interface CutRuntime {
  cut: LoadedCut;
  variants: Map<string, Variant[]> | undefined;
  variantsCheckedAt: number;
  memory: Map<string, Buffer>;
  /** Fast path: URL path → the file's in-memory representations with their precomputed raw headers. */
  routes: Map<string, FastRoute>;
  memoryBytes: number;
  loading: Map<string, Promise<Buffer | undefined>>;
}

export interface FastRepresentation {
  body: Buffer;
  /** Raw [name, value, ...] array for writeHead: built once per file, encoding and cut. */
  headers: string[];
}

export interface FastRoute {
  file: CutFile;
  html: boolean;
  variants: Variant[];
  /** Per encoding ("" = identity); filled as each representation is verified into memory. */
  reps: Map<string, FastRepresentation>;
}

export interface CutRuntimes {
  /** The cut's runtime; (re)loads its variants index, starting their preparation when missing. */
  runtimeFor(cut: LoadedCut): CutRuntime;
  /** Resolves once no compressed-variant preparation started here is still writing. */
  settled(): Promise<void>;
}

export interface CutRuntimesOptions {
  root: string;
  /** Prepare compressed variants when a cut without them is seen. */
  prepare: boolean;
  log: SiteLogger;
}

export function createCutRuntimes({ root, prepare, log }: CutRuntimesOptions): CutRuntimes {
  const runtimes = new WeakMap<LoadedCut, CutRuntime>();
  const preparing = new Set<string>();
  const preparations = new Set<Promise<unknown>>();

  function runtimeFor(cut: LoadedCut): CutRuntime {
    let rt = runtimes.get(cut);
    if (!rt) {
      rt = { cut, variants: undefined, variantsCheckedAt: -Infinity, memory: new Map(), routes: new Map(), memoryBytes: 0, loading: new Map() };
      runtimes.set(cut, rt);
    }
    if (!rt.variants && Date.now() - rt.variantsCheckedAt > 2000) {
      rt.variantsCheckedAt = Date.now();
      rt.variants = loadVariants(root, cut);
      if (rt.variants) rt.routes.clear();
      if (!rt.variants && prepare && !preparing.has(cut.dir)) {
        preparing.add(cut.dir);
        const p: Promise<unknown> = prepareCompressedVariants({ root, cutDir: cut.dir })
          .then(() => {
            rt!.variantsCheckedAt = -Infinity;
            rt!.routes.clear(); // routes remember which variants exist
          })
          .catch((e) => log.warn({ cut: cut.id, err: String(e) }, "compressed variants could not be prepared; serving identity"))
          .finally(() => {
            preparing.delete(cut.dir);
            preparations.delete(p);
          });
        preparations.add(p);
      }
    }
    return rt;
  }

  return { runtimeFor, settled: async () => void (await Promise.allSettled([...preparations])) };
}

/**
 * A representation's bytes from memory, or read and checked against the manifest (size and
 * SHA-256) and kept in memory within the cut's budget; undefined for files above `maxMemFile`
 * (streamed instead). Bytes that differ from the manifest reject (an `integrity` error).
 */
export async function bytesOf(rt: CutRuntime, key: string, abs: string, size: number, sha256: string, maxMemFile: number): Promise<Buffer | undefined> {
  const cached = rt.memory.get(key);
  if (cached) return cached;
  if (size > maxMemFile) return undefined;
  let p = rt.loading.get(key);
  if (!p) {
    p = fsp.readFile(abs).then((buf) => {
      if (buf.length !== size || createHash("sha256").update(buf).digest("hex") !== sha256) {
        throw Object.assign(new Error(`${abs} does not match the signed manifest (sha256/size)`), { integrity: true });
      }
      if (rt.memoryBytes + buf.length <= MEMORY_BUDGET_PER_CUT) {
        rt.memory.set(key, buf);
        rt.memoryBytes += buf.length;
      }
      return buf;
    });
    rt.loading.set(key, p);
    p.then(
      () => rt.loading.delete(key),
      () => rt.loading.delete(key),
    );
  }
  return p;
}

/** The fast path's route for a URL path of the cut (undefined when the cut does not list it). */
export function routeFor(rt: CutRuntime, cut: LoadedCut, path: string): FastRoute | undefined {
  let route = rt.routes.get(path);
  if (route) return route;
  const file = cut.files.get(manifestPathOf(path));
  if (!file) return undefined;
  route = { file, html: file.contentType.startsWith("text/html"), variants: rt.variants?.get(file.path) ?? [], reps: new Map() };
  if (rt.routes.size < 100_000) rt.routes.set(path, route);
  return route;
}
