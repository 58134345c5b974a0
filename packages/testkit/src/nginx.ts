// Debian's nginx run unprivileged for tests and benchmarks: its own prefix directory (config,
// pid, logs, temp paths), listening on a free loopback port, in the foreground (`daemon off`) so
// the test owns the process; stop() ends it (SIGQUIT, then SIGKILL) and waits for it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./local-deployment";

/** The nginx binary (Debian: /usr/sbin/nginx), or undefined when nginx is not installed. */
export function nginxBinary(): string | undefined {
  for (const candidate of ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]) if (existsSync(candidate)) return candidate;
  const r = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() !== "" ? r.stdout.trim() : undefined;
}

export interface TestNginx {
  port: number;
  url: string;
  /** The prefix directory: nginx.conf, nginx.pid, error.log, access.log, tmp/. */
  prefix: string;
  accessLog: string;
  conf: string;
  proc: ChildProcess;
  /** `nginx -s reopen` (reopens its logs after a rotation). */
  reopen(): void;
  /** `nginx -s reload`. */
  reload(): void;
  /** Runs `nginx -t` on the current config; returns its status and output. */
  test(): { ok: boolean; output: string };
  stop(): Promise<void>;
}

export interface StartNginxOptions {
  /** Directives inside `server { }` after the listen line (root, locations, includes). */
  server: string;
  /** Directives inside `http { }` (default: none beyond the harness's own). */
  http?: string;
  workers?: number;
  /** The port (default: a free one). */
  port?: number;
  /** Access log line format name (default combined). */
  logFormat?: string;
}

/** The nginx.conf of a harness instance (exported for the bench, which runs nginx the same way). */
export function nginxConf(prefix: string, port: number, opts: StartNginxOptions): string {
  const tmp = join(prefix, "tmp");
  // as root nginx's workers would run as nobody and could not read the tests' 0700 temp directories;
  // unprivileged, the user directive is ignored (with a warning), so it is only written for root
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  return `${user}worker_processes ${opts.workers ?? 1};
error_log ${join(prefix, "error.log")} warn;
pid ${join(prefix, "nginx.pid")};
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  client_body_temp_path ${tmp}/body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  access_log ${join(prefix, "access.log")} ${opts.logFormat ?? "combined"};
  ${opts.http ?? ""}
  server {
    listen 127.0.0.1:${port};
    ${opts.server}
  }
}
`;
}

export async function startNginx(prefix: string, opts: StartNginxOptions): Promise<TestNginx> {
  const bin = nginxBinary();
  if (!bin) throw new Error("nginx is not installed (Debian: apt-get install -y nginx)");
  mkdirSync(join(prefix, "tmp"), { recursive: true });
  const port = opts.port ?? (await freePort());
  const conf = join(prefix, "nginx.conf");
  writeFileSync(conf, nginxConf(prefix, port, opts));
  const base = ["-p", prefix, "-c", conf, "-e", join(prefix, "error.log")];
  const proc = spawn(bin, [...base, "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}) at start: ${stderr}`);
    try {
      await fetch(`${url}/`, { signal: AbortSignal.timeout(500) });
      break;
    } catch {
      if (Date.now() > deadline) {
        proc.kill("SIGKILL");
        throw new Error(`nginx did not answer on ${url}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  truncateSync(join(prefix, "access.log"), 0); // the readiness probe is no test request
  const signal = (s: NodeJS.Signals): void => void proc.kill(s);
  return {
    port,
    url,
    prefix,
    accessLog: join(prefix, "access.log"),
    conf,
    proc,
    reopen: () => signal("SIGUSR1"),
    reload: () => signal("SIGHUP"),
    test() {
      const r = spawnSync(bin, [...base, "-t"], { encoding: "utf8" });
      return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGQUIT");
      const t = setTimeout(() => proc.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
