// podman from the tests, with the settings this kind of machine needs (infra/podman/podman.sh has
// the same, for the shell scripts): the runc runtime (crun refuses cgroup v1) and fixed ulimits
// (raising them is refused). Every call is bounded in time.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot as REPO } from "./repo";

const RUNTIME = process.env.PREPCAST_PODMAN_RUNTIME ?? "runc";
const ULIMITS = (process.env.PREPCAST_PODMAN_ULIMITS ?? "--ulimit nofile=1024:1024 --ulimit nproc=1024:1024").split(/\s+/).filter(Boolean);

export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

function argv(args: string[]): string[] {
  const [sub, ...rest] = args;
  return ["--runtime", RUNTIME, sub!, ...(sub === "run" || sub === "create" || sub === "build" ? ULIMITS : []), ...rest];
}

/** Runs podman to completion; throws with its output unless `allowFail`. */
export function podman(args: string[], opts: { allowFail?: boolean; timeoutMs?: number; input?: string } = {}): PodmanResult {
  const r = spawnSync("podman", argv(args), {
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 64 << 20,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  const res = { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? (r.error ? String(r.error) : "") };
  if (res.code !== 0 && !opts.allowFail) throw new Error(`podman ${args.join(" ")} exited ${res.code}\n${res.stdout.slice(-2000)}\n${res.stderr.slice(-2000)}`);
  return res;
}

/** podman without waiting (e.g. `podman wait`), for tests that act meanwhile. */
export function podmanAsync(args: string[], timeoutMs = 120_000): Promise<PodmanResult> {
  return new Promise((resolve) => {
    const p = spawn("podman", argv(args), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.once("exit", (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export function podmanAvailable(): boolean {
  return spawnSync("podman", ["--version"], { encoding: "utf8" }).status === 0;
}

export function imageExists(ref: string): boolean {
  return podman(["image", "exists", ref], { allowFail: true }).code === 0;
}

/** The release version: the images are tagged prepcast/<app>:<version> by infra/podman/build-image.sh and npm run release. */
export const VERSION: string = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version;
export const RECEIVER_IMAGE = process.env.PREPCAST_RECEIVER_IMAGE ?? `localhost/prepcast/receiver:${VERSION}`;
export const PUBLISHER_IMAGE = process.env.PREPCAST_PUBLISHER_IMAGE ?? `localhost/prepcast/publisher:${VERSION}`;

/**
 * Whether the container suites can run here. `npm run test:containers` (PREPCAST_CONTAINERS=1)
 * makes a missing podman or image a failure instead of a skip, so CI cannot pass by skipping.
 */
export function containerSuitesReady(images: string[]): { ok: true } | { ok: false; why: string } {
  const why = !podmanAvailable()
    ? "podman is not installed (apt-get install -y podman runc debootstrap)"
    : images
        .filter((i) => !imageExists(i))
        .map((i) => `image ${i} is missing (npm run release, or infra/podman/build-image.sh)`)
        .join("; ");
  if (!why) return { ok: true };
  if (process.env.PREPCAST_CONTAINERS === "1") throw new Error(`the container suites cannot run: ${why}`);
  return { ok: false, why };
}
