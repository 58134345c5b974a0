import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateCut, type GeneratedCut } from "@prepcast/testkit";

// A threshold root through the built CLIs: init --root-keys 3 --threshold 2, pack, and a receiver
// that pins root.json (with root.sig beside it) verifies and installs; a keyset signed by one
// official only is refused before anything is signed with it.

const REPO = path.resolve(__dirname, "../../..");
const PUBLISHER = path.join(REPO, "apps/publisher/bin/prep-publisher.js");
const RECEIVER = path.join(REPO, "apps/receiver/bin/prep-receiver.js");

function run(bin: string, args: string[]): { status: number | null; stdout: string; stderr: string; json: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 30_000 });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json: args.includes("--json") && r.stdout ? (JSON.parse(r.stdout) as Record<string, unknown>) : {},
  };
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-threshold-"));
const keys = path.join(work, "keys");
let cut: GeneratedCut;

beforeAll(async () => {
  cut = await generateCut({ outDir: path.join(work, "cuts"), k: 1, scale: "small" });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test("init --root-keys 3 --threshold 2, pack, verify and install against root.json", () => {
  const init = run(PUBLISHER, ["init", "--dir", keys, "--root-keys", "3", "--threshold", "2", "--json"]);
  expect(init.status).toBe(0);
  expect(init.json).toMatchObject({
    ok: true,
    rootKeyId: null,
    threshold: 2,
    rootVersion: 1,
    rootPub: path.join(keys, "root.json"),
    rootSig: path.join(keys, "root.sig"),
  });
  expect((init.json.rootKeyFiles as string[]).map((f) => path.basename(f))).toEqual(["root-1.key", "root-2.key", "root-3.key"]);
  const human = run(PUBLISHER, ["init", "--dir", path.join(work, "k2"), "--root-keys", "3", "--threshold", "4"]);
  expect(human.status).not.toBe(0);
  expect(human.stderr).toContain("--threshold 4 is not an integer between 1 and the 3 root keys");

  const p = path.join(work, "c1.prep");
  expect(run(PUBLISHER, ["pack", cut.dir, "--keys", keys, "--sequence", "1", "--corte", cut.corte, "--out", p, "--json"]).status).toBe(0);
  const v = run(RECEIVER, ["verify", p, "--trust", path.join(keys, "root.json"), "--json"]);
  expect(v.status).toBe(0);
  const i = run(RECEIVER, ["install", p, "--trust", path.join(keys, "root.json"), "--root", path.join(work, "receiver"), "--json"]);
  expect(i.json).toMatchObject({ ok: true, status: "activated", sequence: 1 });

  // keyset.sig with the first official's signature only: short of the threshold
  const full = fs.readFileSync(path.join(keys, "keyset.sig"));
  const sig = JSON.parse(full.toString("utf8")) as { signatures: unknown[] };
  expect(sig.signatures).toHaveLength(3);
  fs.writeFileSync(path.join(keys, "keyset.sig"), JSON.stringify(sig.signatures[0]));
  const short = run(PUBLISHER, ["pack", cut.dir, "--keys", keys, "--sequence", "2", "--corte", cut.corte, "--out", path.join(work, "c2.prep")]);
  expect(short.status).not.toBe(0);
  expect(short.stderr).toContain("SIGNATURE_THRESHOLD");
  expect(short.stderr).toContain("1 valid signature(s) by distinct keys of the pinned root, 2 needed (threshold 2 of 3)");
  fs.writeFileSync(path.join(keys, "keyset.sig"), full);
});

test("keys status shows the root; rotate needs the threshold of distinct --root-key files, and records who signed", () => {
  const usb = path.join(work, "usb");
  fs.mkdirSync(usb, { mode: 0o700 });
  for (const n of [1, 2, 3]) fs.renameSync(path.join(keys, `root-${n}.key`), path.join(usb, `root-${n}.key`));
  const rootKey = (n: number) => path.join(usb, `root-${n}.key`);
  const status = run(PUBLISHER, ["keys", "status", "--keys", keys, "--json"]);
  expect(status.json).toMatchObject({ ok: true, version: 1, verified: true, root: { file: path.join(keys, "root.json"), version: 1, threshold: 2 } });
  expect((status.json.root as { keys: string[] }).keys).toHaveLength(3);
  expect(status.json.signedBy).toHaveLength(3);

  const one = run(PUBLISHER, ["keys", "rotate", "--keys", keys, "--root-key", rootKey(1), "--root-key", rootKey(1)]);
  expect(one.status).not.toBe(0);
  expect(one.stderr).toContain("root version 1 needs 2 of its 3 root keys to sign; 1 distinct key(s) given");
  expect(one.stderr).toContain("1 more official(s) must bring their root-N.key");
  const none = run(PUBLISHER, ["keys", "renew", "--keys", keys, "--keyset-expires-days", "30"]);
  expect(none.stderr).toContain("no --root-key given");

  const r = run(PUBLISHER, ["keys", "rotate", "--keys", keys, "--root-key", rootKey(1), "--root-key", rootKey(3), "--json"]);
  expect(r.status).toBe(0);
  expect(r.json).toMatchObject({ ok: true, previousVersion: 1, version: 2, rootVersion: 1, threshold: 2 });
  expect(r.json.rootKeyIds).toHaveLength(2);
  expect((JSON.parse(fs.readFileSync(path.join(keys, "keyset.sig"), "utf8")) as { signatures: unknown[] }).signatures).toHaveLength(2);
  const history = fs.readFileSync(path.join(keys, "keyset-history.log"), "utf8");
  expect(history).toContain('"rootKeyIds"');
  const p = path.join(work, "c2.prep");
  expect(run(PUBLISHER, ["pack", cut.dir, "--keys", keys, "--sequence", "2", "--corte", cut.corte, "--out", p]).status).toBe(0);
  expect(run(RECEIVER, ["install", p, "--trust", path.join(keys, "root.json"), "--root", path.join(work, "receiver"), "--json"]).json).toMatchObject({
    ok: true,
    status: "activated",
    sequence: 2,
  });
});
