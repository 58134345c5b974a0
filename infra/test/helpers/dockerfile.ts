// A small Dockerfile parser, enough to check our own Dockerfiles without a Docker engine:
// line continuations, comments, parser directives, exec (JSON) vs shell form, --flags and stages.
// Heredocs (<<EOF) are not supported and are reported as an error rather than misread.

export interface Instruction {
  keyword: string; // upper case, e.g. "COPY"
  flags: Record<string, string>; // --from=builder → { from: "builder" }
  args: string; // raw argument text after the flags
  exec?: string[]; // JSON array form, when used
  line: number; // 1-based line where the instruction starts
}

export interface Stage {
  index: number;
  name?: string;
  baseImage: string; // with ARG defaults substituted
  instructions: Instruction[];
  source: string; // the stage's text, comments and blank lines removed (for comparisons)
}

export interface Dockerfile {
  globalArgs: Record<string, string>;
  stages: Stage[];
}

const KNOWN = new Set([
  "FROM",
  "RUN",
  "CMD",
  "LABEL",
  "EXPOSE",
  "ENV",
  "ADD",
  "COPY",
  "ENTRYPOINT",
  "VOLUME",
  "USER",
  "WORKDIR",
  "ARG",
  "ONBUILD",
  "STOPSIGNAL",
  "HEALTHCHECK",
  "SHELL",
  "MAINTAINER",
]);

export function parseDockerfile(text: string, file = "Dockerfile"): Dockerfile {
  const lines = text.split("\n");
  const logical: { text: string; line: number }[] = [];
  let current: { text: string; line: number } | undefined;
  let directivesOpen = true;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (current === undefined && (trimmed === "" || trimmed.startsWith("#"))) {
      if (!(directivesOpen && /^#\s*\w+\s*=/.test(trimmed))) directivesOpen = false;
      return;
    }
    if (current !== undefined && trimmed.startsWith("#")) return; // comment inside a continuation
    directivesOpen = false;
    const continues = /\\\s*$/.test(raw);
    const piece = continues ? raw.replace(/\\\s*$/, "") : raw;
    if (current === undefined) current = { text: piece.trim(), line: i + 1 };
    else current.text += " " + piece.trim();
    if (!continues) {
      logical.push(current);
      current = undefined;
    }
  });
  if (current !== undefined) throw new Error(`${file}:${current.line}: line continuation at end of file`);

  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { text: body, line } of logical) {
    const match = /^(\S+)\s*(.*)$/.exec(body);
    if (!match) continue;
    const keyword = match[1].toUpperCase();
    if (!KNOWN.has(keyword)) throw new Error(`${file}:${line}: unknown instruction ${match[1]}`);
    let rest = match[2];
    if (/<<-?["']?\w+/.test(rest) && (keyword === "RUN" || keyword === "COPY")) {
      throw new Error(`${file}:${line}: heredocs are not supported by this checker`);
    }
    const flags: Record<string, string> = {};
    if (keyword !== "RUN" || rest.startsWith("--")) {
      for (;;) {
        const flag = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest);
        if (!flag) break;
        flags[flag[1]] = flag[2] ?? "true";
        rest = rest.slice(flag[0].length);
      }
    }
    const instruction: Instruction = { keyword, flags, args: rest.trim(), line };
    if (rest.trim().startsWith("[")) {
      try {
        const parsed: unknown = JSON.parse(rest.trim());
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) instruction.exec = parsed;
      } catch {
        // shell form that happens to start with "["
      }
    }
    if (keyword === "HEALTHCHECK") {
      const cmd = /^CMD\s+(.*)$/.exec(rest.trim());
      if (cmd && cmd[1].startsWith("[")) instruction.exec = JSON.parse(cmd[1]) as string[];
    }
    if (keyword === "ARG" && stages.length === 0) {
      const [name, value = ""] = rest.trim().split("=", 2);
      globalArgs[name] = value;
      continue;
    }
    if (keyword === "FROM") {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest.trim());
      if (!from) throw new Error(`${file}:${line}: cannot read FROM ${rest}`);
      const baseImage = from[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => globalArgs[a ?? b ?? ""] ?? "");
      stages.push({ index: stages.length, name: from[2], baseImage, instructions: [instruction], source: body });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`${file}:${line}: ${keyword} before the first FROM`);
    stage.instructions.push(instruction);
    stage.source += "\n" + body;
  }
  return { globalArgs, stages };
}

export function finalStage(dockerfile: Dockerfile): Stage {
  const stage = dockerfile.stages[dockerfile.stages.length - 1];
  if (!stage) throw new Error("Dockerfile has no stage");
  return stage;
}

/** The last instruction of a kind in a stage (the one Docker applies), or undefined. */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return [...stage.instructions].reverse().find((i) => i.keyword === keyword);
}

export function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** ENV KEY=VALUE pairs of a stage (the KEY=VALUE form only; quotes not supported). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of all(stage, "ENV")) {
    for (const pair of instruction.args.split(/\s+/)) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new Error(`line ${instruction.line}: ENV must use KEY=VALUE pairs`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/** Docker's .dockerignore semantics, simplified: `**` any depth, `*`/`?` within one segment,
 * `!` re-includes, a pattern matching a directory excludes everything below it. */
export function dockerignoreMatcher(text: string): (relativePath: string) => boolean {
  const rules = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const negate = l.startsWith("!");
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, "").replace(/\/+$/, "");
      let source = "";
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === "*" && pattern[i + 1] === "*") {
          source += pattern[i + 2] === "/" ? "(?:.*/)?" : ".*";
          i += pattern[i + 2] === "/" ? 2 : 1;
        } else if (c === "*") source += "[^/]*";
        else if (c === "?") source += "[^/]";
        else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
      }
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (relativePath) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(relativePath)) ignored = !rule.negate;
    return ignored;
  };
}
