import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import {
  AuditLog,
  sha256Hex,
  keysDirStatus,
  renewKeyset,
  rotateRoot,
  revokeOldSigningKeys,
  revokeSigningKey,
  rotateSigningKey,
  reportCliSuccess,
  PrepcastError,
  DEFAULT_KEYSET_WARN_DAYS,
  type KeysetChangeResult,
  type KeysetHistoryAuditEvent,
} from "@prepcast/protocol";
import { renderTable } from "@prepcast/runtime";
import { action, positiveInteger } from "../program";
import { defaultOperator } from "./operator";

/** The keyset's own history, beside it on the ceremony's drive (hash-chained; `prep-publisher audit verify --log`). */
export const KEYSET_HISTORY_LOG = "keyset-history.log";

interface ChangeOptions {
  keys: string;
  rootKey: string[];
  auditLog?: string;
  by: string;
  expires?: string;
  keysetExpiresDays?: number;
  json?: boolean;
}

/** --expires ISO or --keyset-expires-days N (from now); neither: keep the current expiry. */
function expiresOption(opts: ChangeOptions, required: boolean): string | Date | undefined {
  if (opts.expires !== undefined && opts.keysetExpiresDays !== undefined) {
    throw new PrepcastError("CONFIG_INVALID", "--expires and --keyset-expires-days both given", {
      where: "--expires",
      hint: "give one: a date with offset, or a number of days from now",
    });
  }
  if (opts.keysetExpiresDays !== undefined) {
    if (opts.keysetExpiresDays > 3650)
      throw new PrepcastError("CONFIG_INVALID", `keyset lifetime ${opts.keysetExpiresDays} days is more than 3650`, { where: "--keyset-expires-days" });
    return new Date(Date.now() + opts.keysetExpiresDays * 86_400_000);
  }
  if (opts.expires === undefined && required) {
    throw new PrepcastError("CONFIG_INVALID", "renewing needs the new expiry", {
      where: "--expires",
      hint: "pass --expires 2024-06-30T23:59:00-06:00 (a date with offset) or --keyset-expires-days N",
    });
  }
  return opts.expires;
}

function changeOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--keys <KEYS>", "keys directory from `init` (holds keyset.json and keyset.sig; gets the new ones)")
    .option(
      "--root-key <FILE>",
      "a root key from the ceremony's cold storage (root.key; or root-N.key of a root set, repeated once per official present, at least the threshold; 0600)",
      collect,
      [],
    )
    .option("--expires <ISO>", "the new keyset's expiry, with offset (default: the current keyset's)")
    .option("--keyset-expires-days <N>", "the new keyset's expiry in days from now (instead of --expires)", positiveInteger)
    .option(
      "--audit-log <FILE>",
      `hash-chained record of every keyset change (default KEYS/${KEYSET_HISTORY_LOG}; not the service's STATE/audit.log, which only the service writes)`,
    )
    .option("--by <NAME>", "who ran the ceremony, for the record", defaultOperator())
    .option("--json", "print the result as JSON");
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The --root-key files, at least one. */
export function rootKeyFiles(opts: { rootKey: string[] }): string[] {
  if (opts.rootKey.length === 0)
    throw new PrepcastError("CONFIG_INVALID", "no --root-key given", {
      where: "--root-key",
      hint: "pass --root-key FILE (root.key; for a root set, once per official present: --root-key root-1.key --root-key root-3.key)",
    });
  return opts.rootKey;
}

/**
 * Opens the keyset's history log before anything changes (a damaged log stops the ceremony:
 * AUDIT_LOG_TAMPERED), runs the change, and records it.
 */
async function recorded(
  event: KeysetHistoryAuditEvent,
  opts: ChangeOptions,
  change: () => Promise<KeysetChangeResult>,
): Promise<KeysetChangeResult & { auditLog: string }> {
  const file = opts.auditLog ?? path.join(opts.keys, KEYSET_HISTORY_LOG);
  // a mistyped --keys must not become a new directory holding only a log
  keysDirStatus(opts.keys);
  const log = AuditLog.open<KeysetHistoryAuditEvent>(file);
  try {
    const r = await change();
    const keyset = path.join(opts.keys, "keyset.json");
    log.append(event, {
      from: r.previousVersion,
      to: r.version,
      expires: r.expires,
      keys: r.keys,
      added: r.added,
      removed: r.removed,
      rootKeyId: r.rootKeyId,
      rootKeyIds: r.rootKeyIds,
      rootVersion: r.rootVersion,
      threshold: r.threshold,
      signingKeyId: r.signingKeyId,
      keysetSha256: sha256Hex(fs.readFileSync(keyset)),
      by: opts.by,
    });
    return { ...r, auditLog: file };
  } finally {
    log.close();
  }
}

