// One wrk run against a server while cuts switch every 2 s, and what it measured.
import { spawn } from "node:child_process";
import { CONNECTIONS, DURATION, THREADS, UA } from "./options";
import { activate } from "./cut-install";
import { childrenOf, cpuSeconds, rssKiB, treeCpuSeconds } from "./proc-stats";

export interface WrkResult {
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  socketErrors: number;
  non2xx: number;
  raw: string;
}

export function ms(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
}

export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (!/Requests\/sec/.test(out)) console.error(`could not parse wrk output:\n${out}`);
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50ms: ms(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ""),
    p99ms: ms(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ""),
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    raw: out,
  };
}

export interface RunResult extends WrkResult {
  peakRssMiB: number;
  switches: number;
  /** CPU seconds of the server's other processes (`pids`) + `ownCpu` (this process, when it serves). */
  serverCpu: number;
  wrkCpu: number;
}

/**
 * Runs wrk while switching cuts every 2 s, sampling the RSS of `pids` and measuring the CPU time
 * the server (`pids`, plus this process when `ownCpu`) and wrk spend.
 */
export async function runWrk(
  url: string,
  script: string,
  root: string,
  cutIds: string[],
  pids: number[],
  ownCpu: boolean,
  managed?: { master: number; onSwitch: () => void },
): Promise<RunResult> {
  let peak = 0;
  let switches = 0;
  const rssPids = (): number[] => (managed ? [managed.master, ...childrenOf(managed.master)] : ownCpu ? [process.pid, ...pids] : pids);
  const serverCpuNow = (): number => (managed ? treeCpuSeconds(managed.master) : cpuSeconds(pids));
  const cpu0 = serverCpuNow();
  const own0 = process.cpuUsage();
  let wrkCpu = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssKiB(rssPids()));
    if (wrk.pid) wrkCpu = Math.max(wrkCpu, cpuSeconds([wrk.pid]));
  }, 200);
  const switcher = setInterval(() => {
    switches++;
    activate(root, cutIds[switches % cutIds.length]!);
    managed?.onSwitch();
  }, 2000);
  const wrk = spawn("wrk", [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${DURATION}s`, "--latency", "-H", `User-Agent: ${UA}`, "-s", script, url]);
  let out = "";
  wrk.stdout.on("data", (d: Buffer) => (out += d.toString()));
  wrk.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const [code, signal] = await new Promise<[number | null, string | null]>((r) => wrk.on("close", (c: number | null, s: string | null) => r([c, s])));
  if (code !== 0) out += `\nwrk exited with code ${code} signal ${signal}\n`;
  clearInterval(sampler);
  clearInterval(switcher);
  const own = process.cpuUsage(own0);
  const serverCpu = serverCpuNow() - cpu0 + (ownCpu ? (own.user + own.system) / 1e6 : 0);
  activate(root, cutIds[0]!);
  managed?.onSwitch();
  return { ...parseWrk(out), peakRssMiB: peak / 1024, switches, serverCpu, wrkCpu };
}

export async function waitForPort(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}
