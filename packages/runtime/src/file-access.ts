// Why a file or directory named in a config cannot be used by the user the service runs as, and
// the exact command that fixes it. Start-up checks use these so that a permission problem is
// reported as "user prepcast cannot read /etc/prepcast/receiver.yaml (owner root:root, mode 0640):
// run `sudo chgrp prepcast ... && sudo chmod 0640 ...`" instead of a bare EACCES.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Account {
  user: string;
  uid: number;
  group: string;
  gid: number;
}

function readIdFile(file: string): string[][] {
  try {
    return fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(":"));
  } catch {
    return [];
  }
}

/** Name of a uid from /etc/passwd, or the number when it has none (e.g. a container's 10001). */
export function userName(uid: number): string {
  return readIdFile("/etc/passwd").find((f) => Number(f[2]) === uid)?.[0] ?? String(uid);
}

/** Name of a gid from /etc/group, or the number. */
export function groupName(gid: number): string {
  return readIdFile("/etc/group").find((f) => Number(f[2]) === gid)?.[0] ?? String(gid);
}

/** The user and primary group this process runs as. */
export function currentAccount(): Account {
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  let user = userName(uid);
  if (user === String(uid)) {
    try {
      user = os.userInfo().username || user;
    } catch {
      /* no passwd entry (containers): the number it is */
    }
  }
  return { user, uid, group: groupName(gid), gid };
}

/**
 * "USER" or "USER:GROUP" (names or numbers) → ids, from /etc/passwd and /etc/group. The group
 * defaults to the user's primary group. Throws a plain Error naming what is unknown.
 */
export function lookupAccount(spec: string): Account {
  const [u, g] = spec.split(":", 2) as [string, string | undefined];
  const pw = readIdFile("/etc/passwd").find((f) => f[0] === u || (/^\d+$/.test(u) && f[2] === u));
  if (!pw && !/^\d+$/.test(u)) throw new Error(`user "${u}" does not exist on this machine (create it first: useradd --system ${u})`);
  const uid = pw ? Number(pw[2]) : Number(u);
  let gid: number;
  if (g === undefined || g === "") {
    if (!pw) throw new Error(`uid ${u} has no entry in /etc/passwd: give the group too (${u}:GROUP)`);
    gid = Number(pw[3]);
  } else {
    const gr = readIdFile("/etc/group").find((f) => f[0] === g || (/^\d+$/.test(g) && f[2] === g));
    if (!gr && !/^\d+$/.test(g)) throw new Error(`group "${g}" does not exist on this machine`);
    gid = gr ? Number(gr[2]) : Number(g);
  }
  return { user: pw?.[0] ?? String(uid), uid, group: groupName(gid), gid };
}

/** "owner root:prepcast, mode 0640" */
export function describeOwnership(st: fs.Stats): string {
  return `owner ${userName(st.uid)}:${groupName(st.gid)}, mode ${(st.mode & 0o7777).toString(8).padStart(4, "0")}`;
}

export interface AccessProblem {
  /** What is wrong, naming the file, the user and the ownership. */
  message: string;
  /** What to do: "run `COMMAND`" when a command fixes it. */
  fix: string;
}

/** What a file holds decides the fix: a secret goes to the service user 0600, the rest to its group. */
export type FileKind = "config" | "public" | "secret";

const who = (a: Account) => `user ${a.user} (uid ${a.uid})`;

