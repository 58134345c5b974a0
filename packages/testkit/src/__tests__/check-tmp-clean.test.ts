// scripts/check-tmp-clean.sh, which CI wraps around `npm test`: a command that leaves nothing in its
// temporary directory passes, one that leaves something (now or a moment after it exits) fails
// and names it, and a failing command keeps its own exit status.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDirs } from "./helpers";

const SCRIPT = path.resolve(__dirname, "../../../../scripts/check-tmp-clean.sh");
const tempDir = tempDirs();

function check(command: string): { status: number | null; stderr: string } {
  // the script makes its own directory under TMPDIR: point it at a directory this test removes
  const r = spawnSync("bash", [SCRIPT, "bash", "-c", command], {
    encoding: "utf8",
    env: { ...process.env, TMPDIR: tempDir(), CHECK_TMP_SYSTEM: "0", CHECK_TMP_LATE_SECONDS: "2" },
  });
  return { status: r.status, stderr: r.stderr };
}

describe("scripts/check-tmp-clean.sh", () => {
  it("passes a command that cleans up after itself, and removes its directory", () => {
    const parent = tempDir();
    const r = spawnSync("bash", [SCRIPT, "bash", "-c", 'd=$(mktemp -d); echo x > "$d/f"; rm -r "$d"'], {
      encoding: "utf8",
      env: { ...process.env, TMPDIR: parent, CHECK_TMP_SYSTEM: "0", CHECK_TMP_LATE_SECONDS: "0" },
    });
    expect(r.status).toBe(0);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it("fails and names what a command leaves behind", () => {
    const r = check('mkdir "$TMPDIR/prepcast-forgotten-1"');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("prepcast-forgotten-1");
  });

  it("catches a process that writes after the command has ended", () => {
    const r = check('(sleep 1; mkdir "$TMPDIR/written-late") >/dev/null 2>&1 & disown');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("written-late");
  });

  it("keeps a failing command's exit status", () => {
    expect(check("exit 4").status).toBe(4);
  });
});
