// Notices to people. Listens to the publisher's audit log (NotificationRules decides what is worth
// a notice), signs each notice with the publisher identity key (`prepcast/notification@1`, kind
// `notification`: it never verifies as a site notice or anything else) and delivers it by email
// through the OPLE's SMTP relay (to the difusor's technical staff, copy to the OPLE's operators)
// and to every webhook (POST of the signed document). Delivery is asynchronous and retried; it
// never blocks the monitor or a push, and every outcome is in the audit log
// (`notification_sent` / `notification_failed`). Secrets (the SMTP password) are never logged.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import nodemailer from "nodemailer";
import { canonicalBytes, encodeSigFile, keyIdOf, signDocument, type AuditEntry, type AuditLog, type PublisherAuditEvent } from "@prepcast/protocol";
import type { Logger } from "@prepcast/runtime";
import type { ResolvedPublisherConfig } from "../service/config";
import { NotificationRules, type Notification } from "./rules";

export const NOTIFICATION_FORMAT = "prepcast/notification@1";

const TITLE: Record<Notification["event"], string> = {
  suspended: "Difusor suspendido",
  reinstated: "Difusor reinstalado",
  site_failing: "Sitio del difusor con fallas",
  site_recovered: "Sitio del difusor restablecido",
  push_failing: "Entrega de cortes con fallas",
  push_recovered: "Entrega de cortes restablecida",
  test: "Prueba de notificaciones",
};

export interface SignedNotification {
  document: Buffer;
  /** canonical `.sig` JSON {keyid, sig} (the email attachment) */
  signature: Buffer;
  /** its `sig`: Base64 of the 64-byte signature (the webhook header) */
  sig: string;
  keyid: string;
  id: string;
}

export interface DeliveryResult {
  channel: "email" | "webhook";
  /** the SMTP host or the webhook's origin (never a password or a query string) */
  target: string;
  ok: boolean;
  attempts: number;
  code?: string;
  message?: string;
}

export interface NotifierDeps {
  config: ResolvedPublisherConfig;
  /** the log it follows and records outcomes in; null (e.g. `notify test` beside the running service): neither */
  audit: AuditLog<PublisherAuditEvent> | null;
  log: Logger;
  identity: { publicKey: Uint8Array; secretKey: Uint8Array };
  /** waits between attempts (default 2 s, 10 s, 30 s, 60 s…) */
  retryDelaysMs?: number[];
  now?: () => Date;
}

const originOf = (url: string): string => {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
};

export class Notifier {
  private readonly rules: NotificationRules;
  private readonly wanted: ReadonlySet<Notification["event"]>;
  private readonly unsubscribe: () => void;
  private readonly pending = new Set<Promise<unknown>>();
  private stopped = false;
  private readonly transport: nodemailer.Transporter | null;

  constructor(private readonly deps: NotifierDeps) {
    const n = deps.config.notifications;
    this.rules = new NotificationRules({ pushFailures: n.pushFailures });
    this.wanted = new Set(n.events);
    this.transport = n.email
      ? nodemailer.createTransport({
          host: n.email.host,
          port: n.email.port,
          secure: n.email.security === "tls",
          requireTLS: n.email.security === "starttls",
          ignoreTLS: n.email.security === "none",
          connectionTimeout: n.timeoutSeconds * 1000,
          greetingTimeout: n.timeoutSeconds * 1000,
          socketTimeout: n.timeoutSeconds * 1000,
          ...(n.email.user && n.email.passwordFile ? { auth: { user: n.email.user, pass: fs.readFileSync(n.email.passwordFile, "utf8").trim() } } : {}),
        })
      : null;
    this.unsubscribe = deps.audit ? deps.audit.onAppend((entry) => this.onAudit(entry)) : () => undefined;
  }

  /** Whether any channel is configured (email or a webhook). */
  get enabled(): boolean {
    return this.transport !== null || this.deps.config.notifications.webhooks.length > 0;
  }

