import * as fs from "node:fs";
import { z } from "zod";
import { PrepcastError, readPublicKeyFile } from "@prepcast/protocol";
import { commaList, loadConfig, resolveFrom, type EnvOverride } from "@prepcast/runtime";

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):\d{1,5}$/, "must be HOST:PORT");
const tls = z.strictObject({ cert: z.string().min(1), key: z.string().min(1) });

export const ReceiverConfigSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "must be 1-64 lower-case letters, digits, '.', '_' or '-'"),
  root: z.string().min(1),
  trust: z.strictObject({
    rootPublicKey: z.string().min(1),
    process: z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,63}$/, "must look like VER-2024"),
    channels: z.array(z.enum(["produccion", "simulacro"])).min(1).default(["produccion"]),
  }),
  identity: z.strictObject({ secretKey: z.string().min(1) }),
  publisher: z.strictObject({ id: z.string().min(1), identityPublicKey: z.string().min(1) }),
  push: z.strictObject({
    listen: hostPort.default("0.0.0.0:8730"),
    /** Also accept the publisher over WebSocket; on `site` when the site serves TLS, else on its own listener. */
    websocket: z.union([z.boolean(), z.strictObject({ listen: hostPort })]).default(false),
    tls: tls.nullable().default(null),
    allowlist: z.array(z.string().min(1)).min(1, "list the publisher's addresses (CIDRs); everything else is dropped"),
    maxFrameBytes: z.number().int().min(64 * 1024).max(64 * 1024 * 1024).default(8 * 1024 * 1024),
  }),
  site: z
    .strictObject({
      listen: hostPort.default("0.0.0.0:80"),
      tls: tls.nullable().default(null),
      frameAncestors: z.array(z.string()).default(["'self'"]),
      workers: z.number().int().min(0).max(256).default(0),
      analytics: z.boolean().default(true),
      /** The analytics database (default ROOT/analytics.sqlite); put it on its own volume if you can. */
      analyticsFile: z.string().min(1).optional(),
      /** Disk budget of the analytics database; past it hits are counted as dropped, not written. */
      analyticsMaxMiB: z.number().int().min(1).max(1024 * 1024).default(1024),
    })
    .default({ listen: "0.0.0.0:80", tls: null, frameAncestors: ["'self'"], workers: 0, analytics: true, analyticsMaxMiB: 1024 }),
  admin: z
    .strictObject({
      listen: hostPort.default("127.0.0.1:8731"),
      /** Host names (name or name:port) the admin listener answers to besides loopback (DNS rebinding defence). */
      allowedHosts: z.array(z.string().min(1).max(255)).max(32).optional(),
    })
    .default({ listen: "127.0.0.1:8731" }),
  retain: z.number().int().min(0).max(1000).default(3),
  /** Cuts older than this many update periods without a new one are reported "stale". */
  stalePeriods: z.number().int().min(1).default(2),
  updatePeriodMinutes: z.number().positive().default(15),
  log: z.strictObject({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info") }).default({ level: "info" }),
});
export type ReceiverConfig = z.infer<typeof ReceiverConfigSchema>;

export const RECEIVER_ENV: EnvOverride[] = [
  { env: "PREPCAST_ROOT", path: "root" },
  { env: "PREPCAST_LOG_LEVEL", path: "log.level" },
  { env: "PREPCAST_SITE_LISTEN", path: "site.listen" },
  { env: "PREPCAST_PUSH_LISTEN", path: "push.listen" },
  { env: "PREPCAST_ADMIN_LISTEN", path: "admin.listen" },
  { env: "PREPCAST_ADMIN_ALLOWED_HOSTS", path: "admin.allowedHosts", parse: commaList },
  { env: "PREPCAST_ALLOWLIST", path: "push.allowlist", parse: commaList },
];

export interface ResolvedReceiverConfig extends ReceiverConfig {
  file: string;
  rootPublicKey: Uint8Array;
  publisherPublicKey: Uint8Array;
}

function keyFrom(value: string, baseDir: string, where: string): Uint8Array {
  if (/^[A-Za-z0-9+/]{43}=$/.test(value)) return Buffer.from(value, "base64");
  const file = resolveFrom(baseDir, value);
  if (!fs.existsSync(file)) throw new PrepcastError("CONFIG_INVALID", `key file ${file} does not exist`, { where, hint: "copy the .pub file the OPLE handed out next to the config" });
  return readPublicKeyFile(file).publicKey;
}

export function loadReceiverConfig(file: string, env: NodeJS.ProcessEnv = process.env): ResolvedReceiverConfig {
  const { config, baseDir } = loadConfig(file, ReceiverConfigSchema, { env, overrides: RECEIVER_ENV });
  const r = (p: string) => resolveFrom(baseDir, p);
  const resolveTls = (t: { cert: string; key: string } | null) => (t ? { cert: r(t.cert), key: r(t.key) } : null);
  return {
    ...config,
    file,
    root: r(config.root),
    trust: { ...config.trust, rootPublicKey: r(config.trust.rootPublicKey) },
    identity: { secretKey: r(config.identity.secretKey) },
    push: { ...config.push, tls: resolveTls(config.push.tls) },
    site: { ...config.site, tls: resolveTls(config.site.tls) },
    rootPublicKey: keyFrom(config.trust.rootPublicKey, baseDir, `${file}: trust.rootPublicKey`),
    publisherPublicKey: keyFrom(config.publisher.identityPublicKey, baseDir, `${file}: publisher.identityPublicKey`),
  };
}
