import type { Readable } from "node:stream";
import { PrepcastError, toPrepcastError } from "../errors";
import type { ManifestFile } from "../trust/manifest";
import { sitePathProblem } from "../paths";
import { verifySignedCut, type VerifiedCut, type VerifySignedCutOptions } from "../trust/trust";
import { SIGNED_ENTRIES, SITE_PREFIX, siteEntryName } from "./format";
import { GuardedTarReader, readSignedDocuments } from "./guarded-reader";
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

function unexpected(name: string, expected: string, files: ManifestFile[], seen: Set<string>): PrepcastError {
  const shown = JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
  if (name.startsWith("/") || !name.startsWith(SITE_PREFIX) || sitePathProblem(name.slice(SITE_PREFIX.length)) !== undefined) {
    if (name.startsWith("/") || name.split("/").some((s) => s === ".." || s === ".")) {
      return new PrepcastError("PATH_UNSAFE", `entry ${shown} is absolute or escapes the package root`, {
        where: name.slice(0, 300),
        hint: "the package is hostile or damaged; refuse it and report it to the OPLE",
      });
    }
  }
  if (seen.has(name))
    return new PrepcastError("DUPLICATE_ENTRY", `entry ${shown} appears twice`, {
      where: name.slice(0, 300),
      hint: "the package is hostile or damaged; refuse it",
    });
  const inManifest = name.startsWith(SITE_PREFIX) && files.some((f) => siteEntryName(f.path) === name);
  return new PrepcastError(
    "UNEXPECTED_ENTRY",
    inManifest
      ? `expected ${expected} next but found ${shown}: files must come in manifest order (${expected} is missing or out of order)`
      : `expected ${expected} next but found ${shown}, which the manifest does not list`,
    { where: name.slice(0, 300), hint: "the package does not match its signed manifest; refuse it and ask the OPLE for a fresh copy" },
  );
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
  const reader = new GuardedTarReader(source);
  let current: VerifiedFileWriter | null = null;
  try {
    const verified = verifySignedCut(await readSignedDocuments(reader), options);
    const stagingDir = options.extractInto ? await options.extractInto(verified) : null;

    const files = verified.manifest.files;
    const seen = new Set<string>(SIGNED_ENTRIES.map((e) => e.name));
    const dirs = new StagingDirs();
    let bytes = 0;
    for (let index = 0; index < files.length; index++) {
      const file = files[index]!;
      const expected = siteEntryName(file.path);
      const entry = await reader.next();
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
        throw new PrepcastError("TOO_LARGE", `the package holds more than the manifest's totalSize of ${verified.manifest.totalSize} bytes`, {
          where: expected,
        });
      }
      current = await VerifiedFileWriter.open(file, stagingDir === null ? null : sitePathIn(stagingDir, file.path), expected, dirs);
      for await (const chunk of entry) await current.write(chunk as Buffer);
      await current.finish();
      current = null;
      bytes += file.size;
      options.onProgress?.(bytes, index + 1);
    }
    const extra = await reader.next();
    if (extra !== null) {
      throw new PrepcastError("TRAILING_DATA", `entry ${JSON.stringify(extra.header.name.slice(0, 200))} follows the last manifest file`, {
        where: extra.header.name.slice(0, 300),
        hint: "the package holds more than its signed manifest lists; refuse it",
      });
    }
    await reader.finish();
    return { verified, files: files.length, bytes };
  } catch (e) {
    const err = reader.abort(e);
    await current?.close().catch(() => undefined);
    await reader.settled();
    throw err;
  }
}

/** Runs every check readPackage runs, writing nothing. */
export async function verifyPackage(source: Readable | string, options: VerifySignedCutOptions): Promise<ReadPackageResult> {
  return readPackage(source, { ...options, extractInto: () => null });
}
