import * as fs from "node:fs";
import type { Readable } from "node:stream";
import * as tar from "tar-stream";
import { PrepcastError, toPrepcastError } from "../errors";
import type { SignedCut } from "../trust/trust";
import {
  KEYSET_ENTRY,
  KEYSET_SIG_ENTRY,
  MANIFEST_ENTRY,
  MANIFEST_SIG_ENTRY,
  MANIFEST_ZSTD_ENTRY,
  MAX_ROOT_ENTRY_SIZE,
  ROOT_ENTRY,
  ROOT_SIG_ENTRY,
  SIGNED_ENTRIES,
  SITE_PREFIX,
} from "./format";
import { decompressManifestFrame, manifestFrameContentSize } from "./manifest-zstd";
import { notAPackage, TarHeaderGuard } from "./tar-guard";

// The one way a package is read (`.prep` and the delta package alike): every byte goes through
// TarHeaderGuard before tar-stream parses it, entries are taken one at a time, and the four signed
// documents come first, read with bounded sizes, before anything else in the file is believed.

/** One tar entry: its header, and its content as an async iterable of chunks. */
export type TarEntry = AsyncIterable<unknown> & { header: tar.Header };

/** Waits for backpressure to clear, or for the stream to be destroyed; leaves no listener behind. */
function drainOrClose(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/** Maps tar-stream's plain errors (which the guard should have pre-empted) to codes; system errors keep theirs. */
function tarError(e: unknown, where?: string): PrepcastError {
  if (e instanceof PrepcastError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const systemError = typeof (e as NodeJS.ErrnoException | null)?.code === "string";
  if (!systemError && /Unexpected end of data/i.test(msg))
    return new PrepcastError("TRUNCATED", "the package ends in the middle of an entry", { cause: e, hint: "the package was cut short; copy it again" });
  if (!systemError && /tar|header/i.test(msg)) return new PrepcastError("PACKAGE_INVALID", `not a valid .prep package: ${msg}`, { cause: e });
  return toPrepcastError(e, where);
}

/**
 * A tar archive read entry by entry through TarHeaderGuard. The first failure wins: when the guard
 * finds the file cut short (TRUNCATED) or hostile, that is the error reported, not what tar-stream
 * or the consumer saw after it. Finish with finish() after the last entry, or abort(e) on an error.
 */
export class GuardedTarReader {
  private failure: PrepcastError | undefined;
  private readonly input: Readable;
  private readonly extract: tar.Extract;
  private readonly pump: Promise<void>;
  private readonly iterator: AsyncIterator<unknown>;

  /** `where` names the file in errors that have no place of their own (an unreadable file, an unexpected exception). */
  constructor(
    source: Readable | string,
    private readonly where?: string,
  ) {
    const input: Readable = typeof source === "string" ? fs.createReadStream(source, { highWaterMark: 1 << 20 }) : source;
    const guard = new TarHeaderGuard();
    const extract = tar.extract();
    this.input = input;
    this.extract = extract;
    // The pump hands bytes to tar-stream only after the guard has inspected them.
    this.pump = (async () => {
      try {
        for await (const chunk of input) {
          if (this.failure || extract.destroyed) return;
          guard.inspect(chunk as Buffer);
          if (!extract.write(chunk)) {
            await drainOrClose(extract as unknown as NodeJS.EventEmitter);
          }
        }
        if (this.failure || extract.destroyed) return;
        guard.end();
        extract.end(undefined);
      } catch (e) {
        extract.destroy(this.fail(e));
      } finally {
        input.destroy();
      }
    })();
    this.iterator = extract[Symbol.asyncIterator]();
  }

  private fail(e: unknown): PrepcastError {
    this.failure ??= tarError(e, this.where);
    return this.failure;
  }

  /** The next entry, or null at the end of the archive. */
  async next(): Promise<TarEntry | null> {
    const r = await this.iterator.next();
    return r.done ? null : (r.value as TarEntry);
  }

  /** After the last entry: waits for the whole file to be read and throws what the guard found in its tail. */
  async finish(): Promise<void> {
    await this.pump;
    if (this.failure) throw this.failure;
  }

  /** Stops reading after an error; returns the error to report (the first failure). Then await settled(). */
  abort(e: unknown): PrepcastError {
    const err = this.failure ?? this.fail(e);
    this.extract.destroy(err);
    this.input.destroy();
    return err;
  }

  /** Resolves once the pump has stopped (after abort). */
  async settled(): Promise<void> {
    await this.pump.catch(() => undefined);
  }
}

/** Reads an entry of at most `maxSize` bytes into memory. */
export async function readSmallEntry(entry: TarEntry, name: string, maxSize: number): Promise<Buffer> {
  if (entry.header.size === undefined || entry.header.size > maxSize) {
    throw new PrepcastError("TOO_LARGE", `${name} is ${entry.header.size} bytes; at most ${maxSize} are allowed`, {
      where: name,
      hint: "this is not a package written by prep-publisher pack",
    });
  }
  const parts: Buffer[] = [];
  for await (const chunk of entry) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/**
 * Reads the four signed documents every package starts with, in order and bounded in size: a file
 * that does not start like a package is PACKAGE_INVALID, one cut short MISSING_ENTRY (or TRUNCATED,
 * from the guard), anything else first UNEXPECTED_ENTRY. Nothing after them is read.
 */
export async function readSignedDocuments(reader: GuardedTarReader): Promise<SignedCut> {
  return (await readSignedHead(reader, { manifestZstd: false })).signed;
}

export interface SignedHead {
  /** the signed documents; `manifest` is the exact manifest.json bytes (decompressed if need be), not yet verified */
  signed: SignedCut;
  /** the size of prepcast/manifest.json.zst when the manifest came compressed, else null */
  manifestZstdBytes: number | null;
}

/**
 * readSignedDocuments, where `manifestZstd` also allows prepcast/manifest.json.zst in place of
 * prepcast/manifest.json (offline delta package, prepcast/delta-package@2). The compressed entry
 * is read within the manifest limit like the plain one, and only once all four documents are in
 * is it decompressed: into exactly the size its frame header declares (at most the manifest
 * limit; a frame without one is refused), one dictionary-less frame, nothing after it
 * (archive/manifest-zstd.ts). That is the only work done on unverified bytes; the caller then
 * verifies the result against manifest.sig (verifySignedCut) before anything parses it.
 */
export async function readSignedHead(reader: GuardedTarReader, opts: { manifestZstd: boolean }): Promise<SignedHead> {
  const signed: Buffer[] = [];
  let compressed = false;
  let root: { root: Buffer; rootSig: Buffer } | undefined;
  let first = await reader.next();
  if (first !== null && first.header.name === ROOT_ENTRY) {
    // a root set's root document and its signatures, ahead of the keyset (verified with it)
    if (first.header.type !== "file")
      throw new PrepcastError("ENTRY_TYPE", `${ROOT_ENTRY} is a ${first.header.type}, not a regular file`, { where: ROOT_ENTRY });
    const rootBytes = await readSmallEntry(first, ROOT_ENTRY, MAX_ROOT_ENTRY_SIZE);
    const sigEntry = await reader.next();
    if (sigEntry === null || sigEntry.header.name !== ROOT_SIG_ENTRY || sigEntry.header.type !== "file") {
      throw new PrepcastError("UNEXPECTED_ENTRY", `${ROOT_ENTRY} must be followed by ${ROOT_SIG_ENTRY}`, {
        where: ROOT_SIG_ENTRY,
        hint: "repack with prep-publisher pack",
      });
    }
    root = { root: rootBytes, rootSig: await readSmallEntry(sigEntry, ROOT_SIG_ENTRY, MAX_ROOT_ENTRY_SIZE) };
    first = await reader.next();
  }
  for (const { name, maxSize } of SIGNED_ENTRIES) {
    const entry = signed.length === 0 ? first : await reader.next();
    if (entry === null)
      throw new PrepcastError(signed.length === 0 ? "PACKAGE_INVALID" : "MISSING_ENTRY", `the package ends before ${name}`, {
        where: name,
        hint: "this is not a complete .prep package",
      });
    if (signed.length === 0 && !entry.header.name.startsWith("prepcast/") && !entry.header.name.startsWith(SITE_PREFIX)) {
      throw notAPackage(`a tar archive whose first entry is ${JSON.stringify(entry.header.name.slice(0, 200))}, not ${KEYSET_ENTRY}`);
    }
    if (entry.header.type !== "file")
      throw new PrepcastError("ENTRY_TYPE", `${entry.header.name} is a ${entry.header.type}, not a regular file`, { where: entry.header.name });
    const asZstd = opts.manifestZstd && name === MANIFEST_ENTRY && entry.header.name === MANIFEST_ZSTD_ENTRY;
    if (entry.header.name !== name && !asZstd) {
      throw new PrepcastError(
        "UNEXPECTED_ENTRY",
        `expected ${name} but found ${JSON.stringify(entry.header.name.slice(0, 200))}: a package starts with ${KEYSET_ENTRY}, ${KEYSET_SIG_ENTRY}, ${MANIFEST_ENTRY}, ${MANIFEST_SIG_ENTRY}`,
        {
          where: entry.header.name.slice(0, 300),
          hint:
            entry.header.name === MANIFEST_ZSTD_ENTRY
              ? "this is an offline delta package (prepcast/delta-package@2, its manifest compressed): `prep-receiver install` applies it on top of its base cut; `prep-receiver verify` checks it; a receiver older than this format refuses it, so ask the OPLE for the full .prep or upgrade"
              : "the signed documents must come before any site file; repack with prep-publisher pack",
        },
      );
    }
    compressed ||= asZstd;
    signed.push(await readSmallEntry(entry, asZstd ? MANIFEST_ZSTD_ENTRY : name, maxSize));
  }
  let manifest = signed[2]!;
  const manifestZstdBytes = compressed ? manifest.length : null;
  if (compressed) {
    const names = {
      where: MANIFEST_ZSTD_ENTRY,
      frame: MANIFEST_ZSTD_ENTRY,
      size: "content size",
      invalid: "PACKAGE_INVALID" as const,
      hint: "the package is damaged or forged: its manifest must be one zstd frame of the exact manifest.json bytes, with their size in the frame header; ask the OPLE for a fresh copy",
    };
    const declared = manifestFrameContentSize(manifest, names);
    if (declared === null)
      throw new PrepcastError("PACKAGE_INVALID", `${MANIFEST_ZSTD_ENTRY}: its zstd frame header does not declare the manifest's size`, {
        where: MANIFEST_ZSTD_ENTRY,
        hint: names.hint,
      });
    manifest = decompressManifestFrame(manifest, declared, names);
  }
  return { signed: { ...(root !== undefined ? root : {}), keyset: signed[0]!, keysetSig: signed[1]!, manifest, manifestSig: signed[3]! }, manifestZstdBytes };
}
