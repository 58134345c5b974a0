// Disk full while a cut is being received: the receiver's data directory is a small tmpfs whose
// inodes another process has nearly used up. The offer's free-space check (bytes) passes, then
// staging runs out of inodes (ENOSPC, as a full disk) part way through writing the new cut. The
// transfer fails with DISK_FULL, the publisher is told, the live site keeps serving the previous
// cut, the logs survive; once space is freed the receiver converges to the new cut.
//
// Inodes rather than bytes make the failure certain: filling bytes while the transfer runs raced
// it (a small delta could land before the filler ran), and filling them beforehand only trips the
// offer's up-front check, never a write.
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

/** The tmpfs's inodes: the cut being served plus the receiver's own files use a few hundred. */
const INODES = 4000;
/** Inodes left free when the push starts. */
const SPARE_INODES = 6;

const canMount = canMountTmpfs();
const maybe = canMount ? test : test.skip;
if (!canMount) console.warn("disk-full e2e skipped: needs root and tmpfs mounts (it mounts a 40 MiB, 4,000-inode tmpfs as the receiver's data directory)");

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
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", `size=40m,nr_inodes=${INODES}`, "tmpfs", mountPoint]).status).toBe(0);
    await cluster.startReceiver(r);
    await cluster.startPublisher();
    const cuts = path.join(cluster.dir, "cuts");
    const cut1 = (await generateCut({ outDir: cuts, k: 1, scale: "small" })).dir;
    expect(cluster.push(cut1).json).toMatchObject({ ok: true, delivered: 1 });

    const generated2 = await generateCut({ outDir: cuts, k: 2, scale: "small" });
    const cut2 = generated2.dir;
    // the receiver precompresses the live cut in the background (data/cache): let it finish first,
    // so that the inodes it takes are not counted as free
    const cacheDir = path.join(mountPoint, "cache");
    await waitFor(
      "cut 1's compressed copies",
      () => {
        const names = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : [];
        return names.length > 0 && names.every((n) => !n.startsWith(".tmp-"));
      },
      60_000,
      100,
    );
    // another process takes every inode but a few: enough for the receiver's logs and the
    // payload file, far fewer than the new cut's directories and changed files
    expect(generated2.files).toBeGreaterThan(SPARE_INODES * 4);
    const filler = path.join(mountPoint, "filler");
    fs.mkdirSync(filler);
    // (the receiver may take or release an inode meanwhile: fill until no more than the spare are left)
    for (let i = 0, free; (free = fs.statfsSync(mountPoint).ffree) > SPARE_INODES;) {
      for (const end = i + free - SPARE_INODES; i < end; i++) fs.writeFileSync(path.join(filler, String(i)), "");
    }
    const child = spawn(process.execPath, [PUBLISHER_BIN, "push", cut2, "--config", cluster.pubConfig, "--timeout", "6", "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
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
    // refused while writing the new cut into staging, not by the offer's up-front free-space check
    expect(fs.readFileSync(path.join(mountPoint, "audit.log"), "utf8")).toMatch(/"code":"DISK_FULL"[^\n]*"where":"[^"]*\/staging\//);

    // space freed: the publisher's retry brings cut 2
    fs.rmSync(filler, { recursive: true });
    await waitFor("cut 2 live after freeing space", async () => (await cluster!.status()).receivers[0].live?.sequence === 2, 90_000, 500);
    expect((await compareTrees(cut2, path.join(mountPoint, "current", "site"))).equal).toBe(true);
  });
});
