// `prep-receiver doctor`: the server against the call and against what the agent needs, as a list
// of independent checks. Each reads the real system (system.ts) and returns a status with the
// evidence (detail) and, when it is not a pass, what to do (fix). Thresholds: requirements.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PrepcastError } from "@prepcast/protocol";
import { loadConfig, resolveFrom } from "@prepcast/runtime";
import { RECEIVER_ENV, ReceiverConfigSchema } from "../../agent/config";
import { num, REQUIREMENTS as R } from "../requirements";
import * as sys from "../system";
import { fail, type Check, type CheckResult, type CheckStatus, type DoctorContext, type DoctorOptions, type Finding } from "./check";
import { CONFIG_CHECKS } from "./config";
import { HOST_CHECKS } from "./host";
import { OPLE_CHECKS, PORT_CHECKS } from "./network";
import { KEY_CHECKS } from "./keys";
import { STORAGE_CHECKS } from "./storage";

export type { Check, CheckResult, CheckStatus, DoctorContext, DoctorOptions, Finding } from "./check";

/**
 * `prep-receiver doctor`: the checks, grouped by area (config.ts, host.ts, network.ts, keys.ts,
 * storage.ts), in the order they are shown. Each is independent of the others.
 */
export const CHECKS: Check[] = [...CONFIG_CHECKS, ...HOST_CHECKS, ...PORT_CHECKS, ...KEY_CHECKS, ...STORAGE_CHECKS, ...OPLE_CHECKS];

export interface DoctorReport {
  config: string;
  /** the state directory (config's root) */
  root: string;
  host: string;
  checkedAt: string;
  summary: Record<CheckStatus, number>;
  checks: CheckResult[];
}

/** The service user: --user, else the owner of the state directory, else whoever runs doctor. */
function serviceUser(root: string, user: string | undefined): DoctorContext["user"] {
  if (user !== undefined) {
    const uid = sys.uidOf(user);
    if (uid === null)
      throw new PrepcastError("CONFIG_INVALID", `--user ${user}: no such user in /etc/passwd`, {
        where: "--user",
        hint: "give the account the agent runs as (prepcast in the PREPcast unit and image)",
      });
    return { name: user, uid, how: "--user" };
  }
  try {
    const uid = fs.statSync(root).uid;
    return { name: sys.userName(uid), uid, how: `owner of ${root}` };
  } catch {
    const uid = process.getuid?.() ?? 0;
    return { name: sys.userName(uid), uid, how: "the user running doctor; pass --user to name the service user" };
  }
}

/**
 * Reads the config by its schema only (a file problem the agent refuses at start is a check's
 * finding, not a reason to stop here), then runs the selected checks one after the other.
 */
export async function runDoctor(opts: DoctorOptions, select: { only?: string[]; skip?: string[] } = {}): Promise<DoctorReport> {
  const env = opts.env ?? process.env;
  const unknown = [...(select.only ?? []), ...(select.skip ?? [])].filter((id) => !CHECKS.some((c) => c.id === id));
  if (unknown.length)
    throw new PrepcastError("CONFIG_INVALID", `unknown check ${unknown.map((u) => JSON.stringify(u)).join(", ")}`, {
      where: select.only?.length ? "--only" : "--skip",
      hint: `checks: ${CHECKS.map((c) => c.id).join(", ")}`,
    });
  const file = path.resolve(opts.configFile);
  const { config, baseDir } = loadConfig(file, ReceiverConfigSchema, { env, overrides: RECEIVER_ENV });
  const resolve = (p: string) => resolveFrom(baseDir, p);
  const root = resolve(config.root);
  const ctx: DoctorContext = {
    file,
    config,
    resolve,
    root,
    user: serviceUser(root, opts.user),
    ople: opts.ople ?? null,
    timeoutMs: opts.timeoutMs ?? num(R.timeoutMs),
    now: (opts.now ?? (() => new Date()))(),
    env,
  };
  const checks: CheckResult[] = [];
  for (const c of CHECKS) {
    if (select.only?.length && !select.only.includes(c.id)) continue;
    if (select.skip?.includes(c.id)) continue;
    let r: Finding;
    try {
      r = await c.run(ctx);
    } catch (e) {
      r = fail(`the check itself failed: ${(e as Error).message}`, "report this to the PREPcast maintainers with the output of doctor --json");
    }
    checks.push({ id: c.id, title: c.title, ...r });
  }
  const summary: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) summary[c.status]++;
  return { config: file, root, host: os.hostname(), checkedAt: ctx.now.toISOString(), summary, checks };
}
