// Shared checks for the fault tests on real processes (testkit's Cluster): what "the live tree is
// exactly one signed cut" means, measured from the outside.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { compareTrees, PUBLISHER_BIN, type Cluster, type ReceiverNode } from "@prepcast/testkit";

export interface LiveState {
  /** null: no `current` yet */
  sequence: number | null;
  target: string | null;
}

export function liveState(r: ReceiverNode): LiveState {
  let target: string;
  try {
    target = fs.readlinkSync(path.join(r.dir, "data", "current"));
  } catch {
    return { sequence: null, target: null };
  }
  const m = /^cuts\/(\d{6})-[0-9a-f]{12}$/.exec(target);
  if (!m) throw new Error(`${r.id}: current points to ${target}, not to a cut directory`);
  return { sequence: Number(m[1]), target };
}

/**
 * The live tree is exactly the cut its manifest names: the site files equal, byte for byte, the
 * cut published with that sequence (never a mix of two cuts), and the signed documents are there.
 * Returns the live sequence (null when nothing was ever live).
 */
export async function expectExactlyOneSignedCut(r: ReceiverNode, contentBySequence: Map<number, string>, everLive: boolean): Promise<number | null> {
  const live = liveState(r);
  if (live.sequence === null) {
    if (everLive) throw new Error(`${r.id}: the live tree disappeared after a cut had been live`);
    return null;
  }
  const dir = path.join(r.dir, "data", live.target!);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "prepcast", "manifest.json"), "utf8")) as { sequence: number };
  if (manifest.sequence !== live.sequence) throw new Error(`${r.id}: ${live.target} holds the manifest of sequence ${manifest.sequence}`);
  for (const f of ["keyset.json", "keyset.sig", "manifest.sig"]) if (!fs.existsSync(path.join(dir, "prepcast", f))) throw new Error(`${r.id}: ${live.target} lacks prepcast/${f}`);
  const expected = contentBySequence.get(live.sequence);
  if (!expected) throw new Error(`${r.id}: live sequence ${live.sequence} was never published`);
  const cmp = await compareTrees(expected, path.join(dir, "site"));
  if (!cmp.equal) throw new Error(`${r.id}: live tree of sequence ${live.sequence} differs from the published cut: ${JSON.stringify(cmp.differences.slice(0, 5))}`);
  return live.sequence;
}

export interface PushChild {
  proc: ChildProcess;
  done: Promise<{ code: number; out: string }>;
}

/** `prep-publisher push` as a child process, so the test can act while the cut streams. */
export function pushInBackground(cluster: Cluster, cutDir: string, timeoutSeconds = 120, extra: string[] = []): PushChild {
  const proc = spawn(process.execPath, [PUBLISHER_BIN, "push", cutDir, "--config", cluster.pubConfig, "--timeout", String(timeoutSeconds), "--json", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const done = new Promise<{ code: number; out: string }>((resolve) => proc.once("exit", (c) => resolve({ code: c ?? -1, out })));
  return { proc, done };
}

export function auditEvents(r: ReceiverNode): Array<{ event: string; data: any }> {
  const file = path.join(r.dir, "data", "audit.log");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.endsWith("}"))
    .map((l) => JSON.parse(l) as { event: string; data: any });
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
