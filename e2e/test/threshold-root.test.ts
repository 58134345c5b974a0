// Issue 13's threshold root end to end, real processes on loopback: a 2-of-3 root (init
// --root-keys 3 --threshold 2), the receiver pinning its copy of root.json version 1. A cut goes
// out; the OPLE rotates the root (keys root-rotate, two of the three officials present) while the
// service runs; the next cut carries root version 2 and the receiver upgrades to it, keeps it in its
// state and audits it. A forged root version 3 signed by one stolen key of version 2 is refused
// over the push channel (after a receiver restart: the upgrade was durable) and in a .prep; a .prep
// made before the rotation is a root rollback.
import * as fs from "node:fs";
import * as path from "node:path";
import { createRoot, keyPairFromSeed, keyIdOf, loadPublisherSigningMaterial, packCut, readSecretKeyFile, signWithKeys } from "@prepcast/protocol";
import {
  auditEntries,
  cli,
  Cluster,
  generateCut,
  liveCut,
  PUBLISHER_BIN,
  RECEIVER_BIN,
  receiverTrust,
  refusalCodes,
  waitFor,
  type GeneratedCut,
  type ReceiverNode,
} from "@prepcast/testkit";

jest.setTimeout(240_000);

describe("threshold root: 2 of 3, rotation over the push channel, forged roots refused (real processes)", () => {
  let cluster: Cluster;
  let uv: ReceiverNode;
  const cuts: GeneratedCut[] = [];
  const usb = (n: number) => path.join(cluster.dir, "usb", `root-${n}.key`);
  const state = () => path.join(uv.dir, "data");
  const trustState = () => receiverTrust({ id: uv.id, stateDir: state() });
  const refusals = () => refusalCodes({ id: uv.id, stateDir: state() });
  let stale: string;

  beforeAll(async () => {
    cluster = await Cluster.create([{ id: "uv", transport: "grpc" }], { rootKeys: { n: 3, threshold: 2 } });
    uv = cluster.receiver("uv");
    // each official takes one root key away
    fs.mkdirSync(path.join(cluster.dir, "usb"), { mode: 0o700 });
    for (const n of [1, 2, 3]) fs.renameSync(path.join(cluster.pubDir, `root-${n}.key`), usb(n));
    for (let k = 1; k <= 3; k++) cuts.push(await generateCut({ outDir: path.join(cluster.dir, "cuts"), k, scale: "small" }));
    await cluster.startReceiver(uv);
    await cluster.startPublisher();
  });

  afterAll(async () => {
    await cluster?.stop();
    cluster?.cleanup();
  });

  test("a cut under root version 1; root-rotate with two of three keys; the next cut upgrades the receiver to root version 2", async () => {
    expect(cluster.push(cuts[0]!.dir).json).toMatchObject({ ok: true, sequence: 1, delivered: 1 });
    expect(trustState().root).toBeUndefined(); // the configured root.json (version 1) is in force
    stale = path.join(cluster.dir, "stale.prep");
    cli(PUBLISHER_BIN, ["pack", cuts[1]!.dir, "--keys", cluster.pubDir, "--sequence", "9", "--corte", cuts[1]!.corte, "--out", stale, "--json"]);

    const one = cli(PUBLISHER_BIN, ["keys", "root-rotate", "--keys", cluster.pubDir, "--root-key", usb(2), "--root-keys", "3", "--threshold", "2", "--json"], {
      allowFail: true,
    });
    expect(one.json).toMatchObject({ ok: false, code: "SIGNATURE_THRESHOLD", message: expect.stringContaining("needs 2 of its 3 root keys") });
    const r = cli(PUBLISHER_BIN, [
      "keys",
      "root-rotate",
      "--keys",
      cluster.pubDir,
      "--root-key",
      usb(1),
      "--root-key",
      usb(3),
      "--root-keys",
      "3",
      "--threshold",
      "2",
      "--json",
    ]).json;
    expect(r).toMatchObject({ ok: true, previousVersion: 1, version: 2, threshold: 2 });
    expect(r.signedByPrevious).toHaveLength(2);
    expect(fs.readFileSync(path.join(cluster.pubDir, "keyset-history.log"), "utf8")).toContain('"event":"root_rotated"');

    // no restart: the service reloads the re-signed keyset and sends root version 2 with cut 2
    expect(cluster.push(cuts[1]!.dir).json).toMatchObject({ ok: true, sequence: 2, delivered: 1, via: "service" });
    expect(liveCut({ id: uv.id, stateDir: state() }).sequence).toBe(2);
    expect(trustState().root).toMatchObject({ version: 2 });
    const upgraded = auditEntries({ id: uv.id, stateDir: state() }).find((e) => e.event === "root.upgraded");
    expect(upgraded?.data).toMatchObject({ from: 1, to: 2, threshold: 2, keys: expect.arrayContaining(r.rootKeyIds as string[]) });
    expect(cli(PUBLISHER_BIN, ["keys", "status", "--keys", cluster.pubDir, "--json"]).json.root).toMatchObject({ version: 2, threshold: 2 });
    // the running service's status names the root its keyset is signed under
    expect((await cluster.status()).keyset.root).toEqual({ version: 2, threshold: 2, keyIds: (r.rootKeyIds as string[]).slice().sort() });
    // anyone holding root.json version 1 checks the live site: it serves root version 2 beside the keyset
    const site = cli(RECEIVER_BIN, ["verify-site", `http://127.0.0.1:${uv.sitePort}/`, "--trust", path.join(uv.dir, "root.json"), "--json"]);
    expect(site.json).toMatchObject({ ok: true });
  });

  test("a forged root version 3 signed by one stolen key of version 2 is refused over the push channel, after a receiver restart", async () => {
    await cluster.stop();
    await cluster.startReceiver(uv); // its config still names root.json version 1: version 2 comes from its state
    const thief = readSecretKeyFile(path.join(cluster.pubDir, "root-v2-1.key"));
    const attacker = keyPairFromSeed(new Uint8Array(32).fill(77));
    const attackerKey = { ...attacker, keyid: keyIdOf(attacker.publicKey) };
    const forgedRoot = createRoot({ version: 3, threshold: 1, publicKeys: [attacker.publicKey] });
    const { dir: rogue, config } = await cluster.publisherCopy("rogue");
    fs.writeFileSync(path.join(rogue, "root.json"), forgedRoot);
    fs.writeFileSync(path.join(rogue, "root.sig"), signWithKeys("root", forgedRoot, [thief, attackerKey]));
    fs.writeFileSync(path.join(rogue, "keyset.sig"), signWithKeys("keyset", fs.readFileSync(path.join(rogue, "keyset.json")), [attackerKey]));
    const pushed = cli(PUBLISHER_BIN, ["push", cuts[2]!.dir, "--config", config, "--sequence", "3", "--timeout", "10", "--json"], { allowFail: true });
    expect(pushed.json).toMatchObject({ ok: true, sequence: 3, delivered: 0 });
    await waitFor("ROOT_UNTRUSTED in the receiver's audit log", () => refusals().includes("ROOT_UNTRUSTED"), 20_000);
    const refused = auditEntries({ id: uv.id, stateDir: state() }).find((e) => e.event === "refused" && e.data.code === "ROOT_UNTRUSTED")!;
    expect(refused.data.message).toContain("root version 3 is not signed by the threshold of the pinned root version 2");
    expect(liveCut({ id: uv.id, stateDir: state() }).sequence).toBe(2);
    expect(trustState().root).toMatchObject({ version: 2 });

    // the same forgery in a .prep; and a .prep made before the rotation is a root rollback
    await cluster.kill(uv, "SIGTERM"); // install takes the state directory's lock
    const forged = path.join(cluster.dir, "forged.prep");
    await packCut({
      cutDir: cuts[2]!.dir,
      signing: loadPublisherSigningMaterial(rogue),
      process: "VER-2024",
      channel: "produccion",
      sequence: 3,
      corte: cuts[2]!.corte,
      out: forged,
    });
    const pinned = path.join(uv.dir, "root.json");
    expect(cli(RECEIVER_BIN, ["install", forged, "--trust", pinned, "--root", state(), "--json"], { allowFail: true }).json).toMatchObject({
      ok: false,
      code: "ROOT_UNTRUSTED",
    });
    expect(cli(RECEIVER_BIN, ["verify", stale, "--trust", pinned, "--root", state(), "--json"], { allowFail: true }).json).toMatchObject({
      ok: false,
      code: "ROOT_ROLLBACK",
    });
    // the OPLE's own package: a receiver pinning version 1 and holding no state upgrades through it
    const good = path.join(cluster.dir, "good.prep");
    cli(PUBLISHER_BIN, ["pack", cuts[2]!.dir, "--keys", cluster.pubDir, "--sequence", "3", "--corte", cuts[2]!.corte, "--out", good, "--json"]);
    expect(cli(RECEIVER_BIN, ["verify", good, "--trust", pinned, "--json"]).json).toMatchObject({ ok: true, sequence: 3 });
    expect(cli(RECEIVER_BIN, ["install", good, "--trust", pinned, "--root", state(), "--json"]).json).toMatchObject({
      ok: true,
      status: "activated",
      sequence: 3,
    });
    expect(cli(RECEIVER_BIN, ["status", "--root", state()]).stdout).toContain("root: version 2, brought by a cut");
  });
});