/** The first directory on the way to `file` that the user cannot enter, or that does not exist. */
function directoryProblem(file: string, account: Account): AccessProblem | null {
  const dirs: string[] = [];
  for (let d = path.dirname(path.resolve(file)); ; d = path.dirname(d)) {
    dirs.unshift(d);
    if (d === path.dirname(d)) break;
  }
  for (const d of dirs) {
    let st: fs.Stats;
    try {
      st = fs.statSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT")
        return {
          message: `directory ${d} does not exist`,
          fix: `check the path, or create it: run \`sudo install -d -o root -g ${account.group} -m 0750 ${d}\``,
        };
      continue;
    }
    if (!st.isDirectory()) return { message: `${d} is not a directory`, fix: "check the path" };
    try {
      fs.accessSync(d, fs.constants.X_OK);
    } catch {
      return {
        message: `${who(account)} cannot enter directory ${d} (${describeOwnership(st)})`,
        fix: `run \`sudo chgrp ${account.group} ${d} && sudo chmod g+x ${d}\``,
      };
    }
  }
  return null;
}

/**
 * Can this process read `file`? null when it can; otherwise what stops it (missing, a directory on
 * the way closed, no read permission) and the command that fixes it for the user the process runs as.
 */
export function readAccessProblem(file: string, kind: FileKind, account: Account = currentAccount()): AccessProblem | null {
  const dir = directoryProblem(file, account);
  if (dir) return dir;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { message: `${file} does not exist`, fix: "check the path (relative paths start at the config file's directory)" };
    return { message: `cannot stat ${file}: ${code ?? String(e)}`, fix: "check the path" };
  }
  if (!st.isFile()) return { message: `${file} is not a regular file`, fix: "point the field at the file itself" };
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return null;
  } catch {
    const fix =
      kind === "secret"
        ? `run \`sudo chown ${account.user} ${file} && sudo chmod 0600 ${file}\``
        : `run \`sudo chgrp ${account.group} ${file} && sudo chmod 0640 ${file}\`${kind === "config" ? " (it holds no secrets: 0644 is fine too)" : ""}`;
    return { message: `${who(account)} cannot read ${file} (${describeOwnership(st)})`, fix };
  }
}

/** A secret that group or others may read (or write): the fix is chmod 0600. */
export function secretModeProblem(file: string): AccessProblem | null {
  if (process.platform === "win32") return null;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return null; // reported by readAccessProblem
  }
  if ((st.mode & 0o077) === 0) return null;
  return {
    message: `${file} is a secret but has mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}: group and others must have no access`,
    fix: `run \`sudo chmod 0600 ${file}\``,
  };
}

/**
 * Can this process create and write the directory `dir` (a state directory)? null when it can;
 * otherwise why not and what to run.
 */
export function writableDirectoryProblem(dir: string, account: Account = currentAccount()): AccessProblem | null {
  const abs = path.resolve(dir);
  let existing = abs;
  for (;;) {
    try {
      const st = fs.statSync(existing);
      if (!st.isDirectory()) return { message: `${existing} is not a directory`, fix: "move it aside, or choose another path" };
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a file on the way; walking up finds it and says so
      if (code !== "ENOENT" && code !== "ENOTDIR") return { message: `cannot stat ${existing}: ${code}`, fix: "check the path" };
      if (existing === path.dirname(existing)) break;
      existing = path.dirname(existing);
    }
  }
  const closed = directoryProblem(path.join(existing, "x"), account);
  if (closed) return closed;
  try {
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
    return null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EROFS") {
      return {
        message: `${existing === abs ? abs : `${abs} cannot be created: ${existing}`} is on a read-only file system (under systemd, ProtectSystem=strict leaves only the unit's ReadWritePaths writable)`,
        fix: "use a path the service may write, e.g. under /var/lib/prepcast (receiver) or /var/lib/prepcast-publisher (publisher)",
      };
    }
    const st = fs.statSync(existing);
    return existing === abs
      ? {
          message: `${who(account)} cannot write directory ${abs} (${describeOwnership(st)})`,
          fix: `run \`sudo chown ${account.user}:${account.group} ${abs} && sudo chmod 0750 ${abs}\``,
        }
      : {
          message: `${who(account)} cannot create ${abs}: ${existing} is not writable (${describeOwnership(st)})`,
          fix: `run \`sudo install -d -o ${account.user} -g ${account.group} -m 0750 ${abs}\``,
        };
  }
}
