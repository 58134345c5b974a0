// The state directory's lock, with real processes: a live holder keeps it; a dead one, a reused PID
// (a restarted container's agent often gets the PID its killed predecessor had), another boot, or
// a holder in another PID namespace that stopped refreshing it, all leave it stale.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { acquireStateLock } from "../store/state-lock";
import { tempDir as makeTempDir } from "./helpers";

const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = makeTempDir("prepcast-lock-");
  made.push(d);
  return d;
}

const LOCK_MODULE = path.join(__dirname, "..", "store", "state-lock.ts");
const SWC_REGISTER = `require("@swc/core"); const swc=require("@swc/core"); require.extensions[".ts"]=(m,f)=>m._compile(swc.transformSync(require("fs").readFileSync(f,"utf8"),{filename:f,jsc:{parser:{syntax:"typescript"},target:"es2022"},module:{type:"commonjs"}}).code,f);`;

/** A process holding the lock (as the agent does) until killed; resolves once it holds it. */
function holder(root: string, wrap: string[] = []): Promise<ChildProcess> {
  const code = `${SWC_REGISTER} require(${JSON.stringify(LOCK_MODULE)}).acquireStateLock(${JSON.stringify(root)}, { heartbeatMs: 200 }).then(() => { process.stdout.write("held\\n"); setInterval(() => {}, 1000); }, (e) => { console.error(e.message); process.exit(3); });`;
  const [cmd, ...args] = [...wrap, process.execPath, "-e", code];
  const child = spawn(cmd!, args, { stdio: ["ignore", "pipe", "pipe"], cwd: path.join(__dirname, "..", "..") });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => String(d).includes("held") && resolve(child));
    child.once("exit", (c) => reject(new Error(`holder exited ${c}: ${err}`)));
  });
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

describe("state directory lock", () => {
  it("a live holder keeps the directory; once it is killed with SIGKILL the lock is taken at once", async () => {
    const root = tempDir();
    const h = await holder(root);
    await expect(acquireStateLock(root, { waitMs: 300 })).rejects.toMatchObject({
      code: "STATE_INVALID",
      message: expect.stringContaining(`in use by process ${h.pid}`),
    });
    await kill9(h);
    const lock = await acquireStateLock(root, { waitMs: 0 });
    lock.release();
    expect(fs.existsSync(path.join(root, "lock"))).toBe(false);
  });

  it("a lock naming our own PID is an earlier incarnation's (a restarted container reuses PIDs)", async () => {
    const root = tempDir();
    fs.writeFileSync(
      path.join(root, "lock"),
      `${JSON.stringify({ pid: process.pid, start: "1", pidns: fs.readlinkSync("/proc/self/ns/pid"), boot: fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() })}\n`,
    );
    (await acquireStateLock(root, { waitMs: 0 })).release();
    fs.writeFileSync(path.join(root, "lock"), `${process.pid}\n`); // the format before this one
    (await acquireStateLock(root, { waitMs: 0 })).release();
  });

  it("a PID now held by another process (different start time), or a lock from another boot, is stale", async () => {
    const root = tempDir();
    const ns = fs.readlinkSync("/proc/self/ns/pid");
    const boot = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    fs.writeFileSync(path.join(root, "lock"), JSON.stringify({ pid: process.ppid, start: "1", pidns: ns, boot }));
    (await acquireStateLock(root, { waitMs: 0 })).release();
    const h = await holder(root);
    const record = JSON.parse(fs.readFileSync(path.join(root, "lock"), "utf8"));
    await kill9(h);
    fs.writeFileSync(path.join(root, "lock"), JSON.stringify({ ...record, pid: process.ppid, boot: "00000000-0000-0000-0000-000000000000" }));
    (await acquireStateLock(root, { waitMs: 0 })).release();
  });

  const unshare = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "true"]).status === 0;
  (unshare ? it : it.skip)(
    `a holder in another PID namespace (another container) keeps it while it refreshes it, and loses it once killed${unshare ? "" : " (skipped: unshare --pid needs root)"}`,
    async () => {
      const root = tempDir();
      const h = await holder(root, ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]);
      const record = JSON.parse(fs.readFileSync(path.join(root, "lock"), "utf8"));
      expect(record.pidns).not.toBe(fs.readlinkSync("/proc/self/ns/pid"));
      await expect(acquireStateLock(root, { waitMs: 1500, staleMs: 1000 })).rejects.toMatchObject({
        code: "STATE_INVALID",
        message: expect.stringContaining("another container or PID namespace"),
      });
      await kill9(h);
      const t0 = Date.now();
      const lock = await acquireStateLock(root, { waitMs: 5000, staleMs: 1000 });
      expect(Date.now() - t0).toBeLessThan(4000);
      lock.release();
    },
  );
});
