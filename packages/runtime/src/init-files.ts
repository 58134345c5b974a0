// What `init` (both CLIs) does with the files it writes so that the service user can use them:
// configs and public files 0644 (they hold no secrets), secret keys 0600 owned by --owner.
import * as fs from "node:fs";
import { PrepcastError } from "@prepcast/protocol";
import { currentAccount, describeOwnership, lookupAccount, type Account } from "./file-access";

/** Mode of the config and public files init writes: readable by the service user whoever owns them. */
export const INIT_PUBLIC_MODE = 0o644;

/** Parses `--owner USER[:GROUP]`; CONFIG_INVALID naming the flag when the user or group is unknown. */
export function ownerOption(spec: string | undefined): Account | undefined {
  if (spec === undefined) return undefined;
  try {
    return lookupAccount(spec);
  } catch (e) {
    throw new PrepcastError("CONFIG_INVALID", `--owner ${spec}: ${(e as Error).message}`, {
      where: "--owner",
      hint: "give the user the service runs as, e.g. --owner prepcast",
    });
  }
}

/**
 * Hands the secret files init wrote to `owner` (0600), and the directory it created to the owner's
 * group (0750), so that the service user can read its keys and nobody else can.
 */
export function handOver(owner: Account, secrets: string[], createdDir: string | null): void {
  const chown = (file: string, uid: number, gid: number) => {
    try {
      fs.chownSync(file, uid, gid);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new PrepcastError("IO_ERROR", `cannot give ${file} to ${owner.user}:${owner.group}: ${code ?? String(e)}`, {
        where: file,
        hint: code === "EPERM" ? "only root can change a file's owner: run init with sudo, or leave out --owner" : "check the directory",
      });
    }
  };
  if (createdDir !== null) {
    chown(createdDir, fs.statSync(createdDir).uid, owner.gid);
    fs.chmodSync(createdDir, 0o750);
  }
  for (const f of secrets) {
    chown(f, owner.uid, owner.gid);
    fs.chmodSync(f, 0o600);
  }
}

/**
 * Lines for init's output when the result is not usable by a service user: run as root without
 * --owner, the secret keys belong to root, and a directory init created is root's alone.
 */
export function ownershipNotes(secrets: string[], dir: string, owner: Account | undefined): string[] {
  if (owner !== undefined) return [];
  const me = currentAccount();
  if (me.uid !== 0) return [];
  return [
    `note: the secret keys (${secrets.join(", ")}) belong to root and ${dir} is ${describeOwnership(fs.statSync(dir))}:`,
    `  a service running as another user cannot read them; run init with --owner USER (e.g. --owner prepcast),`,
    `  or: sudo chown prepcast ${secrets.join(" ")} && sudo chgrp prepcast ${dir} && sudo chmod 0750 ${dir}`,
  ];
}
