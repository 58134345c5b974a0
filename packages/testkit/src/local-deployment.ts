// A real PREPcast deployment on loopback: one publisher process and N receiver processes, set up
// with the built CLIs exactly as an operator would (init, edit config, run). Used by the
// end-to-end tests and by `npm run demo`; it only spawns the apps' bins, it does not import them.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort, waitFor } from "./loopback";
import { cli, PUBLISHER_BIN, RECEIVER_BIN } from "./run-cli";

export { cli, cliAsync, PUBLISHER_BIN, RECEIVER_BIN, REPO, runAsync } from "./run-cli";
export { freePort, waitFor } from "./loopback";

/**
 * Waits for a service's /readyz. Fails at once if the process exits first, and either way the error
 * carries the end of the service's log: "fetch failed" alone says nothing about why.
 */
async function waitUntilReady(what: string, proc: ChildProcess, url: string, log: () => string, timeoutMs = 45_000): Promise<void> {
  const tail = () => `\n--- ${what} log (last 3000 characters) ---\n${log().slice(-3000)}`;
  try {
    await waitFor(
      `${what} ready`,
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new ExitedError(`${what} exited (${proc.exitCode ?? proc.signalCode}) before it was ready`);
        return (await fetch(url)).ok;
      },
      timeoutMs,
      100,
      (e) => e instanceof ExitedError,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}${tail()}`);
  }
}

class ExitedError extends Error {}

/**
 * How the publisher reaches a receiver: gRPC on its push port, WebSocket on a listener of its own
 * (`push.websocket: { listen }`), or WebSocket on the site's HTTPS port (`push.websocket: true`,
 * with `site.tls`: the site then serves https).
 */
export type ClusterTransport = "grpc" | "websocket" | "websocket-site";

export interface ReceiverNode {
  id: string;
  dir: string;
  config: string;
  transport: ClusterTransport;
  pushPort: number;
  wsPort: number;
  sitePort: number;
  adminPort: number;
  identityPublicKey: string;
  tlsFingerprint: string;
  proc: ChildProcess | null;
  log: string;
}

/** `prep-publisher init` of the publisher "ople" in `pubDir`. */
export function initPublisher(pubDir: string, opts: { rootKeys?: { n: number; threshold: number } } = {}): void {
  const rootSet = opts.rootKeys ? ["--root-keys", String(opts.rootKeys.n), "--threshold", String(opts.rootKeys.threshold)] : [];
  cli(PUBLISHER_BIN, ["init", "--dir", pubDir, "--id", "ople", ...rootSet, "--json"]);
}

/**
 * `prep-receiver init` of receiver `id` in `dir`, a sibling of the publisher's `pub` directory
 * (it trusts ../pub/root.pub, or `trust`, and ../pub/identity.pub), its listeners moved to the given loopback
 * ports; `transport` picks its push listener, `siteWorkers` (when given) its site workers.
 */
export function initReceiver(
  dir: string,
  id: string,
  ports: Pick<ReceiverNode, "pushPort" | "wsPort" | "sitePort" | "adminPort">,
  opts: { transport?: ClusterTransport; siteWorkers?: number; trust?: string } = {},
): Pick<ReceiverNode, "config" | "identityPublicKey" | "tlsFingerprint"> {
  const init = cli(RECEIVER_BIN, [
    "init",
    "--dir",
    dir,
    "--id",
    id,
    "--trust",
    opts.trust ?? "../pub/root.pub",
    "--publisher-key",
    "../pub/identity.pub",
    "--publisher-id",
    "ople",
    "--allow",
    "127.0.0.1/32",
    "--json",
  ]).json;
  const config = path.join(dir, "receiver.yaml");
  const transport = opts.transport ?? "grpc";
  let yaml = fs.readFileSync(config, "utf8");
  const websocket =
    transport === "websocket" ? `websocket: { listen: 127.0.0.1:${ports.wsPort} }` : transport === "websocket-site" ? "websocket: true" : "websocket: false";
  yaml = yaml
    .replace("listen: 0.0.0.0:8730", `listen: 127.0.0.1:${ports.pushPort}`)
    .replace("websocket: false", websocket)
    .replace("listen: 0.0.0.0:80", `listen: 127.0.0.1:${ports.sitePort}`)
    .replace("listen: 127.0.0.1:8731", `listen: 127.0.0.1:${ports.adminPort}`);
  if (opts.siteWorkers !== undefined) yaml = yaml.replace("workers: 0", `workers: ${opts.siteWorkers}`);
  if (transport === "websocket-site") {
    // the site's own (public) certificate, distinct from the push certificate init made
    const made = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "site.key",
        "-out",
        "site.crt",
        "-days",
        "30",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ],
      { cwd: dir, encoding: "utf8" },
    );
    if (made.status !== 0) throw new Error(`openssl could not make the site certificate: ${made.stderr}`);
    fs.chmodSync(path.join(dir, "site.key"), 0o600);
    yaml = yaml.replace("  # tls: { cert: ./site.crt, key: ./site.key }", "  tls: { cert: ./site.crt, key: ./site.key }");
  }
  fs.writeFileSync(config, yaml);
  return { config, identityPublicKey: init.identityPublicKey, tlsFingerprint: init.tlsFingerprint };
}

/** The publisher.yaml `init` wrote, its admin listener on `adminPort`, pinging every `pingSeconds`, the registry left open for registryYaml(). */
export function publisherYaml(initYaml: string, adminPort: number, pingSeconds: number): string {
  return initYaml.replace("127.0.0.1:8740", `127.0.0.1:${adminPort}`).replace("receivers: []", `pingSeconds: ${pingSeconds}\nreceivers:`);
}

/**
 * The `receivers:` entries for `nodes`, each reached over its transport; with `publicUrl` (the
 * default) a node on plain http gets its site as publicUrl, which the publisher then probes.
 */
export function registryYaml(
  nodes: Array<
    Pick<ReceiverNode, "id" | "transport" | "pushPort" | "tlsFingerprint" | "identityPublicKey"> & Partial<Pick<ReceiverNode, "wsPort" | "sitePort">>
  >,
  opts: { publicUrl?: boolean } = {},
): string {
  let out = "";
  for (const r of nodes) {
    out += `  - id: ${r.id}\n    name: Receptor ${r.id}\n    transport: ${r.transport === "grpc" ? "grpc" : "websocket"}\n`;
    out +=
      r.transport === "websocket"
        ? `    address: wss://127.0.0.1:${r.wsPort}/prepcast/v1/push\n`
        : r.transport === "websocket-site"
          ? `    address: wss://127.0.0.1:${r.sitePort}/prepcast/v1/push\n`
          : `    address: 127.0.0.1:${r.pushPort}\n`;
    // (no publicUrl for the https site: its test certificate is not one the probe trusts)
    out += `    tlsFingerprint: ${r.tlsFingerprint}\n    identityPublicKey: ${r.identityPublicKey}\n${r.transport === "websocket-site" || opts.publicUrl === false ? "" : `    publicUrl: http://127.0.0.1:${r.sitePort}/\n`}`;
  }
  return out;
}

