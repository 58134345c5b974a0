import * as fs from "node:fs";
import type { Readable } from "node:stream";
import * as tar from "tar-stream";
import { PrepcastError, toPrepcastError } from "../errors";
import type { ManifestFile } from "../trust/manifest";
import { sitePathProblem } from "../paths";
import { verifySignedCut, type SignedCut, type VerifiedCut, type VerifySignedCutOptions } from "../trust/trust";
import { KEYSET_ENTRY, KEYSET_SIG_ENTRY, MANIFEST_ENTRY, MANIFEST_SIG_ENTRY, SIGNED_ENTRIES, SITE_PREFIX, siteEntryName } from "./format";
import { notAPackage, TarHeaderGuard } from "./tar-guard";
import { sitePathIn, StagingDirs, VerifiedFileWriter } from "./verified-file";

export interface ReadPackageOptions extends VerifySignedCutOptions {
  /**
   * Called once the signatures and trust checks pass, before any `site/` entry is read. Returns
   * the staging directory to extract into (files go to `<dir>/site/<path>`), or null to only verify.
   */
  extractInto?: (verified: VerifiedCut) => Promise<string | null> | string | null;
  /** Called after each site file is verified, with the content bytes read so far. */
  onProgress?: (bytes: number, files: number) => void;
}

export interface ReadPackageResult {
  verified: VerifiedCut;
  files: number;
  bytes: number;
}

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

type Entry = AsyncIterable<unknown> & { header: tar.Header };

