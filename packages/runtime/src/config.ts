import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { PrepcastError } from "@prepcast/protocol";
import { readAccessProblem, secretModeProblem, writableDirectoryProblem, type FileKind } from "./file-access";

export interface EnvOverride {
  /** Environment variable, e.g. PREPCAST_SITE_LISTEN. */
  env: string;
  /** Dotted path in the config, e.g. site.listen. */
  path: string;
  /** How to turn the string into the field's value (default: as is). */
  parse?: (raw: string) => unknown;
}

export const commaList = (raw: string): string[] =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let cur: Record<string, unknown> = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== "object" || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

/** What a config's own checks (files, listeners, combinations of fields) get to report problems. */
export interface ConfigCheckContext {
  /** The config file as given. */
  file: string;
  /** Its directory: relative paths in the file start here. */
  baseDir: string;
  /** A path from the file, resolved against baseDir. */
  resolve(p: string): string;
  /** Records a problem at a dotted field path (e.g. push.tls.key). */
  problem(field: string, message: string): void;
}

/**
 * A config's own checks, run with the schema so that every problem is listed at once. `value` is
 * what the schema made of the file (defaults applied); when the schema reported problems, some
 * fields may be missing or of the wrong type: read it with configValue / configString.
 */
export type ConfigCheck = (value: unknown, ctx: ConfigCheckContext) => void;

/** The value at a dotted path of a (possibly invalid) config value, or undefined. */
export function configValue(value: unknown, dotted: string): unknown {
  let cur: unknown = value;
  for (const k of dotted.split(".")) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A non-empty string at a dotted path, or undefined (absent, or reported by the schema). */
export function configString(value: unknown, dotted: string): string | undefined {
  const v = configValue(value, dotted);
  return typeof v === "string" && v !== "" ? v : undefined;
}

interface Problem {
  path: string;
  message: string;
}

function configError(file: string, problems: Problem[], hint: string): PrepcastError {
  const lines = problems.map((p) => `  - ${p.path}: ${p.message}`);
  return new PrepcastError("CONFIG_INVALID", `${problems.length} problem${problems.length === 1 ? "" : "s"} in ${file}:\n${lines.join("\n")}`, {
    where: file,
    hint,
    details: { problems },
  });
}

/**
 * Reads a YAML or JSON config, applies PREPCAST_* overrides, validates it with zod and the
 * config's own `check` (files it names, listeners, combinations), and reports every problem at
 * once, each with its path in the file, as one CONFIG_INVALID error (the CLIs exit 78 on it).
 * Relative file paths in the config are the caller's to resolve against `baseDir`.
 */
export function loadConfig<S extends z.ZodType>(
  file: string,
  schema: S,
  opts: { env?: NodeJS.ProcessEnv; overrides?: EnvOverride[]; check?: ConfigCheck } = {},
): { config: z.infer<S>; baseDir: string } {
  const unreadable = readAccessProblem(file, "config");
  if (unreadable) {
    const missing = !fs.existsSync(file) && (unreadable.message.endsWith("does not exist") || unreadable.message.startsWith("directory"));
    throw new PrepcastError("CONFIG_INVALID", missing ? `config file ${file} does not exist` : `cannot read config file ${file}: ${unreadable.message}`, {
      where: file,
      hint: missing ? "pass --config with the path of your YAML or JSON config (`init` writes an example)" : unreadable.fix,
    });
  }
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new PrepcastError("CONFIG_INVALID", `cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      where: file,
      hint: "check the file and its permissions",
    });
  }
  let raw: unknown;
  try {
    raw = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? `${file}:${e.linePos[0].line}:${e.linePos[0].col}` : file;
    throw new PrepcastError(
      "CONFIG_INVALID",
      `config file ${where} is not valid ${file.endsWith(".json") ? "JSON" : "YAML"}: ${(e as Error).message.split("\n")[0]}`,
      {
        where,
        hint: "fix the syntax at that line (indentation with spaces, `key: value`, quotes around values with `: ` or `#`)",
      },
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new PrepcastError("CONFIG_INVALID", `config file ${file} must hold a mapping of settings`, {
      where: file,
      hint: "start from the example `init` writes",
    });
  }
  const env = opts.env ?? process.env;
  const fromEnv = new Map<string, string>();
  for (const o of opts.overrides ?? []) {
    const v = env[o.env];
    if (v !== undefined && v !== "") {
      setPath(raw as Record<string, unknown>, o.path, o.parse ? o.parse(v) : v);
      fromEnv.set(o.path, o.env);
    }
  }
  const baseDir = path.dirname(path.resolve(file));
  const check = opts.check;
  // The config's own checks run even when the schema found problems (zod's `when`), so that a bad
  // key file and a bad field are reported together.
  const full = check
    ? schema.superRefine(
        (value, ctx) => {
          const problem = (field: string, message: string) => ctx.addIssue({ code: "custom", path: field.split("."), message });
          try {
            check(value, { file, baseDir, resolve: (p) => resolveFrom(baseDir, p), problem });
          } catch (e) {
            problem("(top level)", `could not be checked: ${(e as Error).message}`);
          }
        },
        { when: () => true },
      )
    : schema;
  const result = full.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i): Problem => {
      const p = i.path.length ? i.path.join(".") : "(top level)";
      const envName = [...fromEnv].find(([field]) => p === field || p.startsWith(`${field}.`))?.[1];
      return { path: p, message: envName ? `${i.message} (set by ${envName})` : i.message };
    });
    throw configError(file, problems, "fix every listed field; see docs/operations/configuration.md");
  }
  return { config: result.data as z.infer<S>, baseDir };
}

/** "host:port" / "[v6]:port" → parts, with a clear error. */
export function parseListen(value: string, where: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new PrepcastError("CONFIG_INVALID", `"${value}" is not HOST:PORT`, { where, hint: "e.g. 0.0.0.0:8730 or 127.0.0.1:8731" });
  }
  return { host: (m[1] ?? m[2])!, port };
}

export function resolveFrom(baseDir: string, p: string): string {
  return path.isAbsolute(p) ? p : path.resolve(baseDir, p);
}

/**
 * Checks a file a config field names: that the service's user can reach and read it (the problem
 * says which user, the file's owner and mode, and the command to run), that a secret is mode 0600,
 * and then `validate(file)` (parse it; a thrown error becomes the field's problem).
 */
export function checkConfigFile(
  ctx: ConfigCheckContext,
  field: string,
  value: string | undefined,
  kind: FileKind,
  validate?: (file: string) => void,
  missingHint?: string,
): void {
  if (value === undefined) return;
  const file = ctx.resolve(value);
  const access = readAccessProblem(file, kind);
  if (access) return ctx.problem(field, `${access.message}: ${missingHint !== undefined && !fs.existsSync(file) ? missingHint : access.fix}`);
  if (kind === "secret") {
    const mode = secretModeProblem(file);
    if (mode) return ctx.problem(field, `${mode.message}: ${mode.fix}`);
  }
  if (!validate) return;
  try {
    validate(file);
  } catch (e) {
    const err = e as PrepcastError;
    ctx.problem(field, `${err.message}${err.hint ? ` (${err.hint})` : ""}`);
  }
}

/** Checks that the service's user can create and write the directory a config field names. */
export function checkConfigDirectory(ctx: ConfigCheckContext, field: string, value: string | undefined): void {
  if (value === undefined) return;
  const access = writableDirectoryProblem(ctx.resolve(value));
  if (access) ctx.problem(field, `${access.message}: ${access.fix}`);
}
