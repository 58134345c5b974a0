// Test fixtures: real publisher service, real receiver agents (gRPC over TLS on 127.0.0.1, site
// server on 127.0.0.1), real generated cuts. Nothing is mocked.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { generateKeyPair, initPublisherKeys, writePublicKeyFile, writeSecretKeyFile } from "@prepcast/protocol";
import { generateCut, type GeneratedCut, waitFor as pollUntil, writeReceiverDir } from "@prepcast/testkit";
import { createLogger } from "@prepcast/runtime";
import { loadPublisherConfig } from "../src/service/config";
import { PublisherService } from "../src/service/publisher-service";

export const REPO = path.resolve(__dirname, "../../..");
export const PUBLISHER_BIN = path.join(REPO, "apps/publisher/bin/prep-publisher.js");

/** Runs the prep-publisher CLI without blocking this process (receiver agents live here and must keep serving). */
export function runPublisherCli(args: string[], timeoutMs = 30_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PUBLISHER_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The receiver app is a sibling app, not a package: loaded by path (jest compiles it) and typed here. */
export interface AgentHandle {
  siteUrl: string | null;
  adminAddress: { host: string; port: number } | null;
  pushAddresses(): Array<{ host: string; port: number }>;
  status(): Record<string, unknown>;
  stop(): Promise<void>;
}
interface ReceiverModules {
  ReceiverAgent: { start(opts: { config: unknown; log?: unknown; clock?: () => Date; freeDisk?: () => Promise<number> }): Promise<AgentHandle> };
  loadReceiverConfig(file: string): unknown;
}
function receiverModules(): ReceiverModules {
  const agentPath = path.join(REPO, "apps/receiver/src/agent/receiver-agent");
  const configPath = path.join(REPO, "apps/receiver/src/agent/config");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const agent = require(agentPath) as Pick<ReceiverModules, "ReceiverAgent">;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(configPath) as Pick<ReceiverModules, "loadReceiverConfig">;
  return { ...agent, ...config };
}

export const quietLog = () => createLogger({ name: "test", level: "silent" });

export interface PublisherKeys {
  dir: string;
  identityPub: string;
  rootPub: string;
}

export function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `prepcast-${prefix}-`));
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(d); // removed after the test file (jest.environment.js)
  return d;
}

export function makePublisherKeys(work: string): PublisherKeys {
  const dir = path.join(work, "keys");
  initPublisherKeys(dir);
  const identity = generateKeyPair();
  writeSecretKeyFile(path.join(dir, "identity.key"), identity);
  writePublicKeyFile(path.join(dir, "identity.pub"), identity.publicKey);
  return { dir, identityPub: path.join(dir, "identity.pub"), rootPub: path.join(dir, "root.pub") };
}

export interface ReceiverFixture {
  id: string;
  dir: string;
  root: string;
  agent: AgentHandle;
  identityPublicKey: string;
  tlsFingerprint: string;
  pushPort: number;
  channels: string[];
  configFile: string;
}

export async function startReceiver(
  work: string,
  id: string,
  keys: PublisherKeys,
  opts: { channels?: string[]; process?: string; clockOffsetMs?: number; freeDiskBytes?: number } = {},
): Promise<ReceiverFixture> {
  const channels = opts.channels ?? ["produccion"];
  const { dir, root, configFile, identityPublicKey, tlsFingerprint } = await writeReceiverDir(path.join(work, id), {
    id,
    rootPublicKey: keys.rootPub,
    publisherIdentityPublicKey: keys.identityPub,
    channels,
    ...(opts.process ? { process: opts.process } : {}),
  });
  const m = receiverModules();
  const agent = await m.ReceiverAgent.start({
    config: m.loadReceiverConfig(configFile),
    log: quietLog(),
    ...(opts.clockOffsetMs ? { clock: () => new Date(Date.now() + opts.clockOffsetMs!) } : {}),
    ...(opts.freeDiskBytes !== undefined ? { freeDisk: async () => opts.freeDiskBytes! } : {}),
  });
  return {
    id,
    dir,
    root,
    agent,
    identityPublicKey,
    tlsFingerprint,
    pushPort: agent.pushAddresses()[0]!.port,
    channels,
    configFile,
  };
}

export interface PublisherOptions {
  channel?: "produccion" | "simulacro";
  publicUrls?: Record<string, string>;
  logos?: Record<string, string>;
  monitor?: Record<string, unknown>;
  suspendAfterPeriods?: number;
  admin?: Record<string, unknown>;
  state?: string;
  keysetWarnDays?: number;
}

