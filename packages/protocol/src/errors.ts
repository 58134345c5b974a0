// One error vocabulary for the whole protocol: every refusal carries a stable code that the CLI
// prints with a hint, that travels on the wire (Error.code / OfferReply.code), and that tests
// assert on independently of the message text.

/**
 * Every code in exactly one category (docs/protocol.md §11 names them). A code is part of the
 * contract: never renamed, moved or reused, only added, to the category of what raises it.
 */
export const ERROR_CATEGORIES = {
  /** signatures, keys, keysets and what a verified cut may be (§4–§6) */
  trust: {
    SIGNATURE_INVALID: "A signature does not verify against the expected key and message.",
    SIGNATURE_MALFORMED: "A signature or public key has the wrong length or a non-canonical encoding.",
    KEY_UNKNOWN: "The document is signed by a key that the trusted keyset does not list.",
    KEYSET_INVALID: "The keyset document does not have the expected shape.",
    KEYSET_EXPIRED: "The keyset has expired.",
    KEYSET_ROLLBACK: "The keyset version is lower than one already accepted.",
    SIGNATURE_THRESHOLD: "Fewer distinct keys of the pinned root than its threshold produced a valid signature.",
    ROOT_INVALID: "The root document (prepcast/root@1) does not have the expected shape.",
    ROOT_EXPIRED: "The pinned root document has expired.",
    ROOT_ROLLBACK: "A root document's version is lower than the root already pinned.",
    ROOT_UNTRUSTED: "A new root version is not signed by the threshold of the pinned root and by its own threshold.",
    MANIFEST_INVALID: "The manifest document does not have the expected shape.",
    MANIFEST_EXPIRED: "The manifest has expired.",
    NOT_CANONICAL: "A signed JSON document is not in canonical form.",
    TIME_INVALID: "A timestamp is not ISO 8601 with an explicit offset (Z or ±hh:mm).",
    CHANNEL_MISMATCH: "The cut belongs to another process or channel than this receiver accepts.",
    ROLLBACK: "The cut's sequence is lower than the installed one.",
    REPLAY: "The cut's sequence equals the installed one but its content differs.",
    CORTE_ROLLBACK: "The cut's corte (its date and time) is earlier than the live cut's; only a cut the OPLE signed as a retraction may go back in time.",
    ALREADY_INSTALLED: "This exact cut is already installed.",
    EMBARGOED: "The cut must not be shown before its notBefore time.",
  },
  /** the structure of a .prep package and the paths it holds (§9.3) */
  archive: {
    PATH_UNSAFE: "A path is absolute, escapes its root, or breaks the path rules.",
    PATH_COLLISION: "Two paths are equal after case folding and Unicode normalization.",
    UNEXPECTED_ENTRY: "The package holds an entry that is not the next one the manifest expects.",
    ENTRY_TYPE: "The package holds a link, device, FIFO or directory where a regular file is required.",
    MISSING_ENTRY: "The package ends before every file in the manifest was read.",
    DUPLICATE_ENTRY: "The package holds the same entry twice.",
    HEADER_TOO_LARGE: "A tar or pax header is larger than allowed.",
    TRAILING_DATA: "The package has data after its last expected entry.",
    TRUNCATED: "The package or stream ends in the middle of an entry.",
    PACKAGE_INVALID: "The file is not a PREPcast package.",
    ZIP_INVALID: "A zip file in a cut is malformed: truncated, its headers disagree, entries overlap, or an entry does not inflate to its declared size.",
    ZIP_UNSUPPORTED:
      "A zip file in a cut uses what the zip-aware codec does not rebuild (zip64, encryption, data descriptors, a method other than stored or deflate); it travels as a plain delta.",
  },
  /** bytes against what the signed manifest says */
  content: {
    HASH_MISMATCH: "A file's SHA-256 differs from the manifest.",
    SIZE_MISMATCH: "A file's size differs from the manifest.",
    TOO_LARGE: "Data exceeds the declared or allowed size.",
  },
  /** the push session and its peers (§7, §8) */
  channel: {
    AUTH_FAILED: "The peer did not prove possession of its registered identity key.",
    PEER_NOT_ALLOWED: "The peer's address or identity is not allowed.",
    PROTOCOL_ERROR: "The peer sent a message that is not valid at this point of the session.",
    MESSAGE_TOO_LARGE: "A message exceeds the size limit.",
    INTEGER_OUT_OF_RANGE: "A 64-bit integer field on the wire holds a value outside ±(2^53 − 1); it is refused, never rounded.",
    TIMEOUT: "The peer stopped making progress.",
    UNAVAILABLE: "The peer cannot be reached.",
  },
  /** this machine: disk, state directory, audit log, files and configuration */
  local: {
    DISK_FULL: "The disk filled up while writing.",
    IO_ERROR: "A file system operation failed.",
    STATE_INVALID: "The receiver's state directory is damaged or was not initialised.",
    AUDIT_LOG_TAMPERED: "The hash-chained audit log was edited, reordered or truncated.",
    CONFIG_INVALID: "A configuration file has errors.",
    KEY_FILE_INVALID: "A key file cannot be read or does not have the expected shape.",
    KEY_FILE_PERMISSIONS: "A secret key file is readable by group or others.",
    PREFLIGHT_FAILED: "The server does not meet a requirement of the call or of the agent (prep-receiver doctor lists which, with the fix).",
  },
  /** the OPLE's and difusores' procedures: registry, onboarding, releases, operator actions */
  operations: {
    NOT_FOUND: "The named receiver, cut or resource does not exist.",
    STATE_CONFLICT: "The operation does not apply to the current state (e.g. reinstating a difusor that is not suspended).",
    LOGO_INVALID: "A difusor's logo is not an acceptable SVG file (not SVG, too large, or unreadable).",
    REGISTRATION_INVALID:
      "A difusor's registration file is not a valid signed prepcast/registration@1 (malformed, a field wrong, or its signature does not verify).",
    RELEASE_INVALID: "A release directory's SHA256SUMS or signature is missing or malformed, or a listed file is missing.",
  },
  /** a bug */
  internal: {
    INTERNAL: "An unexpected internal error.",
  },
} as const;

