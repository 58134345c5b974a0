// Loopback helpers for tests that start servers: a free port that no outgoing connection can take, and polling.
import { randomInt } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";

const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** The low end of the kernel's ephemeral port range (the local ports of outgoing connections). */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A loopback TCP port that is free now, for a server a test is about to start. It is drawn below the
 * kernel's ephemeral range: a port from `listen(0)` is an ephemeral one, and any outgoing connection
 * on the machine (a fetch, a gRPC client, another jest worker) can take it as its local port between
 * this check and the server's bind, which ends in EADDRINUSE. Never the same port twice in a process.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  const low = Math.max(1024, high - 12_000);
  for (let attempt = 0; attempt < 500 && high - low > 1000; attempt++) {
    const port = low + randomInt(high - low);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  // no room below the ephemeral range: fall back to one the kernel picks
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Polls `fn` until it returns something truthy. An error it throws counts as "not yet" (and is
 * reported on timeout) unless `fatal(error)` says it ends the wait at once.
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 30_000,
  everyMs = 100,
  fatal: (e: unknown) => boolean = () => false,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      if (fatal(e)) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
