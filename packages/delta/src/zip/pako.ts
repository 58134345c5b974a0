// pako (stock zlib 1.2.x ported to JavaScript) is the one deflate a zip-aware codec may use: its
// output is the same on every machine and Node build, unlike node:zlib (Chromium's fork, with its
// own match finder) or the system zlib. docs/benchmarks.md, "The real data's zip", measured it:
// the OPLE's 2019 zip re-deflates byte for byte with pako at level 9, memLevel 9, never with
// node:zlib. The version is pinned exactly in package.json: another pako could deflate otherwise.
// pako ships no type declarations; the one call used here is typed below.

interface PakoDeflateOptions {
  level: number;
  memLevel: number;
  windowBits: number;
  strategy: number;
}

interface Pako {
  deflateRaw(data: Uint8Array, options: PakoDeflateOptions): Uint8Array;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pako = require("pako") as Pako;

/** Raw deflate (no zlib or gzip wrapper), 32 KiB window, default strategy: what zip entries hold. */
export function pakoDeflateRaw(plain: Uint8Array, level: number, memLevel: number): Buffer {
  const out = pako.deflateRaw(plain, { level, memLevel, windowBits: 15, strategy: 0 });
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}
