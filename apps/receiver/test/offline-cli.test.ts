import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { compareTrees, generateCut, type GeneratedCut } from "@prepcast/testkit";

// Drives the built CLIs as real processes through the offline path on generated cuts:
// init, pack, verify, install, install the next cut, refuse the older and a tampered one,
// compare the live tree with the cut byte for byte, and check the audit log's hash chain.
// Needs `npm run build` first (turbo builds before test).

const REPO = path.resolve(__dirname, "../../..");
const PUBLISHER = path.join(REPO, "apps/publisher/bin/prep-publisher.js");
const RECEIVER = path.join(REPO, "apps/receiver/bin/prep-receiver.js");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

function run(bin: string, args: string[]): Run {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 30_000 });
  let json: Record<string, unknown> = {};
  if (args.includes("--json")) json = JSON.parse(r.stdout) as Record<string, unknown>;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-e2e-"));
const keys = path.join(work, "keys");
const rootPub = path.join(keys, "root.pub");
const receiver = path.join(work, "receiver");
let cut1: GeneratedCut;
let cut2: GeneratedCut;

beforeAll(async () => {
  for (const bin of [PUBLISHER, RECEIVER]) {
    const dist = path.join(path.dirname(bin), "..", "dist", "cli", "main.js");
    if (!fs.existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` at the repository root first`);
  }
  cut1 = await generateCut({ outDir: path.join(work, "cuts"), k: 1, scale: "small" });
  cut2 = await generateCut({ outDir: path.join(work, "cuts"), k: 2, scale: "small" });
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function pack(cut: GeneratedCut, sequence: number, out: string): Run {
  return run(PUBLISHER, ["pack", cut.dir, "--keys", keys, "--sequence", String(sequence), "--corte", cut.corte, "--out", out, "--json"]);
}

// The steps share one state directory and run in order; each is its own test so each stays bounded.
const p1 = path.join(work, "c1.prep");
const p2 = path.join(work, "c2.prep");

test("init and pack two cuts, verify one", () => {
  const init = run(PUBLISHER, ["init", "--dir", keys, "--json"]);
  expect(init.status).toBe(0);
  expect(init.json).toMatchObject({ ok: true, rootPub });
  expect(init.json.rootKeyId).toMatch(/^[0-9a-f]{64}$/);

  expect(pack(cut1, 1, p1).json).toMatchObject({ ok: true, sequence: 1, files: cut1.files, bytes: cut1.bytes });
  expect(pack(cut2, 2, p2).json).toMatchObject({ ok: true, sequence: 2, corte: cut2.corte });

  const v = run(RECEIVER, ["verify", p1, "--trust", rootPub]);
  expect(v.status).toBe(0);
  expect(v.stdout).toContain("sequence 1");
  expect(v.stdout).toContain(`${cut1.files} files, ${cut1.bytes} bytes`);
});

test("install cut 1 then cut 2; the older cut is refused", () => {
  expect(run(RECEIVER, ["install", p1, "--trust", rootPub, "--root", receiver, "--json"]).json).toMatchObject({ ok: true, status: "activated", sequence: 1 });
  const i2 = run(RECEIVER, ["install", p2, "--trust", rootPub, "--root", receiver]);
  expect(i2.status).toBe(0);
  expect(i2.stdout).toContain("installed VER-2024/produccion #2");

  // the older cut is refused, in both output forms
  const back = run(RECEIVER, ["install", p1, "--trust", rootPub, "--root", receiver, "--json"]);
  expect(back.status).toBe(1);
  expect(back.json).toMatchObject({ ok: false, code: "ROLLBACK" });
  const backHuman = run(RECEIVER, ["install", p1, "--trust", rootPub, "--root", receiver]);
  expect(backHuman.status).toBe(1);
  expect(backHuman.stderr).toMatch(/^error \[ROLLBACK\]: .+\nhint: .+/);
});

test("a tampered package is refused by verify and install, and nothing is left in staging", () => {
  // one byte flipped inside a site file's entry
  const p3 = path.join(work, "c3.prep");
  expect(pack(cut2, 3, p3).status).toBe(0);
  const bytes = fs.readFileSync(p3);
  const victim = fs.readFileSync(path.join(cut2.dir, "index.html"));
  const at = bytes.indexOf(victim);
  expect(at).toBeGreaterThan(0);
  bytes[at + Math.floor(victim.length / 2)]! ^= 0x01;
  fs.writeFileSync(p3, bytes);
  const vt = run(RECEIVER, ["verify", p3, "--trust", rootPub, "--json"]);
  expect(vt.status).toBe(1);
  expect(vt.json).toMatchObject({ ok: false, code: "HASH_MISMATCH", where: "site/index.html" });
  const it = run(RECEIVER, ["install", p3, "--trust", rootPub, "--root", receiver, "--json"]);
  expect(it.json).toMatchObject({ ok: false, code: "HASH_MISMATCH" });
  expect(fs.readdirSync(path.join(receiver, "staging"))).toEqual([]);
});

test("the live tree is cut 2 byte for byte; the audit log verifies and detects tampering", async () => {
  const cmp = await compareTrees(path.join(receiver, "current", "site"), cut2.dir);
  expect(cmp.differences).toEqual([]);
  expect(cmp.equal).toBe(true);

  const status = run(RECEIVER, ["status", "--root", receiver, "--json"]);
  expect(status.json).toMatchObject({ ok: true, live: expect.stringMatching(/^000002-/) });

  // the audit log holds every install and refusal, and detects an edit
  const audit = run(RECEIVER, ["audit", "verify", "--root", receiver, "--json"]);
  expect(audit.status).toBe(0);
  expect(audit.json).toMatchObject({ ok: true });
  const log = path.join(receiver, "audit.log");
  const original = fs.readFileSync(log, "utf8");
  // cutting the last entry keeps a valid chain, but not the one state.json anchored
  fs.writeFileSync(
    log,
    original
      .split("\n")
      .filter(Boolean)
      .slice(0, -1)
      .map((l) => `${l}\n`)
      .join(""),
  );
  const truncated = run(RECEIVER, ["audit", "verify", "--root", receiver, "--json"]);
  expect(truncated.status).toBe(1);
  expect(truncated.json).toMatchObject({ ok: false, code: "AUDIT_LOG_TAMPERED" });
  fs.writeFileSync(log, original);
  const lines = original.split("\n");
  expect(lines.filter((l) => l.includes('"cut.refused"')).length).toBe(3);
  lines[1] = lines[1]!.replace('"sequence":1', '"sequence":7');
  fs.writeFileSync(log, lines.join("\n"));
  const tampered = run(RECEIVER, ["audit", "verify", "--root", receiver]);
  expect(tampered.status).toBe(1);
  expect(tampered.stderr).toContain("error [AUDIT_LOG_TAMPERED]");
});

test("usage errors exit 2", () => {
  expect(run(RECEIVER, ["install"]).status).toBe(2);
  expect(run(PUBLISHER, ["pack", "x", "--keys", keys, "--sequence", "zero", "--corte", "c", "--out", "o"]).status).toBe(2);
});
