import { createHash } from "node:crypto";
import * as zlib from "node:zlib";
import { PrepcastError, isPrepcastError } from "@prepcast/protocol";
import { pakoDeflateRaw } from "./pako";
import { DEFAULT_ZIP_LIMITS, METHOD_DEFLATE, METHOD_STORED, parseZip, zipError, type ZipLimits } from "./parse";

/**
 * A zip split into what a zip-aware codec sends: the skeleton (every byte that is not entry
 * data: local headers, central directory, end record), each entry's plain content, and how to
 * turn each plain content back into the entry's data (stored, or deflated by pinned pako at a
 * named level and memLevel). `rebuildZip` is the inverse and checks the result's size and
 * SHA-256; a split exists only when the publisher's own rebuild gave the original bytes.
 */

export interface ZipEntryRecipe {
  /** Offset in the skeleton where this entry's data goes (non-decreasing from entry to entry). */
  at: number;
  /** 0 stored, 8 deflate. */
  method: number;
  /** pako level 0–9 and memLevel 1–9 (both 0 when stored). */
  level: number;
  memLevel: number;
  /** Plain size, and the size of the entry's data in the zip. */
  size: number;
  compressedSize: number;
}

export interface ZipRecipe {
  skeleton: Buffer;
  entries: ZipEntryRecipe[];
}

export interface ZipSplit {
  recipe: ZipRecipe;
  /** Each entry's plain content, in recipe order. */
  plains: Buffer[];
  /** Each entry's name as the zip spells it (latin1 view of the bytes), in recipe order: for matching entries across cuts. */
  names: string[];
}

/** Deflate settings a publisher tries, in order (after the one that matched the previous entry): libzip/PHP ZipArchive (9/9), zlib's default (6/8, Java, Python), 9/8. */
export const REBUILD_CANDIDATES: ReadonlyArray<readonly [number, number]> = [
  [9, 9],
  [6, 8],
  [9, 8],
];

export function sha256Hex(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/** Inflates raw deflate `data` to exactly `size` bytes, never producing more than `size` (a bomb is TOO_LARGE, a short entry ZIP_INVALID). */
export function inflateBounded(data: Buffer, size: number, what: string, where: string): Buffer {
  let out: Buffer;
  try {
    out = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, size) });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError)
      throw zipError("TOO_LARGE", "inflates-larger", `${what} inflates to more than its declared ${size} bytes`, where);
    throw zipError("ZIP_INVALID", "inflate", `${what} does not inflate: ${(e as Error).message}`, where);
  }
  if (out.length > size) throw zipError("TOO_LARGE", "inflates-larger", `${what} inflates to more than its declared ${size} bytes`, where);
  if (out.length !== size) throw zipError("ZIP_INVALID", "lying-size", `${what} inflates to ${out.length} bytes, its headers declare ${size}`, where);
  return out;
}

/** The entry's data rebuilt from its plain content (the caller compares it with what it expects). */
function entryData(e: ZipEntryRecipe, plain: Buffer): Buffer {
  return e.method === METHOD_STORED ? plain : pakoDeflateRaw(plain, e.level, e.memLevel);
}

/**
 * Splits `zip` (the publisher side). Throws ZIP_INVALID / ZIP_UNSUPPORTED / TOO_LARGE when it is
 * not a zip this codec handles, and ZIP_UNSUPPORTED with reason `not-rebuildable` when an entry
 * does not re-deflate to its bytes with any candidate setting (a zip written by node:zlib,
 * Info-ZIP, 7-Zip…). The split is returned only after `rebuildZip` gave back `zip` exactly.
 */
