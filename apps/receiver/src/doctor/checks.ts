// `prep-receiver doctor`: the server against the call and against what the agent needs, as a list
// of independent checks. Each reads the real system (system.ts) and returns a status with the
// evidence (detail) and, when it is not a pass, what to do (fix). Thresholds: requirements.ts.
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_PUBLISH_UNTIL, formatBytes, inspectStore, PrepcastError, toPrepcastError } from "@prepcast/protocol";
import { loadConfig, resolveFrom } from "@prepcast/runtime";
import { loadReceiverConfig, RECEIVER_ENV, ReceiverConfigSchema, type ReceiverConfig } from "../agent/config";
import { num, REQUIREMENTS as R } from "./requirements";
import * as sys from "./system";

export type CheckStatus = "pass" | "warn" | "fail" | "skip";

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** what was found (and how it was checked) */
  detail: string;
  /** what to do; null on a pass or a skip */
  fix: string | null;
}

export interface DoctorOptions {
  configFile: string;
  /** the service user the secret keys must belong to (default: the owner of the state directory, else the current user) */
  user?: string;
  /** the OPLE's URL to reach (skipped without it) */
  ople?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export interface DoctorContext {
  file: string;
  config: ReceiverConfig;
  /** resolves a path of the config against its directory */
  resolve(p: string): string;
  root: string;
  user: { name: string; uid: number; how: string };
  ople: string | null;
  timeoutMs: number;
  now: Date;
  env: NodeJS.ProcessEnv;
}

export interface Check {
  id: string;
  title: string;
  run(ctx: DoctorContext): Promise<Omit<CheckResult, "id" | "title">> | Omit<CheckResult, "id" | "title">;
}

const pass = (detail: string) => ({ status: "pass" as const, detail, fix: null });
const skip = (detail: string) => ({ status: "skip" as const, detail, fix: null });
const warn = (detail: string, fix: string) => ({ status: "warn" as const, detail, fix });
const fail = (detail: string, fix: string) => ({ status: "fail" as const, detail, fix });
const ORDER: CheckStatus[] = ["skip", "pass", "warn", "fail"];
const worst = (a: CheckStatus, b: CheckStatus): CheckStatus => (ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b);
const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`;

/** The nearest existing directory at or above `dir` (the state directory may not exist yet). */
function existingAncestor(dir: string): string {
  let d = path.resolve(dir);
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

function splitListen(value: string): { host: string; port: number } | null {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(value);
  return m ? { host: m[1]!, port: Number(m[2]) } : null;
}

function tryBind(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", (e) => resolve(e as NodeJS.ErrnoException));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(null)));
  });
}

/** One listener of the config: free, held by this receiver's agent, or held by someone else. */
async function portCheck(ctx: DoctorContext, field: string, value: string): Promise<Omit<CheckResult, "id" | "title">> {
  const hp = splitListen(value);
  if (!hp) return fail(`${field} is ${JSON.stringify(value)}, not HOST:PORT`, `set ${field} to e.g. 0.0.0.0:443 in ${ctx.file}`);
  if (hp.port === 0) return skip(`${field} is ${value}: port 0 takes a free port at start`);
  // a listener conflicts when either side is a wildcard or both name the same address
  const wildcard = (a: string) => a === "" || a === "0.0.0.0" || a === "::";
  const listeners = sys.tcpListeners(hp.port)?.filter((l) => wildcard(hp.host) || wildcard(l.address) || l.address === hp.host || l.address === `::ffff:${hp.host}`) ?? null;
  const agent = sys.agentPid(ctx.root);
  if (listeners && listeners.length > 0) {
    const holders = sys.socketHolders(listeners.map((l) => l.inode));
    const addresses = [...new Set(listeners.map((l) => l.address))].join(", ");
    if (agent !== null && holders.length > 0 && holders.every((p) => sys.isWithin(p, agent))) return pass(`:${hp.port} (${field}) is held by this receiver's agent, PID ${agent} (ROOT/lock), listening on ${addresses}`);
    if (holders.length > 0) {
      const others = holders.filter((p) => agent === null || !sys.isWithin(p, agent));
      const who = others.map((p) => `PID ${p} (${sys.commandLine(p)})`).join(", ");
      return fail(`:${hp.port} (${field}) is held by another process: ${who}, listening on ${addresses}`, `stop or move that process (sudo ss -ltnp 'sport = :${hp.port}' shows it), or choose another port in ${field} of ${ctx.file}`);
    }
    if (agent !== null) return warn(`:${hp.port} (${field}) is in use (${addresses}); the agent runs (PID ${agent}) but the holder is not visible to uid ${process.getuid?.() ?? "?"}`, `run doctor as root to name the holder: sudo prep-receiver doctor --config ${ctx.file}`);
    return fail(`:${hp.port} (${field}) is held by a process this user cannot see (listening on ${addresses}), and the agent is not running`, `find it with sudo ss -ltnp 'sport = :${hp.port}' and stop it, or choose another port in ${field}`);
  }
  // nobody listens: can the agent bind it? (address on this machine, privileged port)
  const err = await tryBind(hp.host, hp.port);
  if (err === null) return pass(`:${hp.port} on ${hp.host} (${field}) is free${listeners === null ? " (bound and released; /proc/net/tcp unreadable)" : ""}`);
  if (err.code === "EACCES") {
    return hp.port < 1024
      ? pass(`:${hp.port} (${field}) is free; binding a port below 1024 needs root or CAP_NET_BIND_SERVICE, which the PREPcast unit and image give the service (this user could not test the bind)`)
      : fail(`:${hp.port} on ${hp.host} (${field}): permission denied`, `check the host's security policy for ${value}`);
  }
  if (err.code === "EADDRINUSE") return fail(`:${hp.port} (${field}) is in use by a process this user cannot see`, `find it with sudo ss -ltnp 'sport = :${hp.port}'`);
  if (err.code === "EADDRNOTAVAIL") return fail(`${hp.host} (${field}) is not an address of this machine`, `use 0.0.0.0 or one of this server's addresses (ip -brief address) in ${field}`);
  return fail(`${value} (${field}) cannot be bound: ${err.code ?? err.message}`, `check ${field} in ${ctx.file}`);
}

