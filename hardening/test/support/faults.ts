// Shared checks for the fault tests on real processes (testkit's Cluster): what "the live tree is
// exactly one signed cut" means, measured from the outside.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { auditEntries, expectLiveCutIsOneSignedCut, liveCut, PUBLISHER_BIN, type Cluster, type LiveState, type ReceiverNode } from "@prepcast/testkit";

export type { LiveState } from "@prepcast/testkit";

const stateOf = (r: ReceiverNode) => ({ id: r.id, stateDir: path.join(r.dir, "data") });

export function liveState(r: ReceiverNode): LiveState {
  return liveCut(stateOf(r));
}

/** The live tree is exactly one signed cut (testkit's expectLiveCutIsOneSignedCut on the receiver's data/). */
export function expectExactlyOneSignedCut(r: ReceiverNode, contentBySequence: Map<number, string>, everLive: boolean): Promise<number | null> {
  return expectLiveCutIsOneSignedCut(stateOf(r), contentBySequence, everLive);
}

export interface PushChild {
  proc: ChildProcess;
  done: Promise<{ code: number; out: string }>;
}

/** `prep-publisher push` as a child process, so the test can act while the cut streams. */
export function pushInBackground(cluster: Cluster, cutDir: string, timeoutSeconds = 120, extra: string[] = []): PushChild {
  const proc = spawn(
    process.execPath,
    [PUBLISHER_BIN, "push", cutDir, "--config", cluster.pubConfig, "--timeout", String(timeoutSeconds), "--json", ...extra],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const done = new Promise<{ code: number; out: string }>((resolve) => proc.once("exit", (c) => resolve({ code: c ?? -1, out })));
  return { proc, done };
}

export function auditEvents(r: ReceiverNode): Array<{ event: string; data: any }> {
  return auditEntries(stateOf(r));
}

/** Peak resident memory and CPU time of a process, from /proc (Linux). */
export function procStats(pid: number): { rssMb: number; hwmMb: number; cpuSeconds: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    const ticks = Number(stat[11]) + Number(stat[12]);
    return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024, cpuSeconds: ticks / 100 };
  } catch {
    return null;
  }
}
