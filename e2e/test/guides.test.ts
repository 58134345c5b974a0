// The operations guides (docs/operations/, but the install guides, which run in real containers
// and systemd in infra/) run as written where they can on one machine, and every PREPcast command
// anywhere in the docs parses with the real CLIs.
//
// Running: each page becomes one script (docScript). Blocks that need root, systemd, the host's
// firewall or another host are skipped with their reason, printed when the page runs. The
// harness provides what an installed difusor has: `prep-publisher`, `prep-receiver` and
// `prep-gen-cuts` on PATH (the built CLIs), a `sudo` that runs the command as the current user
// (the service user's part of `sudo -u prepcast`), and the page's `values` (paths) in a scratch
// directory with what the page assumes exists (a receiver's keys, a test .prep).
//
// Parsing: the command lines of every shell block (run or skipped) of the READMEs and docs are
// parsed by the CLIs' own command trees with the actions stubbed: an unknown flag, a missing
// required option or a value its parser refuses fails the test, naming the file and line (a block
// skipped as "a planned command" is not checked: it documents a command the CLI does not have yet).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import type { Command } from "commander";
import { extractShellBlocks } from "@prepcast/testkit";
import { main as genCutsMain } from "../../packages/cutgen/src/cli";
import { runCliProgram } from "@prepcast/protocol";
import { buildProgram as publisherProgram } from "../../apps/publisher/src/cli/main";
import { buildProgram as receiverProgram } from "../../apps/receiver/src/cli/main";
import { REPO, requireBuilt, runGuide } from "./support/guides";

jest.setTimeout(10 * 60_000);