function certCheck(ctx: DoctorContext, field: "push.tls" | "site.tls"): Omit<CheckResult, "id" | "title"> {
  const tls = field === "push.tls" ? ctx.config.push.tls : ctx.config.site.tls;
  if (!tls) return skip(field === "site.tls" ? "site.tls is not set: the site serves plain HTTP (a proxy or CDN in front must serve HTTPS on 443)" : "push.tls is not set");
  const file = ctx.resolve(tls.cert);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(fs.readFileSync(file));
  } catch (e) {
    return fail(`${file} (${field}.cert) cannot be read as a PEM certificate: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, `point ${field}.cert at the certificate file (-----BEGIN CERTIFICATE-----)`);
  }
  const now = ctx.now.getTime();
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const renew =
    field === "push.tls"
      ? "make a new push certificate (prep-receiver init --dir NEW, then use NEW/tls.crt and tls.key) and send the new registration.yaml to the OPLE: it pins the fingerprint"
      : "renew the site's certificate (e.g. sudo certbot renew) and restart the agent";
  if (now > to) return fail(`${file} (${field}.cert) expired on ${new Date(to).toISOString()}`, renew);
  if (now < from) return fail(`${file} (${field}.cert) is not valid before ${new Date(from).toISOString()} (check this machine's clock)`, "fix the clock (docs/operations/ntp.md) or the certificate");
  const days = Math.floor((to - now) / 86_400_000);
  const end = Date.parse(DEFAULT_PUBLISH_UNTIL);
  if (now < end && to < end) return warn(`${file} (${field}.cert) expires on ${new Date(to).toISOString()}, before the end of publication (${DEFAULT_PUBLISH_UNTIL})`, renew);
  if (days < num(R.certWarnDays)) return warn(`${file} (${field}.cert) expires in ${days} days (${new Date(to).toISOString()})`, renew);
  return pass(`${file} (${field}.cert) valid until ${new Date(to).toISOString()} (${days} days)`);
}

/** The checks, in the order they are shown. Each is independent of the others. */
export const CHECKS: Check[] = [
  {
    id: "config",
    title: "configuration the agent accepts",
    run(ctx) {
      try {
        loadReceiverConfig(ctx.file, ctx.env);
        return pass(`${ctx.file}: every field, file and listener checks out (as prep-receiver run reads it)`);
      } catch (e) {
        const err = toPrepcastError(e);
        return fail(err.message, err.hint ?? `fix ${ctx.file}; prep-receiver check-config --config ${ctx.file} lists every problem`);
      }
    },
  },
  {
    id: "cpu",
    title: `CPU: ${R.minCores.value} cores at ${(num(R.minCpuMHz) / 1000).toFixed(1)} GHz or more (call)`,
    run() {
      const cores = os.cpus().length;
      const mhz = sys.cpuMHz();
      const what = `${cores} cores${mhz !== null ? ` at ${(mhz / 1000).toFixed(2)} GHz` : ""} (os.cpus, /proc/cpuinfo)`;
      if (cores < num(R.minCores)) return fail(what, `the call asks for ${R.minCores.value} cores: move the agent to a server (or VM size) with at least ${R.minCores.value}`);
      if (mhz === null) return warn(`${what}; the clock speed is not reported`, "confirm with your provider that each core runs at 2.0 GHz or more");
      if (mhz < num(R.minCpuMHz)) return fail(what, `the call asks for cores at ${(num(R.minCpuMHz) / 1000).toFixed(1)} GHz or more: choose a faster server`);
      return pass(what);
    },
  },
  {
    id: "memory",
    title: "memory: 16 GB (call)",
    run() {
      const total = os.totalmem();
      const what = `${gb(total)} (${formatBytes(total)}) reported by the kernel`;
      return total >= num(R.minMemoryBytes) ? pass(what) : fail(what, `the call asks for 16 GB of RAM (the kernel then reports at least ${gb(num(R.minMemoryBytes))}): add memory`);
    },
  },
  {
    id: "disk",
    title: "disk: 100 GB SSD holding the state directory (call)",
    run(ctx) {
      const at = existingAncestor(ctx.root);
      const dev = sys.blockDeviceOf(at);
      if (!dev) {
        const mount = sys.mountOf(at);
        return warn(`the disk under ${at} could not be identified in /sys/block${mount ? ` (${mount.fsType} ${mount.source} on ${mount.mountPoint})` : ""}`, "check by hand: lsblk -d -o NAME,SIZE,ROTA (ROTA 0 = SSD, size at least 100 GB)");
      }
      const what = `${ctx.root} is on /dev/${dev.name}: ${gb(dev.sizeBytes)}, ${dev.rotational === null ? "kind unknown" : dev.rotational ? "rotational" : "not rotational (SSD)"} (/sys/block/${dev.name}, ${dev.via})`;
      let status: CheckStatus = "pass";
      const fixes: string[] = [];
      if (dev.sizeBytes < num(R.minDiskBytes)) {
        status = "fail";
        fixes.push(`the call asks for a 100 GB disk: put ${ctx.root} on a larger one`);
      }
      if (dev.rotational === true) {
        // virtual disks often report 1 whatever the storage behind them is
        const virtual = /^(vd|xvd)/.test(dev.name);
        status = worst(status, virtual ? "warn" : "fail");
        fixes.push(virtual ? `/dev/${dev.name} is a virtual disk that reports itself rotational: confirm with your provider that it is backed by SSD (the call)` : "the call asks for an SSD: move the state directory to one");
      } else if (dev.rotational === null) {
        status = worst(status, "warn");
        fixes.push(`confirm the disk kind: cat /sys/block/${dev.name}/queue/rotational (0 = SSD)`);
      }
      return status === "pass" ? pass(what) : { status, detail: what, fix: fixes.join("; ") };
    },
  },
  {
    id: "os",
    title: `operating system: Ubuntu ${R.ubuntuVersion.value} LTS or later (call)`,
    run() {
      const rel = sys.osRelease();
      if (!rel) return warn("/etc/os-release cannot be read", "check the system by hand: lsb_release -a");
      const name = rel.PRETTY_NAME ?? `${rel.ID ?? "?"} ${rel.VERSION_ID ?? ""}`;
      if (rel.ID !== "ubuntu") return warn(`${name} (/etc/os-release): not the call's Ubuntu; PREPcast runs on it, but the OPLE's procedures and support assume Ubuntu`, `the call recommends Ubuntu ${R.ubuntuVersion.value} LTS: plan a move, or agree this system with the OPLE's UTSI`);
      const [maj, min] = (rel.VERSION_ID ?? "0").split(".").map(Number);
      const [wantMaj, wantMin] = String(R.ubuntuVersion.value).split(".").map(Number);
      if ((maj ?? 0) * 100 + (min ?? 0) < wantMaj! * 100 + wantMin!) return warn(`${name}: older than the recommended ${R.ubuntuVersion.value}`, `upgrade to Ubuntu ${R.ubuntuVersion.value} LTS or later (sudo do-release-upgrade)`);
      return pass(`${name} (/etc/os-release)`);
    },
  },
  {
    id: "runtime",
    title: "Docker (call) or systemd to run the agent",
    async run(ctx) {
      const found: string[] = [];
      const docker = await sys.run("docker", ["--version"], ctx.timeoutMs);
      if (docker && docker.code === 0) found.push(docker.stdout.trim().split("\n")[0]!);
      else if (fs.existsSync("/var/run/docker.sock")) found.push("Docker socket /var/run/docker.sock");
      if (fs.existsSync("/run/systemd/system")) found.push("systemd is the init system (/run/systemd/system)");
      if (found.length > 0) return pass(found.join("; "));
      return fail("neither Docker (docker --version, /var/run/docker.sock) nor systemd (/run/systemd/system) was found", "install Docker as the call asks (docs/operations/install-ubuntu-docker.md), or run the agent under systemd (install-ubuntu-systemd.md)");
    },
  },
  {
    id: "ntp",
    title: "clock synchronised by NTP (call), offset small",
    async run(ctx) {
      const checked: string[] = [];
      let synced: boolean | null = null;
      let offset: number | null = null;
      const td = await sys.run("timedatectl", ["show", "-p", "NTPSynchronized", "--value"], ctx.timeoutMs);
      if (td && td.code === 0 && /^(yes|no)$/.test(td.stdout.trim())) {
        checked.push(`timedatectl: NTPSynchronized=${td.stdout.trim()}`);
        synced = td.stdout.trim() === "yes";
      } else checked.push("timedatectl: no answer");
      const chrony = await sys.run("chronyc", ["-n", "tracking"], ctx.timeoutMs);
      const m = chrony ? /System time\s*:\s*([\d.]+) seconds (fast|slow)/.exec(chrony.stdout) : null;
      if (chrony && chrony.code === 0 && m) {
        offset = Number(m[1]);
        const leap = /Leap status\s*:\s*(.+)/.exec(chrony.stdout)?.[1]?.trim() ?? "?";
        checked.push(`chronyc tracking: ${m[1]} s ${m[2]}, leap status ${leap}`);
        synced = (synced ?? true) && leap === "Normal";
      } else checked.push(chrony ? "chronyc: not tracking" : "chronyc: not installed or no answer");
      if (fs.existsSync("/run/systemd/timesync")) {
        const ok = fs.existsSync("/run/systemd/timesync/synchronized");
        checked.push(`systemd-timesyncd: ${ok ? "synchronized" : "not synchronized"} (/run/systemd/timesync)`);
        synced = synced === null ? ok : synced || ok;
      }
      const detail = `checked ${checked.join("; ")}`;
      const fixNtp = "install and enable an NTP client (sudo apt-get install -y chrony), allow outbound UDP 123, then chronyc tracking (docs/operations/ntp.md)";
      if (synced === null) return warn(`${detail}: nothing could tell whether the clock is synchronised`, fixNtp);
      if (!synced) return fail(`${detail}: the clock is not synchronised`, fixNtp);
      if (offset !== null && offset > num(R.failSkewSeconds)) return fail(`${detail}: offset above ${R.failSkewSeconds.value} s (the 20:00 embargo runs on this clock)`, "find out why (blocked UDP 123, a VM host fighting chrony): docs/operations/ntp.md");
      if (offset !== null && offset > num(R.warnSkewSeconds)) return warn(`${detail}: offset above ${R.warnSkewSeconds.value} s`, "let chrony converge (chronyc makestep), check the NTP servers: docs/operations/ntp.md");
      return pass(`${detail}${offset === null ? " (offset not measured: only chrony reports it)" : ""}`);
    },
  },
  {
    id: "ports-public",
    title: "TCP 80/443 for everyone: the site, or a proxy in front of it (call)",
    run(ctx) {
      const hp = splitListen(ctx.config.site.listen);
      const port = hp?.port;
      if (port === 443 || port === 80) return pass(`the site listens on ${ctx.config.site.listen}${port === 80 && !ctx.config.site.tls ? " (HTTPS on 443 must come from your proxy or CDN)" : ""}`);
      const taken = [80, 443].filter((p) => (sys.tcpListeners(p) ?? []).length > 0);
      if (taken.length > 0) return pass(`the site listens on ${ctx.config.site.listen}; something listens on ${taken.map((p) => `:${p}`).join(" and ")} (a proxy in front of it, /proc/net/tcp)`);
      return warn(`the site listens on ${ctx.config.site.listen} and nothing listens on :80 or :443`, "the call opens 80/443 to everyone: set site.listen to 0.0.0.0:443 (with site.tls) or 0.0.0.0:80, or put a proxy on them (docs/operations/firewall.md)");
    },
  },
  { id: "port-site", title: "site port free or held by the agent", run: (ctx) => portCheck(ctx, "site.listen", ctx.config.site.listen) },
  { id: "port-push", title: "push port free or held by the agent", run: (ctx) => portCheck(ctx, "push.listen", ctx.config.push.listen) },
  {
    id: "port-websocket",
    title: "WebSocket push port free or held by the agent",
    run: (ctx) => (typeof ctx.config.push.websocket === "object" ? portCheck(ctx, "push.websocket.listen", ctx.config.push.websocket.listen) : skip(ctx.config.push.websocket ? "push.websocket: true shares the site's port" : "push.websocket is off")),
  },
  { id: "port-admin", title: "admin port free or held by the agent", run: (ctx) => portCheck(ctx, "admin.listen", ctx.config.admin.listen) },
  { id: "tls-push", title: "push TLS certificate valid (the OPLE pins it)", run: (ctx) => certCheck(ctx, "push.tls") },
  { id: "tls-site", title: "site TLS certificate valid", run: (ctx) => certCheck(ctx, "site.tls") },
  {
    id: "keys",
    title: `secret keys: mode ${R.secretKeyMode.value}, owned by the service user`,
    run(ctx) {
      const files: Array<[string, string]> = [["identity.secretKey", ctx.config.identity.secretKey]];
      if (ctx.config.push.tls) files.push(["push.tls.key", ctx.config.push.tls.key]);
      if (ctx.config.site.tls) files.push(["site.tls.key", ctx.config.site.tls.key]);
      const ok: string[] = [];
      const bad: string[] = [];
      const fixes: string[] = [];
      for (const [field, p] of files) {
        const file = ctx.resolve(p);
        let st: fs.Stats;
        try {
          st = fs.statSync(file);
        } catch (e) {
          bad.push(`${file} (${field}): ${(e as NodeJS.ErrnoException).code ?? "unreadable"}`);
          fixes.push(`put the key named by ${field} at ${file}`);
          continue;
        }
        const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
        const problems: string[] = [];
        if ((st.mode & 0o077) !== 0) {
          problems.push(`mode ${mode} (group or others have access)`);
          fixes.push(`sudo chmod 0600 ${file}`);
        }
        if (st.uid !== ctx.user.uid) {
          problems.push(`owned by ${sys.userName(st.uid)}, not the service user ${ctx.user.name}`);
          fixes.push(`sudo chown ${ctx.user.name} ${file}`);
        }
        if (problems.length) bad.push(`${file} (${field}): ${problems.join(", ")}`);
        else ok.push(`${file} (${field}) ${mode} ${ctx.user.name}`);
      }
      const who = `service user ${ctx.user.name} (${ctx.user.how})`;
      if (bad.length) return fail(`${bad.join("; ")}${ok.length ? `; fine: ${ok.join(", ")}` : ""} [${who}]`, fixes.join(" && "));
      return pass(`${ok.join("; ")} [${who}]`);
    },
  },
  {
    id: "space",
    title: "free space for the retained cuts",
    run(ctx) {
      const at = existingAncestor(ctx.root);
      let free: number;
      try {
        const st = fs.statfsSync(at);
        free = st.bavail * st.bsize;
      } catch (e) {
        return warn(`free space under ${at} cannot be read: ${(e as NodeJS.ErrnoException).code}`, `check by hand: df -h ${at}`);
      }
      let live = 0;
      let held = 0;
      try {
        const view = inspectStore(ctx.root, "root");
        live = view.live?.totalSize ?? 0;
        held = view.state.cuts.reduce((sum, c) => sum + c.totalSize, 0);
      } catch {
        /* not installed yet */
      }
      const analytics = ctx.config.site.analytics && (ctx.config.site.analyticsFile === undefined || ctx.resolve(ctx.config.site.analyticsFile).startsWith(`${path.resolve(ctx.root)}/`)) ? ctx.config.site.analyticsMaxMiB * 1024 * 1024 : 0;
      const cuts = ctx.config.retain + num(R.extraCuts);
      if (live === 0) return pass(`${formatBytes(free)} free under ${at}; no live cut yet, so the need is not known (run doctor again after the first cut)`);
      const need = live * cuts + analytics;
      const missing = need - held;
      const what = `${formatBytes(free)} free under ${at}; needed: ${cuts} cuts of the live cut's ${formatBytes(live)} (retain ${ctx.config.retain} + ${R.extraCuts.value})${analytics ? ` + the analytics budget ${formatBytes(analytics)}` : ""} = ${formatBytes(need)}, of which ${formatBytes(held)} already on disk`;
      if (free < missing) return fail(what, `free ${formatBytes(missing - free)} under ${at}, lower retain in ${ctx.file}, or move root to a larger disk`);
      if (free < missing * 1.5) return warn(`${what}: less than 50% to spare`, `free space under ${at} before election night (cuts grow as actas are captured)`);
      return pass(what);
    },
  },
  {
    id: "ople",
    title: "the OPLE reachable from here",
    async run(ctx) {
      if (!ctx.ople) return skip("no --ople URL given");
      const started = Date.now();
      try {
        const res = await fetch(ctx.ople, { method: "GET", redirect: "manual", signal: AbortSignal.timeout(ctx.timeoutMs), headers: { "user-agent": "prep-receiver-doctor/1" } });
        await res.body?.cancel().catch(() => undefined);
        return pass(`${ctx.ople} answered HTTP ${res.status} in ${Date.now() - started} ms`);
      } catch (e) {
        const err = e as Error & { cause?: { code?: string } };
        const timedOut = err.name === "TimeoutError" || err.name === "AbortError";
        return fail(`${ctx.ople} ${timedOut ? `did not answer within ${ctx.timeoutMs} ms` : `cannot be reached: ${err.cause?.code ?? err.message}`}`, "check DNS, the route and the outbound firewall towards the OPLE (and any proxy); the OPLE's UTSI can confirm its address");
      }
    },
  },
];

export interface DoctorReport {
  config: string;
  /** the state directory (config's root) */
  root: string;
  host: string;
  checkedAt: string;
  summary: Record<CheckStatus, number>;
  checks: CheckResult[];
}

/** The service user: --user, else the owner of the state directory, else whoever runs doctor. */
function serviceUser(root: string, user: string | undefined): DoctorContext["user"] {
  if (user !== undefined) {
    const uid = sys.uidOf(user);
    if (uid === null) throw new PrepcastError("CONFIG_INVALID", `--user ${user}: no such user in /etc/passwd`, { where: "--user", hint: "give the account the agent runs as (prepcast in the PREPcast unit and image)" });
    return { name: user, uid, how: "--user" };
  }
  try {
    const uid = fs.statSync(root).uid;
    return { name: sys.userName(uid), uid, how: `owner of ${root}` };
  } catch {
    const uid = process.getuid?.() ?? 0;
    return { name: sys.userName(uid), uid, how: "the user running doctor; pass --user to name the service user" };
  }
}

/**
 * Reads the config by its schema only (a file problem the agent refuses at start is a check's
 * finding, not a reason to stop here), then runs the selected checks one after the other.
 */
export async function runDoctor(opts: DoctorOptions, select: { only?: string[]; skip?: string[] } = {}): Promise<DoctorReport> {
  const env = opts.env ?? process.env;
  const unknown = [...(select.only ?? []), ...(select.skip ?? [])].filter((id) => !CHECKS.some((c) => c.id === id));
  if (unknown.length) throw new PrepcastError("CONFIG_INVALID", `unknown check ${unknown.map((u) => JSON.stringify(u)).join(", ")}`, { where: select.only?.length ? "--only" : "--skip", hint: `checks: ${CHECKS.map((c) => c.id).join(", ")}` });
  const file = path.resolve(opts.configFile);
  const { config, baseDir } = loadConfig(file, ReceiverConfigSchema, { env, overrides: RECEIVER_ENV });
  const resolve = (p: string) => resolveFrom(baseDir, p);
  const root = resolve(config.root);
  const ctx: DoctorContext = {
    file,
    config,
    resolve,
    root,
    user: serviceUser(root, opts.user),
    ople: opts.ople ?? null,
    timeoutMs: opts.timeoutMs ?? num(R.timeoutMs),
    now: (opts.now ?? (() => new Date()))(),
    env,
  };
  const checks: CheckResult[] = [];
  for (const c of CHECKS) {
    if (select.only?.length && !select.only.includes(c.id)) continue;
    if (select.skip?.includes(c.id)) continue;
    let r: Omit<CheckResult, "id" | "title">;
    try {
      r = await c.run(ctx);
    } catch (e) {
      r = fail(`the check itself failed: ${(e as Error).message}`, "report this to the PREPcast maintainers with the output of doctor --json");
    }
    checks.push({ id: c.id, title: c.title, ...r });
  }
  const summary: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) summary[c.status]++;
  return { config: file, root, host: os.hostname(), checkedAt: ctx.now.toISOString(), summary, checks };
}
