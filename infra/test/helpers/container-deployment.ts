// A PREPcast deployment as the operators run it with Docker, driven with podman: a publisher and
// receivers from the release images, with the compose file's hardening (read-only root, no
// capabilities, no new privileges, uid 10001, tini as PID 1), keys made by the images' own `init`,
// keys and config mounted read-only, state on volumes (host directories here, so the test can read
// the receivers' state from outside). Host networking with distinct loopback ports: nothing leaves
// 127.0.0.1.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort, waitFor } from "@prepcast/testkit";
import { podman, PUBLISHER_IMAGE, RECEIVER_IMAGE } from "./podman";

export const SERVICE_UID = 10001;
const PROCESS = "CONT-2024";

export interface ContainerReceiver {
  id: string;
  /** podman container name */
  name: string;
  transport: "grpc" | "websocket";
  /** host side: dir/etc = /etc/prepcast (read-only), dir/data = /var/lib/prepcast, dir/logs */
  dir: string;
  pushPort: number;
  wsPort: number;
  sitePort: number;
  adminPort: number;
  identityPublicKey: string;
  tlsFingerprint: string;
}

export interface ContainerPublisher {
  name: string;
  dir: string;
  adminPort: number;
}

/** The hardening every container gets (infra/docker/compose.yaml's x-hardening). */
export const HARDENING = [
  "--read-only",
  "--tmpfs",
  "/tmp",
  "--cap-drop",
  "ALL",
  "--security-opt",
  "no-new-privileges",
  "--user",
  `${SERVICE_UID}:${SERVICE_UID}`,
];

function ownedDir(dir: string, mode = 0o700): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.chownSync(dir, SERVICE_UID, SERVICE_UID);
  fs.chmodSync(dir, mode);
  return dir;
}

function lastJson(stdout: string): any {
  return JSON.parse(stdout.trim().split("\n").pop() ?? "");
}

export class ContainerDeployment {
  readonly receivers: ContainerReceiver[] = [];
  readonly publisher: ContainerPublisher;
  private readonly names = new Set<string>();

  private constructor(
    readonly dir: string,
    readonly prefix: string,
  ) {
    this.publisher = { name: `${prefix}-publisher`, dir: path.join(dir, "publisher"), adminPort: 0 };
  }

