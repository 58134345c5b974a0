import { z } from "zod";
import { canonicalBytes, parseCanonical } from "./canonical-json";
import { PrepcastError } from "../errors";
import { assertNoCollisions, compareUtf8, sitePathProblem } from "../paths";
import { isoTimestampSchema, toIsoTimestamp } from "../time";

export const MANIFEST_FORMAT = "prepcast/manifest@1";
export const PROCESS_PATTERN = /^[A-Z0-9][A-Z0-9_-]{0,63}$/;
export const CHANNELS = ["produccion", "simulacro"] as const;
export type Channel = (typeof CHANNELS)[number];
/** Lifetime of a manifest when createManifest is not given `expires`. */
export const DEFAULT_MANIFEST_LIFETIME_DAYS = 30;

/** Longest retraction reason, in UTF-16 code units (it is shown to people and kept in audit logs). */
export const MAX_RETRACTION_REASON = 500;

/**
 * The OPLE's explicit statement that this cut goes back in time: its corte is earlier than the
 * live cut's (a wrong cut withdrawn). Without it a receiver refuses such a cut (CORTE_ROLLBACK).
 */
export interface Retraction {
  /** why, in the OPLE's words (recorded in both audit logs) */
  reason: string;
}

/**
 * End of publication for the PREP Veracruz 2024 call (SEED: "the last results must stay online at
 * least until 23:59 on 9 June 2024", central Mexico time): the default `publishUntil` of a final cut.
 */
export const DEFAULT_PUBLISH_UNTIL = "2024-06-09T23:59:00-06:00";

/**
 * The OPLE's statement that this is the last cut of the process: no newer cut will come, and the
 * site keeps showing it until `publishUntil` (the signed end of publication). Receivers stop
 * staleness alarms for it; the publisher's monitoring counts it as up to date until then.
 */
export interface FinalCut {
  /** end of publication, ISO 8601 with offset; later than the cut's corte, not after `expires` */
  publishUntil: string;
}

/** Why a retraction reason would be refused (the manifest schema's rule), or undefined when it is fine. */
export function retractionReasonProblem(reason: string): string | undefined {
  if (reason.length === 0) return "must say why the cut goes back in time";
  if (reason.length > MAX_RETRACTION_REASON) return `must have at most ${MAX_RETRACTION_REASON} characters`;
  if (reason.trim() !== reason || [...reason].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return "must be one line of text without leading or trailing spaces";
  return undefined;
}

export interface ManifestFile {
  path: string;
  size: number;
  /** lower-case hex SHA-256 of the file's bytes */
  sha256: string;
}

/** One signed cut: what files the published site consists of, for which process and channel, and when it may be shown. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  process: string;
  channel: Channel;
  sequence: number;
  /** the cut's date and time as the OPLE states it, with offset */
  corte: string;
  createdAt: string;
  /** embargo: not to be shown before this instant */
  notBefore: string;
  expires: string;
  files: ManifestFile[];
  totalSize: number;
  /** present only on a retraction (optional field: manifests without it are byte for byte as before) */
  retraction?: Retraction;
  /** present only on the final cut (optional field: manifests without it are byte for byte as before) */
  final?: FinalCut;
}

const safeCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const manifestSchema = z
  .strictObject({
    format: z.literal(MANIFEST_FORMAT),
    process: z.string().regex(PROCESS_PATTERN, "must be 1-64 characters A-Z, 0-9, _ or -, starting with a letter or digit (e.g. VER-2024)"),
    channel: z.enum(CHANNELS),
    sequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    corte: isoTimestampSchema,
    createdAt: isoTimestampSchema,
    notBefore: isoTimestampSchema,
    expires: isoTimestampSchema,
    // each entry is checked by fileProblem, on the parsed objects themselves: a zod copy of
    // ~140,000 entries was the largest part of a national manifest's parsing (time and memory)
    files: z.array(z.unknown()),
    totalSize: safeCount,
    retraction: z
      .strictObject({
        reason: z.string().superRefine((r, ctx) => {
          const problem = retractionReasonProblem(r);
          if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
        }),
      })
      .optional(),
    final: z.strictObject({ publishUntil: isoTimestampSchema }).optional(),
  })
  .superRefine((m, ctx) => {
    if (Date.parse(m.expires) <= Date.parse(m.createdAt)) ctx.addIssue({ code: "custom", path: ["expires"], message: "must be later than createdAt" });
    if (Date.parse(m.expires) <= Date.parse(m.notBefore)) ctx.addIssue({ code: "custom", path: ["expires"], message: "must be later than notBefore" });
    if (m.final !== undefined) {
      const until = Date.parse(m.final.publishUntil);
      if (until <= Date.parse(m.corte))
        ctx.addIssue({ code: "custom", path: ["final", "publishUntil"], message: `must be later than the cut's corte (${m.corte})` });
      if (until > Date.parse(m.expires))
        ctx.addIssue({
          code: "custom",
          path: ["final", "publishUntil"],
          message: `must not be later than expires (${m.expires}): the final cut has to stay valid until the end of publication`,
        });
    }
  });

function where(base: string, path: ReadonlyArray<PropertyKey>): string {
  return path.length ? `${base}#${path.map(String).join(".")}` : base;
}

function invalid(at: string, message: string): PrepcastError {
  return new PrepcastError("MANIFEST_INVALID", `${at}: ${message}`, {
    where: at,
    hint: "repack the cut with `prep-publisher pack`; never edit a signed manifest by hand",
  });
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Why a manifest entry is not exactly `{path, size, sha256}` with the right types (the field and
 * what is wrong with it), or undefined. The parsed JSON's objects are plain, so counting own
 * enumerable keys finds any extra field.
 */
function fileProblem(f: unknown): { field: string; message: string } | undefined {
  if (typeof f !== "object" || f === null || Array.isArray(f)) return { field: "", message: "must be an object {path, size, sha256}" };
  const entry = f as Record<string, unknown>;
  let keys = 0;
  for (const k in entry) {
    if (k !== "path" && k !== "size" && k !== "sha256")
      return { field: "", message: `has an unrecognized key ${JSON.stringify(k)} (only path, size and sha256 are allowed)` };
    keys++;
  }
  if (typeof entry.path !== "string") return { field: "path", message: "must be a string" };
  const size = entry.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0)
    return { field: "size", message: "must be a whole number of bytes from 0 to 2^53 - 1" };
  if (typeof entry.sha256 !== "string" || !SHA256_HEX.test(entry.sha256)) return { field: "sha256", message: "must be 64 lower-case hex digits" };
  return keys === 3 ? undefined : { field: "", message: "must have exactly the fields path, size and sha256" };
}

/**
 * Parses manifest bytes: canonical JSON (NOT_CANONICAL), the schema (MANIFEST_INVALID), every
 * path's rules (PATH_UNSAFE), collisions (PATH_COLLISION), order by UTF-8 bytes without
 * duplicates, and totalSize = sum of sizes. Does NOT verify the signature: see verifySignedCut.
 */