const OPERATIONS = path.join(REPO, "docs", "operations");
const RUNNABLE_PAGES = fs.readdirSync(OPERATIONS).filter((f) => f.endsWith(".md") && !f.startsWith("install-"));
const INSTALL_GUIDES = fs.readdirSync(OPERATIONS).filter((f) => f.startsWith("install-") && f.endsWith(".md"));
const DOCS = [
  "README.md",
  ...["apps", "packages"].flatMap((d) => fs.readdirSync(path.join(REPO, d)).map((p) => `${d}/${p}/README.md`)),
  "infra/README.md",
  ...fs
    .readdirSync(path.join(REPO, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
  ...RUNNABLE_PAGES.map((f) => `docs/operations/${f}`),
  ...INSTALL_GUIDES.map((f) => `docs/operations/${f}`),
].filter((f) => fs.existsSync(path.join(REPO, f)));

/** Shell words of one command line: quotes, `\` escapes; $VAR and ${VAR} become "1" (a value any parser takes). */
function words(segment: string): string[] | null {
  if (/\$\(|`/.test(segment)) return null; // command substitution: not a plain command
  const out: string[] = [];
  let cur = "";
  let has = false;
  let quote: string | null = null;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "$" && quote === '"' && /[A-Za-z_{]/.test(segment[i + 1] ?? "")) i = skipVar(segment, i, () => (cur += "1"));
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === "\\") {
      cur += segment[++i] ?? "";
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = "";
      has = false;
    } else if (c === "$" && /[A-Za-z_{]/.test(segment[i + 1] ?? "")) {
      i = skipVar(segment, i, () => (cur += "1"));
      has = true;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

function skipVar(s: string, i: number, emit: () => void): number {
  emit();
  if (s[i + 1] === "{") return s.indexOf("}", i);
  let j = i + 1;
  while (/[A-Za-z0-9_]/.test(s[j + 1] ?? "")) j++;
  return j;
}

/** The PREPcast invocations of a shell block: [line, tool, args]. */
function invocations(body: string, firstLine: number): Array<{ line: number; tool: string; args: string[] }> {
  const out: Array<{ line: number; tool: string; args: string[] }> = [];
  const lines = body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = firstLine + 1 + i;
    let text = lines[i]!;
    while (text.endsWith("\\") && i + 1 < lines.length) text = text.slice(0, -1) + " " + lines[++i]!;
    text = text.replace(/(^|\s)#.*$/, ""); // a comment (the guides put none inside quotes)
    for (const segment of text.split(/;|&&|\|\||\||&(?!\d)/)) {
      const w = words(segment.trim());
      if (!w || w.length === 0) continue;
      while (w[0] === "sudo" || w[0] === "npx") {
        w.shift();
        for (let flag: string | undefined = w[0]; flag?.startsWith("-"); flag = w[0]) w.splice(0, flag === "-u" || flag === "-g" ? 2 : 1);
      }
      if (w[0] === "docker" && w[1] === "exec") w.splice(0, 3);
      const tool = w[0];
      if (tool === "prep-publisher" || tool === "prep-receiver" || tool === "prep-gen-cuts") out.push({ line, tool, args: w.slice(1) });
    }
  }
  return out;
}

function stubbed(program: Command, errors: string[]): Command {
  const visit = (c: Command): void => {
    c.configureOutput({ writeOut: () => undefined, writeErr: (s) => errors.push(s.trim()) });
    if (c.commands.length === 0) c.action(() => undefined);
    c.commands.forEach((s) => visit(s as Command));
  };
  visit(program);
  return program;
}

/** A usage problem the CLI would report for these arguments (exit 2), or null. */
async function usageProblem(tool: string, args: string[]): Promise<string | null> {
  const errors: string[] = [];
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    let code: number | undefined;
    if (tool === "prep-gen-cuts") {
      // prep-gen-cuts writes cuts when the usage is right: only its usage is checked, with --help appended
      code = await genCutsMain([...args, ...(args.includes("--help") ? [] : ["--help"])], { out: () => undefined, err: (t) => errors.push(t.trim()) });
    } else {
      await runCliProgram(stubbed(tool === "prep-publisher" ? publisherProgram() : receiverProgram(), errors) as never, ["node", tool, ...args]);
      code = typeof process.exitCode === "number" ? process.exitCode : 0;
    }
    return code === 2 ? errors.join(" ") || "usage error" : null;
  } finally {
    process.exitCode = saved;
  }
}

describe("every PREPcast command in the docs parses", () => {
  it.each(DOCS)("%s", async (doc) => {
    const problems: string[] = [];
    for (const block of extractShellBlocks(fs.readFileSync(path.join(REPO, doc), "utf8"))) {
      if (block.skip?.startsWith("a planned command")) continue; // documented as not in the CLI yet
      for (const inv of invocations(block.body, block.line)) {
        const problem = await usageProblem(inv.tool, inv.args);
        if (problem) problems.push(`${doc}:${inv.line}: ${inv.tool} ${inv.args.join(" ")}\n    ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("finds the commands it checks (and would catch a wrong one)", async () => {
    const found = invocations(
      'sudo -u prepcast prep-receiver verify x.prep --trust "$ROOT_PUB"; echo "exit $?"\nprep-publisher drill --config c \\\n  --cuts 8 --interval 15m  # comment',
      0,
    );
    expect(found).toEqual([
      { line: 1, tool: "prep-receiver", args: ["verify", "x.prep", "--trust", "1"] },
      { line: 2, tool: "prep-publisher", args: ["drill", "--config", "c", "--cuts", "8", "--interval", "15m"] },
    ]);
    expect(await usageProblem("prep-publisher", found[1]!.args)).toContain("--interval");
    expect(await usageProblem("prep-receiver", ["verify", "x.prep", "--trsut", "r"])).toContain("unknown option '--trsut'");
    expect(await usageProblem("prep-publisher", ["reinstate", "uv", "--reason", "r"])).toContain("--config");
    expect(await usageProblem("prep-receiver", found[0]!.args)).toBeNull();
  });
});

describe("docs/operations run as written where they can on one machine", () => {
  const haveCurl = spawnSync("sh", ["-c", "command -v curl"]).status === 0;
  if (!haveCurl) console.warn("docs/operations runs skipped: curl is not installed (apt-get install -y curl)");
  const maybe = haveCurl ? it : it.skip;

  /** A scratch directory with the tools on PATH as an installed PREPcast has them. */
  function harness(): { dir: string; env: NodeJS.ProcessEnv } {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), "prepcast-guides-"));
    (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(dir); // removed after the test file (jest.environment.js)
    const bin = path.join(dir, ".bin");
    fs.mkdirSync(bin);
    const tools: Record<string, string> = {
      "prep-publisher": "apps/publisher/bin/prep-publisher.js",
      "prep-receiver": "apps/receiver/bin/prep-receiver.js",
      "prep-gen-cuts": "packages/cutgen/bin/prep-gen-cuts.js",
    };
    for (const [name, file] of Object.entries(tools))
      fs.writeFileSync(path.join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO, file)}" "$@"\n`, { mode: 0o755 });
    // sudo -u prepcast CMD: the command, as the current user (the test has no service user)
    fs.writeFileSync(path.join(bin, "sudo"), '#!/bin/sh\nwhile [ $# -gt 0 ]; do case "$1" in -u|-g) shift 2;; -*) shift;; *) break;; esac; done\nexec "$@"\n', {
      mode: 0o755,
    });
    // HOME too: a guide may write under ~ (release.md: ~/prepcast-release-key)
    return { dir, env: { PATH: `${bin}:${process.env.PATH}`, TMPDIR: dir, HOME: dir } };
  }

  function tool(env: NodeJS.ProcessEnv, cwd: string, args: string[]): void {
    const r = spawnSync(args[0]!, args.slice(1), { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }

  // What each page assumes exists, and the values it asks the reader to set.
  const setups: Record<string, (dir: string, env: NodeJS.ProcessEnv) => Record<string, string>> = {
    "keys.md": (dir, env) => {
      tool(env, dir, ["prep-receiver", "init", "--dir", "etc", "--id", "uv-xalapa"]);
      // the root key stays where init wrote it (the page's step 2 moves it to drives by hand); a renewed expiry after init's 365 days
      const keys = path.join(dir, "ceremony", "KEYS");
      // the root set's keys stay where `init --root-keys` wrote them (each official takes one away by hand)
      const set = path.join(dir, "ceremony", "KEYS-SET");
      return {
        ETC: path.join(dir, "etc"),
        KEYS: keys,
        ROOT_KEY: path.join(keys, "root.key"),
        NEW_EXPIRY: new Date(Date.now() + 500 * 86_400_000).toISOString(),
        SET: set,
        ROOT_KEY_1: path.join(set, "root-1.key"),
        ROOT_KEY_3: path.join(set, "root-3.key"),
      };
    },
    "runbook-drills.md": (dir, env) => {
      tool(env, dir, ["prep-publisher", "init", "--dir", "keys"]);
      tool(env, dir, ["prep-gen-cuts", "--out", "cortes", "--cuts", "1", "--now"]);
      const corte = (JSON.parse(fs.readFileSync(path.join(dir, "cortes", "cut-0001", "data", "corte.json"), "utf8")) as { corte: string }).corte;
      tool(env, dir, ["prep-publisher", "pack", "cortes/cut-0001", "--keys", "keys", "--sequence", "1", "--corte", corte, "--out", "prueba.prep"]);
      return { ROOT_PUB: path.join(dir, "keys", "root.pub"), PRUEBA: path.join(dir, "prueba") };
    },
  };

  maybe.each(RUNNABLE_PAGES)("docs/operations/%s", async (page) => {
    requireBuilt();
    const { dir, env } = harness();
    const values = setups[page]?.(dir, env) ?? {};
    const r = await runGuide(path.join(OPERATIONS, page), dir, env, values);
    if (r.status !== 0)
      throw new Error(`docs/operations/${page} did not run as written (exit ${r.status}):\n${r.stderr.slice(-5000)}\n--- stdout ---\n${r.stdout.slice(-3000)}`);
    expect(r.stderr).toContain(`docs/operations/${page} ran to the end`);
    if (page === "runbook-drills.md") {
      expect(r.stdout).toContain("exit 0");
      expect(r.stdout).toContain('"format":"prepcast/site-status@1"');
      expect(r.stdout).toMatch(/chain intact/);
    }
  });
});