export function writePublisherConfig(work: string, keys: PublisherKeys, receivers: ReceiverFixture[], opts: PublisherOptions = {}): string {
  const config = {
    id: "ople",
    process: "VER-2024",
    channel: opts.channel ?? "produccion",
    keys: keys.dir,
    identity: { secretKey: path.join(keys.dir, "identity.key") },
    state: opts.state ?? path.join(work, "pub-state"),
    admin: { listen: "127.0.0.1:0", ...(opts.admin ?? {}) },
    updatePeriodMinutes: 15,
    suspendAfterPeriods: opts.suspendAfterPeriods ?? 3,
    pingSeconds: 5,
    ...(opts.keysetWarnDays !== undefined ? { keysetWarnDays: opts.keysetWarnDays } : {}),
    monitor: { probeIntervalSeconds: 0.25, probeTimeoutSeconds: 2, periodSeconds: 1, ...(opts.monitor ?? {}) },
    log: { level: "fatal" },
    receivers: receivers.map((r) => ({
      id: r.id,
      name: `Difusor ${r.id.toUpperCase()}`,
      address: `127.0.0.1:${r.pushPort}`,
      tlsFingerprint: r.tlsFingerprint,
      identityPublicKey: r.identityPublicKey,
      ...(opts.publicUrls?.[r.id] ? { publicUrl: opts.publicUrls[r.id] } : {}),
      ...(opts.logos?.[r.id] ? { logo: opts.logos[r.id] } : {}),
      contact: `ti@${r.id}.example`,
    })),
  };
  const file = path.join(work, `publisher-${Math.random().toString(36).slice(2, 8)}.json`);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export async function startPublisher(configFile: string, opts: { admin?: boolean; monitor?: boolean } = {}): Promise<PublisherService> {
  return PublisherService.start({
    config: loadPublisherConfig(configFile),
    log: quietLog(),
    admin: opts.admin ?? true,
    watchInbox: false,
    monitor: opts.monitor ?? true,
  });
}

const cutCache = new Map<string, GeneratedCut>();
/** Small generated cuts, made once per test file. */
export async function cut(work: string, k: number): Promise<GeneratedCut> {
  const key = `${work}:${k}`;
  let c = cutCache.get(key);
  if (!c) {
    c = await generateCut({ outDir: path.join(work, "cuts"), k, scale: "small" });
    cutCache.set(key, c);
  }
  return c;
}

/** testkit's waitFor with this suite's defaults. */
export function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 50): Promise<NonNullable<T>> {
  return pollUntil(what, fn, timeoutMs, everyMs) as Promise<NonNullable<T>>;
}

export async function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/**
 * A front proxy to a difusor's site, as a CDN or reverse proxy would be: passes requests through
 * and caches every answer; `freeze()` makes it answer from its cache (a stale CDN), `down()`
 * makes it refuse with 502 (a broken proxy).
 */
export class FrontProxy {
  private server: http.Server | null = null;
  private readonly cache = new Map<string, { status: number; headers: Record<string, string>; body: Buffer }>();
  mode: "pass" | "frozen" | "down" = "pass";
  url = "";

  constructor(private readonly origin: string) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      void (async () => {
        const key = req.url ?? "/";
        if (this.mode === "down") {
          res.writeHead(502, { "content-type": "text/plain" });
          return res.end("bad gateway\n");
        }
        const cached = this.cache.get(key);
        if (this.mode === "frozen" && cached) {
          res.writeHead(cached.status, cached.headers);
          return res.end(cached.body);
        }
        try {
          const up = await fetch(this.origin + key, {
            headers: { "accept-encoding": "identity", ...(req.headers["sec-fetch-dest"] ? { "sec-fetch-dest": String(req.headers["sec-fetch-dest"]) } : {}) },
            redirect: "manual",
          });
          const body = Buffer.from(await up.arrayBuffer());
          const headers: Record<string, string> = { "content-type": up.headers.get("content-type") ?? "application/octet-stream" };
          this.cache.set(key, { status: up.status, headers, body });
          res.writeHead(up.status, headers);
          res.end(body);
        } catch {
          res.writeHead(502);
          res.end();
        }
      })();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }
}

export function auditEvents(stateDir: string, name = "audit.log"): Array<{ event: string; data: Record<string, unknown> }> {
  const file = path.join(stateDir, name);
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; data: Record<string, unknown> });
}
