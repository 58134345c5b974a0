// A publisher service and receiver agents in this process, over real gRPC + TLS on 127.0.0.1,
// set up with the real `init` commands (keys, certificates, configs) as an operator would.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createLogger } from "@prepcast/runtime";
import { freePort } from "@prepcast/testkit";
import { PublisherService, loadPublisherConfig, type PublisherServiceOptions } from "@prepcast/publisher";
import { ReceiverAgent, loadReceiverConfig, type ReceiverAgentOptions } from "@prepcast/receiver";

const REPO = path.resolve(__dirname, "..", "..", "..");
const PUBLISHER_BIN = path.join(REPO, "apps/publisher/bin/prep-publisher.js");
const RECEIVER_BIN = path.join(REPO, "apps/receiver/bin/prep-receiver.js");

function cli(bin: string, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
}

export interface Node {
  id: string;
  dir: string;
  config: string;
  pushPort: number;
  identityPublicKey: string;
  tlsFingerprint: string;
  agent: ReceiverAgent | null;
  /** The transport the publisher's registry names for it (default grpc). */
  transport?: string;
}

const quiet = () => createLogger({ name: "test", level: "silent" } as Parameters<typeof createLogger>[0]);

export class InProcessCluster {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-delta-it-"));
  readonly pubDir = path.join(this.dir, "pub");
  readonly nodes = new Map<string, Node>();
  publisher: PublisherService | null = null;

  constructor() {
    cli(PUBLISHER_BIN, ["init", "--dir", this.pubDir, "--id", "ople", "--json"]);
  }

  async addReceiver(id: string): Promise<Node> {
    const dir = path.join(this.dir, id);
    const init = cli(RECEIVER_BIN, ["init", "--dir", dir, "--id", id, "--trust", "../pub/root.pub", "--publisher-key", "../pub/identity.pub", "--publisher-id", "ople", "--allow", "127.0.0.1/32", "--json"]);
    const node: Node = { id, dir, config: path.join(dir, "receiver.yaml"), pushPort: await freePort(), identityPublicKey: String(init.identityPublicKey), tlsFingerprint: String(init.tlsFingerprint), agent: null };
    const yaml = fs
      .readFileSync(node.config, "utf8")
      .replace(/listen: [0-9.]+:8730/, `listen: 127.0.0.1:${node.pushPort}`)
      .replace(/listen: [0-9.]+:80\b/, `listen: 127.0.0.1:${await freePort()}`)
      .replace(/listen: 127\.0\.0\.1:8731/, `listen: 127.0.0.1:${await freePort()}`);
    fs.writeFileSync(node.config, yaml);
    this.nodes.set(id, node);
    return node;
  }

  node(id: string): Node {
    return this.nodes.get(id)!;
  }

  /** Starts a receiver agent in this process; `extra` adds agent options (e.g. more payload appliers). */
  async startReceiver(id: string, extra: Partial<Omit<ReceiverAgentOptions, "config">> = {}): Promise<ReceiverAgent> {
    const n = this.node(id);
    n.agent = await ReceiverAgent.start({ config: loadReceiverConfig(n.config, {}), site: false, log: quiet(), ...extra });
    return n.agent;
  }

  async stopReceiver(id: string): Promise<void> {
    const n = this.node(id);
    await n.agent?.stop();
    n.agent = null;
  }

  private template: string | undefined;

  /** (Re)starts the publisher service with every receiver added so far in its registry. */
  async startPublisher(extra: Partial<Omit<PublisherServiceOptions, "config">> = {}): Promise<PublisherService> {
    // init's publisher.yaml as written, before the first start rewrites it with the registry
    this.template ??= fs.readFileSync(path.join(this.pubDir, "publisher.yaml"), "utf8");
    let yaml = this.template.replace(/127\.0\.0\.1:8740/, `127.0.0.1:${await freePort()}`).replace("receivers: []", "pingSeconds: 1\nreceivers:");
    for (const n of this.nodes.values()) {
      yaml += `  - id: ${n.id}\n    name: Receptor ${n.id}\n    transport: ${n.transport ?? "grpc"}\n    address: 127.0.0.1:${n.pushPort}\n    tlsFingerprint: ${n.tlsFingerprint}\n    identityPublicKey: ${n.identityPublicKey}\n`;
    }
    const file = path.join(this.pubDir, "publisher.yaml");
    fs.writeFileSync(file, yaml);
    // the service dials with the transports its config was read with
    const config = loadPublisherConfig(file, {}, extra.transports ? { transports: extra.transports } : {});
    this.publisher = await PublisherService.start({ config, log: quiet(), ...extra });
    return this.publisher;
  }

  async stopPublisher(): Promise<void> {
    await this.publisher?.stop();
    this.publisher = null;
  }

  /** The publisher's audit records of one kind (offers carry encoding and base). */
  audit(kind: string): Array<Record<string, unknown>> {
    const lines = fs.readFileSync(path.join(this.pubDir, "state", "audit.log"), "utf8").trim().split("\n");
    return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.event === kind || r.kind === kind || r.type === kind);
  }

  async stop(): Promise<void> {
    await this.stopPublisher();
    for (const id of this.nodes.keys()) await this.stopReceiver(id);
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
