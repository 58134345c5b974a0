// Every error names the file, flag or field at fault, with a hint a difusor can act on; usage
// errors come in the order a person fixes them; a read-only command never creates a state
// directory. Real CLI processes (needs `npm run build`).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "../../..");
const PUBLISHER = path.join(REPO, "apps/publisher/bin/prep-publisher.js");
const RECEIVER = path.join(REPO, "apps/receiver/bin/prep-receiver.js");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-cli-errors-"));
(globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(work); // removed after the test file (jest.environment.js)

function run(bin: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  expect(run(PUBLISHER, ["init", "--dir", "keys"]).status).toBe(0);
  fs.writeFileSync(path.join(work, "notes.txt"), "hola\n");
});

describe("prep-receiver errors", () => {
  test("verify of a missing package names the file", () => {
    const r = run(RECEIVER, ["verify", "nope.prep", "--trust", "keys/root.pub"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error [IO_ERROR]: nope.prep does not exist (open: ENOENT)");
    expect(r.stderr).toContain("hint: check the path");
  });

  test("a mistyped flag is reported as unknown, with the right one suggested, before any missing required option", () => {
    const r = run(RECEIVER, ["verify", "nope.prep", "--trsut", "keys/root.pub"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--trsut'");
    expect(r.stderr).toContain("Did you mean --trust?");
    expect(r.stderr).not.toContain("required option");
    // a missing argument, then a missing required option, are still reported as such
    expect(run(RECEIVER, ["verify", "--trust", "keys/root.pub"]).stderr).toContain("missing required argument 'FILE.prep'");
    expect(run(RECEIVER, ["verify", "nope.prep"]).stderr).toContain("required option '--trust <ROOT.pub>' not specified");
    expect(run(RECEIVER, ["status", "--root", "x", "--jsno"]).stderr).toContain("Did you mean --json?");
  });

  test("a text file given as a package is not a PREPcast package", () => {
    const r = run(RECEIVER, ["install", "notes.txt", "--trust", "keys/root.pub", "--root", "data", "--json"]);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout) as { code: string; message: string };
    expect(j.code).toBe("PACKAGE_INVALID");
    expect(j.message).toContain("notes.txt: not a PREPcast package");
  });

  test("a missing root.pub tells the difusor to get it from the OPLE", () => {
    const r = run(RECEIVER, ["verify", "notes.txt", "--trust", "root.pub"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error [KEY_FILE_INVALID]: --trust root.pub: no such file");
    expect(r.stderr).toContain("get it from the OPLE");
    expect(r.stderr).not.toContain("prep-publisher init");
  });

  test("a missing release key tells the difusor to get it from the OPLE", () => {
    const r = run(RECEIVER, ["verify-release", ".", "--key", "release.pem"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error [KEY_FILE_INVALID]: --key release.pem: no such file");
    expect(r.stderr).toContain("get it from the OPLE");
  });

  test("status, audit verify, activate, report and ingest-logs name a missing --root and do not create it", () => {
    for (const args of [
      ["status", "--root", "typo"],
      ["audit", "verify", "--root", "typo"],
      ["activate", "--root", "typo"],
      ["report", "--root", "typo", "--from", "2024-06-02T20:00-06:00", "--to", "2024-06-09T23:59-06:00", "--out", "memoria"],
      ["ingest-logs", "notes.txt", "--root", "typo"],
    ]) {
      const r = run(RECEIVER, args);
      expect({ args, status: r.status }).toEqual({ args, status: 1 });
      expect(r.stderr).toContain("error [STATE_INVALID]: --root typo: no such directory");
      expect(fs.existsSync(path.join(work, "typo"))).toBe(false);
    }
    const notState = run(RECEIVER, ["status", "--root", "keys"]);
    expect(notState.stderr).toContain("not a receiver state directory");
  });

  test("report names a window given backwards", () => {
    fs.mkdirSync(path.join(work, "empty-root"));
    const r = run(RECEIVER, [
      "report",
      "--root",
      "empty-root",
      "--from",
      "2024-06-09T23:59-06:00",
      "--to",
      "2024-06-02T20:00-06:00",
      "--out",
      "memoria",
      "--json",
    ]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: "TIME_INVALID", where: "--to" });
  });
});
