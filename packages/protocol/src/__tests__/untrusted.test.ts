// The helpers every listener and writer uses against untrusted input (issue 12), and the
// process-level last resort, in a real child process.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { csvCell, EventThrottle, EXIT_UNCAUGHT, hostChecker, parseRequestTarget, peerText } from "../untrusted";

test("parseRequestTarget never throws and never lets a target change the host", () => {
  expect(parseRequestTarget("//%zz/")).toBeNull();
  expect(parseRequestTarget("//evil.example/livez")).toMatchObject({ pathname: "//evil.example/livez" });
  expect(parseRequestTarget("http://[::1/")).toBeNull();
  expect(parseRequestTarget("http://evil.example/stats.json?x=1")).toMatchObject({ pathname: "/stats.json" });
  for (const bad of ["*", "127.0.0.1:1", "", "/%", "/%E0%A4%A", "/?a=%", "a".repeat(9000), "javascript:alert(1)", "\u0000"])
    expect(parseRequestTarget(bad)).toBeNull();
  expect(parseRequestTarget("/datos/secci%C3%B3n%201.json?from=2024")!.searchParams.get("from")).toBe("2024");
});

test("peerText bounds and neutralises what a peer sends", () => {
  expect(peerText("A".repeat(1 << 20), 64)).toBe(`${"A".repeat(64)}…(1048576 chars)`);
  expect(peerText('ople\n{"level":50}\u202e\u0000\ud800', 100)).toBe('ople\ufffd{"level":50}\ufffd\ufffd\ufffd');
  expect(peerText(undefined)).toBe("");
  expect(peerText({ toString: () => "secret" })).toBe("(object)");
});

test("csvCell quotes and neutralises formulas", () => {
  expect(csvCell("/\r=cmd|' /C calc'!A0")).toBe(`"/\r=cmd|' /C calc'!A0"`);
  expect(csvCell("=1+1")).toBe("'=1+1");
  expect(csvCell("  @SUM(A1)")).toBe("'  @SUM(A1)");
  expect(csvCell("-5")).toBe("'-5");
  expect(csvCell(-5)).toBe("-5");
  expect(csvCell('a,"b"')).toBe('"a,""b"""');
  expect(csvCell(null)).toBe("");
});

test("hostChecker: loopback names, the bound address and listed names, with the port; nothing else", () => {
  const ok = hostChecker("0.0.0.0", ["panel.example:8443", "Admin.Example."]);
  expect(ok("127.0.0.1:8740", 8740)).toBe(true);
  expect(ok("LOCALHOST:8740", 8740)).toBe(true);
  expect(ok("[::1]:8740", 8740)).toBe(true);
  expect(ok("localhost.:8740", 8740)).toBe(true);
  expect(ok("panel.example:8443", 8740)).toBe(true);
  expect(ok("admin.example:8740", 8740)).toBe(true);
  for (const bad of ["evil.example:8740", "127.0.0.1:8741", "127.0.0.1.evil.example:8740", "[::1", "%zz", "", "127.0.0.1:8740, evil.example", "0.0.0.0:8740"])
    expect(ok(bad, 8740)).toBe(false);
  expect(ok(undefined, 8740)).toBe(false);
  const own = hostChecker("10.0.0.5");
  expect(own("10.0.0.5:8731", 8731)).toBe(true);
});

test("EventThrottle: the first N of a window recorded, the rest counted and reported once", () => {
  let now = 0;
  const t = new EventThrottle(3, 60_000, () => now);
  const takes = Array.from({ length: 10 }, () => t.take());
  expect(takes.filter((x) => x.record)).toHaveLength(3);
  now = 60_000;
  expect(t.take()).toEqual({ record: true, summary: 7 });
  expect(t.drain()).toBe(0);
});

test("the last resort: an uncaught exception is logged as one fatal JSON line and the process exits 70 (never silently)", () => {
  const untrusted = path.join(__dirname, "..", "untrusted.ts");
  const script = `require(${JSON.stringify(untrusted)}).installLastResort("test"); setTimeout(() => { throw new Error("boom in a timer"); }, 1);`;
  const r = spawnSync(process.execPath, ["-r", path.join(__dirname, "..", "..", "..", "site", "scripts", "ts-register.js"), "-e", script], {
    encoding: "utf8",
  });
  expect(r.status).toBe(EXIT_UNCAUGHT);
  const line = JSON.parse(r.stderr.trim().split("\n").pop()!);
  expect(line).toMatchObject({ level: "fatal", name: "test", code: "INTERNAL", err: "boom in a timer" });
  const rej = spawnSync(
    process.execPath,
    [
      "-r",
      path.join(__dirname, "..", "..", "..", "site", "scripts", "ts-register.js"),
      "-e",
      `require(${JSON.stringify(untrusted)}).installLastResort("test"); Promise.reject(new Error("lost promise"));`,
    ],
    { encoding: "utf8" },
  );
  expect(rej.status).toBe(EXIT_UNCAUGHT);
  expect(rej.stderr).toContain("unhandled promise rejection");
});
