// What the servers cost while wrk runs, read from /proc: RSS and CPU seconds of processes and their children.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

export function rssKiB(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      /* exited */
    }
  }
  return total;
}

/** user + system CPU seconds of whole processes (all threads), from /proc/PID/stat. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8")
        .replace(/^.*\) /s, "")
        .split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* exited */
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** CPU seconds of a process, the children it reaped (nginx's old workers after a reload) and its live children. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8")
      .replace(/^.*\) /s, "")
      .split(" ");
    ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    /* exited */
  }
  return ticks / 100 + cpuSeconds(childrenOf(pid));
}

export function childrenOf(pid: number): number[] {
  const out = spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).stdout.trim();
  return out ? out.split("\n").map(Number) : [];
}

export function isSiteWorker(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("cluster-worker");
  } catch {
    return false;
  }
}
