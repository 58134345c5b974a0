// Issue 13, "the last cut and the end of publication", with real processes on loopback: the OPLE
// signs a cut as final (push --final), the running service pushes it over the real channel, and
// the difusor's site, its /.well-known/prepcast.json, its agent's status and the publisher's
// monitoring all say so. The generated cuts carry 2024-06-02 cortes, so with today's clock an
// ordinary cut is long stale (the control below) and the call's default end of publication
// (2024-06-09 23:59 UTC-6) has already passed: "after the period" needs no clock tricks.
import * as fs from "node:fs";
import * as path from "node:path";
import { Cluster, PUBLISHER_BIN, RECEIVER_BIN, cli, generateCut, waitFor } from "@prepcast/testkit";

jest.setTimeout(180_000);

const DEFAULT_UNTIL = "2024-06-09T23:59:00-06:00";

describe("the final cut and the end of publication (real processes)", () => {
  let cluster: Cluster;
  let cutsDir: string;

  beforeAll(async () => {
    cluster = await Cluster.create([{ id: "uv-xalapa", transport: "grpc" }]);
    cutsDir = path.join(cluster.dir, "cuts");
    await cluster.startReceiver(cluster.receivers[0]!);
    await cluster.startPublisher();
  });

  afterAll(async () => {
    await cluster?.stop();
    cluster?.cleanup();
  });

  const site = () => `http://127.0.0.1:${cluster.receivers[0]!.sitePort}`;
  const agent = () => `http://127.0.0.1:${cluster.receivers[0]!.adminPort}`;
  const wellKnown = async () => (await (await fetch(`${site()}/.well-known/prepcast.json`)).json()) as Record<string, unknown>;
  const agentStatus = async () => (await (await fetch(`${agent()}/status.json`)).json()) as Record<string, any>;

  test("an ordinary cut with an old corte is stale (the control)", async () => {
    const { dir } = await generateCut({ outDir: cutsDir, k: 1, scale: "small" });
    expect(cluster.push(dir).json).toMatchObject({ ok: true, sequence: 1, delivered: 1, final: false, publishUntil: null });
    expect(await wellKnown()).toMatchObject({ sequence: 1, final: false, stale: true });
    expect(await agentStatus()).toMatchObject({ stale: true, final: null });
  });

  test("bad --final / --publish-until input is refused, naming the flag, before anything is signed", async () => {
    const { dir } = await generateCut({ outDir: cutsDir, k: 2, scale: "small" });
    const alone = cli(PUBLISHER_BIN, ["push", dir, "--config", cluster.pubConfig, "--publish-until", "2030-01-01T00:00:00-06:00", "--json"], {
      allowFail: true,
    });
    expect(alone.code).toBe(78); // CONFIG_INVALID, as for a bad --retract
    expect(alone.json).toMatchObject({ ok: false, code: "CONFIG_INVALID", where: "--publish-until" });
    const early = cli(PUBLISHER_BIN, ["push", dir, "--config", cluster.pubConfig, "--final", "--publish-until", "2024-06-01T00:00:00-06:00", "--json"], {
      allowFail: true,
    });
    expect(early.code).toBe(78);
    expect(early.json).toMatchObject({ ok: false, code: "CONFIG_INVALID", where: "--publish-until" });
    expect(early.json.message).toMatch(/not later than the cut's corte/);
    expect((await cluster.status()).latest.sequence).toBe(1);
  });

  test("a final cut pushed over the channel: never stale, the site and the agent say final and until when", async () => {
    const until = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const { dir } = await generateCut({ outDir: cutsDir, k: 2, scale: "small" });
    const res = cluster.push(dir, ["--final", "--publish-until", until]);
    expect(res.json).toMatchObject({ ok: true, sequence: 2, delivered: 1, final: true, publishUntil: until });
    // the corte is from 2024: an ordinary cut would be stale; the final one is not
    expect(await wellKnown()).toMatchObject({ status: "live", sequence: 2, final: true, publishUntil: until, publicationEnded: false, stale: false });
    expect(await agentStatus()).toMatchObject({
      stale: false,
      live: { sequence: 2, final: true, publishUntil: until },
      final: { sequence: 2, publishUntil: until, publicationEnded: false },
    });
    const page = await (await fetch(`${agent()}/`)).text();
    expect(page).toContain("Corte final");
    expect(page).not.toContain("Corte desactualizado");
    // the banner script renders the final state from the same document
    expect(await (await fetch(`${site()}/.well-known/prepcast/banner.js`)).text()).toContain("Corte final: ");
    // the signed manifest the site serves carries it: anyone can check it against the OPLE's key
    const manifest = JSON.parse(await (await fetch(`${site()}/.well-known/prepcast/manifest.json`)).text());
    expect(manifest.final).toEqual({ publishUntil: until });
    const verified = cli(RECEIVER_BIN, ["verify-site", `${site()}/`, "--trust", path.join(cluster.pubDir, "root.pub"), "--json"]);
    expect(verified.json.ok).toBe(true);
    // the publisher's monitoring: serving the final cut is up to date, the publication is running
    const st = await waitFor("the probe of the final cut", async () => {
      const s = await cluster.status();
      return s.receivers[0].monitor?.probe?.expected?.sequence === 2 ? s : null;
    });
    expect(st.latest).toMatchObject({ sequence: 2, final: true, publishUntil: until });
    expect(st.publication).toEqual({ finalSequence: 2, publishUntil: until, ended: false });
    expect(st.receivers[0].monitor.probe).toMatchObject({ verdict: "ok", code: "OK" });
    expect(st.receivers[0].monitor.probe.message).toContain("corte final 2");
    expect(st.receivers[0].monitor.failingSince).toBeNull();
  });

  test("after the end of publication (the call's default, 9 June 2024): still served, not stale, the rule is off", async () => {
    const { dir } = await generateCut({ outDir: cutsDir, k: 3, scale: "small" });
    const res = cluster.push(dir, ["--final"]);
    expect(res.json).toMatchObject({ ok: true, sequence: 3, final: true, publishUntil: DEFAULT_UNTIL });
    expect(await wellKnown()).toMatchObject({
      sequence: 3,
      final: true,
      publishUntil: DEFAULT_UNTIL,
      publishUntilLocal: "09/06/2024 23:59 (UTC-6)",
      publicationEnded: true,
      stale: false,
    });
    expect((await fetch(`${site()}/`)).status).toBe(200);
    expect(await agentStatus()).toMatchObject({ stale: false, final: { sequence: 3, publicationEnded: true } });
    const st = await waitFor("the monitor sees the end of publication", async () => {
      const s = await cluster.status();
      return s.publication.ended ? s : null;
    });
    expect(st.publication).toEqual({ finalSequence: 3, publishUntil: DEFAULT_UNTIL, ended: true });
    const text = cli(PUBLISHER_BIN, ["status", "--config", cluster.pubConfig]).stdout;
    expect(text).toContain(`FINAL, online until ${DEFAULT_UNTIL}`);
    expect(text).toContain("the 45-minute rule no longer applies");
    // both audit logs record it
    const pubAudit = fs.readFileSync(path.join(cluster.pubDir, "state", "audit.log"), "utf8");
    expect(pubAudit).toMatch(/"final":true.*"event":"cut_prepared"/);
    await waitFor("publication_ended in the publisher's audit log", () =>
      fs.readFileSync(path.join(cluster.pubDir, "state", "audit.log"), "utf8").includes('"publication_ended"'),
    );
    const rxAudit = fs.readFileSync(path.join(cluster.receivers[0]!.dir, "data", "audit.log"), "utf8");
    expect(rxAudit).toMatch(/"final":true.*"event":"cut.committed"/);
  });

  test("offline path: pack --final and verify show it", () => {
    const { dir } = { dir: path.join(cutsDir, "cut-0003") };
    const out = path.join(cluster.dir, "final.prep");
    const packed = cli(PUBLISHER_BIN, [
      "pack",
      dir,
      "--keys",
      cluster.pubDir,
      "--sequence",
      "9",
      "--corte",
      "2024-06-03T12:00:00-06:00",
      "--out",
      out,
      "--final",
      "--json",
    ]).json;
    expect(packed).toMatchObject({ ok: true, final: true, publishUntil: DEFAULT_UNTIL });
    const verified = cli(RECEIVER_BIN, ["verify", out, "--trust", path.join(cluster.pubDir, "root.pub"), "--json"]).json;
    expect(verified).toMatchObject({ ok: true, final: true, publishUntil: DEFAULT_UNTIL });
    const bad = cli(
      PUBLISHER_BIN,
      [
        "pack",
        dir,
        "--keys",
        cluster.pubDir,
        "--sequence",
        "10",
        "--corte",
        "2024-06-03T12:15:00-06:00",
        "--out",
        out,
        "--publish-until",
        "2024-06-09T23:59:00-06:00",
        "--json",
      ],
      { allowFail: true },
    );
    expect(bad.code).toBe(78); // a configuration problem, as for --retract
    expect(bad.json).toMatchObject({ ok: false, code: "CONFIG_INVALID", where: "--publish-until" });
  });
});
