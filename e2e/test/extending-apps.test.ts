// docs/extending.md at the level of the apps: what a third party registers from outside, without
// editing either app.
// - "A payload encoding": an encoding neither app knows ("gzip-example@1", the `full` payload
//   gzipped, support/gzip-example.ts): a PayloadEncoder in the publisher service's `encoders`, a
//   PayloadApplier in the receiver agent's `appliers`.
// - "A transport": a transport name the publisher does not know ("grpc-audited", gRPC counting
//   its dials) in the registry `loadPublisherConfig` and the service are given.
// Real gRPC + TLS on loopback, real stores, generated cuts.
import * as fs from "node:fs";
import * as path from "node:path";
import type { PrepcastError } from "@prepcast/protocol";
import { compareTrees, generateCut } from "@prepcast/testkit";
import { checkEncoders, defaultEncoders, defaultTransports, loadPublisherConfig, type PayloadEncoder, type PublisherTransport } from "@prepcast/publisher";
import { grpcTransport } from "@prepcast/transport";
import { deltaAppliers } from "@prepcast/receiver";
import { ENCODING_FULL_ZSTD } from "@prepcast/delta";
import { InProcessCluster } from "./delta/cluster";
import { GZIP_EXAMPLE, applyGzipExample, gzipExample } from "./support/gzip-example";

jest.setTimeout(60_000);

const cluster = new InProcessCluster();
const cutsDir = path.join(cluster.dir, "cuts");
const cutDir = (k: number) => path.join(cutsDir, `c${k}`, `cut-${String(k).padStart(4, "0")}`);
const offersOf = (sequence: number) =>
  Object.fromEntries(
    cluster
      .audit("offer")
      .map((r) => r.data as { receiver: string; sequence: number; encoding: string })
      .filter((o) => o.sequence === sequence)
      .map((o) => [o.receiver, o.encoding]),
  );

/** A transport registered under a new name: gRPC underneath, counting the publisher's dials. */
const dials: string[] = [];
const grpcBase = defaultTransports().find((t) => t.name === "grpc")!;
const grpcAudited: PublisherTransport = {
  ...grpcBase,
  name: "grpc-audited",
  create() {
    const inner = grpcTransport();
    return {
      kind: "grpc-audited",
      listen: (o, on) => inner.listen(o, on),
      connect: (o) => {
        dials.push(`${o.host}:${o.port}`);
        return inner.connect(o);
      },
    };
  },
};

beforeAll(async () => {
  await generateCut({ outDir: path.join(cutsDir, "c1"), k: 1, scale: "small" });
  for (const id of ["knows", "plain", "audited"]) await cluster.addReceiver(id);
  cluster.node("audited").transport = "grpc-audited";
});

afterAll(async () => {
  await cluster.stop();
  cluster.cleanup();
});

test("an encoding and a transport registered from outside: each used where it applies, the built-in ones elsewhere", async () => {
  await cluster.startReceiver("knows", { appliers: { ...deltaAppliers(), [GZIP_EXAMPLE]: applyGzipExample } });
  await cluster.startReceiver("plain");
  await cluster.startReceiver("audited");
  // the encoding first in preference, ahead of the built-in ones; the transport beside the built-in ones
  const pub = await cluster.startPublisher({ encoders: [gzipExample, ...defaultEncoders()], transports: [...defaultTransports(), grpcAudited] });
  await pub.publish(cutDir(1));
  const deadline = Date.now() + 30_000;
  while (pub.status().receivers.some((r) => r.live?.sequence !== 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(offersOf(1)).toEqual({ knows: GZIP_EXAMPLE, plain: ENCODING_FULL_ZSTD, audited: ENCODING_FULL_ZSTD });
  // only the receiver registered with grpc-audited was dialled through it
  expect(new Set(dials)).toEqual(new Set([`127.0.0.1:${cluster.node("audited").pushPort}`]));
  expect(pub.status().receivers.find((r) => r.id === "audited")).toMatchObject({
    transport: "grpc-audited",
    address: `127.0.0.1:${cluster.node("audited").pushPort}`,
  });
  for (const id of ["knows", "plain", "audited"]) {
    const live = cluster.node(id).agent!.store.live();
    expect(live?.record.sequence).toBe(1);
    expect((await compareTrees(cutDir(1), live!.siteDir)).differences).toEqual([]);
  }
  // the stream was built once, in the publisher's stream cache, under its encoding's name
  expect(fs.readdirSync(path.join(cluster.pubDir, "state", "deltas")).filter((f) => f.endsWith(".gzip-example_1.bin"))).toHaveLength(1);
});

test("a receiver naming a transport the publisher does not know is refused when the config is read, with the known ones", () => {
  const file = path.join(cluster.pubDir, "publisher.yaml");
  const read = () => {
    try {
      loadPublisherConfig(file, {});
    } catch (e) {
      return `${(e as PrepcastError).code}: ${(e as Error).message}`;
    }
    return "accepted";
  };
  // the config as the cluster wrote it names grpc-audited for one receiver: the default registry refuses it
  expect(read()).toMatch(/^CONFIG_INVALID: [^]*receivers\.2\.transport[^]*unknown transport "grpc-audited" \(this publisher knows grpc, websocket\)/);
  expect(loadPublisherConfig(file, {}, { transports: [...defaultTransports(), grpcAudited] }).receiverEntries.map((r) => r.transport)).toEqual([
    "grpc",
    "grpc",
    "grpc-audited",
  ]);
});

test("a bad encoder registration is refused before the service starts, with what to change", () => {
  const refuse = (list: PayloadEncoder[]) => {
    try {
      checkEncoders(list);
    } catch (e) {
      return `${(e as PrepcastError).code}: ${(e as Error).message}`;
    }
    return "accepted";
  };
  expect(refuse([gzipExample, ...defaultEncoders()])).toBe("accepted");
  expect(refuse([gzipExample, gzipExample])).toBe(`CONFIG_INVALID: payload encoder "${GZIP_EXAMPLE}" is registered twice`);
  expect(refuse([{ ...gzipExample, encoding: "full" }])).toBe('CONFIG_INVALID: payload encoder "full" has an invalid name');
  expect(refuse([{ ...gzipExample, encoding: "Gzip Example" }])).toBe('CONFIG_INVALID: payload encoder "Gzip Example" has an invalid name');
});
