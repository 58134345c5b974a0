import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateCut, type GeneratedCut } from "@prepcast/testkit";

// `prep-receiver verify` of an offline delta package (pack --base), with the built CLIs as real
// processes: signatures only without --root (and it says the files were not checked); every file
// rebuilt and checked against the base cut with --root; a damaged stream and a missing base refused
// with their codes; the receiver's state untouched and nothing left in the temporary directory.

const REPO = path.resolve(__dirname, "../../..");
const PUBLISHER = path.join(REPO, "apps/publisher/bin/prep-publisher.js");
const RECEIVER = path.join(REPO, "apps/receiver/bin/prep-receiver.js");

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, ...env } });
  let json: Record<string, any> = {};
  if (args.includes("--json")) json = JSON.parse(r.stdout || r.stderr || "{}") as Record<string, any>;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-verify-delta-"));
(globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(work);
const keys = path.join(work, "keys");
const rootPub = path.join(keys, "root.pub");
const root = path.join(work, "receiver");
const scratch = path.join(work, "tmp"); // the CLI's TMPDIR: must be empty again after every verify
const p1 = path.join(work, "c1.prep");
const d2 = path.join(work, "d2.prep");
let cut1: GeneratedCut;
let cut2: GeneratedCut;

beforeAll(async () => {
  cut1 = await generateCut({ outDir: path.join(work, "cuts"), k: 1, scale: "small" });
  cut2 = await generateCut({ outDir: path.join(work, "cuts"), k: 2, scale: "small" });
  fs.mkdirSync(scratch);
  expect(run(PUBLISHER, ["init", "--dir", keys, "--json"]).status).toBe(0);
  expect(run(PUBLISHER, ["pack", cut1.dir, "--keys", keys, "--sequence", "1", "--corte", cut1.corte, "--out", p1, "--json"]).status).toBe(0);
  expect(run(PUBLISHER, ["pack", cut2.dir, "--keys", keys, "--sequence", "2", "--corte", cut2.corte, "--base", p1, "--out", d2, "--json"]).status).toBe(0);
  fs.mkdirSync(root, { mode: 0o700 });
  expect(run(RECEIVER, ["install", p1, "--trust", rootPub, "--root", root, "--json"]).status).toBe(0);
}, 120_000);

const verify = (file: string, extra: string[] = []) => run(RECEIVER, ["verify", file, "--trust", rootPub, ...extra, "--json"], { TMPDIR: scratch });

test("without --root: the signatures and the stream check out, and it says the files were not checked", () => {
  const r = verify(d2);
  expect(r.status).toBe(0);
  expect(r.json).toMatchObject({ ok: true, delta: true, sequence: 2, base: { sequence: 1 }, filesChecked: false });
  const text = run(RECEIVER, ["verify", d2, "--trust", rootPub], { TMPDIR: scratch });
  expect(text.stdout).toContain("its files were NOT checked: pass --root DIR");
  expect(fs.readdirSync(scratch)).toEqual([]);
});

test("with --root: every file is rebuilt against the base cut and checked; the receiver's state is untouched", () => {
  const state = fs.readFileSync(path.join(root, "state.json"));
  const audit = fs.readFileSync(path.join(root, "audit.log"));
  const r = verify(d2, ["--root", root]);
  expect(r.status).toBe(0);
  expect(r.json).toMatchObject({ ok: true, delta: true, sequence: 2, filesChecked: true, files: cut2.files, bytes: cut2.bytes });
  expect(fs.readFileSync(path.join(root, "state.json")).equals(state)).toBe(true);
  expect(fs.readFileSync(path.join(root, "audit.log")).equals(audit)).toBe(true);
  expect(fs.readdirSync(scratch)).toEqual([]);
});

test("a damaged delta stream is refused; a receiver without the base cut says which cut it lacks", () => {
  const bytes = fs.readFileSync(d2);
  const at = bytes.indexOf(Buffer.from("prepcast/delta.bin"));
  expect(at).toBeGreaterThan(0);
  const bad = Buffer.from(bytes);
  bad[at + 512 + 700]! ^= 0x01; // inside the stream, after its tar header
  const badFile = path.join(work, "bad.prep");
  fs.writeFileSync(badFile, bad);
  const r = verify(badFile, ["--root", root]);
  expect(r.status).toBe(1);
  expect(r.json).toMatchObject({ ok: false, code: "HASH_MISMATCH" });

  const empty = path.join(work, "empty");
  fs.mkdirSync(empty, { mode: 0o700 });
  expect(run(RECEIVER, ["install", d2, "--trust", rootPub, "--root", empty, "--json"]).json).toMatchObject({ ok: false, code: "NOT_FOUND" });
  const lacking = verify(d2, ["--root", empty]);
  expect(lacking.status).toBe(1);
  expect(lacking.json).toMatchObject({ ok: false, code: "NOT_FOUND", message: expect.stringContaining("against cut 1") });
  expect(fs.readdirSync(scratch)).toEqual([]);
});
