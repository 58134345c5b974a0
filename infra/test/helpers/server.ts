// A fresh "server" booting systemd, for following the systemd install guides word for word:
// infra/podman/server.Containerfile (Debian bookworm + systemd + Node.js 24 as NodeSource lays it
// out), run by podman with --systemd=always. Units with ProtectSystem=, PrivateTmp=, etc. need the
// container to hold CAP_SYS_ADMIN and no seccomp filter of its own (../shared recipes, checked here).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { docScript, waitFor, type DocScriptOptions } from "@prepcast/testkit";
import { imageExists, podman, podmanAsync, type PodmanResult } from "./podman";
import { repoPath } from "./repo";

export const SERVER_IMAGE = process.env.PREPCAST_SERVER_IMAGE ?? "localhost/prepcast/server:bookworm";

/** Builds the server image unless it exists (a few minutes: apt installs systemd). */
export function ensureServerImage(): void {
  if (imageExists(SERVER_IMAGE)) return;
  podman(["build", "--network", "host", "--pull=never", "-f", repoPath("infra/podman/server.Containerfile"), "-t", SERVER_IMAGE, repoPath("infra/podman")], {
    timeoutMs: 900_000,
  });
}

export class Server {
  private constructor(
    readonly name: string,
    private readonly scratch: string,
  ) {}

  /**
   * Boots a server. The first gets a network namespace of its own (slirp4netns: it reaches Debian's
   * mirror, nothing reaches it); `neighbour` joins that namespace, so two servers share one
   * loopback and nothing else (a pod would need a pause image this machine does not have).
   */
  static async boot(name: string, role: string, neighbour?: Server): Promise<Server> {
    podman(["rm", "--force", name], { allowFail: true });
    const network = neighbour ? `container:${neighbour.name}` : "slirp4netns";
    podman([
      "run",
      "-d",
      "--name",
      name,
      ...(neighbour ? [] : ["--hostname", role]),
      "--network",
      network,
      "--systemd=always",
      "--cap-add",
      "SYS_ADMIN",
      "--security-opt",
      "seccomp=unconfined",
      SERVER_IMAGE,
    ]);
    const server = new Server(name, fs.mkdtempSync(path.join(os.tmpdir(), `prepcast-${role}-`)));
    await waitFor(
      `${name}: systemd up`,
      () => /^(running|degraded)/.test(server.exec(["systemctl", "is-system-running"], { allowFail: true }).stdout.trim()),
      120_000,
      500,
    );
    return server;
  }

  exec(args: string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): PodmanResult {
    return podman(["exec", this.name, ...args], opts);
  }

  sh(script: string, opts: { allowFail?: boolean; timeoutMs?: number } = {}): PodmanResult {
    return this.exec(["bash", "-c", script], opts);
  }

  /** Copies a host file or directory into the server (as root), creating the parent directory. */
  put(hostPath: string, serverPath: string): void {
    this.exec(["mkdir", "-p", path.posix.dirname(serverPath)]);
    podman(["cp", hostPath, `${this.name}:${serverPath}`]);
  }

  /** Copies a file out of the server to a host path (the courier between two machines). */
  get(serverPath: string, hostPath: string): void {
    podman(["cp", `${this.name}:${serverPath}`, hostPath]);
  }

  /** Runs a guide's shell blocks (docScript) as root in /root, the way its reader would. */
  async runGuide(guide: string, options: DocScriptOptions = {}, timeoutMs = 900_000): Promise<PodmanResult> {
    const script = path.join(this.scratch, `${path.basename(guide, ".md")}-${Date.now()}.sh`);
    fs.writeFileSync(script, docScript(fs.readFileSync(repoPath(guide), "utf8"), { source: guide, ...options }));
    this.put(script, "/root/guide.sh");
    const r = await podmanAsync(["exec", "--workdir", "/root", "-e", "HOME=/root", this.name, "bash", "/root/guide.sh"], timeoutMs);
    if (r.code !== 0) {
      const journal = this.sh("journalctl --no-pager -n 60 -o cat 2>/dev/null | tail -60", { allowFail: true }).stdout;
      const stderr = r.stderr
        .split("\n")
        .filter((l) => !/^debconf: |^\s*$/.test(l))
        .join("\n");
      throw new Error(
        `${guide} failed on ${this.name} (exit ${r.code})\n--- stderr ---\n${stderr.slice(-5000)}\n--- stdout ---\n${r.stdout.slice(-2000)}\n--- journal ---\n${journal}`,
      );
    }
    return r;
  }

  remove(): void {
    podman(["rm", "--force", "--time", "5", this.name], { allowFail: true, timeoutMs: 120_000 });
    fs.rmSync(this.scratch, { recursive: true, force: true });
  }
}