export type ErrorCategory = keyof typeof ERROR_CATEGORIES;

export type ErrorCode = { [K in ErrorCategory]: keyof (typeof ERROR_CATEGORIES)[K] }[ErrorCategory];

/** code → its one-line meaning, all categories together. */
export const ERROR_CODES: Readonly<Record<ErrorCode, string>> = Object.freeze(
  Object.assign({}, ...Object.values(ERROR_CATEGORIES)) as Record<ErrorCode, string>,
);

const CATEGORY_OF = new Map<string, ErrorCategory>(
  (Object.entries(ERROR_CATEGORIES) as Array<[ErrorCategory, Record<string, string>]>).flatMap(([category, codes]) =>
    Object.keys(codes).map((code) => [code, category] as const),
  ),
);

/** The category a code belongs to. */
export function errorCategory(code: ErrorCode): ErrorCategory {
  return CATEGORY_OF.get(code)!;
}

export interface PrepcastErrorOptions {
  /** What the operator can do about it. */
  hint?: string | undefined;
  /** Where: a path inside the package, a file, a peer address, a config field. */
  where?: string | undefined;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class PrepcastError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly where: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: PrepcastErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PrepcastError";
    this.code = code;
    this.hint = options.hint;
    this.where = options.where;
    this.details = options.details;
  }

  /** The `--json` shape: `{ ok: false, code, message, where?, hint? }`. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { ok: false, code: this.code, message: this.message };
    if (this.where !== undefined) out.where = this.where;
    if (this.hint !== undefined) out.hint = this.hint;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

/** Whether a string (e.g. a code a peer sent) is one of ERROR_CODES. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

export function isPrepcastError(e: unknown, code?: ErrorCode): e is PrepcastError {
  return e instanceof PrepcastError && (code === undefined || e.code === code);
}

/** What a file system error means, in words, and what to do about it. */
const ERRNO_TEXT: Record<string, { says: string; hint: string }> = {
  ENOENT: { says: "does not exist", hint: "check the path (relative paths start from the current directory)" },
  ENOTDIR: { says: "is not a directory (a part of the path is a file)", hint: "check the path" },
  EISDIR: { says: "is a directory, not a file", hint: "give the path of a file" },
  EACCES: {
    says: "is not accessible (permission denied)",
    hint: "check the file's owner and mode, and run the command as the service user (e.g. sudo -u prepcast)",
  },
  EPERM: { says: "may not be changed (operation not permitted)", hint: "check the file's owner and mode, and run the command as the service user" },
  EEXIST: { says: "already exists", hint: "choose another path, or move the existing one aside" },
  EROFS: { says: "is on a read-only file system", hint: "choose a writable location" },
  ENOTEMPTY: { says: "is not empty", hint: "choose an empty directory" },
  EMFILE: { says: "cannot be opened: too many open files", hint: "raise the open-file limit (LimitNOFILE in the systemd unit)" },
};

/**
 * Wraps any thrown value; PrepcastErrors pass through, ENOSPC becomes DISK_FULL. A file system
 * error names its file (the error's own path, else `where`) and says what went wrong in words:
 * `nope.prep does not exist (open: ENOENT)`, never a bare `open failed: ENOENT`.
 */
export function toPrepcastError(e: unknown, where?: string): PrepcastError {
  if (e instanceof PrepcastError) return e;
  const err = e as NodeJS.ErrnoException;
  const opts: PrepcastErrorOptions = { cause: e };
  const file = err && typeof err.path === "string" ? err.path : where;
  if (file !== undefined) opts.where = file;
  if (err && err.code === "ENOSPC")
    return new PrepcastError("DISK_FULL", `disk full${file ? ` writing ${file}` : ""}`, { ...opts, hint: "free disk space; the live site was not touched" });
  if (err && typeof err.code === "string" && typeof err.syscall === "string") {
    const text = ERRNO_TEXT[err.code];
    const subject = file ?? "a file";
    const dest = typeof (err as { dest?: unknown }).dest === "string" ? ` -> ${(err as { dest?: string }).dest}` : "";
    return new PrepcastError(
      "IO_ERROR",
      text ? `${subject}${dest} ${text.says} (${err.syscall}: ${err.code})` : `${err.syscall} ${subject}${dest} failed: ${err.code}`,
      { ...opts, ...(text ? { hint: text.hint } : {}) },
    );
  }
  return new PrepcastError("INTERNAL", err instanceof Error ? err.message : String(e), opts);
}
