import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { PrepcastError } from "@prepcast/protocol";

export interface EnvOverride {
  /** Environment variable, e.g. PREPCAST_SITE_LISTEN. */
  env: string;
  /** Dotted path in the config, e.g. site.listen. */
  path: string;
  /** How to turn the string into the field's value (default: as is). */
  parse?: (raw: string) => unknown;
}

export const commaList = (raw: string): string[] => raw.split(",").map((s) => s.trim()).filter(Boolean);

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let cur: Record<string, unknown> = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== "object" || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

/**
 * Reads a YAML or JSON config, applies PREPCAST_* overrides, validates it with zod and reports
 * every problem at once, each with its path in the file, as one CONFIG_INVALID error.
 * Relative file paths in the config are the caller's to resolve against `baseDir`.
 */
export function loadConfig<S extends z.ZodType>(
  file: string,
  schema: S,
  opts: { env?: NodeJS.ProcessEnv; overrides?: EnvOverride[] } = {},
): { config: z.infer<S>; baseDir: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new PrepcastError("CONFIG_INVALID", `cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      where: file,
      hint: "pass --config with the path of your YAML or JSON config (`init` writes an example)",
    });
  }
  let raw: unknown;
  try {
    raw = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? `${file}:${e.linePos[0].line}:${e.linePos[0].col}` : file;
    throw new PrepcastError("CONFIG_INVALID", `config file is not valid ${file.endsWith(".json") ? "JSON" : "YAML"}: ${(e as Error).message.split("\n")[0]}`, { where });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new PrepcastError("CONFIG_INVALID", "config file must hold a mapping of settings", { where: file });
  }
  const env = opts.env ?? process.env;
  for (const o of opts.overrides ?? []) {
    const v = env[o.env];
    if (v !== undefined && v !== "") setPath(raw as Record<string, unknown>, o.path, o.parse ? o.parse(v) : v);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  - ${i.path.length ? i.path.join(".") : "(top level)"}: ${i.message}`);
    throw new PrepcastError("CONFIG_INVALID", `${problems.length} problem(s) in ${file}:\n${problems.join("\n")}`, {
      where: file,
      hint: "fix every listed field; see docs/operations/configuration.md",
      details: { problems: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
    });
  }
  return { config: result.data, baseDir: path.dirname(path.resolve(file)) };
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