async function readSmallEntry(entry: Entry, name: string, maxSize: number): Promise<Buffer> {
  if (entry.header.size === undefined || entry.header.size > maxSize) {
    throw new PrepcastError("TOO_LARGE", `${name} is ${entry.header.size} bytes; at most ${maxSize} are allowed`, { where: name, hint: "this is not a package written by prep-publisher pack" });
  }
  const parts: Buffer[] = [];
  for await (const chunk of entry) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function unexpected(name: string, expected: string, files: ManifestFile[], seen: Set<string>): PrepcastError {
  const shown = JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
  if (name.startsWith("/") || !name.startsWith(SITE_PREFIX) || sitePathProblem(name.slice(SITE_PREFIX.length)) !== undefined) {
    if (name.startsWith("/") || name.split("/").some((s) => s === ".." || s === ".")) {
      return new PrepcastError("PATH_UNSAFE", `entry ${shown} is absolute or escapes the package root`, { where: name.slice(0, 300), hint: "the package is hostile or damaged; refuse it and report it to the OPLE" });
    }
  }
  if (seen.has(name)) return new PrepcastError("DUPLICATE_ENTRY", `entry ${shown} appears twice`, { where: name.slice(0, 300), hint: "the package is hostile or damaged; refuse it" });
  const inManifest = name.startsWith(SITE_PREFIX) && files.some((f) => siteEntryName(f.path) === name);
  return new PrepcastError(
    "UNEXPECTED_ENTRY",
    inManifest ? `expected ${expected} next but found ${shown}: files must come in manifest order (${expected} is missing or out of order)` : `expected ${expected} next but found ${shown}, which the manifest does not list`,
    { where: name.slice(0, 300), hint: "the package does not match its signed manifest; refuse it and ask the OPLE for a fresh copy" },
  );
}

/** Maps tar-stream's plain errors (which the guard should have pre-empted) to codes. */
function tarError(e: unknown): PrepcastError {
  if (e instanceof PrepcastError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/Unexpected end of data/i.test(msg)) return new PrepcastError("TRUNCATED", "the package ends in the middle of an entry", { cause: e, hint: "the package was cut short; copy it again" });
  if (/tar|header/i.test(msg)) return new PrepcastError("PACKAGE_INVALID", `not a valid .prep package: ${msg}`, { cause: e });
  return toPrepcastError(e);
}

/**
 * Reads a `.prep` package as a stream: the four signed documents (bounded sizes), then
 * verifySignedCut BEFORE any site entry, then each site entry must be exactly the next manifest
 * file, a regular file of the declared size and hash; after the last file only the
 * end-of-archive marker may follow. Never holds a site file in memory.
 */
export async function readPackage(source: Readable | string, options: ReadPackageOptions): Promise<ReadPackageResult> {
  if (typeof source !== "string") return readPackageStream(source, options);
  try {
    return await readPackageStream(source, options);
  } catch (e) {
    throw namingFile(toPrepcastError(e), source);
  }
}

/** An error about the whole file (not a package, cut short, unreadable) names the file, so the person knows which one. */
function namingFile(err: PrepcastError, file: string): PrepcastError {
  const aboutTheFile = err.code === "PACKAGE_INVALID" || err.code === "TRUNCATED" || err.code === "TRAILING_DATA" || err.code === "MISSING_ENTRY";
  if (!aboutTheFile || err.message.includes(file)) return err;
  return new PrepcastError(err.code, `${file}: ${err.message}`, {
    cause: err.cause ?? err,
    ...(err.where !== undefined ? { where: err.where } : {}),
    ...(err.hint !== undefined ? { hint: err.hint } : {}),
    ...(err.details !== undefined ? { details: err.details } : {}),
  });
}

async function readPackageStream(source: Readable | string, options: ReadPackageOptions): Promise<ReadPackageResult> {
  const input: Readable = typeof source === "string" ? fs.createReadStream(source, { highWaterMark: 1 << 20 }) : source;
  const guard = new TarHeaderGuard();
  const extract = tar.extract();
  let failure: PrepcastError | undefined;
  const fail = (e: unknown): PrepcastError => {
    failure ??= tarError(e);
    return failure;
  };

  // The pump hands bytes to tar-stream only after the guard has inspected them.
  const pump = (async () => {
    try {
      for await (const chunk of input) {
        if (failure || extract.destroyed) return;
        guard.inspect(chunk as Buffer);
        if (!extract.write(chunk)) {
          await drainOrClose(extract as unknown as NodeJS.EventEmitter);
        }
      }
      if (failure || extract.destroyed) return;
      guard.end();
      extract.end(undefined);
    } catch (e) {
      extract.destroy(fail(e));
    } finally {
      input.destroy();
    }
  })();

  let current: VerifiedFileWriter | null = null;
  try {
    const iterator = extract[Symbol.asyncIterator]();
    const next = async (): Promise<Entry | null> => {
      const r = await iterator.next();
      return r.done ? null : (r.value as Entry);
    };
    const signed: Buffer[] = [];
    for (const { name, maxSize } of SIGNED_ENTRIES) {
      const entry = await next();
      if (entry === null) throw new PrepcastError(signed.length === 0 ? "PACKAGE_INVALID" : "MISSING_ENTRY", `the package ends before ${name}`, { where: name, hint: "this is not a complete .prep package" });
      if (signed.length === 0 && !entry.header.name.startsWith("prepcast/") && !entry.header.name.startsWith(SITE_PREFIX)) {
        throw notAPackage(`a tar archive whose first entry is ${JSON.stringify(entry.header.name.slice(0, 200))}, not ${KEYSET_ENTRY}`);
      }
      if (entry.header.type !== "file") throw new PrepcastError("ENTRY_TYPE", `${entry.header.name} is a ${entry.header.type}, not a regular file`, { where: entry.header.name });
      if (entry.header.name !== name) {
        throw new PrepcastError("UNEXPECTED_ENTRY", `expected ${name} but found ${JSON.stringify(entry.header.name.slice(0, 200))}: a package starts with ${KEYSET_ENTRY}, ${KEYSET_SIG_ENTRY}, ${MANIFEST_ENTRY}, ${MANIFEST_SIG_ENTRY}`, {
          where: entry.header.name.slice(0, 300),
          hint: "the signed documents must come before any site file; repack with prep-publisher pack",
        });
      }
      signed.push(await readSmallEntry(entry, name, maxSize));
    }
    const cut: SignedCut = { keyset: signed[0]!, keysetSig: signed[1]!, manifest: signed[2]!, manifestSig: signed[3]! };
    const verified = verifySignedCut(cut, options);
    const stagingDir = options.extractInto ? await options.extractInto(verified) : null;

    const files = verified.manifest.files;
    const seen = new Set<string>(SIGNED_ENTRIES.map((e) => e.name));
    const dirs = new StagingDirs();
    let bytes = 0;
    for (let index = 0; index < files.length; index++) {
      const file = files[index]!;
      const expected = siteEntryName(file.path);
      const entry = await next();
      if (entry === null) {
        throw new PrepcastError("MISSING_ENTRY", `the package ends before ${expected} (${files.length - index} of ${files.length} files missing)`, {
          where: expected,
          hint: "the package is incomplete; copy it again",
        });
      }
      const h = entry.header;
      if (h.type !== "file") throw new PrepcastError("ENTRY_TYPE", `${h.name} is a ${h.type}, not a regular file`, { where: h.name });
      if (h.name !== expected) throw unexpected(h.name, expected, files, seen);
      seen.add(expected);
      if (h.size !== file.size) {
        throw new PrepcastError("SIZE_MISMATCH", `${expected} is ${h.size} bytes in the package; the manifest declares ${file.size}`, {
          where: expected,
          hint: "the package does not match its signed manifest; refuse it and ask the OPLE for a fresh copy",
        });
      }
      if (bytes + file.size > verified.manifest.totalSize) {
        throw new PrepcastError("TOO_LARGE", `the package holds more than the manifest's totalSize of ${verified.manifest.totalSize} bytes`, { where: expected });
      }
      current = await VerifiedFileWriter.open(file, stagingDir === null ? null : sitePathIn(stagingDir, file.path), expected, dirs);
      for await (const chunk of entry) await current.write(chunk as Buffer);
      await current.finish();
      current = null;
      bytes += file.size;
      options.onProgress?.(bytes, index + 1);
    }
    const extra = await next();
    if (extra !== null) {
      throw new PrepcastError("TRAILING_DATA", `entry ${JSON.stringify(extra.header.name.slice(0, 200))} follows the last manifest file`, {
        where: extra.header.name.slice(0, 300),
        hint: "the package holds more than its signed manifest lists; refuse it",
      });
    }
    await pump;
    if (failure) throw failure;
    return { verified, files: files.length, bytes };
  } catch (e) {
    const err = failure ?? fail(e);
    extract.destroy(err);
    input.destroy();
    await current?.close().catch(() => undefined);
    await pump.catch(() => undefined);
    throw err;
  }
}

/** Runs every check readPackage runs, writing nothing. */
export async function verifyPackage(source: Readable | string, options: VerifySignedCutOptions): Promise<ReadPackageResult> {
  return readPackage(source, { ...options, extractInto: () => null });
}
