import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { PrepcastError, inlinePublicKey, readPublicKeyFile, readSecretKeyFile, readTrustedRoot, stateDirLayout, type RootOfTrust } from "@prepcast/protocol";
import {
  checkConfigDirectory,
  checkConfigFile,
  checkListeners,
  commaList,
  configString,
  configValue,
  loadConfig,
  resolveFrom,
  type ConfigCheckContext,
  type EnvOverride,
  type ListenerField,
} from "@prepcast/runtime";
import { parseCidr } from "@prepcast/transport";

/** HOST:PORT, checked (with every other listener) by checkListeners. */
const hostPort = z.string().min(1);
const tls = z.strictObject({ cert: z.string().min(1), key: z.string().min(1) });

export const ReceiverConfigSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "must be 1-64 lower-case letters, digits, '.', '_' or '-'"),
  root: z.string().min(1),
  trust: z.strictObject({
    rootPublicKey: z.string().min(1),
    process: z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,63}$/, "must look like VER-2024"),
    channels: z
      .array(z.enum(["produccion", "simulacro"]))
      .min(1)
      .default(["produccion"]),
  }),
  identity: z.strictObject({ secretKey: z.string().min(1) }),
  publisher: z.strictObject({ id: z.string().min(1), identityPublicKey: z.string().min(1) }),
  push: z.strictObject({
    listen: hostPort.default("0.0.0.0:8730"),
    /** Also accept the publisher over WebSocket; on `site` when the site serves TLS, else on its own listener. */
    websocket: z.union([z.boolean(), z.strictObject({ listen: hostPort })]).default(false),
    tls: tls.nullable().default(null),
    allowlist: z.array(z.string().min(1)).min(1, "list the publisher's addresses (CIDRs); everything else is dropped"),
    maxFrameBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(64 * 1024 * 1024)
      .default(8 * 1024 * 1024),
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
      analyticsMaxMiB: z
        .number()
        .int()
        .min(1)
        .max(1024 * 1024)
        .default(1024),
      /** The reverse proxy or CDN in front of the site, as the memoria técnica's service diagram names it (no effect on the service). */
      frontend: z.string().trim().min(1).max(120).optional(),
      /** Serve through the difusor's own nginx (docs/operations/nginx.md): the agent keeps this include correct. */
      nginx: z
        .strictObject({
          /** The include file the difusor's server block includes (the agent writes it, temp + rename). */
          include: z.string().min(1),
          /** prepcast.json, the pages and the banner/verifier files nginx serves (default ROOT/nginx). */
          publicDir: z.string().min(1).optional(),
          /** nginx's access log for the site (combined format), followed into the analytics store. */
          accessLog: z.string().min(1).default("/var/log/nginx/prepcast.access.log"),
          /** Checks nginx's config with the new include in place; [] = no check. */
          test: z.array(z.string().min(1)).default(["nginx", "-t"]),
          /** Makes nginx load a changed include; [] = no reload. */
          reload: z.array(z.string().min(1)).default(["nginx", "-s", "reload"]),
          /** Follow accessLog into the analytics store (ingest-logs --follow inside the agent). */
          followLog: z.boolean().default(true),
          /** How often prepcast.json is rewritten and the state checked (seconds). */
          refreshSeconds: z.number().int().min(1).max(300).default(5),
        })
        .optional(),
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
  /**
   * Optional payload encodings (docs/protocol.md §9). deltaZip: delta-zip@1 (§9.4), zips that
   * rebuild byte for byte travel as their entries' delta; it costs deflate CPU on both sides each
   * cut (docs/benchmarks.md), so it is off unless both the OPLE and the difusor turn it on.
   */
  encodings: z.strictObject({ deltaZip: z.boolean().default(false) }).default({ deltaZip: false }),
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
  /** the pinned root as configured: root.pub (or inline base64) is the implicit 1-of-1 root; root.json (+ root.sig) a root set */
  rootPublicKey: RootOfTrust;
  publisherPublicKey: Uint8Array;
}

/** `trust.rootPublicKey` as the agent pins it: an inline base64 key, or a root.pub / root.json (+ root.sig) file resolved by `resolve`. */
export function configuredRoot(value: string, resolve: (p: string) => string): RootOfTrust {
  return inlinePublicKey(value) ?? readTrustedRoot(resolve(value), "trust.rootPublicKey");
}

/** A public key given inline (base64) or as a .pub file. */
function checkPublicKey(ctx: ConfigCheckContext, field: string, value: string | undefined, hint: string): void {
  if (value === undefined || inlinePublicKey(value) !== undefined) return;
  checkConfigFile(ctx, field, value, "public", (file) => readPublicKeyFile(file), hint);
}

/** A TLS certificate and its private key: readable, the key 0600, both PEM, and belonging together. */
function checkTlsPair(ctx: ConfigCheckContext, field: string, v: unknown): void {
  const certPath = configString(v, `${field}.cert`);
  const keyPath = configString(v, `${field}.key`);
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  checkConfigFile(ctx, `${field}.cert`, certPath, "public", (file) => {
    try {
      cert = new X509Certificate(fs.readFileSync(file));
    } catch (e) {
      throw new PrepcastError("CONFIG_INVALID", `${file} is not a PEM X.509 certificate (${(e as Error).message})`, {
        hint: "give the certificate (-----BEGIN CERTIFICATE-----), not the key",
      });
    }
  });
  checkConfigFile(ctx, `${field}.key`, keyPath, "secret", (file) => {
    try {
      key = createPrivateKey(fs.readFileSync(file));
    } catch {
      // the parser's message could quote the key: say only what is wrong
      throw new PrepcastError("CONFIG_INVALID", `${file} is not a PEM private key`, {
        hint: "give the private key (-----BEGIN PRIVATE KEY-----) that goes with the certificate",
      });
    }
  });
  if (cert && key && !cert.checkPrivateKey(key))
    ctx.problem(`${field}.key`, `${ctx.resolve(keyPath!)} is not the private key of the certificate ${ctx.resolve(certPath!)} (${field}.cert)`);
}

/** The receiver's checks beyond the schema: every file it names, the listeners, combinations. */
function checkReceiverConfig(v: unknown, ctx: ConfigCheckContext): void {
  checkConfigDirectory(ctx, "root", configString(v, "root"));
  const analyticsFile = configString(v, "site.analyticsFile");
  if (analyticsFile !== undefined && configValue(v, "site.analytics") !== false)
    checkConfigDirectory(ctx, "site.analyticsFile", path.dirname(ctx.resolve(analyticsFile)));
  const nginxInclude = configString(v, "site.nginx.include");
  if (nginxInclude !== undefined) checkConfigDirectory(ctx, "site.nginx.include", path.dirname(ctx.resolve(nginxInclude)));
  const root = configString(v, "trust.rootPublicKey");
  if (root !== undefined && inlinePublicKey(root) === undefined) {
    checkConfigFile(
      ctx,
      "trust.rootPublicKey",
      root,
      "public",
      (file) => readTrustedRoot(file, "trust.rootPublicKey"),
      "copy the root.pub (or root.json and root.sig) the OPLE handed out next to the config, and check the fingerprints with the OPLE",
    );
  }
  checkPublicKey(
    ctx,
    "publisher.identityPublicKey",
    configString(v, "publisher.identityPublicKey"),
    "copy the publisher identity .pub the OPLE handed out next to the config",
  );
  checkConfigFile(ctx, "identity.secretKey", configString(v, "identity.secretKey"), "secret", (file) => readSecretKeyFile(file));
  if (configValue(v, "push.tls") != null) checkTlsPair(ctx, "push.tls", v);
  if (configValue(v, "site.tls") != null) checkTlsPair(ctx, "site.tls", v);
  const allowlist = configValue(v, "push.allowlist");
  if (Array.isArray(allowlist)) {
    allowlist.forEach((cidr, i) => {
      if (typeof cidr !== "string") return;
      try {
        parseCidr(cidr);
      } catch (e) {
        ctx.problem(`push.allowlist.${i}`, (e as Error).message);
      }
    });
  }
  const websocket = configValue(v, "push.websocket");
  if (websocket === true) {
    if (configValue(v, "site.tls") == null) {
      ctx.problem(
        "push.websocket",
        "true serves the push on the site's HTTPS listener, but site.tls is not set: set site.tls { cert, key } (the site then serves HTTPS on site.listen, e.g. 0.0.0.0:443), or give the WebSocket push a listener of its own: push.websocket: { listen: 0.0.0.0:8443 }",
      );
    }
    if (configValue(v, "push.tls") == null) {
      ctx.problem(
        "push.tls",
        "push.websocket: true needs the push certificate (the OPLE pins it): set push.tls { cert, key } (`prep-receiver init` writes tls.crt and tls.key)",
      );
    }
    const root = configString(v, "root");
    const socket = root === undefined ? undefined : stateDirLayout(ctx.resolve(root)).pushSocket;
    if (socket !== undefined && Buffer.byteLength(socket) > 107) {
      ctx.problem(
        "root",
        `push.websocket: true puts the push bridge socket at ${socket}, longer than the 107 bytes a unix socket path may have: use a shorter state directory`,
      );
    }
  }
  const listeners: ListenerField[] = [];
  const add = (field: string) => {
    const value = configString(v, field);
    if (value !== undefined) listeners.push({ field, value });
  };
  add("push.listen");
  if (typeof websocket === "object" && websocket !== null) add("push.websocket.listen");
  add("site.listen");
  add("admin.listen");
  checkListeners(listeners, ctx.problem);
}

/** Reads, checks and resolves a receiver config; every problem at once as CONFIG_INVALID (exit 78). */
export function loadReceiverConfig(file: string, env: NodeJS.ProcessEnv = process.env): ResolvedReceiverConfig {
  const { config, baseDir } = loadConfig(file, ReceiverConfigSchema, { env, overrides: RECEIVER_ENV, check: checkReceiverConfig });
  const r = (p: string) => resolveFrom(baseDir, p);
  const resolveTls = (t: { cert: string; key: string } | null) => (t ? { cert: r(t.cert), key: r(t.key) } : null);
  const key = (value: string) => inlinePublicKey(value) ?? readPublicKeyFile(r(value)).publicKey;
  return {
    ...config,
    file,
    root: r(config.root),
    trust: { ...config.trust, rootPublicKey: r(config.trust.rootPublicKey) },
    identity: { secretKey: r(config.identity.secretKey) },
    push: { ...config.push, tls: resolveTls(config.push.tls) },
    site: {
      ...config.site,
      tls: resolveTls(config.site.tls),
      ...(config.site.nginx
        ? {
            nginx: {
              ...config.site.nginx,
              include: r(config.site.nginx.include),
              publicDir: r(config.site.nginx.publicDir ?? path.join(config.root, "nginx")),
              accessLog: r(config.site.nginx.accessLog),
            },
          }
        : {}),
    },
    rootPublicKey: configuredRoot(config.trust.rootPublicKey, r),
    publisherPublicKey: key(config.publisher.identityPublicKey),
  };
}