/** A publisher and receivers on 127.0.0.1 with free ports, TLS and pinned keys, in a temp directory. */
export class Cluster {
  readonly dir: string;
  readonly pubDir: string;
  readonly pubConfig: string;
  receivers: ReceiverNode[] = [];
  publisher: ChildProcess | null = null;
  adminPort = 0;
  /** the operator token of the publisher's admin listener (dashboard login, API), when create() made one */
  adminToken: string | null = null;
  publisherLog = "";

  private constructor(dir?: string) {
    this.dir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-e2e-"));
    fs.mkdirSync(this.dir, { recursive: true });
    this.pubDir = path.join(this.dir, "pub");
    this.pubConfig = path.join(this.pubDir, "publisher.yaml");
  }

  /**
   * `adminToken`: give the publisher's admin listener a random operator token (admin.tokenFile,
   * pub/admin.token), so its dashboard can be logged into; status() and the CLIs then send it.
   */
  static async create(
    spec: Array<{ id: string; transport: ClusterTransport; siteWorkers?: number }>,
    opts: { dir?: string; pingSeconds?: number; adminToken?: boolean; rootKeys?: { n: number; threshold: number } } = {},
  ): Promise<Cluster> {
    const c = new Cluster(opts.dir);
    // rootKeys: a root set (root-1.key … root-n.key, root.json + root.sig), which the receivers pin
    initPublisher(c.pubDir, opts.rootKeys ? { rootKeys: opts.rootKeys } : {});
    c.adminPort = await freePort();
    for (const s of spec) {
      const dir = path.join(c.dir, s.id);
      const ports = { pushPort: await freePort(), wsPort: await freePort(), sitePort: await freePort(), adminPort: await freePort() };
      const init = initReceiver(dir, s.id, ports, {
        transport: s.transport,
        siteWorkers: s.siteWorkers ?? 1,
        ...(opts.rootKeys ? { trust: "./root.json" } : {}),
      });
      // a root set is pinned from the receiver's own copy, as handed out at the ceremony: later root versions reach it only through cuts
      if (opts.rootKeys) for (const f of ["root.json", "root.sig"]) fs.copyFileSync(path.join(c.pubDir, f), path.join(dir, f));
      c.receivers.push({ id: s.id, dir, transport: s.transport, ...ports, ...init, proc: null, log: "" });
    }
    let pub = publisherYaml(fs.readFileSync(c.pubConfig, "utf8"), c.adminPort, opts.pingSeconds ?? 2);
    if (opts.adminToken) {
      c.adminToken = randomBytes(24).toString("base64url");
      fs.writeFileSync(path.join(c.pubDir, "admin.token"), `${c.adminToken}\n`, { mode: 0o600 });
      const commented = /^ {2}# tokenFile: \.\/admin\.token.*$/m;
      if (!commented.test(pub)) throw new Error("the publisher's example config has no `# tokenFile: ./admin.token` line to enable");
      pub = pub.replace(commented, "  tokenFile: ./admin.token");
    }
    pub += registryYaml(c.receivers);
    fs.writeFileSync(c.pubConfig, pub);
    return c;
  }