  private onAudit(entry: AuditEntry): void {
    if (this.stopped) return;
    for (const n of this.rules.feed(entry)) {
      if (!this.wanted.has(n.event) || !this.enabled) continue;
      // after the append returns: never inside it, never blocking it
      const p = new Promise((resolve) => setImmediate(resolve)).then(() => this.deliver(n));
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  /** Signs a notification as the publisher. */
  sign(n: Notification): SignedNotification {
    const c = this.deps.config;
    const id = randomBytes(8).toString("hex");
    const doc = canonicalBytes({
      format: NOTIFICATION_FORMAT,
      id,
      publisher: c.id,
      process: c.process,
      channel: c.channel,
      event: n.event,
      receiver: n.receiver,
      summary: n.summary,
      detail: JSON.parse(JSON.stringify(n.detail ?? {})) as unknown,
      cause: n.cause,
      issuedAt: (this.deps.now?.() ?? new Date()).toISOString(),
    });
    const keyid = keyIdOf(this.deps.identity.publicKey);
    const sig = signDocument("notification", doc, this.deps.identity.secretKey, keyid);
    return { document: doc, signature: encodeSigFile(sig), sig: sig.sig, keyid, id };
  }

  /** Sends one notification through every channel, with retries; resolves with each target's outcome (also audited). */
  async deliver(n: Notification): Promise<DeliveryResult[]> {
    const signed = this.sign(n);
    const c = this.deps.config.notifications;
    const jobs: Array<Promise<DeliveryResult>> = [];
    const recipients = this.recipients(n);
    if (this.transport && (recipients.to.length > 0 || recipients.cc.length > 0))
      jobs.push(this.withRetries("email", c.email!.host, () => this.sendEmail(n, signed, recipients)));
    for (const w of c.webhooks) jobs.push(this.withRetries("webhook", originOf(w.url), () => this.postWebhook(w.url, n, signed)));
    const results = await Promise.all(jobs);
    for (const r of results) {
      const data = {
        notification: signed.id,
        event: n.event,
        receiver: n.receiver,
        channel: r.channel,
        target: r.target,
        attempts: r.attempts,
        cause: n.cause?.seq ?? null,
        ...(r.channel === "email" ? { to: recipients.to.length, cc: recipients.cc.length } : {}),
      };
      if (r.ok) this.deps.audit?.append("notification_sent", data);
      else {
        this.deps.audit?.append("notification_failed", { ...data, code: r.code, message: r.message });
        this.deps.log.error(
          { event: n.event, receiver: n.receiver, channel: r.channel, target: r.target, code: r.code, err: r.message },
          "notification not delivered",
        );
      }
    }
    return results;
  }

  private recipients(n: Notification): { to: string[]; cc: string[] } {
    const c = this.deps.config;
    const entry = n.receiver ? c.receivers.find((r) => r.id === n.receiver) : undefined;
    const staff = c.notifications.notifyStaff && entry?.staff ? entry.staff.map((s) => s.email) : [];
    const operators = c.notifications.operators.filter((o) => !staff.includes(o));
    return staff.length > 0 ? { to: staff, cc: operators } : { to: operators, cc: [] };
  }

  private async withRetries(channel: DeliveryResult["channel"], target: string, send: () => Promise<void>): Promise<DeliveryResult> {
    const attempts = this.deps.config.notifications.attempts;
    const delays = this.deps.retryDelaysMs ?? [2_000, 10_000, 30_000, 60_000];
    let last: { code: string; message: string } = { code: "UNAVAILABLE", message: "not attempted" };
    let made = 0;
    while (made < attempts) {
      if (made > 0) {
        if (this.stopped) break;
        await new Promise((r) => setTimeout(r, delays[Math.min(made - 1, delays.length - 1)]));
        if (this.stopped) break;
      }
      made++;
      try {
        await send();
        return { channel, target, ok: true, attempts: made };
      } catch (e) {
        const err = e as { code?: unknown; message?: string };
        last = { code: typeof err.code === "string" && /^[A-Z_]+$/.test(err.code) ? err.code : "UNAVAILABLE", message: String(err.message ?? e).slice(0, 500) };
      }
    }
    return { channel, target, ok: false, attempts: made, ...last };
  }

  private async sendEmail(n: Notification, signed: SignedNotification, to: { to: string[]; cc: string[] }): Promise<void> {
    const c = this.deps.config;
    const entry = n.receiver ? c.receivers.find((r) => r.id === n.receiver) : undefined;
    const who = entry ? `${entry.name} (${entry.id})` : c.id;
    const lines = [
      n.summary,
      "",
      ...Object.entries(n.detail ?? {})
        .filter(([, v]) => v !== undefined && v !== null && v !== "")
        .map(([k, v]) => `  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`),
      "",
      `Proceso ${c.process}, canal ${c.channel}. Aviso ${signed.id}${n.cause ? `, registro de auditoría #${n.cause.seq}` : ""}.`,
      `Firmado por el OPLE con su llave de identidad ${signed.keyid}: los adjuntos notification.json y notification.sig permiten verificarlo (docs/protocol.md, notificaciones).`,
    ];
    await this.transport!.sendMail({
      from: c.notifications.email!.from,
      to: to.to,
      ...(to.cc.length ? { cc: to.cc } : {}),
      subject: `[PREP ${c.process}] ${TITLE[n.event]}: ${who}`,
      text: lines.join("\n"),
      attachments: [
        { filename: "notification.json", content: signed.document, contentType: "application/json" },
        { filename: "notification.sig", content: signed.signature, contentType: "application/json" },
      ],
      headers: { "X-PrepCast-Event": n.event, "X-PrepCast-Notification": signed.id },
    });
  }

  private async postWebhook(url: string, n: Notification, signed: SignedNotification): Promise<void> {
    const res = await fetch(url, {
      method: "POST",
      redirect: "error",
      signal: AbortSignal.timeout(this.deps.config.notifications.timeoutSeconds * 1000),
      headers: { "content-type": "application/json", "x-prepcast-event": n.event, "x-prepcast-key-id": signed.keyid, "x-prepcast-signature": signed.sig },
      body: signed.document,
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw Object.assign(new Error(`${originOf(url)} answered HTTP ${res.status}`), { code: "UNAVAILABLE" });
  }

  /** Stops listening; waits (at most `waitMs`) for notifications already on their way. */
  async stop(waitMs = 5_000): Promise<void> {
    this.unsubscribe();
    const deadline = new Promise((r) => setTimeout(r, waitMs).unref());
    await Promise.race([Promise.allSettled([...this.pending]), deadline]);
    this.stopped = true;
    this.transport?.close();
  }
}
