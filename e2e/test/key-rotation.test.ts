// Issue 13's key lifecycle end to end, with real processes on loopback: the OPLE rotates the
// signing key with `prep-publisher keys rotate --drop-old` (a compromised key) while the service
// runs; the next push carries keyset 2 and the receiver records it. From then on the revoked key is
// refused over the push channel (a rogue publisher holding it: with the old keyset KEYSET_ROLLBACK,
// with the new keyset KEY_UNKNOWN) and in a .prep (`prep-receiver verify` / `install`). A keyset
// close to its expiry is a warning in `prep-publisher status`, `prep-receiver status` and doctor.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadPublisherSigningMaterial, packCut, readSecretKeyFile } from "@prepcast/protocol";
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

const STOLEN = ["signing.key", "keyset.json", "keyset.sig", "root.pub", "identity.key"];

describe("signing key rotation and revocation (real processes)", () => {
  let cluster: Cluster;
  let uv: ReceiverNode;
  let rootKey: string;
  let oldKeys: string;
  const cuts: GeneratedCut[] = [];
  const state = () => path.join(uv.dir, "data");
  const receiverKeyset = () => receiverTrust({ id: uv.id, stateDir: state() }).keysetVersion;
  const refusals = () => refusalCodes({ id: uv.id, stateDir: state() });

  beforeAll(async () => {
    cluster = await Cluster.create([{ id: "uv", transport: "grpc" }]);
    uv = cluster.receiver("uv");
    // cold storage, as the ceremony says: root.key leaves the publisher's directory
    fs.mkdirSync(path.join(cluster.dir, "usb"), { mode: 0o700 });
    rootKey = path.join(cluster.dir, "usb", "root.key");
    fs.renameSync(path.join(cluster.pubDir, "root.key"), rootKey);
    // what a thief of the first signing key holds: that key and keyset 1
    oldKeys = path.join(cluster.dir, "stolen");
    fs.mkdirSync(oldKeys, { mode: 0o700 });
    for (const f of STOLEN) fs.copyFileSync(path.join(cluster.pubDir, f), path.join(oldKeys, f));
    for (let k = 1; k <= 4; k++) cuts.push(await generateCut({ outDir: path.join(cluster.dir, "cuts"), k, scale: "small" }));
    await cluster.startReceiver(uv);
    await cluster.startPublisher();
  });

  afterAll(async () => {
    await cluster?.stop();
    cluster?.cleanup();
  });

  test("rotate --drop-old while the service runs: the next push carries keyset 2 and the receiver records it", async () => {
    expect(cluster.push(cuts[0]!.dir).json).toMatchObject({ ok: true, sequence: 1, delivered: 1 });
    expect(receiverKeyset()).toBe(1);
    const oldKeyId = readSecretKeyFile(path.join(oldKeys, "signing.key")).keyid;

    const r = cli(PUBLISHER_BIN, ["keys", "rotate", "--keys", cluster.pubDir, "--root-key", rootKey, "--drop-old", "--json"]).json;
    expect(r).toMatchObject({ ok: true, previousVersion: 1, version: 2, removed: [oldKeyId], keys: [r.signingKeyId] });
    expect(fs.statSync(path.join(cluster.pubDir, "signing.key")).mode & 0o777).toBe(0o600);

    // no restart: the running service signs cut 2 with the new key and keyset 2
    const pushed = cluster.push(cuts[1]!.dir);
    expect(pushed.json).toMatchObject({ ok: true, sequence: 2, delivered: 1, via: "service" });
    expect(liveCut({ id: uv.id, stateDir: state() }).sequence).toBe(2);
    expect(receiverKeyset()).toBe(2);
    const status = await cluster.status();
    expect(status.keyset).toMatchObject({ version: 2, signingKeyId: r.signingKeyId, reloadProblem: null });
    expect(status.receivers[0]).toMatchObject({ id: "uv", keysetVersion: 2 });
    const audit = fs.readFileSync(path.join(cluster.pubDir, "state", "audit.log"), "utf8");
    expect(audit).toContain('"event":"keyset_changed"');
    const human = cli(PUBLISHER_BIN, ["status", "--config", cluster.pubConfig]).stdout;
    expect(human).toMatch(/keyset version 2 \(signing key [0-9a-f]{16}…\), expires \S+, 3\d\d days left/);
    expect(human).not.toContain("WARNING");
  });

  test("over the push channel, a publisher with the revoked key is refused: KEYSET_ROLLBACK with keyset 1, KEY_UNKNOWN with keyset 2", async () => {
    await cluster.stop(); // the OPLE's publisher and the receiver
    await cluster.startReceiver(uv);
    const { dir: rogue, config } = await cluster.publisherCopy("rogue", { from: oldKeys, files: STOLEN });
    // the publisher itself refuses to start with a key its keyset does not list
    fs.copyFileSync(path.join(cluster.pubDir, "keyset.json"), path.join(rogue, "keyset.json"));
    fs.copyFileSync(path.join(cluster.pubDir, "keyset.sig"), path.join(rogue, "keyset.sig"));
    const own = cli(PUBLISHER_BIN, ["push", cuts[2]!.dir, "--config", config, "--sequence", "3", "--json"], { allowFail: true });
    expect(own.json).toMatchObject({ ok: false, code: "CONFIG_INVALID", message: expect.stringContaining("is not listed in") });

    // 1. the stolen key with the keyset it came with (version 1): the receiver has seen version 2
    for (const f of ["keyset.json", "keyset.sig"]) fs.copyFileSync(path.join(oldKeys, f), path.join(rogue, f));
    const old = cli(PUBLISHER_BIN, ["push", cuts[2]!.dir, "--config", config, "--sequence", "3", "--timeout", "10", "--json"], { allowFail: true });
    expect(old.code).toBe(3);
    expect(old.json).toMatchObject({ ok: true, sequence: 3, delivered: 0 });
    await waitFor("KEYSET_ROLLBACK in the receiver's audit log", () => refusals().includes("KEYSET_ROLLBACK"), 20_000);

    // 2. the stolen key under the current keyset 2 (its signed cut edited in the rogue's state)
    const [cutDir] = fs.readdirSync(path.join(rogue, "state", "cuts")).filter((d) => d.startsWith("000003-"));
    for (const f of ["keyset.json", "keyset.sig"]) fs.copyFileSync(path.join(cluster.pubDir, f), path.join(rogue, "state", "cuts", cutDir!, "prepcast", f));
    let log = "";
    const proc: ChildProcess = spawn(process.execPath, [PUBLISHER_BIN, "run", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout!.on("data", (d) => (log += d));
    proc.stderr!.on("data", (d) => (log += d));
    try {
      await waitFor("KEY_UNKNOWN in the receiver's audit log", () => refusals().includes("KEY_UNKNOWN"), 30_000).catch((e) => {
        throw new Error(`${(e as Error).message}\nrogue log: ${log.slice(-2000)}\nrefusals: ${refusals().join(",")}`);
      });
    } finally {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    const refused = auditEntries({ id: uv.id, stateDir: state() }).find((e) => e.event === "refused" && e.data.code === "KEY_UNKNOWN")!;
    expect(refused.data.message).toContain("keyset version 2 does not list");
    expect(liveCut({ id: uv.id, stateDir: state() }).sequence).toBe(2);
    expect(receiverKeyset()).toBe(2);
  });

  test("in a .prep, the revoked key is refused by verify and install", async () => {
    await cluster.kill(uv, "SIGTERM"); // install takes the state directory's lock
    const rootPub = path.join(cluster.pubDir, "root.pub");
    const corte = cuts[2]!.corte;
    // made by the thief with `pack` and keyset 1
    const stale = path.join(cluster.dir, "stale.prep");
    cli(PUBLISHER_BIN, ["pack", cuts[2]!.dir, "--keys", oldKeys, "--sequence", "3", "--corte", corte, "--out", stale, "--json"]);
    // a package without a receiver's state is checked on its own: keyset 1 was valid when issued
    expect(cli(RECEIVER_BIN, ["verify", stale, "--trust", rootPub, "--json"]).json).toMatchObject({ ok: true, keysetVersion: 1 });
    expect(cli(RECEIVER_BIN, ["verify", stale, "--trust", rootPub, "--root", state(), "--json"], { allowFail: true }).json).toMatchObject({
      ok: false,
      code: "KEYSET_ROLLBACK",
    });
    expect(cli(RECEIVER_BIN, ["install", stale, "--trust", rootPub, "--root", state(), "--json"], { allowFail: true }).json).toMatchObject({
      ok: false,
      code: "KEYSET_ROLLBACK",
    });

    // made by the thief with keyset 2 and the revoked key (pack would refuse: signed by hand)
    const current = loadPublisherSigningMaterial(cluster.pubDir);
    const forged = path.join(cluster.dir, "forged.prep");
    await packCut({
      cutDir: cuts[2]!.dir,
      signing: { ...current, signingKey: readSecretKeyFile(path.join(oldKeys, "signing.key")) },
      process: "VER-2024",
      channel: "produccion",
      sequence: 3,
      corte,
      out: forged,
    });
    const verify = cli(RECEIVER_BIN, ["verify", forged, "--trust", rootPub, "--json"], { allowFail: true });
    expect(verify.code).toBe(1);
    expect(verify.json).toMatchObject({ ok: false, code: "KEY_UNKNOWN", message: expect.stringContaining("revoked") });
    expect(cli(RECEIVER_BIN, ["install", forged, "--trust", rootPub, "--root", state(), "--json"], { allowFail: true }).json).toMatchObject({
      ok: false,
      code: "KEY_UNKNOWN",
    });
    expect(liveCut({ id: uv.id, stateDir: state() }).sequence).toBe(2);

    // the OPLE's own package with the current keyset installs
    const good = path.join(cluster.dir, "good.prep");
    cli(PUBLISHER_BIN, ["pack", cuts[2]!.dir, "--keys", cluster.pubDir, "--sequence", "3", "--corte", corte, "--out", good, "--json"]);
    expect(cli(RECEIVER_BIN, ["verify", good, "--trust", rootPub, "--root", state(), "--json"]).json).toMatchObject({ ok: true, keysetVersion: 2 });
    expect(cli(RECEIVER_BIN, ["install", good, "--trust", rootPub, "--root", state(), "--json"]).json).toMatchObject({
      ok: true,
      status: "activated",
      sequence: 3,
    });
  });

  test("a keyset close to its expiry is a warning in prep-publisher status, prep-receiver status and doctor", async () => {
    await cluster.startReceiver(uv);
    await cluster.startPublisher();
    // a short-lived keyset: version 3, 5 days
    const r = cli(PUBLISHER_BIN, ["keys", "rotate", "--keys", cluster.pubDir, "--root-key", rootKey, "--keyset-expires-days", "5", "--json"]).json;
    expect(r).toMatchObject({ ok: true, version: 3 });
    const keysStatus = cli(PUBLISHER_BIN, ["keys", "status", "--keys", cluster.pubDir]).stdout;
    expect(keysStatus).toMatch(/keyset version 3 .*\(4 days left\)/);
    expect(keysStatus).toContain("WARNING: keyset version 3 expires in 4 day(s)");
    expect(cluster.push(cuts[3]!.dir, ["--sequence", "4"]).json).toMatchObject({ ok: true, sequence: 4, delivered: 1 });
    expect(receiverKeyset()).toBe(3);

    const pub = cli(PUBLISHER_BIN, ["status", "--config", cluster.pubConfig]).stdout;
    expect(pub).toContain("WARNING: keyset version 3 expires in 4 day(s)");
    expect((await cluster.status()).keyset).toMatchObject({ version: 3, expiringSoon: true, warnDays: 14 });

    const rs = cli(RECEIVER_BIN, ["status", "--root", state(), "--json"]).json;
    expect(rs.keyset).toMatchObject({ accepted: 3, live: { version: 3, daysLeft: 4, expiringSoon: true } });
    expect(cli(RECEIVER_BIN, ["status", "--root", state()]).stdout).toContain("WARNING: keyset version 3 expires in 4 day(s)");
    expect(cli(RECEIVER_BIN, ["status", "--root", state(), "--keyset-warn-days", "3", "--json"]).json.keyset.live).toMatchObject({
      expiringSoon: false,
      warning: null,
    });

    const doctor = cli(RECEIVER_BIN, ["doctor", "--config", uv.config, "--only", "keyset", "--json"], { allowFail: true });
    expect(doctor.code).toBe(0);
    expect(doctor.json.checks).toEqual([
      expect.objectContaining({
        id: "keyset",
        status: "warn",
        detail: expect.stringContaining("expires in 4 day(s)"),
        fix: expect.stringContaining("keys renew"),
      }),
    ]);

    // renewed: the warning is gone at the next cut
    const renewed = cli(PUBLISHER_BIN, ["keys", "renew", "--keys", cluster.pubDir, "--root-key", rootKey, "--keyset-expires-days", "200", "--json"]).json;
    expect(renewed).toMatchObject({ ok: true, version: 4 });
    expect(cluster.push(cuts[3]!.dir, ["--sequence", "5"]).json).toMatchObject({ ok: true, sequence: 5, delivered: 1 });
    expect(cli(RECEIVER_BIN, ["doctor", "--config", uv.config, "--only", "keyset", "--json"]).json.checks[0]).toMatchObject({ status: "pass" });
    expect(cli(PUBLISHER_BIN, ["status", "--config", cluster.pubConfig]).stdout).not.toContain("WARNING");
  });
});
