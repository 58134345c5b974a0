// Disk full while a cut is being received: the receiver's data directory is a small tmpfs that
// another process fills during the transfer. The transfer fails with DISK_FULL, the publisher is
// told, the live site keeps serving the previous cut, the logs survive; once space is freed the
// receiver converges to the new cut.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { verifyAuditLog } from "@prepcast/protocol";
import { compareTrees, generateCut, Cluster, PUBLISHER_BIN, waitFor } from "@prepcast/testkit";

jest.setTimeout(240_000);

function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-mount-probe-"));
  const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]).status === 0;
  if (ok) spawnSync("umount", [probe]);
  fs.rmdirSync(probe);
  return ok;
}

const maybe = canMountTmpfs() ? test : test.skip;
if (!canMountTmpfs()) console.warn("disk-full e2e skipped: needs root and tmpfs mounts (it mounts a 40 MiB tmpfs as the receiver's data directory)");

describe("disk full during staging", () => {
  let cluster: Cluster | null = null;
  let mountPoint: string | null = null;

  afterAll(async () => {
    await cluster?.stop();
    if (mountPoint) spawnSync("umount", ["-l", mountPoint]);
    cluster?.cleanup();
  });

  maybe("the live site and the logs survive; the publisher learns DISK_FULL; freeing space lets it converge", async () => {
    cluster = await Cluster.create([{ id: "tight", transport: "grpc" }]);
    const r = cluster.receivers[0]!;
    mountPoint = path.join(r.dir, "data");
    fs.mkdirSync(mountPoint, { recursive: true });
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=40m", "tmpfs", mountPoint]).status).toBe(0);
    await cluster.startReceiver(r);
    await cluster.startPublisher();
    const cuts = path.join(cluster.dir, "cuts");
    const cut1 = (await generateCut({ outDir: cuts, k: 1, scale: "small" })).dir;
    expect(cluster.push(cut1).json).toMatchObject({ ok: true, delivered: 1 });

    const cut2 = (await generateCut({ outDir: cuts, k: 2, scale: "small" })).dir;
    const child = spawn(process.execPath, [PUBLISHER_BIN, "push", cut2, "--config", cluster.pubConfig, "--timeout", "15", "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    // another process fills the disk as soon as the new payload starts arriving
    await waitFor("the transfer to start", () => fs.existsSync(path.join(mountPoint!, "partial", "payload.bin")), 60_000, 5);
    const filler = path.join(mountPoint, "filler.bin");
    spawnSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=64k"], { stdio: "ignore" });
    const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? -1)));
    expect(code).toBe(3); // not every receiver got the cut
    const result = JSON.parse(out.trim().split("\n").pop()!);
    expect(result.delivered).toBe(0);

    // the publisher was told why
    const status = await cluster.status();
    expect(status.receivers[0].live.sequence).toBe(1);
    const pubAudit = fs.readFileSync(path.join(cluster.pubDir, "state", "audit.log"), "utf8");
    expect(pubAudit).toMatch(/"code":"DISK_FULL"/);
    // the receiver still serves exactly cut 1, with nothing staged
    expect((await compareTrees(cut1, path.join(mountPoint, "current", "site"))).equal).toBe(true);
    const res = await fetch(`http://127.0.0.1:${r.sitePort}/data/corte.json`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(path.join(cut1, "data/corte.json")))).toBe(true);
    expect(fs.readdirSync(path.join(mountPoint, "staging"))).toEqual([]);
    expect(verifyAuditLog(path.join(mountPoint, "audit.log")).ok).toBe(true);
    expect(fs.readFileSync(path.join(mountPoint, "audit.log"), "utf8")).toMatch(/"code":"DISK_FULL"/);

    // space freed: the publisher's retry brings cut 2
    fs.rmSync(filler);
    await waitFor("cut 2 live after freeing space", async () => (await cluster!.status()).receivers[0].live?.sequence === 2, 90_000, 500);
    expect((await compareTrees(cut2, path.join(mountPoint, "current", "site"))).equal).toBe(true);
  });
});