export function parseManifest(bytes: Uint8Array, base = "prepcast/manifest.json"): Manifest {
  const value = parseCanonical(bytes, base);
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = where(base, issue?.path ?? []);
    throw invalid(at, `field ${issue?.path.length ? issue.path.join(".") : "(top level)"} ${issue?.message ?? "has an unexpected shape"}`);
  }
  // zod's output is a copy of the top level; the entries are the parsed objects, checked here
  const files = (value as { files: unknown[] }).files;
  const m = { ...(parsed.data as Omit<Manifest, "files">), files: files as ManifestFile[] } as Manifest;
  let total = 0;
  for (let i = 0; i < files.length; i++) {
    const bad = fileProblem(files[i]);
    if (bad !== undefined) {
      const field = bad.field ? `files.${i}.${bad.field}` : `files.${i}`;
      throw invalid(`${base}#${field}`, `field ${field} ${bad.message}`);
    }
    const f = files[i] as ManifestFile;
    const problem = sitePathProblem(f.path);
    if (problem !== undefined) {
      const at = `${base}#files.${i}.path`;
      throw new PrepcastError("PATH_UNSAFE", `${at}: path ${JSON.stringify(f.path)} ${problem}`, {
        where: at,
        hint: "rename the file in the cut directory so that its path follows the site path rules, then pack again",
      });
    }
    if (i > 0 && compareUtf8((files[i - 1] as ManifestFile).path, f.path) >= 0) {
      throw invalid(
        `${base}#files.${i}.path`,
        `files must be sorted by the UTF-8 bytes of their path without duplicates, but ${JSON.stringify(f.path)} follows ${JSON.stringify((files[i - 1] as ManifestFile).path)}`,
      );
    }
    total += f.size;
    if (!Number.isSafeInteger(total)) throw invalid(`${base}#totalSize`, "the sum of file sizes exceeds 2^53 - 1");
  }
  assertNoCollisions(
    m.files.map((f) => f.path),
    `${base}#files`,
  );
  if (total !== m.totalSize) throw invalid(`${base}#totalSize`, `totalSize is ${m.totalSize} but the files add up to ${total} bytes`);
  return m;
}

export interface CreateManifestInput {
  process: string;
  channel: Channel;
  sequence: number;
  corte: string;
  files: ManifestFile[];
  createdAt?: Date | string;
  /** defaults to createdAt (no embargo) */
  notBefore?: Date | string;
  /** defaults to createdAt + DEFAULT_MANIFEST_LIFETIME_DAYS */
  expires?: Date | string | undefined;
  /** sign the cut as a retraction: its corte may be earlier than the live cut's */
  retraction?: Retraction;
  /** sign the cut as the final one; without `expires`, expires is at least publishUntil */
  final?: FinalCut;
}

/** Builds canonical manifest bytes: sorts files by UTF-8 path bytes, computes totalSize, and checks the result parses. */
export function createManifest(input: CreateManifestInput): Buffer {
  return createManifestDocument(input).bytes;
}

/** createManifest, also returning the parsed document (no second parse of a large manifest). */
export function createManifestDocument(input: CreateManifestInput): { bytes: Buffer; manifest: Manifest } {
  const createdAtValue = input.createdAt ?? new Date();
  const createdAt = toIsoTimestamp(createdAtValue, "createdAt");
  const publishUntil = input.final !== undefined ? toIsoTimestamp(input.final.publishUntil, "publishUntil") : undefined;
  const expires =
    input.expires !== undefined
      ? toIsoTimestamp(input.expires, "expires")
      : publishUntil !== undefined && Date.parse(publishUntil) > Date.parse(createdAt) + DEFAULT_MANIFEST_LIFETIME_DAYS * 86_400_000
        ? publishUntil
        : toIsoTimestamp(new Date(Date.parse(createdAt) + DEFAULT_MANIFEST_LIFETIME_DAYS * 86_400_000), "expires");
  const files = input.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }));
  let sorted = true;
  for (let i = 1; i < files.length && sorted; i++) sorted = compareUtf8(files[i - 1]!.path, files[i]!.path) < 0;
  if (!sorted) files.sort((a, b) => compareUtf8(a.path, b.path)); // (a publisher lists in this order already)
  const doc = {
    format: MANIFEST_FORMAT,
    process: input.process,
    channel: input.channel,
    sequence: input.sequence,
    corte: input.corte,
    createdAt,
    notBefore: input.notBefore !== undefined ? toIsoTimestamp(input.notBefore, "notBefore") : createdAt,
    expires,
    files,
    totalSize: files.reduce((sum, f) => sum + f.size, 0),
    ...(input.retraction !== undefined ? { retraction: { reason: input.retraction.reason } } : {}),
    ...(publishUntil !== undefined ? { final: { publishUntil } } : {}),
  };
  const bytes = canonicalBytes(doc);
  const manifest = parseManifest(bytes, "new manifest"); // refuse to sign what a verifier would reject
  return { bytes, manifest };
}