export function splitZip(zip: Buffer, where: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): ZipSplit {
  const layout = parseZip(zip, where, limits);
  const pieces: Buffer[] = [];
  const entries: ZipEntryRecipe[] = [];
  const plains: Buffer[] = [];
  const names: string[] = [];
  /** Each entry's data as the receiver's rebuild makes it (the same pako call), kept from the try. */
  const datas: Buffer[] = [];
  let skeletonLength = 0;
  let from = 0;
  let last: readonly [number, number] | null = null;
  for (const e of layout.entries) {
    const piece = zip.subarray(from, e.dataStart);
    pieces.push(piece);
    skeletonLength += piece.length;
    from = e.dataStart + e.compressedSize;
    const data = zip.subarray(e.dataStart, from);
    const what = `entry "${e.name}"`;
    if (e.method === METHOD_STORED) {
      entries.push({ at: skeletonLength, method: METHOD_STORED, level: 0, memLevel: 0, size: e.size, compressedSize: e.compressedSize });
      plains.push(Buffer.from(data));
      datas.push(plains[plains.length - 1]!);
    } else {
      const plain = inflateBounded(data, e.size, what, where);
      const tries: ReadonlyArray<readonly [number, number]> = last ? [last, ...REBUILD_CANDIDATES.filter((c) => c !== last)] : REBUILD_CANDIDATES;
      const hit: readonly [number, number] | undefined = tries.find(([level, memLevel]) => {
        const again = pakoDeflateRaw(plain, level, memLevel);
        if (!again.equals(data)) return false;
        datas.push(again);
        return true;
      });
      if (!hit)
        throw zipError(
          "ZIP_UNSUPPORTED",
          "not-rebuildable",
          `${what} does not re-deflate to its bytes with pinned pako at level/memLevel ${REBUILD_CANDIDATES.map((c) => c.join("/")).join(", ")} (written by another deflate)`,
          where,
          e.localOffset,
        );
      last = hit;
      entries.push({ at: skeletonLength, method: METHOD_DEFLATE, level: hit[0], memLevel: hit[1], size: e.size, compressedSize: e.compressedSize });
      plains.push(plain);
    }
    names.push(e.name);
  }
  pieces.push(zip.subarray(from));
  const split: ZipSplit = { recipe: { skeleton: Buffer.concat(pieces), entries }, plains, names };
  // The proof: the receiver's rebuild (each entry's data from the same pako call, kept above) gives the zip back exactly.
  assemble(split.recipe, datas, { size: zip.length, sha256: sha256Hex(zip) }, where);
  return split;
}

/** `splitZip`, with a refusal as a value: what the publisher's encoder asks ("can this file travel as a zip recipe?"). */
export function trySplitZip(
  zip: Buffer,
  where: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): { ok: true; split: ZipSplit } | { ok: false; error: PrepcastError } {
  try {
    return { ok: true, split: splitZip(zip, where, limits) };
  } catch (e) {
    if (isPrepcastError(e) && e.code !== "INTERNAL") return { ok: false, error: e };
    throw e;
  }
}

/**
 * Rebuilds the zip from its recipe and its entries' plain contents (the receiver side) and
 * checks it against the signed `expected` size and SHA-256: SIZE_MISMATCH / HASH_MISMATCH on any
 * difference, so the caller falls back to the plain delta. The recipe must already be validated
 * against `expected.size` (`decodeZipRecipe` does); plain sizes are checked here.
 */
export function rebuildZip(recipe: ZipRecipe, plains: readonly Buffer[], expected: { size: number; sha256: string }, where: string): Buffer {
  const { skeleton, entries } = recipe;
  if (plains.length !== entries.length)
    throw new PrepcastError("INTERNAL", `${where}: ${plains.length} plain contents for ${entries.length} zip entries`, { where });
  const total = entries.reduce((n, e) => n + e.compressedSize, skeleton.length);
  if (total !== expected.size)
    throw new PrepcastError("SIZE_MISMATCH", `${where}: the zip recipe makes ${total} bytes, the manifest says ${expected.size}`, {
      where,
      hint: "the zip-aware payload is damaged or forged; the publisher falls back to the plain delta",
    });
  const datas = entries.map((e, i) => {
    const plain = plains[i]!;
    if (plain.length !== e.size)
      throw new PrepcastError("SIZE_MISMATCH", `${where}: zip entry ${i} has ${plain.length} plain bytes, its recipe says ${e.size}`, { where });
    return entryData(e, plain);
  });
  return assemble(recipe, datas, expected, where);
}

/** The skeleton with each entry's data put in, checked against `expected` (size and SHA-256). */
function assemble(recipe: ZipRecipe, datas: readonly Buffer[], expected: { size: number; sha256: string }, where: string): Buffer {
  const { skeleton, entries } = recipe;
  const out = Buffer.allocUnsafe(expected.size);
  let put = 0;
  let from = 0;
  entries.forEach((e, i) => {
    put += skeleton.copy(out, put, from, e.at);
    from = e.at;
    const data = datas[i]!;
    if (data.length !== e.compressedSize)
      throw new PrepcastError("HASH_MISMATCH", `${where}: zip entry ${i} re-deflates to ${data.length} bytes, not ${e.compressedSize}`, {
        where,
        hint: "this zip does not rebuild with pinned pako; the publisher falls back to the plain delta",
      });
    put += data.copy(out, put);
  });
  put += skeleton.copy(out, put, from);
  if (put !== expected.size) throw new PrepcastError("INTERNAL", `${where}: rebuilt ${put} bytes, expected ${expected.size}`, { where });
  const got = sha256Hex(out);
  if (got !== expected.sha256)
    throw new PrepcastError("HASH_MISMATCH", `${where}: the rebuilt zip's SHA-256 is ${got}, the manifest says ${expected.sha256}`, {
      where,
      hint: "the zip-aware payload is damaged, or this zip does not rebuild on this machine; the publisher falls back to the plain delta",
    });
  return out;
}
