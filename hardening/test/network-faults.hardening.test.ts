// Long suite: network faults between real hosts. The publisher and two receivers each run in a
// network namespace this test creates (addresses 10.77.k.0/30 exist only inside them), joined by
// veth pairs shaped with tc netem (latency, jitter, loss, rate). During a transfer one link is cut
// for longer than the channel's keepalive: the receiver must converge, and the transfer must
// resume from its verified prefix rather than restart. Skipped (with the reason) where the
// environment does not allow `ip netns add`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Cluster, PUBLISHER_BIN, RECEIVER_BIN, compareTrees, generateCut, waitFor, type ReceiverNode } from "@prepcast/testkit";
import { auditEvents, liveState } from "./support/faults";

jest.setTimeout(600_000);

const tag = crypto.randomBytes(2).toString("hex");
const NS = { pub: `ph${tag}-pub`, r: [`ph${tag}-r1`, `ph${tag}-r2`] };
const NETEM = ["delay", "40ms", "10ms", "loss", "1%", "rate", "30mbit"];
let shaping = "";

/**
 * Latency, jitter, loss and rate on a link with tc netem. Where the kernel lacks sch_netem, loss
 * is made with iptables' statistic match and the rate (and queueing delay) with tbf instead.
 */
function shape(ns: string, dev: string): string {
  if (sh(["tc", "qdisc", "add", "dev", dev, "root", "netem", ...NETEM], { ns, allowFail: true }).status === 0) return `tc netem ${NETEM.join(" ")}`;
  sh(["tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", "30mbit", "burst", "64kbit", "latency", "400ms"], { ns });
  const loss = sh(["iptables", "-A", "INPUT", "-i", dev, "-m", "statistic", "--mode", "random", "--probability", "0.01", "-j", "DROP"], {
    ns,
    allowFail: true,
  });
  return `tbf rate 30mbit (latency ≤ 400 ms of queueing)${loss.status === 0 ? " + 1% random loss (iptables statistic)" : ""} — sch_netem is not available in this kernel`;
}

const LINK_CUT_MS = Number(process.env.PREPCAST_LINK_CUT_SECONDS ?? 60) * 1000;