function changeLines(what: string, r: KeysetChangeResult & { auditLog: string }): string[] {
  return [
    r.rootKeyIds.length > 1 || r.threshold > 1
      ? `${what}: keyset version ${r.previousVersion} -> ${r.version}, expires ${r.expires}, signed by ${r.rootKeyIds.length} root keys of root version ${r.rootVersion} (threshold ${r.threshold}): ${r.rootKeyIds.join(", ")}`
      : `${what}: keyset version ${r.previousVersion} -> ${r.version}, expires ${r.expires}, signed by root key ${r.rootKeyId}`,
    ...r.added.map((k) => `  added   ${k}`),
    ...r.removed.map((k) => `  removed ${k}`),
    `  keys    ${r.keys.join(", ")}`,
    ...(r.signingKeyId ? [`  signing.key holds ${r.signingKeyId}`] : []),
    `recorded in ${r.auditLog} (check it with \`prep-publisher audit verify --log ${r.auditLog}\`)`,
    `write these lines into the minutes; copy ${r.added.length ? "signing.key, signing.pub, " : ""}keyset.json and keyset.sig to the publisher's keys directory (docs/operations/keys.md): the service signs the next cut with them and every difusor learns version ${r.version} from it`,
  ];
}

export function registerKeys(program: Command): void {
  const keys = program
    .command("keys")
    .description("the signing keyset after init: rotate the signing key, revoke one, renew the expiry (on the offline machine, with the root key), status");

  changeOptions(
    keys
      .command("rotate")
      .description("a new signing key and keyset version N+1 listing it (and, unless --drop-old, the current keys), signed by the root key")
      .option("--drop-old", "list only the new key (the current keys are revoked at once: a compromised key)"),
  ).action(
    action(async (opts: ChangeOptions & { dropOld?: boolean }) => {
      const expires = expiresOption(opts, false);
      const r = await recorded("keyset_rotated", opts, () =>
        rotateSigningKey(opts.keys, { rootKeyFiles: rootKeyFiles(opts), dropOld: opts.dropOld === true, ...(expires !== undefined ? { expires } : {}) }),
      );
      reportCliSuccess(opts.json === true, { ...r }, changeLines("rotated", r));
    }),
  );

  changeOptions(
    keys
      .command("revoke")
      .description(
        "keyset version N+1 without KEYID (or, with --old, with only the key in signing.key), signed by the root key; refuses the last key and the key in signing.key",
      )
      .argument("[KEYID]", "the signing key to revoke (64 hex digits, or a unique prefix of at least 8)")
      .option("--old", "revoke every key but the one in signing.key (completes a rotation: the keys kept for the overlap)"),
  ).action(
    action(async (keyid: string | undefined, opts: ChangeOptions & { old?: boolean }) => {
      if ((keyid === undefined) === (opts.old !== true)) {
        throw new PrepcastError("CONFIG_INVALID", keyid === undefined ? "name the key to revoke (KEYID), or pass --old" : "KEYID and --old both given", {
          where: "KEYID",
          hint: "`keys revoke KEYID` revokes one key; `keys revoke --old` keeps only the key in signing.key",
        });
      }
      const expires = expiresOption(opts, false);
      const change = { rootKeyFiles: rootKeyFiles(opts), ...(expires !== undefined ? { expires } : {}) };
      const r = await recorded("keyset_revoked", opts, () =>
        keyid === undefined ? revokeOldSigningKeys(opts.keys, change) : revokeSigningKey(opts.keys, keyid, change),
      );
      reportCliSuccess(opts.json === true, { ...r }, changeLines("revoked", r));
    }),
  );

  changeOptions(
    keys.command("renew").description("keyset version N+1 with the same keys and a later expiry (--expires or --keyset-expires-days), signed by the root key"),
  ).action(
    action(async (opts: ChangeOptions) => {
      const expires = expiresOption(opts, true)!;
      const r = await recorded("keyset_renewed", opts, () => renewKeyset(opts.keys, { rootKeyFiles: rootKeyFiles(opts), expires }));
      reportCliSuccess(opts.json === true, { ...r }, changeLines("renewed", r));
    }),
  );

  keys
    .command("root-rotate")
    .description(
      "root version V+1 with --root-keys N fresh root keys (root-v<V+1>-<i>.key, one per official) and --threshold M, signed by the current root's threshold (--root-key, once per official) and by the new keys; the keyset is re-signed by the new root. Receivers upgrade at the next cut",
    )
    .requiredOption("--keys <KEYS>", "keys directory (holds root.json or root.pub, keyset.json and keyset.sig)")
    .option("--root-key <FILE>", "a root key of the current root version (repeat once per official present: at least its threshold)", collect, [])
    .requiredOption("--root-keys <N>", "how many root keys the new version has", positiveInteger)
    .option("--threshold <M>", "how many of them must sign (default: a majority)", positiveInteger)
    .option("--audit-log <FILE>", `hash-chained record (default KEYS/${KEYSET_HISTORY_LOG})`)
    .option("--by <NAME>", "who ran the ceremony, for the record", defaultOperator())
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { keys: string; rootKey: string[]; rootKeys: number; threshold?: number; auditLog?: string; by: string; json?: boolean }) => {
        const files = rootKeyFiles(opts);
        keysDirStatus(opts.keys); // a mistyped --keys must not become a new directory holding only a log
        const file = opts.auditLog ?? path.join(opts.keys, KEYSET_HISTORY_LOG);
        const log = AuditLog.open<KeysetHistoryAuditEvent>(file);
        try {
          const r = await rotateRoot(opts.keys, {
            rootKeyFiles: files,
            rootKeys: opts.rootKeys,
            ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
          });
          log.append("root_rotated", {
            from: r.previousVersion,
            to: r.version,
            threshold: r.threshold,
            rootKeyIds: r.rootKeyIds,
            signedByPrevious: r.signedByPrevious,
            rootSha256: sha256Hex(fs.readFileSync(r.root)),
            by: opts.by,
          });
          reportCliSuccess(opts.json === true, { ...r, auditLog: file }, [
            `root rotated: version ${r.previousVersion} -> ${r.version}, threshold ${r.threshold} of ${r.rootKeyIds.length}, signed by ${r.signedByPrevious.length} key(s) of version ${r.previousVersion} and by the new keys`,
            ...r.rootKeyIds.map((id, i) => `  ${path.basename(r.rootKeyFiles[i]!)}  ${id}`),
            `recorded in ${file}`,
            `each official takes one new root-v${r.version}-N.key offline; copy root.json, root.sig and keyset.sig to the publisher's keys directory: every difusor upgrades to root version ${r.version} with the next cut; publish the new fingerprints`,
          ]);
        } finally {
          log.close();
        }
      }),
    );

  keys
    .command("status")
    .alias("show")
    .description("the keyset in a keys directory: version, keys, expiry and days left (verified against root.pub when it is there); no root key needed")
    .requiredOption("--keys <KEYS>", "keys directory")
    .option("--warn-days <N>", "warn when the keyset expires within N days", positiveInteger, DEFAULT_KEYSET_WARN_DAYS)
    .option("--json", "print the result as JSON")
    .action(
      action((opts: { keys: string; warnDays: number; json?: boolean }) => {
        const s = keysDirStatus(opts.keys, { warnDays: opts.warnDays });
        reportCliSuccess(opts.json === true, { ...s }, [
          `keyset version ${s.version} in ${s.dir}: created ${s.createdAt}, expires ${s.expires} (${s.expired ? "EXPIRED" : `${s.daysLeft} days left`})`,
          s.root === null
            ? `root key ${s.rootKeyId} (NOT verified: no root.pub or root.json in the directory)`
            : s.root.file.endsWith(".pub")
              ? `root key ${s.rootKeyId} (signature verified against root.pub)`
              : `root version ${s.root.version}: threshold ${s.root.threshold} of ${s.root.keys.length} (${s.root.keys.join(", ")}); keyset signed by ${s.signedBy.length}: ${s.signedBy.join(", ")} (verified against root.json)`,
          renderTable(
            ["signing key", "in signing.key"],
            s.keys.map((k) => [k.keyid, k.inUse ? "yes" : ""]),
          ),
          ...(s.signingKeyId !== null && !s.keys.some((k) => k.inUse)
            ? [`WARNING: signing.key holds ${s.signingKeyId}, which this keyset does not list: the publisher cannot sign with it`]
            : []),
          ...(s.warning ? [`WARNING: ${s.warning}`] : []),
        ]);
      }),
    );
}
