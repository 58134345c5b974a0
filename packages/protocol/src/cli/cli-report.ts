import { toPrepcastError, type PrepcastError } from "../errors";

// How both CLIs report: one human line `error [CODE]: message (where)` plus `hint: ...` on
// stderr, or with --json one object on stdout. Shared so publisher and receiver read alike.

export interface CliStreams {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const processStreams: CliStreams = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

/** Exit code for configuration errors (sysexits EX_CONFIG): supervisors must not restart on it. */
export const EXIT_CONFIG = 78;

/** The process exit code for a failure: 78 for a configuration problem (CONFIG_INVALID), else 1. */
export function exitCodeFor(e: unknown): number {
  return toPrepcastError(e).code === "CONFIG_INVALID" ? EXIT_CONFIG : 1;
}

/** Prints `e` and returns the exit code: 78 (EX_CONFIG) for CONFIG_INVALID, 1 otherwise. */
export function reportCliError(e: unknown, json: boolean, io: CliStreams = processStreams): number {
  const err: PrepcastError = toPrepcastError(e);
  if (json) {
    io.stdout(`${JSON.stringify(err.toJSON())}\n`);
  } else {
    const where = err.where !== undefined && !err.message.includes(err.where) ? ` (${err.where})` : "";
    io.stderr(`error [${err.code}]: ${err.message}${where}\n`);
    if (err.hint !== undefined) io.stderr(`hint: ${err.hint}\n`);
  }
  return exitCodeFor(err);
}

/** Prints a success result: `human` lines, or `{ ok: true, ...data }` with --json. */
export function reportCliSuccess(json: boolean, data: Record<string, unknown>, human: string[], io: CliStreams = processStreams): void {
  if (json) io.stdout(`${JSON.stringify({ ok: true, ...data })}\n`);
  else io.stdout(human.map((l) => `${l}\n`).join(""));
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Wraps an async CLI action: a thrown error is printed (as JSON when the action's options say --json) and sets the exit code (78 for configuration problems, else 1). */
export function cliAction<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    // commander passes (...arguments, options, command); the options object is the one with plain keys
    const opts = args.find((a) => a !== null && typeof a === "object" && !("commands" in (a as object))) as { json?: boolean } | undefined;
    try {
      await fn(...args);
    } catch (e) {
      process.exitCode = reportCliError(e, opts?.json === true);
    }
  };
}

/** The part of a commander Option that runCliProgram needs. */
export interface CliOption {
  mandatory: boolean;
  flags: string;
  attributeName(): string;
}

/** The part of a commander Command that runCliProgram needs (keeps this package free of commander). */
export interface CliProgram {
  exitOverride(): unknown;
  allowUnknownOption(allow?: boolean): unknown;
  showSuggestionAfterError(show?: boolean): unknown;
  hook(event: "preAction", listener: (thisCommand: CliProgram, actionCommand: CliProgram) => void): unknown;
  error(message: string, options?: { code?: string; exitCode?: number }): never;
  getOptionValue(key: string): unknown;
  readonly options: readonly CliOption[];
  commands: readonly CliProgram[];
  parseAsync(argv: readonly string[]): Promise<unknown>;
}

/**
 * Usage errors in the order a person fixes them: commander checks required options before it
 * looks for unknown ones, so a mistyped `--trsut` was reported as a missing `--trust`. Required
 * options are checked here instead, in a preAction hook, which runs after commander has refused
 * unknown options (with a "did you mean" suggestion) and missing arguments.
 */
function checkUsageInOrder(program: CliProgram): void {
  const required = new Map<CliProgram, CliOption[]>();
  const visit = (c: CliProgram): void => {
    c.exitOverride();
    c.allowUnknownOption(false);
    c.showSuggestionAfterError(true);
    const mandatory = c.options.filter((o) => o.mandatory);
    for (const o of mandatory) o.mandatory = false;
    if (mandatory.length > 0) required.set(c, mandatory);
    c.commands.forEach(visit);
  };
  visit(program);
  program.hook("preAction", (_program, action) => {
    for (const o of required.get(action) ?? []) {
      if (action.getOptionValue(o.attributeName()) === undefined) {
        action.error(`error: required option '${o.flags}' not specified`, { code: "commander.missingMandatoryOptionValue", exitCode: 1 });
      }
    }
  });
}

/** Parses argv (process.argv form) and sets process.exitCode: 0 ok, 1 refused or failed, 2 usage error, 78 configuration problem. */
export async function runCliProgram(program: CliProgram, argv: string[]): Promise<void> {
  checkUsageInOrder(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const ce = e as { name?: string; exitCode?: number };
    if (ce && ce.name === "CommanderError" && typeof ce.exitCode === "number") {
      process.exitCode = ce.exitCode === 0 ? 0 : 2;
      return;
    }
    process.exitCode = reportCliError(e, argv.includes("--json"));
  }
}
