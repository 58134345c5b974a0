// The images as operators run them (npm run test:containers; CI builds the images first): a
// publisher and two receivers (gRPC and WebSocket) as hardened containers on loopback. Cuts go in
// through the publisher's inbox; receivers and the publisher are killed with SIGKILL at random
// points of the transfer and started again; everything must come back healthy by itself and
// converge, the live tree must always be exactly one signed cut, and every audit log must verify.
// PREPCAST_CONTAINER_KILLS sets the number of kills (default 6, about a minute, in .ci/run) and
// PREPCAST_CONTAINER_SCALE the cuts (default small; veracruz cuts, about 220 MB and 4,000 files,
// make the transfers long enough for kills to land mid-stream). The long run:
//   PREPCAST_CONTAINER_KILLS=50 PREPCAST_CONTAINER_SCALE=veracruz npm run test:containers -- -t containers
import * as fs from "node:fs";
import * as path from "node:path";
import { auditEntries, cutTime, expectLiveCutIsOneSignedCut, generateCut, liveCut, waitFor } from "@prepcast/testkit";
import { ContainerDeployment, HARDENING, SERVICE_UID, type ContainerReceiver } from "./helpers/container-deployment";
import { containerSuitesReady, podman, PUBLISHER_IMAGE, RECEIVER_IMAGE } from "./helpers/podman";

const KILLS = Number(process.env.PREPCAST_CONTAINER_KILLS ?? 6);
const SCALE = (process.env.PREPCAST_CONTAINER_SCALE ?? "small") as "small" | "veracruz";
const ready = containerSuitesReady([RECEIVER_IMAGE, PUBLISHER_IMAGE]);
const suite = ready.ok ? describe : describe.skip;
jest.setTimeout(KILLS * 240_000 + 600_000);