  receiver(id: string): ReceiverNode {
    return this.receivers.find((r) => r.id === id)!;
  }

  async startReceiver(r: ReceiverNode, env: NodeJS.ProcessEnv = process.env): Promise<void> {
    const proc = spawn(process.execPath, [RECEIVER_BIN, "run", "--config", r.config], { stdio: ["ignore", "pipe", "pipe"], env });
    proc.stdout!.on("data", (d) => (r.log += d));
    proc.stderr!.on("data", (d) => (r.log += d));
    r.proc = proc;
    await waitUntilReady(`receiver ${r.id}`, proc, `http://127.0.0.1:${r.adminPort}/readyz`, () => r.log);
  }

  async startPublisher(env: NodeJS.ProcessEnv = process.env): Promise<void> {
    const proc = spawn(process.execPath, [PUBLISHER_BIN, "run", "--config", this.pubConfig], { stdio: ["ignore", "pipe", "pipe"], env });
    proc.stdout!.on("data", (d) => (this.publisherLog += d));
    proc.stderr!.on("data", (d) => (this.publisherLog += d));
    this.publisher = proc;
    await waitUntilReady("publisher", proc, `http://127.0.0.1:${this.adminPort}/readyz`, () => this.publisherLog);
  }

  async status(): Promise<any> {
    return (
      await fetch(`http://127.0.0.1:${this.adminPort}/api/status`, { headers: this.adminToken ? { authorization: `Bearer ${this.adminToken}` } : {} })
    ).json();
  }

  push(cutDir: string, extra: string[] = []): ReturnType<typeof cli> {
    return cli(PUBLISHER_BIN, ["push", cutDir, "--config", this.pubConfig, "--timeout", "90", "--json", ...extra]);
  }

  async kill(r: ReceiverNode, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = r.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once("exit", resolve));
    p.kill(signal);
    await exited;
    r.proc = null;
  }

  async stop(): Promise<void> {
    const all = [...this.receivers.map((r) => r.proc), this.publisher].filter((p): p is ChildProcess => !!p && p.exitCode === null);
    await Promise.all(
      all.map(
        (p) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => p.kill("SIGKILL"), 5000);
            p.once("exit", () => {
              clearTimeout(t);
              resolve();
            });
            p.kill("SIGTERM");
          }),
      ),
    );
  }

  /**
   * A second publisher made from this one's files (keys, keysets, config; not its state), on its
   * own admin port with an empty inbox: what an attacker holding copies of the OPLE's files runs.
   * `files` (names in pub/) are copied from `from` instead, e.g. a stolen key set kept aside.
   */
  async publisherCopy(name: string, opts: { from?: string; files?: string[] } = {}): Promise<{ dir: string; config: string }> {
    const dir = path.join(this.dir, name);
    fs.cpSync(this.pubDir, dir, { recursive: true, filter: (src) => src !== path.join(this.pubDir, "state") && src !== path.join(this.pubDir, "inbox") });
    for (const f of opts.files ?? []) fs.copyFileSync(path.join(opts.from ?? this.pubDir, f), path.join(dir, f));
    const config = path.join(dir, "publisher.yaml");
    fs.writeFileSync(config, fs.readFileSync(this.pubConfig, "utf8").replace(`127.0.0.1:${this.adminPort}`, `127.0.0.1:${await freePort()}`));
    fs.mkdirSync(path.join(dir, "inbox"), { recursive: true });
    return { dir, config };
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  cleanup(): void {
    if (!process.env.PREPCAST_KEEP_E2E) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
