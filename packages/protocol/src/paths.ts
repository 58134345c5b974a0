import { PrepcastError } from "./errors";

// Site paths come from a signed manifest, but a signature proves who wrote a path, not that it is
// safe to create on a difusor's disk. These rules keep every path inside the cut directory and
// make it mean the same file on every file system the site may be copied to.

export const MAX_PATH_BYTES = 4096;
export const MAX_SEGMENT_BYTES = 255;

// C0 controls (including NUL) and DEL.
const CONTROL = /[\u0000-\u001f\u007f]/; // eslint-disable-line no-control-regex
const LONE_SURROGATE = /\p{Surrogate}/u;
// Printable ASCII, which nearly every PREP path is: no surrogates, no controls, NFC and NFKD are
// the identity and case folding is lower-casing, so the Unicode work below is skipped (it was
// ~1.5 s of the publisher's and each receiver's CPU per national cut of 143,000 paths).
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Orders two strings as their UTF-8 bytes would (the manifest's file order), without encoding
 * them: code points compare as their UTF-8 bytes do, and UTF-16 code units as code points do
 * except that surrogates (D800-DFFF) encode code points above every other unit (E000-FFFF).
 * A national cut sorts and checks ~140,000 paths; a Buffer per path cost time and memory.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // both in D800-FFFF: move surrogates above E000-FFFF
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Why `p` breaks the site path rules, or undefined when it is acceptable. */
export function sitePathProblem(p: unknown): string | undefined {
  if (typeof p !== "string") return "is not a string";
  if (p.length === 0) return "is empty";
  const ascii = PRINTABLE_ASCII.test(p);
  if (!ascii && LONE_SURROGATE.test(p)) return "contains a lone UTF-16 surrogate (not encodable as UTF-8)";
  if (p.startsWith("/")) return "is absolute (starts with /)";
  if (p.includes("\\")) return "contains a backslash; use / as the only separator";
  if (!ascii) {
    const control = CONTROL.exec(p);
    if (control) return `contains control character U+${control[0].charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}`;
    if (p.normalize("NFC") !== p) return "is not in Unicode NFC form";
  }
  const bytes = ascii ? p.length : Buffer.byteLength(p, "utf8");
  if (bytes > MAX_PATH_BYTES) return `is ${bytes} UTF-8 bytes long; at most ${MAX_PATH_BYTES} are allowed`;
  const segments = p.split("/");
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === "") return i === segments.length - 1 ? "ends with /" : "has an empty segment (//)";
    if (s === "." || s === "..") return `has a "${s}" segment`;
    const sb = ascii ? s.length : Buffer.byteLength(s, "utf8");
    if (sb > MAX_SEGMENT_BYTES) return `has a segment of ${sb} UTF-8 bytes; at most ${MAX_SEGMENT_BYTES} are allowed`;
  }
  return undefined;
}

/** Throws PATH_UNSAFE unless `p` is a relative, `/`-separated, NFC path without `.`/`..`/empty segments, control characters or backslashes, within the length limits. */
export function validateSitePath(p: string, where?: string): void {
  const problem = sitePathProblem(p);
  if (problem !== undefined) {
    const shown = typeof p === "string" ? JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}…` : p) : String(p);
    throw new PrepcastError("PATH_UNSAFE", `${where ? `${where}: ` : ""}path ${shown} ${problem}`, {
      ...(where === undefined ? {} : { where }),
      hint: "rename the file in the cut directory so that its path follows the site path rules (docs/protocol.md), then pack again",
    });
  }
}

/** The key under which two paths collide: full case fold (approximated by upper- then lower-casing) around NFKD. */
export function collisionKey(p: string): string {
  if (PRINTABLE_ASCII.test(p)) return p.toLowerCase();
  return p.normalize("NFKD").toUpperCase().toLowerCase().normalize("NFKD");
}

/**
 * Throws PATH_COLLISION when two paths are equal after case folding + NFKD (they would be the
 * same file on a case-insensitive or normalizing file system), or when one path is used both as
 * a file and as a directory of another path.
 */
export function assertNoCollisions(paths: Iterable<string>, where?: string): void {
  const files = new Map<string, string>();
  for (const p of paths) {
    const key = collisionKey(p);
    const other = files.get(key);
    if (other !== undefined) {
      throw new PrepcastError(
        "PATH_COLLISION",
        `${where ? `${where}: ` : ""}paths ${JSON.stringify(other)} and ${JSON.stringify(p)} name the same file after case folding and Unicode normalization`,
        {
          ...(where === undefined ? {} : { where }),
          hint: "rename one of the two files so that they differ by more than case or Unicode form",
        },
      );
    }
    files.set(key, p);
  }
  for (const p of files.values()) {
    let slash = p.indexOf("/");
    while (slash !== -1) {
      const dir = files.get(collisionKey(p.slice(0, slash)));
      if (dir !== undefined) {
        throw new PrepcastError(
          "PATH_COLLISION",
          `${where ? `${where}: ` : ""}${JSON.stringify(dir)} is a file but ${JSON.stringify(p)} needs it to be a directory`,
          {
            ...(where === undefined ? {} : { where }),
            hint: "a path cannot be both a file and a directory; rename one of them",
          },
        );
      }
      slash = p.indexOf("/", slash + 1);
    }
  }
}
