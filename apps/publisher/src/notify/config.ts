import { z } from "zod";
import { NOTIFICATION_EVENTS } from "./rules";

const email = z
  .string()
  .max(254)
  .regex(/^[^\s@<>"]+@[^\s@<>"]+\.[A-Za-z]{2,}$/, "must be an email address");
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** `notifications:` in publisher.yaml: who hears about suspensions and failures, and through what. */
export const NotificationsSchema = z
  .strictObject({
    /** The OPLE's own operators: every notification about every difusor. */
    operators: z.array(email).max(50).default([]),
    /** Also the difusor's technical staff (from its registration: receivers[].staff). */
    notifyStaff: z.boolean().default(true),
    events: z.array(z.enum(NOTIFICATION_EVENTS)).default(["suspended", "reinstated", "site_failing", "site_recovered", "push_failing", "push_recovered"]),
    /** Failed deliveries in a row before `push_failing`. */
    pushFailures: z.number().int().min(1).max(100).default(3),
    /** The OPLE's SMTP relay; null: no email. */
    email: z
      .strictObject({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        /** starttls (submission, 587), tls (implicit, 465), none (only a relay on this machine) */
        security: z.enum(["starttls", "tls", "none"]).default("starttls"),
        from: z.string().min(3).max(300),
        user: z.string().min(1).optional(),
        passwordFile: z.string().min(1).optional(),
      })
      .superRefine((e, ctx) => {
        if (e.security === "none" && !LOOPBACK.test(e.host))
          ctx.addIssue({
            code: "custom",
            path: ["security"],
            message: "none sends the staff's addresses (and a password) in clear: only for a relay on this machine (127.0.0.1); use starttls or tls",
          });
        if ((e.user === undefined) !== (e.passwordFile === undefined))
          ctx.addIssue({ code: "custom", path: ["passwordFile"], message: "user and passwordFile go together" });
      })
      .nullable()
      .default(null),
    /** POSTed the signed notification (body: prepcast/notification@1, header x-prepcast-signature). */
    webhooks: z
      .array(
        z.strictObject({
          url: z
            .string()
            .url()
            .regex(/^https?:\/\//, "must be an http(s) URL"),
        }),
      )
      .max(20)
      .default([]),
    timeoutSeconds: z.number().int().min(1).max(120).default(15),
    /** Attempts per target before notification_failed (with 2 s, 10 s, 30 s… between them). */
    attempts: z.number().int().min(1).max(10).default(4),
  })
  .prefault({});
export type NotificationsConfig = z.infer<typeof NotificationsSchema>;
