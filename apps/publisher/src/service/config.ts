import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import {
  DEFAULT_PUBLISH_UNTIL,
  inlinePublicKey,
  isoWithOffsetProblem,
  loadPublisherSigningMaterial,
  PrepcastError,
  PUBLISHER_KEY_FILES,
  readPublicKeyFile,
  readSecretKeyFile,
} from "@prepcast/protocol";
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
  type FileKind,
} from "@prepcast/runtime";
import { parsePasswordHash } from "../dashboard/password-hash";
import { NotificationsSchema } from "../notify/config";
import type { ReceiverEntry } from "./receiver-link";
import { defaultTransports, transportNamed, transportRegistry, type PublisherTransport } from "./transports";

export const DEFAULT_SUSPENSION_TEXT =
  "Por disposición del Organismo Público Local Electoral, este sitio dejó de recibir los resultados del Programa de Resultados Electorales Preliminares (PREP) porque no publicó el corte más reciente durante tres periodos de actualización consecutivos.\n\nConsulte los resultados en el sitio oficial del OPLE o en la lista de difusores oficiales.";

const id = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "must be 1-64 lower-case letters, digits, '.', '_' or '-'");
/** HOST:PORT, checked by checkListeners. */
const hostPort = z.string().min(1);

export const PublisherConfigSchema = z.strictObject({
  id,
  process: z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,63}$/, "must look like VER-2024"),
  channel: z.enum(["produccion", "simulacro"]).default("produccion"),
  keys: z.string().min(1),
  identity: z.strictObject({ secretKey: z.string().min(1) }),
  state: z.string().min(1),
  inbox: z.string().min(1).optional(),
  admin: z
    .strictObject({
      listen: hostPort.default("127.0.0.1:8740"),
      tokenFile: z.string().optional(),
      passwordFile: z.string().optional(),
      /** Host names (name or name:port) the admin listener answers to besides loopback and its own address (DNS rebinding defence). */
      allowedHosts: z.array(z.string().min(1).max(255)).max(32).optional(),
    })
    .default({ listen: "127.0.0.1:8740" }),
  updatePeriodMinutes: z.number().positive().max(1440).default(15),
  /**
   * Optional payload encodings (docs/protocol.md §9). deltaZip: delta-zip@1 (§9.4), zips that
   * rebuild byte for byte travel as their entries' delta; it costs deflate CPU on both sides each
   * cut (docs/benchmarks.md), so it is off unless both the OPLE and the difusor turn it on.
   */
  encodings: z.strictObject({ deltaZip: z.boolean().default(false) }).default({ deltaZip: false }),
  suspendAfterPeriods: z.number().int().min(1).max(100).default(3),
  pingSeconds: z.number().positive().max(3600).default(20),
  /** status and the dashboard warn when the signing keyset expires within this many days */
  keysetWarnDays: z.number().int().min(1).max(3650).default(14),
  /**
   * End of publication signed into the final cut (push --final) when --publish-until is not given;
   * the call's 9 June 23:59 (UTC-6) by default. Monitoring counts the final cut as up to date until then.
   */
  publishUntil: z
    .string()
    .superRefine((s, ctx) => {
      const problem = isoWithOffsetProblem(s);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: `must be a timestamp with offset, e.g. 2024-06-09T23:59:00-06:00 (${problem})` });
    })
    .default(DEFAULT_PUBLISH_UNTIL),
  /**
   * Retention of prepared cuts in STATE/cuts (and their delta streams in STATE/deltas): after each
   * successful delivery, every cut is removed except the newest keepCuts, the final cut, the newest
   * public one, each receiver's live (or staged) cut as the publisher knows it, and any cut an
   * in-flight delivery uses. A receiver whose base was removed gets a full-zstd transfer.
   */
  retention: z
    .strictObject({
      /** false: keep every prepared cut (the behaviour before retention existed). */
      prune: z.boolean().default(true),
      keepCuts: z.number().int().min(1).max(100_000).default(4),
    })
    .prefault({}),
  /** The public-URL probe and the 45-minute rule (apps/publisher/src/monitor). */
  monitor: z
    .strictObject({
      enabled: z.boolean().default(true),
      probeIntervalSeconds: z.number().positive().max(3600).default(60),
      probeTimeoutSeconds: z.number().positive().max(300).default(10),
      /** Overrides updatePeriodMinutes for the rule only (drills and tests run it in seconds). */
      periodSeconds: z.number().positive().max(86400).optional(),
      /** Suspend automatically after suspendAfterPeriods failing periods (false: only report). */
      autoSuspend: z.boolean().default(true),
      /** The probe fetches one data file no larger than this. */
      maxProbeFileBytes: z
        .number()
        .int()
        .positive()
        .default(4 * 1024 * 1024),
    })
    .prefault({}),
  /** The OPLE's texts, in Spanish, sent in signed notices. */
  notices: z
    .strictObject({
      suspensionText: z.string().min(1).max(4000).default(DEFAULT_SUSPENSION_TEXT),
      reinstatementText: z.string().min(1).max(4000).default("El OPLE restableció la transmisión de resultados a este sitio."),
    })
    .prefault({}),
  /** The public "Difusores oficiales" page (static HTML + JSON); default STATE/public. */
  publicList: z.strictObject({ dir: z.string().min(1).optional(), title: z.string().min(1).max(200).default("Difusores oficiales del PREP") }).prefault({}),
  log: z.strictObject({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info") }).default({ level: "info" }),
  /** Notices to people: the difusor's technical staff and the OPLE's operators (email, signed webhooks). */
  notifications: NotificationsSchema,
  receivers: z
    .array(
      z.strictObject({
        id,
        name: z.string().min(1).max(200),
        /** A registered transport (service/transports.ts): grpc and websocket by default. */
        transport: z
          .string()
          .regex(/^[a-z][a-z0-9-]{0,31}$/, "must be a transport name, e.g. grpc or websocket")
          .default("grpc"),
        address: z.string().min(1),
        tlsFingerprint: z
          .string()
          .regex(/^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/, "must be the SHA-256 of the receiver certificate (64 hex digits)")
          .optional(),
        insecurePlaintext: z.boolean().default(false),
        identityPublicKey: z.string().min(1),
        publicUrl: z.string().url().optional(),
        contact: z.string().optional(),
        logo: z.string().optional(),
        /** From the difusor's signed registration (`receivers add`): its organization and technical staff. */
        organization: z.string().min(1).max(200).optional(),
        staff: z
          .array(z.strictObject({ name: z.string().min(1), role: z.string().min(1), phone: z.string().min(1), email: z.string().min(1) }))
          .max(20)
          .optional(),
      }),
    )
    .default([])
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((r, i) => {
        if (seen.has(r.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicate receiver id "${r.id}"` });
        seen.add(r.id);
        if (!r.tlsFingerprint && !r.insecurePlaintext)
          ctx.addIssue({
            code: "custom",
            path: [i, "tlsFingerprint"],
            message: "required (pin the receiver's certificate); insecurePlaintext: true only for loopback tests",
          });
      });
    }),
});
export type PublisherConfig = z.infer<typeof PublisherConfigSchema>;

export const PUBLISHER_ENV: EnvOverride[] = [
  { env: "PREPCAST_STATE", path: "state" },
  { env: "PREPCAST_INBOX", path: "inbox" },
  { env: "PREPCAST_ADMIN_LISTEN", path: "admin.listen" },
  { env: "PREPCAST_ADMIN_ALLOWED_HOSTS", path: "admin.allowedHosts", parse: commaList },
  { env: "PREPCAST_LOG_LEVEL", path: "log.level" },
  { env: "PREPCAST_CHANNEL", path: "channel" },
];

export interface ResolvedPublisherConfig extends PublisherConfig {
  file: string;
  receiverEntries: ReceiverEntry[];
}

function receiverKey(value: string, baseDir: string): Uint8Array {
  return inlinePublicKey(value) ?? readPublicKeyFile(resolveFrom(baseDir, value)).publicKey;
}

/** The publisher's checks beyond the schema: every file and directory it names, the admin listener, the receivers' transports and addresses. */
const publisherConfigChecks =
  (transports: ReadonlyMap<string, PublisherTransport>) =>
  (v: unknown, checks: ConfigCheckContext): void => {
    let count = 0;
    const ctx: ConfigCheckContext = {
      ...checks,
      problem: (field, message) => {
        count++;
        checks.problem(field, message);
      },
    };
    const keys = configString(v, "keys");
    if (keys !== undefined) {
      const dir = ctx.resolve(keys);
      const before = count;
      const init = `run \`prep-publisher init --dir ${dir}\` first, or point keys at the directory it created`;
      if (!fs.existsSync(dir)) ctx.problem("keys", `directory ${dir} does not exist: ${init}`);
      else if (!fs.statSync(dir).isDirectory()) ctx.problem("keys", `${dir} is not a directory: ${init}`);
      else {
        const files: Array<[string, FileKind]> = [
          [PUBLISHER_KEY_FILES.signingKey, "secret"],
          [PUBLISHER_KEY_FILES.keyset, "public"],
          [PUBLISHER_KEY_FILES.keysetSig, "public"],
        ];
        for (const [name, kind] of files) if (count === before) checkConfigFile(ctx, "keys", path.join(dir, name), kind, undefined, init);
      }
      if (count === before) {
        try {
          loadPublisherSigningMaterial(dir);
        } catch (e) {
          const err = e as PrepcastError;
          ctx.problem("keys", `${err.message}${err.hint ? ` (${err.hint})` : ""}`);
        }
      }
    }
    checkConfigFile(ctx, "identity.secretKey", configString(v, "identity.secretKey"), "secret", (file) => readSecretKeyFile(file));
    checkConfigDirectory(ctx, "state", configString(v, "state"));
    checkConfigDirectory(ctx, "inbox", configString(v, "inbox"));
    checkConfigDirectory(ctx, "publicList.dir", configString(v, "publicList.dir"));
    checkConfigFile(ctx, "admin.tokenFile", configString(v, "admin.tokenFile"), "secret", (file) => {
      if (fs.readFileSync(file, "utf8").trim().length < 16)
        throw new PrepcastError("CONFIG_INVALID", `${file}: the admin token must have at least 16 characters`, {
          hint: "write a long random token, e.g. `openssl rand -hex 32`",
        });
    });
    checkConfigFile(ctx, "admin.passwordFile", configString(v, "admin.passwordFile"), "secret", (file) =>
      parsePasswordHash(fs.readFileSync(file, "utf8"), file),
    );
    checkConfigFile(ctx, "notifications.email.passwordFile", configString(v, "notifications.email.passwordFile"), "secret", (file) => {
      if (fs.readFileSync(file, "utf8").trim() === "")
        throw new PrepcastError("CONFIG_INVALID", `${file} is empty`, { hint: "write the SMTP relay's password in it (one line)" });
    });
    const admin = configString(v, "admin.listen");
    if (admin !== undefined) checkListeners([{ field: "admin.listen", value: admin }], ctx.problem);
    const receivers = configValue(v, "receivers");
    if (!Array.isArray(receivers)) return;
    receivers.forEach((r: unknown, i) => {
      const key = configString(r, "identityPublicKey");
      if (key !== undefined && inlinePublicKey(key) === undefined)
        checkConfigFile(
          ctx,
          `receivers.${i}.identityPublicKey`,
          key,
          "public",
          (file) => readPublicKeyFile(file),
          "use the .pub file the receiver's `init` wrote, or its base64 public key",
        );
      checkConfigFile(ctx, `receivers.${i}.logo`, configString(r, "logo"), "public");
      const address = configString(r, "address");
      const name = configValue(r, "transport") ?? "grpc";
      if (typeof name !== "string") return;
      let transport: PublisherTransport;
      try {
        transport = transportNamed(transports, name, `receivers.${i}.transport`);
      } catch (e) {
        const err = e as PrepcastError;
        ctx.problem(`receivers.${i}.transport`, `${err.message} (${err.hint})`);
        return;
      }
      if (address === undefined) return;
      try {
        transport.parseAddress(address, `receivers.${i}.address`, { insecurePlaintext: configValue(r, "insecurePlaintext") === true });
      } catch (e) {
        const err = e as PrepcastError;
        ctx.problem(`receivers.${i}.address`, `${err.message} (${err.hint ?? `e.g. ${transport.example}`})`);
      }
    });
  };

export interface LoadPublisherConfigOptions {
  /** The transports receivers may name (default `defaultTransports()`: grpc, websocket). */
  transports?: readonly PublisherTransport[];
}

export function loadPublisherConfig(file: string, env: NodeJS.ProcessEnv = process.env, opts: LoadPublisherConfigOptions = {}): ResolvedPublisherConfig {
  const transports = transportRegistry(opts.transports ?? defaultTransports());
  const { config, baseDir } = loadConfig(file, PublisherConfigSchema, { env, overrides: PUBLISHER_ENV, check: publisherConfigChecks(transports) });
  const receiverEntries = config.receivers.map((r, i): ReceiverEntry => {
    const where = `${file}: receivers.${i}`;
    const transport = transportNamed(transports, r.transport, `${where}.transport`);
    const dial = transport.parseAddress(r.address, `${where}.address`, { insecurePlaintext: r.insecurePlaintext });
    return {
      id: r.id,
      name: r.name,
      transport: r.transport,
      address: transport.display(dial),
      ...dial,
      ...(r.tlsFingerprint ? { tlsFingerprint: r.tlsFingerprint.replace(/:/g, "").toLowerCase() } : {}),
      publicKey: receiverKey(r.identityPublicKey, baseDir),
      ...(r.publicUrl ? { publicUrl: r.publicUrl } : {}),
      ...(r.contact ? { contact: r.contact } : {}),
      ...(r.logo ? { logo: resolveFrom(baseDir, r.logo) } : {}),
    };
  });
  return {
    ...config,
    file,
    keys: resolveFrom(baseDir, config.keys),
    identity: { secretKey: resolveFrom(baseDir, config.identity.secretKey) },
    state: resolveFrom(baseDir, config.state),
    ...(config.inbox ? { inbox: resolveFrom(baseDir, config.inbox) } : {}),
    admin: {
      ...config.admin,
      ...(config.admin.tokenFile ? { tokenFile: resolveFrom(baseDir, config.admin.tokenFile) } : {}),
      ...(config.admin.passwordFile ? { passwordFile: resolveFrom(baseDir, config.admin.passwordFile) } : {}),
    },
    publicList: { ...config.publicList, dir: resolveFrom(baseDir, config.publicList.dir ?? path.join(config.state, "public")) },
    notifications: {
      ...config.notifications,
      email: config.notifications.email?.passwordFile
        ? { ...config.notifications.email, passwordFile: resolveFrom(baseDir, config.notifications.email.passwordFile) }
        : config.notifications.email,
    },
    receiverEntries,
  };
}