  /** Keys and configs for a publisher and `spec` receivers, made with the images' own `init`. */
  static async create(spec: Array<{ id: string; transport: "grpc" | "websocket" }>): Promise<ContainerDeployment> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-containers-"));
    fs.chmodSync(dir, 0o755);
    const d = new ContainerDeployment(dir, `prepcast-t${process.pid}`);
    const pub = d.publisher;
    for (const sub of ["etc", "state", "inbox", "logs"]) ownedDir(path.join(pub.dir, sub), sub === "etc" ? 0o750 : 0o700);
    pub.adminPort = await freePort();
    podman([
      "run",
      "--rm",
      ...HARDENING,
      "--network",
      "none",
      "-v",
      `${pub.dir}/etc:/etc/prepcast`,
      PUBLISHER_IMAGE,
      "init",
      "--dir",
      "/etc/prepcast/keys",
      "--id",
      "ople",
      "--process",
      PROCESS,
      "--json",
    ]);
    ownedDir(path.join(pub.dir, "etc", "receivers"), 0o750);
    for (const s of spec) {
      const r: ContainerReceiver = {
        id: s.id,
        name: `${d.prefix}-${s.id}`,
        transport: s.transport,
        dir: path.join(dir, s.id),
        pushPort: await freePort(),
        wsPort: await freePort(),
        sitePort: await freePort(),
        adminPort: await freePort(),
        identityPublicKey: "",
        tlsFingerprint: "",
      };
      ownedDir(path.join(r.dir, "etc"), 0o750);
      ownedDir(path.join(r.dir, "data"));
      ownedDir(path.join(r.dir, "logs"));
      const init = lastJson(
        podman([
          "run",
          "--rm",
          ...HARDENING,
          "--network",
          "none",
          "-v",
          `${r.dir}/etc:/etc/prepcast`,
          RECEIVER_IMAGE,
          "init",
          "--dir",
          "/etc/prepcast",
          "--id",
          s.id,
          "--process",
          PROCESS,
          "--publisher-id",
          "ople",
          "--allow",
          "127.0.0.1/32",
          "--json",
        ]).stdout,
      );
      r.identityPublicKey = init.identityPublicKey;
      r.tlsFingerprint = init.tlsFingerprint;
      // what the OPLE hands every difusor: root.pub and its identity key
      fs.copyFileSync(path.join(pub.dir, "etc/keys/root.pub"), path.join(r.dir, "etc/root.pub"));
      fs.copyFileSync(path.join(pub.dir, "etc/keys/identity.pub"), path.join(r.dir, "etc/publisher-identity.pub"));
      fs.writeFileSync(path.join(r.dir, "etc/receiver.yaml"), d.receiverYaml(r), { mode: 0o644 });
      // what the difusor hands the OPLE: its identity public key (the TLS fingerprint goes in the config)
      fs.copyFileSync(path.join(r.dir, "etc/identity.pub"), path.join(pub.dir, "etc/receivers", `${s.id}.pub`));
      d.receivers.push(r);
    }
    fs.writeFileSync(path.join(pub.dir, "etc/publisher.yaml"), d.publisherYaml(), { mode: 0o644 });
    return d;
  }

  private receiverYaml(r: ContainerReceiver): string {
    return [
      `id: ${r.id}`,
      "root: /var/lib/prepcast",
      `trust: { rootPublicKey: /etc/prepcast/root.pub, process: ${PROCESS}, channels: [produccion] }`,
      "identity: { secretKey: /etc/prepcast/identity.key }",
      "publisher: { id: ople, identityPublicKey: /etc/prepcast/publisher-identity.pub }",
      "push:",
      `  listen: 127.0.0.1:${r.pushPort}`,
      "  tls: { cert: /etc/prepcast/tls.crt, key: /etc/prepcast/tls.key }",
      "  allowlist: [127.0.0.1/32]",
      `  websocket: ${r.transport === "websocket" ? `{ listen: 127.0.0.1:${r.wsPort} }` : "false"}`,
      "site:",
      `  listen: 127.0.0.1:${r.sitePort}`,
      "  workers: 2",
      `admin: { listen: 127.0.0.1:${r.adminPort} }`,
      "retain: 3",
      "",
    ].join("\n");
  }

  private publisherYaml(): string {
    const lines = [
      "id: ople",
      `process: ${PROCESS}`,
      "channel: produccion",
      "keys: /etc/prepcast/keys",
      "identity: { secretKey: /etc/prepcast/keys/identity.key }",
      "state: /var/lib/prepcast-publisher",
      "inbox: /var/spool/prepcast/inbox",
      `admin: { listen: 127.0.0.1:${this.publisher.adminPort} }`,
      "pingSeconds: 2",
      "receivers:",
    ];
    for (const r of this.receivers) {
      lines.push(
        `  - id: ${r.id}`,
        `    name: Difusor ${r.id}`,
        `    transport: ${r.transport}`,
        `    address: ${r.transport === "websocket" ? `wss://127.0.0.1:${r.wsPort}/prepcast/v1/push` : `127.0.0.1:${r.pushPort}`}`,
        `    tlsFingerprint: ${r.tlsFingerprint}`,
        `    identityPublicKey: /etc/prepcast/receivers/${r.id}.pub`,
        `    publicUrl: http://127.0.0.1:${r.sitePort}/`,
      );
    }
    return `${lines.join("\n")}\n`;
  }

  receiver(id: string): ContainerReceiver {
    return this.receivers.find((r) => r.id === id)!;
  }

  private runArgs(name: string, adminPort: number, volumes: string[], image: string): string[] {
    // the images' HEALTHCHECK asks PREPCAST_HEALTH_URL; these containers' admin ports are not the defaults
    return [
      "run",
      "-d",
      "--name",
      name,
      ...HARDENING,
      "--network",
      "host",
      "-e",
      `PREPCAST_HEALTH_URL=http://127.0.0.1:${adminPort}/readyz`,
      ...volumes.flatMap((v) => ["-v", v]),
      image,
    ];
  }

  /** Creates and starts a receiver container, then waits until its HEALTHCHECK passes. */
  async startReceiver(r: ContainerReceiver): Promise<void> {
    this.names.add(r.name);
    podman(
      this.runArgs(
        r.name,
        r.adminPort,
        [`${r.dir}/etc:/etc/prepcast:ro`, `${r.dir}/data:/var/lib/prepcast`, `${r.dir}/logs:/var/log/prepcast`],
        RECEIVER_IMAGE,
      ),
    );
    await this.waitHealthy(r.name);
  }

  async startPublisher(): Promise<void> {
    const p = this.publisher;
    this.names.add(p.name);
    podman(
      this.runArgs(
        p.name,
        p.adminPort,
        [
          `${p.dir}/etc:/etc/prepcast:ro`,
          `${p.dir}/state:/var/lib/prepcast-publisher`,
          `${p.dir}/inbox:/var/spool/prepcast/inbox`,
          `${p.dir}/logs:/var/log/prepcast`,
        ],
        PUBLISHER_IMAGE,
      ),
    );
    await this.waitHealthy(p.name);
  }

  /** The image's own HEALTHCHECK, run on demand (podman runs it on a timer only under systemd). */
  healthy(name: string): boolean {
    return podman(["healthcheck", "run", name], { allowFail: true, timeoutMs: 20_000 }).code === 0;
  }

  async waitHealthy(name: string, timeoutMs = 60_000): Promise<void> {
    try {
      await waitFor(`${name} healthy`, () => this.running(name) && this.healthy(name), timeoutMs, 250);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- ${name} logs ---\n${this.logs(name).slice(-3000)}`);
    }
  }

  running(name: string): boolean {
    return podman(["inspect", "--format", "{{.State.Running}}", name], { allowFail: true }).stdout.trim() === "true";
  }

  /** SIGKILL to the container's process tree (podman kill), then wait until it is down. */
  kill(name: string): void {
    podman(["kill", "--signal", "KILL", name], { allowFail: true });
    podman(["wait", name], { allowFail: true, timeoutMs: 30_000 });
  }

  async start(name: string): Promise<void> {
    podman(["start", name]);
    await this.waitHealthy(name);
  }

  stop(name: string): void {
    podman(["stop", "--time", "20", name], { allowFail: true, timeoutMs: 40_000 });
  }

  logs(name: string): string {
    const r = podman(["logs", name], { allowFail: true });
    return r.stdout + r.stderr;
  }

  /** Drops a cut folder into the publisher's inbox the way the OPLE's tooling does: copy, then READY. */
  feed(cutDir: string, name = path.basename(cutDir)): void {
    const inbox = path.join(this.publisher.dir, "inbox");
    const target = path.join(inbox, name);
    fs.cpSync(cutDir, target, { recursive: true });
    fs.writeFileSync(path.join(target, "READY"), "");
    chownTree(target);
  }

  /** Runs a CLI command inside a running container, as its service user. */
  exec(name: string, args: string[], allowFail = false): ReturnType<typeof podman> {
    return podman(["exec", name, ...args], { allowFail });
  }

  async teardown(): Promise<void> {
    for (const name of this.names) podman(["rm", "--force", "--time", "5", name], { allowFail: true, timeoutMs: 60_000 });
    if (!process.env.PREPCAST_KEEP_CONTAINERS) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function chownTree(p: string): void {
  fs.chownSync(p, SERVICE_UID, SERVICE_UID);
  if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e));
}