suite(`containers (${ready.ok ? `${RECEIVER_IMAGE}, ${PUBLISHER_IMAGE}` : `skipped: ${ready.why}`})`, () => {
  let d: ContainerDeployment;
  const bySequence = new Map<number, string>();
  let seed = Number(process.env.PREPCAST_SEED ?? Date.now()) >>> 0 || 1;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;

  beforeAll(async () => {
    d = await ContainerDeployment.create([
      { id: "a", transport: "grpc" },
      { id: "b", transport: "websocket" },
    ]);
  });
  afterAll(async () => {
    await d?.teardown();
  });

  const cutsDir = () => path.join(d.dir, "cuts");
  async function nextCut(seq: number): Promise<string> {
    // A cut per sequence, with scans (incompressible) so a transfer lasts long enough to be hit. The
    // contents come round again (cuts 1 to 3 of the series: the scans grow with every cut, and 50
    // growing veracruz cuts fill a disk), the corte never does: sequence N is the series' Nth 15 minutes.
    const cut = await generateCut({ outDir: path.join(cutsDir(), `seq-${seq}`), k: 1 + ((seq - 1) % 3), at: cutTime(seq).date, scale: SCALE, actas: true });
    bySequence.set(seq, cut.dir);
    return cut.dir;
  }

  /** Removes what no check needs any more: the test's copies of cuts older than `seq - 1` and the publisher's done inbox items. */
  function prune(seq: number): void {
    for (const [s, dir] of bySequence) if (s < seq - 1) fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    const done = path.join(d.publisher.dir, "inbox", ".done");
    for (const name of fs.existsSync(done) ? fs.readdirSync(done) : []) fs.rmSync(path.join(done, name), { recursive: true, force: true });
  }

  const stateOf = (r: ContainerReceiver) => ({ id: r.id, stateDir: path.join(r.dir, "data") });
  const liveState = (r: ContainerReceiver) => liveCut(stateOf(r));

  async function allLive(seq: number, timeoutMs = 180_000): Promise<void> {
    await waitFor(`every receiver live at ${seq}`, () => d.receivers.every((r) => liveState(r).sequence === seq), timeoutMs, 200).catch((e) => {
      throw new Error(
        `${(e as Error).message}: ${d.receivers.map((r) => `${r.id}=${liveState(r).sequence}`).join(" ")}\n--- publisher ---\n${d.logs(d.publisher.name).slice(-3000)}`,
      );
    });
  }

  async function checkInvariant(): Promise<void> {
    for (const r of d.receivers) await expectLiveCutIsOneSignedCut(stateOf(r), bySequence, true);
  }

  it("start hardened and healthy, and publish the first cut everywhere", async () => {
    for (const r of d.receivers) await d.startReceiver(r);
    await d.startPublisher();
    const inspect = JSON.parse(podman(["inspect", d.receivers[0]!.name]).stdout)[0];
    expect(inspect.Config.User).toBe("10001:10001");
    expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
    expect(inspect.HostConfig.CapDrop.length).toBeGreaterThan(0);
    expect(inspect.Config.Healthcheck.Test.join(" ")).toContain("PREPCAST_HEALTH_URL");
    // tini is PID 1 and the agent runs under it as the service user
    const ps = d.exec(d.receivers[0]!.name, ["cat", "/proc/1/cmdline"]).stdout.split("\0");
    expect(ps[0]).toBe("/usr/bin/tini");
    d.feed(await nextCut(1), "seq-1");
    await allLive(1);
    await checkInvariant();
  });

  it(`survive ${KILLS} SIGKILLs of a receiver or the publisher mid-transfer, and converge each time`, async () => {
    const phases: Record<string, number> = {};
    // the window to aim at: the watched receiver's own transfer-to-receipt time for the previous cut
    const windowOf = (r: ContainerReceiver, seq: number): number => {
      const at = (event: string) => Date.parse(auditEntries(stateOf(r)).find((e) => e.event === event && e.data?.sequence === seq)?.time ?? "");
      return Math.max(200, at("receipt_sent") - at("transfer_started") || 1000);
    };
    for (let i = 0; i < KILLS; i++) {
      const seq = i + 2;
      const dir = await nextCut(seq);
      // every third kill hits the publisher; the others alternate between the receivers
      const victim: ContainerReceiver | null = i % 3 === 2 ? null : d.receivers[i % 2]!;
      const name = victim ? victim.name : d.publisher.name;
      const watch = victim ?? d.receivers[0]!;
      const windowMs = windowOf(watch, seq - 1);
      d.feed(dir, `seq-${seq}`);
      const partial = path.join(watch.dir, "data", "partial", "partial.json");
      await waitFor(
        `the transfer of ${seq} to start`,
        () => (fs.existsSync(partial) && fs.readFileSync(partial, "utf8").includes(`"sequence":${seq},`)) || liveState(watch).sequence === seq,
        120_000,
        5,
      ).catch(() => undefined);
      // half the kills as soon as the transfer starts, the others anywhere in the transfer-to-receipt window
      if (i % 2 === 1) await new Promise((res) => setTimeout(res, Math.floor(random() * windowMs)));
      d.kill(name);
      const events = auditEntries(stateOf(watch))
        .filter((e) => e.data?.sequence === seq)
        .map((e) => e.event);
      const phase = `${victim ? "receiver" : "publisher"}:${liveState(watch).sequence === seq ? "after-live" : events.includes("received") ? "installing" : events.includes("transfer_started") ? "transferring" : "before-transfer"}`;
      phases[phase] = (phases[phase] ?? 0) + 1;
      await checkInvariant();
      await d.start(name);
      await allLive(seq);
      await checkInvariant();
      prune(seq);
    }
    expect(Object.values(phases).reduce((a, b) => a + b, 0)).toBe(KILLS);
    process.stdout.write(`container kill loop: ${KILLS} kills, phases ${JSON.stringify(phases)}\n`);
  });

  it("the served sites are the signed cuts, and every audit log verifies after a clean stop", async () => {
    for (const r of d.receivers) {
      const v = d.exec(r.name, ["prep-receiver", "verify-site", `http://127.0.0.1:${r.sitePort}/`, "--trust", "/etc/prepcast/root.pub", "--json"], true);
      expect({ id: r.id, code: v.code, out: v.stdout.slice(-500) }).toMatchObject({ code: 0 });
    }
    for (const r of d.receivers) d.stop(r.name);
    d.stop(d.publisher.name);
    for (const name of [...d.receivers.map((r) => r.name), d.publisher.name]) {
      expect({ name, exit: podman(["inspect", "--format", "{{.State.ExitCode}}", name]).stdout.trim() }).toEqual({ name, exit: "0" });
    }
    for (const r of d.receivers) {
      const v = podman(
        [
          "run",
          "--rm",
          ...HARDENING,
          "--network",
          "none",
          "-v",
          `${r.dir}/data:/var/lib/prepcast:ro`,
          RECEIVER_IMAGE,
          "audit",
          "verify",
          "--root",
          "/var/lib/prepcast",
          "--json",
        ],
        { allowFail: true },
      );
      expect({ id: r.id, code: v.code, out: v.stdout + v.stderr }).toMatchObject({ code: 0 });
    }
    const pv = podman(
      [
        "run",
        "--rm",
        ...HARDENING,
        "--network",
        "none",
        "-v",
        `${d.publisher.dir}/state:/var/lib/prepcast-publisher:ro`,
        PUBLISHER_IMAGE,
        "audit",
        "verify",
        "--log",
        "/var/lib/prepcast-publisher/audit.log",
        "--json",
      ],
      { allowFail: true },
    );
    expect({ code: pv.code, out: pv.stdout + pv.stderr }).toMatchObject({ code: 0 });
  });

  it("an invalid config stops the container with exit code 78 (no restart loop), naming the field", () => {
    const r = d.receivers[0]!;
    const bad = path.join(d.dir, "bad-etc");
    fs.cpSync(path.join(r.dir, "etc"), bad, { recursive: true });
    for (const f of [bad, ...fs.readdirSync(bad).map((n) => path.join(bad, n))]) fs.chownSync(f, SERVICE_UID, SERVICE_UID);
    fs.writeFileSync(path.join(bad, "receiver.yaml"), fs.readFileSync(path.join(r.dir, "etc/receiver.yaml"), "utf8").replace("retain: 3", "retain: -1"));
    const run = podman(
      ["run", "--rm", ...HARDENING, "--network", "none", "-v", `${bad}:/etc/prepcast:ro`, "-v", `${r.dir}/data:/var/lib/prepcast`, RECEIVER_IMAGE],
      { allowFail: true },
    );
    expect(run.code).toBe(78);
    expect(run.stderr + run.stdout).toContain("retain");
  });
});
