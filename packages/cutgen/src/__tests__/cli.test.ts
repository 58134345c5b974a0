import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../cli";
import { compareTrees, generateCut } from "../index";
import { tempDirs } from "./helpers";

const tmp = tempDirs();

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  let err = "";
  const code = await main(args, { out: (l) => out.push(l), err: (t) => (err += t) });
  return { code, out, err };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe("prep-gen-cuts", () => {
  test("writes the requested cuts and prints one line per cut", async () => {
    const dir = tmp();
    const r = await run(["--out", dir, "--scale", "small", "--cuts", "2", "--from", "3", "--seed", "9"]);
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toHaveLength(2);
    expect(r.out[0]).toMatch(new RegExp(`^${join(dir, "cut-0003")}\\t\\d+ files\\t\\d+ bytes$`));
    expect(r.out[1]).toContain("cut-0004");
    const same = await generateCut({ outDir: tmp(), k: 4, seed: 9 });
    expect((await compareTrees(join(dir, "cut-0004"), same.dir)).equal).toBe(true);
  });

  test("--now stamps the cuts with today's times: the last one now, each earlier one 15 minutes before", async () => {
    const dir = tmp();
    const before = Math.floor(Date.now() / 1000) * 1000;
    const r = await run(["--out", dir, "--cuts", "2", "--now"]);
    expect(r.code).toBe(0);
    const corte = (k: number) => Date.parse((JSON.parse(readFileSync(join(dir, `cut-000${k}`, "data", "corte.json"), "utf8")) as { corte: string }).corte);
    expect(corte(2)).toBeGreaterThanOrEqual(before);
    expect(corte(2)).toBeLessThanOrEqual(Date.now());
    expect(corte(2) - corte(1)).toBe(15 * 60_000);
    // the same content as the series' cut, only the times differ
    const series = await generateCut({ outDir: tmp(), k: 2 });
    const diff = await compareTrees(join(dir, "cut-0002"), series.dir);
    expect(diff.equal).toBe(false);
    expect(readFileSync(join(dir, "cut-0002", "data", "corte.json"), "utf8")).toMatch(/"corte": "\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-06:00"/);
  });

  test.each([
    [["--scale", "small"], /required option '--out <dir>'/],
    [["--out", "x", "--scale", "mars"], /Use one of: small, veracruz, national/],
    [["--out", "x", "--cuts", "0"], /--cuts must be from 1 to 9999/],
    [["--out", "x", "--cuts", "two"], /--cuts must be a whole number/],
    [["--out", "x", "--seed", "-4"], /--seed must be a whole number/],
    [["--out", "x", "--frobnicate"], /unknown option '--frobnicate'/],
    [["--out", "x", "--from", "9999", "--cuts", "2"], /goes past cut 9999/],
  ])("bad usage %j exits 2 with a clear message and writes nothing", async (args, message) => {
    const cwd = tmp();
    const r = await run(args.map((a) => (a === "x" ? join(cwd, "out") : a)));
    expect(r.code).toBe(2);
    expect(process.exitCode).toBe(2);
    expect(r.err).toMatch(message);
    expect(existsSync(join(cwd, "out"))).toBe(false);
  });

  test("--help prints usage and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out.join("\n")).toMatch(/Usage: prep-gen-cuts/);
  });

  test("a missing --qroo zip is a runtime error (exit 1) naming the file", async () => {
    const r = await run(["--out", tmp(), "--qroo", "/nonexistent/prep.zip"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("/nonexistent/prep.zip");
  });
});
