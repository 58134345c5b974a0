import { PrepcastError } from "@prepcast/protocol";
import { protocolError, writeVarint } from "../format";
import { DEFLATE_MAX_RATIO, METHOD_DEFLATE, METHOD_STORED } from "./parse";
import type { ZipEntryRecipe, ZipRecipe } from "./split";

/**
 * A zip recipe on the wire (docs/protocol.md §9.4): how to put a zip back together from its
 * entries' plain contents. Varints as in §9.2 (LEB128, at most 7 bytes, minimal).
 *
 *   u8 version = 1
 *   varint skeleton length
 *   varint entry count (≤ 65 535)
 *   per entry: varint at (offset in the skeleton where its data goes; ≥ the previous entry's)
 *              u8 method (0 stored, 8 deflate), u8 level (0–9), u8 memLevel (1–9; 0 when stored)
 *              varint plain size, varint data size (stored: equal; deflate: plain ≤ 1032 × data)
 *   skeleton bytes
 *
 * The decoder knows the file's signed size: skeleton length + every data size MUST equal it,
 * and every other number is bounded before anything is allocated.
 */
export const RECIPE_VERSION = 1;
export const MAX_RECIPE_ENTRIES = 0xffff;

export function encodeZipRecipe(recipe: ZipRecipe): Buffer {
  const head: number[] = [RECIPE_VERSION];
  writeVarint(head, recipe.skeleton.length);
  writeVarint(head, recipe.entries.length);
  for (const e of recipe.entries) {
    writeVarint(head, e.at);
    head.push(e.method, e.level, e.memLevel);
    writeVarint(head, e.size);
    writeVarint(head, e.compressedSize);
  }
  return Buffer.concat([Buffer.from(head), recipe.skeleton]);
}

class Cursor {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly where: string,
  ) {}
  u8(what: string): number {
    if (this.pos >= this.buf.length) throw new PrepcastError("TRUNCATED", `${this.where}: the zip recipe ends inside ${what}`, { where: this.where });
    return this.buf[this.pos++]!;
  }
  varint(max: number, what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.u8(what);
      value += (b & 0x7f) * scale;
      if (value > max) throw protocolError(`zip recipe: ${what} ${value} exceeds ${max}`, `${this.where} @${this.pos}`);
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) throw protocolError(`zip recipe: ${what} is not minimally encoded`, `${this.where} @${this.pos}`);
        return value;
      }
      scale *= 0x80;
    }
    throw protocolError(`zip recipe: ${what} varint is too long`, `${this.where} @${this.pos}`);
  }
}

/**
 * Decodes a recipe for a file of `fileSize` bytes (the signed manifest's size), refusing with
 * PROTOCOL_ERROR / TRUNCATED anything out of bounds. `maxPlainBytes` bounds the entries' plain
 * sizes together (what the receiver will hold in memory for this file).
 */
export function decodeZipRecipe(buf: Buffer, fileSize: number, maxPlainBytes: number, where: string): ZipRecipe {
  const c = new Cursor(buf, where);
  const version = c.u8("the version");
  if (version !== RECIPE_VERSION) throw protocolError(`zip recipe version ${version} is not supported (expected ${RECIPE_VERSION})`, where);
  const skeletonLength = c.varint(fileSize, "skeleton length");
  const count = c.varint(MAX_RECIPE_ENTRIES, "entry count");
  const entries: ZipEntryRecipe[] = [];
  let dataTotal = 0;
  let plainTotal = 0;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const next = c.varint(skeletonLength, `entry ${i} offset`);
    if (next < at) throw protocolError(`zip recipe: entry ${i} goes at ${next}, before entry ${i - 1} (${at})`, where);
    at = next;
    const e: ZipEntryRecipe = {
      at,
      method: c.u8(`entry ${i} method`),
      level: c.u8(`entry ${i} level`),
      memLevel: c.u8(`entry ${i} memLevel`),
      size: 0,
      compressedSize: 0,
    };
    if (e.method === METHOD_STORED) {
      if (e.level !== 0 || e.memLevel !== 0) throw protocolError(`zip recipe: stored entry ${i} names a level or memLevel`, where);
    } else if (e.method === METHOD_DEFLATE) {
      if (e.level > 9 || e.memLevel < 1 || e.memLevel > 9)
        throw protocolError(`zip recipe: entry ${i} level ${e.level} memLevel ${e.memLevel} out of range`, where);
    } else throw protocolError(`zip recipe: entry ${i} method ${e.method} (only 0 stored and 8 deflate)`, where);
    e.size = c.varint(maxPlainBytes - plainTotal, `entry ${i} plain size`);
    e.compressedSize = c.varint(fileSize - skeletonLength - dataTotal, `entry ${i} data size`);
    if (e.method === METHOD_STORED && e.size !== e.compressedSize) throw protocolError(`zip recipe: stored entry ${i} sizes differ`, where);
    if (e.method === METHOD_DEFLATE && (e.size > e.compressedSize * DEFLATE_MAX_RATIO || e.compressedSize < 2))
      throw protocolError(`zip recipe: entry ${i} claims ${e.size} plain bytes from ${e.compressedSize} deflated`, where);
    plainTotal += e.size;
    dataTotal += e.compressedSize;
    entries.push(e);
  }
  if (skeletonLength + dataTotal !== fileSize)
    throw protocolError(`zip recipe: skeleton ${skeletonLength} + data ${dataTotal} bytes is not the file's ${fileSize}`, where);
  if (buf.length - c.pos !== skeletonLength)
    throw buf.length - c.pos < skeletonLength
      ? new PrepcastError("TRUNCATED", `${where}: the zip recipe's skeleton is ${buf.length - c.pos} bytes, ${skeletonLength} declared`, { where })
      : protocolError(`zip recipe: ${buf.length - c.pos - skeletonLength} bytes after the skeleton`, where);
  return { skeleton: buf.subarray(c.pos), entries };
}