function sh(cmd: string[], opts: { ns?: string; allowFail?: boolean } = {}): { status: number; out: string } {
  const argv = opts.ns ? ["ip", "netns", "exec", opts.ns, ...cmd] : cmd;
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 60_000 });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${argv.join(" ")} failed (${r.status}): ${out}`);
  return { status: r.status ?? -1, out };
}

function netnsAvailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root";
  if (spawnSync("ip", ["-V"]).status !== 0) return "ip (iproute2) is not installed: apt-get install -y iproute2";
  if (spawnSync("tc", ["-V"]).status !== 0) return "tc (iproute2) is not installed";
  const probe = `ph${tag}-probe`;
  const r = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (r.status !== 0) return `ip netns add is not permitted here: ${r.stderr.trim()}`;
  spawnSync("ip", ["netns", "del", probe]);
  return null;
}

const why = netnsAvailable();
const maybe = why ? test.skip : test;
if (why) console.warn(`network-namespace tests skipped: ${why}`);

describe("network faults between real hosts (network namespaces, tc netem)", () => {
  let cluster: Cluster | null = null;
  const procs: ChildProcess[] = [];

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    for (const ns of [NS.pub, ...NS.r]) spawnSync("ip", ["netns", "del", ns]);
    cluster?.cleanup();
  });

  function start(ns: string, bin: string, config: string, node: { log: string }): ChildProcess {
    const p = spawn("ip", ["netns", "exec", ns, process.execPath, bin, "run", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
    p.stdout!.on("data", (d) => (node.log += d));
    p.stderr!.on("data", (d) => (node.log += d));
    procs.push(p);
    return p;
  }

  maybe("network faults: shaped links (latency, loss, rate) and a link cut mid-transfer; every receiver converges and the cut transfer resumes", async () => {
    const t0 = Date.now();
    // --- the network: pub <-> r1, pub <-> r2, each a /30 inside our own namespaces
    for (const ns of [NS.pub, ...NS.r]) {
      sh(["ip", "netns", "add", ns]);
      sh(["ip", "link", "set", "lo", "up"], { ns });
    }
    NS.r.forEach((rns, i) => {
      const k = i + 1;
      sh(["ip", "link", "add", `p${k}${tag}`, "netns", NS.pub, "type", "veth", "peer", "name", "eth0", "netns", rns]);
      sh(["ip", "addr", "add", `10.77.${k}.1/30`, "dev", `p${k}${tag}`], { ns: NS.pub });
      sh(["ip", "link", "set", `p${k}${tag}`, "up"], { ns: NS.pub });
      sh(["ip", "addr", "add", `10.77.${k}.2/30`, "dev", "eth0"], { ns: rns });
      sh(["ip", "link", "set", "eth0", "up"], { ns: rns });
      shaping = shape(NS.pub, `p${k}${tag}`);
      shape(rns, "eth0");
    });

    // --- the deployment: configs from the usual init, then moved onto the namespace addresses
    cluster = await Cluster.create([
      { id: "r1", transport: "grpc" },
      { id: "r2", transport: "grpc" },
    ]);
    const c = cluster;
    c.receivers.forEach((r, i) => {
      const ip = `10.77.${i + 1}.2`;
      let y = fs.readFileSync(r.config, "utf8");
      y = y
        .replaceAll(`127.0.0.1:${r.pushPort}`, `${ip}:${r.pushPort}`)
        .replaceAll(`127.0.0.1:${r.sitePort}`, `${ip}:${r.sitePort}`)
        .replace("[127.0.0.1/32]", `[10.77.${i + 1}.1/32]`);
      fs.writeFileSync(r.config, y);
    });
    let py = fs.readFileSync(c.pubConfig, "utf8");
    c.receivers.forEach((r, i) => {
      const ip = `10.77.${i + 1}.2`;
      py = py.replaceAll(`127.0.0.1:${r.pushPort}`, `${ip}:${r.pushPort}`).replaceAll(`http://127.0.0.1:${r.sitePort}/`, `http://${ip}:${r.sitePort}/`);
    });
    fs.writeFileSync(c.pubConfig, py);
    const pubNode = { log: "" };
    c.receivers.forEach((r, i) => (r.proc = start(NS.r[i]!, RECEIVER_BIN, r.config, r)));
    await waitFor("receivers started", () => c.receivers.every((r) => auditEvents(r).some((e) => e.event === "agent_started")), 30_000);
    start(NS.pub, PUBLISHER_BIN, c.pubConfig, pubNode);
    await waitFor(
      "publisher started",
      () =>
        fs.existsSync(path.join(c.pubDir, "state", "audit.log")) &&
        fs.readFileSync(path.join(c.pubDir, "state", "audit.log"), "utf8").includes("service_started"),
      30_000,
    );
    const push = (dir: string) => {
      const p = spawn("ip", ["netns", "exec", NS.pub, process.execPath, PUBLISHER_BIN, "push", dir, "--config", c.pubConfig, "--timeout", "400", "--json"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      p.stdout!.on("data", (d) => (out += d));
      p.stderr!.on("data", (d) => (out += d));
      return new Promise<{ code: number; out: string }>((resolve) => p.once("exit", (code) => resolve({ code: code ?? -1, out })));
    };
    const bothLive = (seq: number) => c.receivers.every((r: ReceiverNode) => liveState(r).sequence === seq);

    try {
      // cut 1 over lossy, slow links
      const cutsDir = path.join(c.dir, "cuts");
      const cut1 = (await generateCut({ outDir: cutsDir, k: 1, scale: "small" })).dir;
      const t1 = Date.now();
      expect((await push(cut1)).code).toBe(0);
      await waitFor("cut 1 live on both", () => bothLive(1), 120_000, 200);
      const cut1Ms = Date.now() - t1;

      // cut 2 (15 MB): r1's link is cut for longer than the keepalive while it streams
      const cut2 = (await generateCut({ outDir: cutsDir, k: 2, scale: "small", actas: true })).dir;
      const t2 = Date.now();
      const pushing = push(cut2);
      const r1 = c.receivers[0]!;
      const partial = path.join(r1.dir, "data", "partial", "payload.bin");
      const cutAt = await waitFor(
        "r1 mid-transfer",
        () => {
          const size = fs.statSync(partial, { throwIfNoEntry: false })?.size ?? 0;
          return size > 2 * 1024 * 1024 ? size : null;
        },
        120_000,
        20,
      );
      sh(["ip", "link", "set", `p1${tag}`, "down"], { ns: NS.pub });
      await new Promise((r) => setTimeout(r, LINK_CUT_MS));
      sh(["ip", "link", "set", `p1${tag}`, "up"], { ns: NS.pub });
      const res = await pushing;
      expect(res.code).toBe(0);
      await waitFor("cut 2 live on both", () => bothLive(2), 300_000, 200);
      const cut2Ms = Date.now() - t2;
      for (const r of c.receivers) expect((await compareTrees(cut2, path.join(r.dir, "data", "current", "site"))).equal).toBe(true);
      const starts = auditEvents(r1)
        .filter((e) => e.event === "transfer_started" && e.data.sequence === 2)
        .map((e) => e.data.resumeOffset as number);
      console.log(
        `network faults: ${shaping} on every link, both directions; cut 1 live on both in ${cut1Ms} ms; r1's link cut for ${LINK_CUT_MS / 1000} s at ${cutAt} bytes; cut 2 live on both ${cut2Ms} ms after the push; r1 transfer starts at offsets ${JSON.stringify(starts)}; total ${Math.round((Date.now() - t0) / 1000)} s`,
      );
      // it resumed (a later session started at a non-zero offset), it did not restart from zero
      expect(starts.length).toBeGreaterThanOrEqual(2);
      expect(starts.slice(1).some((o) => o > 0)).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- publisher ---\n${pubNode.log.slice(-2000)}\n--- r1 ---\n${c.receivers[0]!.log.slice(-1500)}`);
    }
  });
});
