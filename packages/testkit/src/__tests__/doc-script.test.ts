import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { docScript, extractShellBlocks } from "../doc-script";
import { freePort } from "../local-deployment";
import { tempDirs } from "./helpers";

const tempDir = tempDirs();

function run(markdown: string, values?: Record<string, string>, dir = tempDir()): { status: number | null; stdout: string; stderr: string } {
  const file = join(dir, "guide.sh");
  writeFileSync(file, docScript(markdown, { source: "guide.md", ...(values ? { values } : {}) }));
  const r = spawnSync("bash", [file], { cwd: dir, encoding: "utf8", env: { ...process.env, TMPDIR: dir } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whether a process exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A server as a guide starts one in "another terminal": answers 200 on a port, writes its pid, stops cleanly on SIGTERM.
const SERVER = (port: number, extra = "") =>
  `node -e 'const s = require("http").createServer((q, r) => r.end("ok")).listen(${port}, "127.0.0.1", () => require("fs").writeFileSync("server.pid", String(process.pid))); process.on("SIGTERM", () => { console.log("stopping cleanly"); s.close(); });${extra}'`;

const fence = "```";

describe("docScript: a guide's shell blocks as one script", () => {
  it("runs every shell block in order in one shell, ignoring other languages", () => {
    const md = ["# Guide", `${fence}sh`, "cd /", "X=1", fence, "text", `${fence}yaml`, "a: b", fence, `${fence}bash`, 'echo "$PWD $X"', fence].join("\n");
    expect(extractShellBlocks(md).map((b) => b.line)).toEqual([2, 10]);
    const r = run(md);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("/ 1\n");
  });

  it("stops at the first failing block and names its line", () => {
    const md = [`${fence}sh`, "true", fence, "", `${fence}sh`, "false", "echo never", fence, `${fence}sh`, "echo never either", fence].join("\n");
    const r = run(md);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("the block at guide.md:5 failed");
  });

  it("skips a block only with a reason, and says so", () => {
    const md = ["<!-- doctest: skip: needs the Internet -->", "", `${fence}sh`, "exit 3", fence].join("\n");
    const r = run(md);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("skipped the block at guide.md:3: needs the Internet");
    expect(() => extractShellBlocks(["<!-- doctest: skip -->", `${fence}sh`, "x", fence].join("\n"))).toThrow(/unknown doctest annotation/);
  });

  it("replaces only the values the test gives, in values blocks", () => {
    const md = [
      "<!-- doctest: values -->",
      `${fence}sh`,
      "export NAME=doc   # comment",
      "OTHER=kept",
      fence,
      `${fence}sh`,
      'echo "$NAME $OTHER"',
      "NAME=not-a-values-block",
      fence,
    ].join("\n");
    expect(run(md, { NAME: "it's test" }).stdout).toBe("it's test kept\n");
    expect(() => docScript(md, { values: { MISSING: "x" } })).toThrow(/no values block sets MISSING/);
  });

  it("checks the exit status a block is documented to end with", () => {
    const ok = [
      `${fence}sh`,
      "cd /tmp",
      fence,
      "<!-- doctest: exit 1 -->",
      `${fence}sh`,
      "echo before",
      "false",
      "echo after",
      fence,
      `${fence}sh`,
      "echo next",
      fence,
    ].join("\n");
    const r1 = run(ok);
    expect(r1).toMatchObject({ status: 0, stdout: "before\nnext\n" });
    expect(r1.stderr).not.toContain("failed"); // an expected failure is not reported as one
    const wrong = ["<!-- doctest: exit 1 -->", `${fence}sh`, "true", fence].join("\n");
    const r = run(wrong);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ended with exit 0, the guide says 1");
  });

  it("refuses an annotation that does not precede a shell block", () => {
    expect(() => extractShellBlocks(["<!-- doctest: values -->", "prose", `${fence}sh`, "x", fence].join("\n"))).toThrow(
      /line 1: a doctest annotation must be followed by a code block/,
    );
    expect(() => extractShellBlocks(["<!-- doctest: values -->", `${fence}yaml`, "x", fence].join("\n"))).toThrow(/shell blocks only/);
    expect(() => extractShellBlocks([`${fence}sh`, "x"].join("\n"))).toThrow(/never closed/);
  });

  it("starts a background block, waits until its URL answers, goes on, and stops it (its whole process group) at the end", async () => {
    const dir = tempDir();
    const port = await freePort();
    const md = [
      `<!-- doctest: background until http://127.0.0.1:${port}/ within 20 s -->`,
      `${fence}sh`,
      `${SERVER(port)} & sleep 300 & wait`,
      fence,
      `${fence}sh`,
      `node -e 'fetch("http://127.0.0.1:${port}/").then(async (r) => console.log(r.status, await r.text()))'`,
      fence,
    ].join("\n");
    const r = run(md, undefined, dir);
    expect(r.stderr).toContain("stopped the background block at guide.md:2");
    expect(r).toMatchObject({ status: 0, stdout: "200 ok\n" });
    const pid = Number(readFileSync(join(dir, "server.pid"), "utf8"));
    expect(alive(pid)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith("doc-script."))).toEqual([]); // its logs removed
  });

  it("stops the background blocks when a later block fails, and shows their output", async () => {
    const dir = tempDir();
    const port = await freePort();
    const md = [`<!-- doctest: background until http://127.0.0.1:${port}/ -->`, `${fence}sh`, SERVER(port), fence, `${fence}sh`, "false", fence].join("\n");
    const r = run(md, undefined, dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the block at guide.md:5 failed");
    expect(r.stderr).toContain("stopped the background block at guide.md:2 (exit 0)");
    expect(r.stderr).toContain("stopping cleanly");
    expect(alive(Number(readFileSync(join(dir, "server.pid"), "utf8")))).toBe(false);
  });

  it("fails when a background block exits before it is ready, or is not ready in time, naming it and showing its output", async () => {
    const port = await freePort();
    const early = run(
      [
        `<!-- doctest: background until http://127.0.0.1:${port}/ -->`,
        `${fence}sh`,
        "echo cannot start >&2; exit 3",
        fence,
        `${fence}sh`,
        "echo never",
        fence,
      ].join("\n"),
    );
    expect(early.status).toBe(1);
    expect(early.stdout).toBe("");
    expect(early.stderr).toContain("the background block at guide.md:2 exited (exit 3) before it was ready");
    expect(early.stderr).toContain("    cannot start");
    const late = run([`<!-- doctest: background until http://127.0.0.1:${port}/ within 1 s -->`, `${fence}sh`, "echo waiting; sleep 30", fence].join("\n"));
    expect(late.status).toBe(1);
    expect(late.stderr).toContain(`the background block at guide.md:2 was not ready (http://127.0.0.1:${port}/) within 1 s`);
    expect(late.stderr).toContain("    waiting");
    expect(() => extractShellBlocks(["<!-- doctest: background until nowhere -->", `${fence}sh`, "x", fence].join("\n"))).toThrow(/unknown doctest annotation/);
  });
});

describe("docScript sections", () => {
  const md = [
    "# Guide",
    "## 1. Install",
    `${fence}sh`,
    "echo install",
    fence,
    "## 2. Register a difusor",
    "text",
    `${fence}sh`,
    "echo register",
    fence,
    "### details",
    `${fence}sh`,
    "echo details",
    fence,
  ].join("\n");

  it("records each block's heading and runs only the sections asked for", () => {
    expect(extractShellBlocks(md).map((b) => b.section)).toEqual(["1. Install", "2. Register a difusor", "details"]);
    expect(run(md).stdout).toBe("install\nregister\ndetails\n");
    const dir = tempDir();
    writeFileSync(join(dir, "g.sh"), docScript(md, { sections: ["2. Register"] }));
    expect(spawnSync("bash", [join(dir, "g.sh")], { encoding: "utf8" }).stdout).toBe("register\n");
  });

  it("still runs the values blocks of the other sections (the reader resuming has those values)", () => {
    const withValues = [
      "## 1. Install",
      "<!-- doctest: values -->",
      `${fence}sh`,
      "NAME=doc",
      fence,
      `${fence}sh`,
      "echo install",
      fence,
      "## 2. Use",
      `${fence}sh`,
      'echo "use $NAME"',
      fence,
    ].join("\n");
    const dir = tempDir();
    writeFileSync(join(dir, "g.sh"), docScript(withValues, { sections: ["2."], values: { NAME: "test" } }));
    expect(spawnSync("bash", [join(dir, "g.sh")], { encoding: "utf8" }).stdout).toBe("use test\n");
  });

  it("refuses a section that has no shell block (a renamed heading must not silently run nothing)", () => {
    expect(() => docScript(md, { sections: ["3. Push"] })).toThrow(/no shell block under a heading starting with "3. Push"/);
  });
});
