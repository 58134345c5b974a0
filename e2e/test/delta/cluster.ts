// A publisher service and receiver agents in this process, over real gRPC + TLS on 127.0.0.1,
// set up with the real `init` commands (keys, certificates, configs) as an operator would: the
// files are testkit's (those its Cluster runs as processes), started here with the apps' classes.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createLogger } from "@prepcast/runtime";
import { freePort, initPublisher, initReceiver, publisherYaml, registryYaml } from "@prepcast/testkit";
import { PublisherService, loadPublisherConfig } from "@prepcast/publisher";
import { ReceiverAgent, loadReceiverConfig } from "@prepcast/receiver";

export interface Node {
  id: string;
  dir: string;
  config: string;
  pushPort: number;
  identityPublicKey: string;
  tlsFingerprint: string;
  agent: ReceiverAgent | null;
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

  async startReceiver(id: string): Promise<ReceiverAgent> {
    const n = this.node(id);
    n.agent = await ReceiverAgent.start({ config: loadReceiverConfig(n.config, {}), site: false, log: quiet() });
    return n.agent;
  }

  async stopReceiver(id: string): Promise<void> {
    const n = this.node(id);
    await n.agent?.stop();
    n.agent = null;
  }

  private template: string | undefined;

  /** (Re)starts the publisher service with every receiver added so far in its registry. */
  async startPublisher(): Promise<PublisherService> {
    // init's publisher.yaml as written, before the first start rewrites it with the registry
    this.template ??= fs.readFileSync(path.join(this.pubDir, "publisher.yaml"), "utf8");
    const yaml = publisherYaml(this.template, await freePort(), 1) + registryYaml([...this.nodes.values()].map((n) => ({ ...n, transport: "grpc" as const })), { publicUrl: false });
    const file = path.join(this.pubDir, "publisher.yaml");
    fs.writeFileSync(file, yaml);
    this.publisher = await PublisherService.start({ config: loadPublisherConfig(file, {}), log: quiet() });
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
