// The libraries and apps are publishable npm packages (docs/extending.md): what `npm pack` would
// publish for each is checked here, so a package can be used from the registry by someone who
// never clones this repository. Every entry point the manifest declares (main, types, exports,
// bin) is in the tarball, no source, test, key or local file is, and every @prepcast dependency
// is itself a public package at the version this repository builds.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const rootManifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { workspaces: string[] };

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  description?: string;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  publishConfig?: { access?: string };
  dependencies?: Record<string, string>;
}

function workspaces(): Array<{ dir: string; manifest: Manifest }> {
  const dirs: string[] = [];
  for (const pattern of rootManifest.workspaces) {
    if (pattern.endsWith("/*")) {
      const parent = path.join(ROOT, pattern.slice(0, -2));
      for (const d of fs.readdirSync(parent)) if (fs.existsSync(path.join(parent, d, "package.json"))) dirs.push(path.join(parent, d));
    } else dirs.push(path.join(ROOT, pattern));
  }
  return dirs.map((dir) => ({ dir, manifest: JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest }));
}

const all = workspaces();
const published = all.filter((w) => !w.manifest.private);
const versions = new Map(all.map((w) => [w.manifest.name, w.manifest]));

/** Entry points a manifest declares, relative to the package. */
function entryPoints(m: Manifest): string[] {
  const out = new Set<string>();
  if (m.main) out.add(m.main);
  if (m.types) out.add(m.types);
  for (const target of Object.values(m.bin ?? {})) out.add(target);
  for (const target of Object.values(m.exports ?? {})) {
    for (const file of typeof target === "string" ? [target] : Object.values(target)) out.add(file);
  }
  return [...out].map((f) => f.replace(/^\.\//, ""));
}

test("the libraries and apps are public packages; the test rigs and the demo are not", () => {
  expect(published.map((w) => w.manifest.name).sort()).toEqual([
    "@prepcast/cutgen",
    "@prepcast/delta",
    "@prepcast/proto",
    "@prepcast/protocol",
    "@prepcast/publisher",
    "@prepcast/receiver",
    "@prepcast/runtime",
    "@prepcast/session",
    "@prepcast/site",
    "@prepcast/testkit",
    "@prepcast/transport",
  ]);
  for (const w of all.filter((x) => x.manifest.private))
    expect(["@prepcast/demo", "@prepcast/e2e", "@prepcast/infra", "@prepcast/hardening"]).toContain(w.manifest.name);
});

describe.each(published.map((w) => [w.manifest.name, w] as const))("%s", (_name, w) => {
  let files: string[] = [];
  beforeAll(() => {
    // --ignore-scripts: the tarball's contents only (the build ran before the tests)
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: w.dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
  });

  test("the manifest says what it is, under which license, published publicly", () => {
    expect(w.manifest.description?.trim().length ?? 0).toBeGreaterThan(20);
    expect(w.manifest.license).toBe("MIT");
    expect(w.manifest.publishConfig?.access).toBe("public");
    expect(w.manifest.exports?.["./package.json"]).toBe("./package.json");
  });

  test("every entry point it declares is in the tarball, with its README", () => {
    const missing = entryPoints(w.manifest).filter((f) => !files.includes(f));
    expect(missing).toEqual([]);
    expect(files).toContain("README.md");
    expect(files).toContain("package.json");
  });

  test("no source, test, key or local file is published", () => {
    const unwanted = files.filter(
      (f) =>
        /(^|\/)(__tests__|test|tests|coverage|node_modules|\.turbo)\//.test(f) ||
        /\.(test|spec)\.[cm]?[jt]s$/.test(f) ||
        (/\.[cm]?ts$/.test(f) && !/\.d\.[cm]?ts$/.test(f)) ||
        /\.(key|pem|sqlite|log|tsbuildinfo)$/.test(f) ||
        /^(src|jest\.config|tsconfig)/.test(f),
    );
    expect(unwanted).toEqual([]);
  });

  test("its @prepcast dependencies are public packages at the versions this repository builds", () => {
    for (const [dep, range] of Object.entries(w.manifest.dependencies ?? {})) {
      if (!dep.startsWith("@prepcast/")) continue;
      const target = versions.get(dep);
      expect({ dep, public: target !== undefined && !target.private }).toEqual({ dep, public: true });
      expect({ dep, range }).toEqual({ dep, range: target!.version });
    }
  });
});
