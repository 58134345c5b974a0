// What doctor reads of the machine: /proc, /sys, /etc/os-release and a few bounded commands. Each
// function returns what it found or null when it cannot tell (never throws), so a check can say
// "could not check" instead of guessing.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const readOr = (file: string): string | null => {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
};

/** Runs a command with a time limit; null when it is missing, fails or times out. */
export function run(cmd: string, args: string[], timeoutMs: number): Promise<{ stdout: string; code: number } | null> {
  return new Promise((resolve) => {
    try {
      execFile(cmd, args, { timeout: timeoutMs, encoding: "utf8", env: { ...process.env, LC_ALL: "C" } }, (err, stdout) => {
        if (err && (err as NodeJS.ErrnoException).code === "ENOENT") return resolve(null);
        if (err && (err as { killed?: boolean }).killed) return resolve(null);
        resolve({ stdout: String(stdout), code: err ? Number((err as { code?: number }).code ?? 1) : 0 });
      });
    } catch {
      resolve(null);
    }
  });
}

/** /etc/os-release as a map (ID, VERSION_ID, PRETTY_NAME...). */
export function osRelease(file = "/etc/os-release"): Record<string, string> | null {
  const text = readOr(file) ?? readOr("/usr/lib/os-release");
  if (text === null) return null;
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, "$1");
  }
  return out;
}

/** The highest clock any core reports, MHz (cpufreq's maximum, else /proc/cpuinfo's current). */
export function cpuMHz(): number | null {
  const max = readOr("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
  if (max !== null && Number(max) > 0) return Math.round(Number(max) / 1000);
  const info = readOr("/proc/cpuinfo");
  if (info === null) return null;
  const values = [...info.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1]));
  return values.length > 0 ? Math.round(Math.max(...values)) : null;
}

export interface BlockDevice {
  /** kernel name (vda, sda, nvme0n1) of the whole disk */
  name: string;
  sizeBytes: number;
  rotational: boolean | null;
  /** how it was found (for the detail line) */
  via: string;
}

function wholeDisk(sysDir: string): string {
  // a partition's directory holds a `partition` file; its disk is the parent directory
  return fs.existsSync(path.join(sysDir, "partition")) ? path.dirname(sysDir) : sysDir;
}

function describe(sysDir: string, via: string): BlockDevice | null {
  const dir = wholeDisk(sysDir);
  const size = readOr(path.join(dir, "size"));
  if (size === null) return null;
  const rot = readOr(path.join(dir, "queue", "rotational"));
  return { name: path.basename(dir), sizeBytes: Number(size.trim()) * 512, rotational: rot === null ? null : rot.trim() === "1", via };
}

/** The mount holding `file` (longest mount point that is a prefix of its real path), from mountinfo. */
export function mountOf(file: string): { mountPoint: string; fsType: string; source: string } | null {
  const info = readOr("/proc/self/mountinfo");
  if (info === null) return null;
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    return null;
  }
  let best: { mountPoint: string; fsType: string; source: string } | null = null;
  for (const line of info.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const mountPoint = left.split(" ")[4]?.replace(/\\040/g, " ");
    const [fsType, source] = right.split(" ");
    if (!mountPoint || !fsType || source === undefined) continue;
    const inside = real === mountPoint || real.startsWith(mountPoint.endsWith("/") ? mountPoint : `${mountPoint}/`);
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) best = { mountPoint, fsType, source };
  }
  return best;
}

/** The disk holding `file`: by its device number in /sys/dev/block, else by its mount's source device. */
export function blockDeviceOf(file: string): BlockDevice | null {
  try {
    const dev = fs.statSync(file, { bigint: true }).dev;
    const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
    const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
    const sys = `/sys/dev/block/${major}:${minor}`;
    if (major !== 0 && fs.existsSync(sys)) return describe(fs.realpathSync(sys), `device ${major}:${minor}`);
  } catch {
    /* fall back to the mount table */
  }
  const mount = mountOf(file);
  if (mount && mount.source.startsWith("/dev/")) {
    try {
      const name = path.basename(fs.realpathSync(mount.source));
      const sys = `/sys/class/block/${name}`;
      if (fs.existsSync(sys)) return describe(fs.realpathSync(sys), `mount ${mount.mountPoint} on ${mount.source}`);
    } catch {
      /* not resolvable */
    }
  }
  return null;
}

export interface Listener {
  inode: string;
  address: string;
}

function hexAddress(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join(".");
  // IPv6: four little-endian 32-bit words; an IPv4-mapped address reads as ::ffff:a.b.c.d
  if (hex.length === 32 && /^0{16}FFFF0000$/i.test(hex.slice(0, 24))) return `::ffff:${hexAddress(hex.slice(24))}`;
  const words: string[] = [];
  for (let w = 0; w < 4; w++) {
    const chunk = hex.slice(w * 8, w * 8 + 8);
    const bytes = [3, 2, 1, 0].map((i) => chunk.slice(i * 2, i * 2 + 2)).join("");
    words.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  return words
    .map((x) => x.replace(/^0+(?=.)/, ""))
    .join(":")
    .replace(/(^|:)(0(:|$)){2,}/, "::");
}

/** TCP sockets listening on `port` (any address), from /proc/net/tcp and tcp6; null when unreadable. */
export function tcpListeners(port: number): Listener[] | null {
  const out: Listener[] = [];
  let readable = false;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = readOr(file);
    if (text === null) continue;
    readable = true;
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A") continue; // 0A = LISTEN
      const [addr, portHex] = f[1]!.split(":");
      if (parseInt(portHex!, 16) !== port) continue;
      out.push({ inode: f[9]!, address: hexAddress(addr!) });
    }
  }
  return readable ? out : null;
}

/** PIDs holding a socket inode open (only the processes this user may inspect). */
export function socketHolders(inodes: string[]): number[] {
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  for (const pid of entries) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process
    }
    for (const fd of fds) {
      try {
        if (wanted.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))) {
          pids.push(Number(pid));
          break;
        }
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return pids;
}

export function parentOf(pid: number): number | null {
  const stat = readOr(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ppid = Number(after[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/** Is `pid` the process `ancestor` or one of its descendants (the agent's site workers)? */
export function isWithin(pid: number, ancestor: number): boolean {
  for (let p: number | null = pid, hops = 0; p !== null && p > 1 && hops < 64; p = parentOf(p), hops++) if (p === ancestor) return true;
  return false;
}

export function commandLine(pid: number): string {
  const raw = readOr(`/proc/${pid}/cmdline`);
  return raw === null ? "?" : raw.split("\0").filter(Boolean).join(" ").slice(0, 120) || "?";
}

/** The PID in ROOT/lock when its holder is alive on this machine (the running agent), else null. */
export function agentPid(root: string): number | null {
  const text = readOr(path.join(root, "lock"));
  if (text === null) return null;
  let pid: number;
  try {
    const v = JSON.parse(text) as { pid?: unknown };
    pid = typeof v === "number" ? v : Number(v.pid);
  } catch {
    pid = Number(text.trim());
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM" ? pid : null;
  }
}

/** uid of a user name from /etc/passwd (no NSS lookups: the service user is a local one). */
export function uidOf(user: string): number | null {
  if (/^\d+$/.test(user)) return Number(user);
  const text = readOr("/etc/passwd");
  if (text === null) return null;
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f[0] === user && f[2] !== undefined) return Number(f[2]);
  }
  return null;
}

export function userName(uid: number): string {
  const text = readOr("/etc/passwd");
  for (const line of (text ?? "").split("\n")) {
    const f = line.split(":");
    if (f[2] === String(uid) && f[0]) return f[0];
  }
  return String(uid);
}
