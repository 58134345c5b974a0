// A publisher service and receiver agents in this process, over real gRPC + TLS on 127.0.0.1,
// set up with the real `init` commands (keys, certificates, configs) as an operator would: the
// files are testkit's (those its Cluster runs as processes), started here with the apps' classes.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createLogger } from "@prepcast/runtime";
import { freePort, initPublisher, initReceiver, publisherYaml, registryYaml } from "@prepcast/testkit";
import { PublisherService, loadPublisherConfig, type PublisherServiceOptions } from "@prepcast/publisher";
import { ReceiverAgent, loadReceiverConfig, type ReceiverAgentOptions } from "@prepcast/receiver";

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
    initPublisher(this.pubDir);
  }

  async addReceiver(id: string): Promise<Node> {
    const dir = path.join(this.dir, id);
    const pushPort = await freePort();
    const init = initReceiver(dir, id, { pushPort, wsPort: 0, sitePort: await freePort(), adminPort: await freePort() });
    const node: Node = { id, dir, pushPort, ...init, agent: null };
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
    let yaml =
      publisherYaml(this.template, await freePort(), 1) +
      registryYaml(
        [...this.nodes.values()].map((n) => ({ ...n, transport: "grpc" as const })),
        { publicUrl: false },
      );
    // a node registered under another transport name (a transport registered from outside: extending-apps.test.ts)
    for (const n of this.nodes.values())
      if (n.transport)
        yaml = yaml.replace(
          `  - id: ${n.id}\n    name: Receptor ${n.id}\n    transport: grpc\n`,
          `  - id: ${n.id}\n    name: Receptor ${n.id}\n    transport: ${n.transport}\n`,
        );
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
    const lines = fs
      .readFileSync(path.join(this.pubDir, "state", "audit.log"), "utf8")
      .trim()
      .split("\n");
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
