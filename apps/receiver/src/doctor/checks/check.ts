// What a doctor check is and returns, and the helpers the checks share.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ReceiverConfig } from "../../agent/config";

export type CheckStatus = "pass" | "warn" | "fail" | "skip";

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** what was found (and how it was checked) */
  detail: string;
  /** what to do; null on a pass or a skip */
  fix: string | null;
}

export interface DoctorOptions {
  configFile: string;
  /** the service user the secret keys must belong to (default: the owner of the state directory, else the current user) */
  user?: string;
  /** the OPLE's URL to reach (skipped without it) */
  ople?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export interface DoctorContext {
  file: string;
  config: ReceiverConfig;
  /** resolves a path of the config against its directory */
  resolve(p: string): string;
  root: string;
  user: { name: string; uid: number; how: string };
  ople: string | null;
  timeoutMs: number;
  now: Date;
  env: NodeJS.ProcessEnv;
}

export interface Check {
  id: string;
  title: string;
  run(ctx: DoctorContext): Promise<Omit<CheckResult, "id" | "title">> | Omit<CheckResult, "id" | "title">;
}

/** What a check returns (the runner adds its id and title). */
export type Finding = Omit<CheckResult, "id" | "title">;

export const pass = (detail: string) => ({ status: "pass" as const, detail, fix: null });
export const skip = (detail: string) => ({ status: "skip" as const, detail, fix: null });
export const warn = (detail: string, fix: string) => ({ status: "warn" as const, detail, fix });
export const fail = (detail: string, fix: string) => ({ status: "fail" as const, detail, fix });
const ORDER: CheckStatus[] = ["skip", "pass", "warn", "fail"];
export const worst = (a: CheckStatus, b: CheckStatus): CheckStatus => (ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b);
export const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`;

/** The nearest existing directory at or above `dir` (the state directory may not exist yet). */
export function existingAncestor(dir: string): string {
  let d = path.resolve(dir);
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}
