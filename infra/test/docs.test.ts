// The operations docs stay true to the repository: every relative link and anchor resolves, every
// CLI subcommand they tell an operator to type is one the CLIs define (or is marked planned), and
// configuration.md documents every field of the service configs in docs/architecture.md.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { readRepoFile, repoPath } from "./helpers/repo";

const docs = [
  ...fs
    .readdirSync(repoPath("docs", "operations"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => path.join("docs", "operations", f)),
  path.join("docs", "scaling.md"),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, "")
    .replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

// The subcommands the built CLIs define (their commander programs), plus `revert`, documented as planned.
function subcommandsOf(app: "receiver" | "publisher"): Set<string> {
  // the built CLI (infra tests run after npm run build), loaded the way node loads the bin
  const { buildProgram } = jest.requireActual<{ buildProgram(): { commands: Array<{ name(): string }> } }>(repoPath("apps", app, "dist", "cli", "main.js"));
  return new Set(buildProgram().commands.map((c) => c.name()));
}
const SUBCOMMANDS: Record<string, Set<string>> = {
  "prep-receiver": new Set([...subcommandsOf("receiver"), "revert"]),
  "prep-publisher": subcommandsOf("publisher"),
};

describe.each(docs)("%s", (doc) => {
  const text = readRepoFile(doc);

  it("has only links and anchors that resolve", () => {
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // http:, https:, mailto:
      const [file, anchor] = target.split("#");
      const resolved = file === "" ? repoPath(doc) : path.resolve(path.dirname(repoPath(doc)), file);
      if (!fs.existsSync(resolved)) {
        broken.push(`${target}: no such file`);
        continue;
      }
      if (anchor !== undefined && !anchorsOf(fs.readFileSync(resolved, "utf8")).has(anchor)) broken.push(`${target}: no heading #${anchor}`);
    }
    expect(broken).toEqual([]);
  });

  it("tells operators to type only subcommands the CLIs define", () => {
    const unknown: string[] = [];
    // container and unit names are not commands: drop "docker exec NAME" and similar first
    const commands = text.replace(/docker (exec|restart|kill|logs|stop|rm|start) (-\S+ )*prep-(receiver|publisher)/g, "");
    for (const [, cli, sub] of commands.matchAll(/\b(prep-receiver|prep-publisher) ([a-z][a-z-]*)/g)) {
      if (!SUBCOMMANDS[cli].has(sub)) unknown.push(`${cli} ${sub}`);
    }
    expect(unknown).toEqual([]);
  });

  it("marks `prep-receiver revert` as planned wherever it appears", () => {
    for (const paragraph of text.split(/\n\s*\n/).filter((p) => p.includes("prep-receiver revert"))) {
      expect(paragraph).toMatch(/planned/i);
    }
  });
});

describe("configuration.md", () => {
  const documented = readRepoFile("docs", "operations", "configuration.md");
  const architecture = readRepoFile("docs", "architecture.md");
  const services = architecture.slice(architecture.indexOf("## Services and configuration"));
  const examples = [...services.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]) as Record<string, unknown>);

  function fieldPaths(value: unknown, prefix: string): string[] {
    if (Array.isArray(value)) return value.some((v) => v !== null && typeof v === "object") ? value.flatMap((v) => fieldPaths(v, `${prefix}[]`)) : [prefix];
    if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => fieldPaths(v, prefix ? `${prefix}.${k}` : k));
    return [prefix];
  }

  it("documents every field of both example configs in docs/architecture.md", () => {
    expect(examples).toHaveLength(2);
    const fields = [...new Set(examples.flatMap((e) => fieldPaths(e, "")))];
    expect(fields.length).toBeGreaterThan(30);
    expect(fields.filter((f) => !documented.includes(`\`${f}\``))).toEqual([]);
  });

  // The services' zod schemas and env override lists are the source of truth once they exist.
  const schemas = [
    { file: "apps/receiver/src/agent/config.ts", schema: "ReceiverConfigSchema", env: "RECEIVER_ENV" },
    { file: "apps/publisher/src/service/config.ts", schema: "PublisherConfigSchema", env: "PUBLISHER_ENV" },
  ];

  /** Dotted field paths of a zod 4 schema: objects recurse, arrays of objects become `name[]`. */
  function schemaPaths(schema: any, prefix: string): string[] {
    let s = schema;
    while (s?._zod?.def?.innerType) s = s._zod.def.innerType; // default, optional, nullable
    const def = s._zod.def;
    if (def.type === "object") return Object.entries(def.shape as Record<string, unknown>).flatMap(([k, v]) => schemaPaths(v, prefix ? `${prefix}.${k}` : k));
    if (def.type === "array") {
      const element = schemaPaths(def.element, `${prefix}[]`);
      return element.length === 1 && element[0] === `${prefix}[]` ? [prefix] : [prefix + "[]", ...element].filter((p) => p !== `${prefix}[]`);
    }
    if (def.type === "union") return [prefix, ...(def.options as any[]).flatMap((o) => (o._zod.def.type === "object" ? schemaPaths(o, prefix) : []))];
    return [prefix];
  }

  it.each(schemas)("documents every field and env override of $schema ($file)", ({ file, schema, env }) => {
    if (!fs.existsSync(repoPath(file))) {
      console.warn(`${file} does not exist (yet): configuration.md checked against docs/architecture.md only`);
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(repoPath(file)) as Record<string, any>;
    const fields = [...new Set(schemaPaths(module[schema], ""))];
    expect(fields.length).toBeGreaterThan(10);
    expect(fields.filter((f) => !documented.includes(`\`${f}\``))).toEqual([]);
    const overrides = (module[env] as { env: string; path: string }[]).map((o) => `${o.env} → ${o.path}`);
    expect(overrides.length).toBeGreaterThan(3);
    expect(
      overrides.filter((o) => {
        const [name, field] = o.split(" → ");
        return !new RegExp(`\\| \`${name}\` \\|[^\\n]*\\| \`${field}\``).test(documented);
      }),
    ).toEqual([]);
  });

  it("documents every PREPCAST_* variable the infra files set", () => {
    const infraFiles = [
      "infra/docker/receiver.Dockerfile",
      "infra/docker/publisher.Dockerfile",
      "infra/docker/compose.yaml",
      "infra/systemd/prep-receiver.env",
      "infra/systemd/prep-publisher.env",
    ];
    const variables = new Set(infraFiles.flatMap((f) => [...readRepoFile(f).matchAll(/\bPREPCAST_[A-Z_]+/g)].map((m) => m[0])));
    variables.delete("PREPCAST_DEMO_KEYS");
    expect(variables.size).toBeGreaterThanOrEqual(8);
    expect([...variables].filter((v) => !documented.includes(`\`${v}\``))).toEqual([]);
  });
});
