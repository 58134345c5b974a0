// The last full doctor run, kept in the state directory (ROOT/doctor.json) so the agent can send
// its summary in the session hello and the OPLE sees each difusor's preflight. Written by doctor
// (atomically, 0644: it holds no secret), read by the agent as untrusted local input: bounded size,
// checked shape, anything odd is "no summary".
import * as fs from "node:fs";
import * as path from "node:path";
import { STATE_DIR_ENTRIES, writeFileAtomic } from "@prepcast/protocol";
import type { DoctorSummaryInfo } from "@prepcast/session";

export const DOCTOR_SUMMARY_FILE = "doctor.json";
const MAX_BYTES = 16 * 1024;
const CHECK_ID = /^[a-z][a-z0-9-]{0,31}$/;

export function summaryOf(report: {
  checkedAt: string;
  summary: Record<"pass" | "warn" | "fail" | "skip", number>;
  checks: Array<{ id: string; status: string }>;
}): DoctorSummaryInfo {
  return {
    checkedAt: report.checkedAt,
    passed: report.summary.pass,
    warnings: report.summary.warn,
    failed: report.summary.fail,
    skipped: report.summary.skip,
    failedChecks: report.checks.filter((c) => c.status === "fail").map((c) => c.id),
    warningChecks: report.checks.filter((c) => c.status === "warn").map((c) => c.id),
  };
}

/** Writes ROOT/doctor.json; returns the file, or why it could not (doctor still reports). */
export async function writeDoctorSummary(root: string, summary: DoctorSummaryInfo): Promise<{ file: string | null; problem: string | null }> {
  const file = path.join(root, DOCTOR_SUMMARY_FILE);
  // only into a receiver state directory: a lone doctor.json in an empty directory would make the
  // read-only commands take it for something else (requireStateDir)
  if (
    ![STATE_DIR_ENTRIES.state, STATE_DIR_ENTRIES.cuts, STATE_DIR_ENTRIES.current, STATE_DIR_ENTRIES.auditLog].some((n) => fs.existsSync(path.join(root, n)))
  ) {
    return { file: null, problem: `${root} holds no agent state yet (the agent creates it at its first start): run doctor again after it` };
  }
  try {
    await writeFileAtomic(file, `${JSON.stringify({ format: "prepcast/doctor-summary@1", ...summary })}\n`, 0o644);
    return { file, problem: null };
  } catch (e) {
    return { file: null, problem: `${file} not written: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
}

export function readDoctorSummary(root: string): DoctorSummaryInfo | null {
  try {
    const file = path.join(root, DOCTOR_SUMMARY_FILE);
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    let text: string;
    try {
      const buf = Buffer.alloc(MAX_BYTES + 1);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      if (n > MAX_BYTES) return null;
      text = buf.subarray(0, n).toString("utf8");
    } finally {
      fs.closeSync(fd);
    }
    const v = JSON.parse(text) as Record<string, unknown>;
    const count = (x: unknown) => (Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 1000 ? (x as number) : null);
    const ids = (x: unknown) => (Array.isArray(x) && x.length <= 32 && x.every((i) => typeof i === "string" && CHECK_ID.test(i)) ? (x as string[]) : null);
    const out = {
      checkedAt: typeof v.checkedAt === "string" && Number.isFinite(Date.parse(v.checkedAt)) ? v.checkedAt : null,
      passed: count(v.passed),
      warnings: count(v.warnings),
      failed: count(v.failed),
      skipped: count(v.skipped),
      failedChecks: ids(v.failedChecks),
      warningChecks: ids(v.warningChecks),
    };
    if (v.format !== "prepcast/doctor-summary@1" || Object.values(out).some((x) => x === null)) return null;
    return out as DoctorSummaryInfo;
  } catch {
    return null;
  }
}
