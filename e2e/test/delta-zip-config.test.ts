// delta-zip@1 (docs/protocol.md §9.4) turned on the way operators do it: `encodings: { deltaZip: true }`
// in publisher.yaml and in one difusor's receiver.yaml, real processes on loopback. The cuts' zip is
// written as the OPLE's PHP site writes it (cutgen zipDeflate "libzip"), so it rebuilds byte for byte.
// The difusor that turned it on is sent delta-zip@1, the other one delta-zstd@1; both go live with
// the exact cut, and the zip-aware one gets fewer bytes.
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, Cluster, compareTrees, generateCut, liveCut, PUBLISHER_BIN, RECEIVER_BIN, type GeneratedCut, type ReceiverNode } from "@prepcast/testkit";

jest.setTimeout(180_000);

const ON = "\nencodings:\n  deltaZip: true\n";

describe("encodings.deltaZip in both configs (real processes)", () => {
  let cluster: Cluster;
  const cuts: GeneratedCut[] = [];
  const offers = (sequence: number) =>
    Object.fromEntries(
      fs
        .readFileSync(path.join(cluster.pubDir, "state", "audit.log"), "utf8")
        .split("\n")
        .filter((l) => l.endsWith("}"))
        .map((l) => JSON.parse(l) as { event: string; data: { receiver: string; sequence: number; encoding: string; payloadSize: number } })
        .filter((e) => e.event === "offer" && e.data.sequence === sequence)
        .map((e) => [e.data.receiver, e.data]),
    );
  const live = (r: ReceiverNode) => liveCut({ id: r.id, stateDir: path.join(r.dir, "data") });

  beforeAll(async () => {
    cluster = await Cluster.create([
      { id: "zip", transport: "grpc" },
      { id: "plain", transport: "grpc" },
    ]);
    fs.appendFileSync(cluster.pubConfig, ON);
    fs.appendFileSync(cluster.receiver("zip").config, ON);
    for (let k = 1; k <= 2; k++) cuts.push(await generateCut({ outDir: path.join(cluster.dir, "cuts"), k, zipDeflate: "libzip" }));
    for (const r of cluster.receivers) await cluster.startReceiver(r);
    await cluster.startPublisher();
  });

  afterAll(async () => {
    await cluster?.stop();
    cluster?.cleanup();
  });

  test("the receiver that accepts it gets delta-zip@1, the other delta-zstd@1; both live with the exact cut", async () => {
    expect(cluster.push(cuts[0]!.dir).json).toMatchObject({ ok: true, sequence: 1, delivered: 2 });
    expect(cluster.push(cuts[1]!.dir).json).toMatchObject({ ok: true, sequence: 2, delivered: 2 });
    const sent = offers(2);
    expect(sent.zip).toMatchObject({ encoding: "delta-zip@1", base: 1 });
    expect(sent.plain).toMatchObject({ encoding: "delta-zstd@1", base: 1 });
    expect(sent.zip!.payloadSize).toBeLessThan(sent.plain!.payloadSize);
    for (const r of cluster.receivers) {
      const l = live(r);
      expect(l.sequence).toBe(2);
      const cmp = await compareTrees(cuts[1]!.dir, path.join(r.dir, "data", l.target!, "site"));
      expect(cmp.differences).toEqual([]);
    }
  });

  test("a misspelt switch is refused with the field named, on both sides (CONFIG_INVALID, exit 78)", () => {
    for (const [bin, file] of [
      [RECEIVER_BIN, cluster.receiver("plain").config],
      [PUBLISHER_BIN, cluster.pubConfig],
    ] as const) {
      const bad = path.join(path.dirname(file), "bad.yaml");
      fs.writeFileSync(bad, fs.readFileSync(file, "utf8").replace(ON, "") + "\nencodings:\n  deltaZap: true\n");
      const r = cli(bin, ["run", "--config", bad], { allowFail: true });
      expect(r.code).toBe(78);
      expect(r.stderr).toContain("error [CONFIG_INVALID]");
      expect(r.stderr).toMatch(/encodings(\.|: ).*deltaZap/);
    }
  });
});
