import { canonicalBytes, isoWithOffsetProblem, parseCanonical, signDetached, signedMessage, verifyStrict, PrepcastError } from "@prepcast/protocol";
import { z } from "zod";

/**
 * A notice from the OPLE to one difusor, sent in a Notice frame on an authenticated session and
 * signed by the publisher's identity key (domain `prepcast/v1/notice`). `suspension` replaces the
 * public results with `text`; `reinstatement` lifts it; `test` is only recorded and shown on the
 * agent's local status page.
 */
export type NoticeKind = "suspension" | "reinstatement" | "test";

export interface NoticeDoc {
  format: "prepcast/notice@1";
  kind: NoticeKind;
  publisherId: string;
  receiverId: string;
  process: string;
  channel: "produccion" | "simulacro";
  /** UTC ISO 8601; a receiver never accepts a notice older than the last one it applied. */
  issuedAt: string;
  /** Spanish text shown to citizens (suspension) or to the difusor's staff (test, reinstatement). */
  text: string;
}

const NoticeSchema = z.strictObject({
  format: z.literal("prepcast/notice@1"),
  kind: z.enum(["suspension", "reinstatement", "test"]),
  publisherId: z.string().min(1).max(128),
  receiverId: z.string().min(1).max(128),
  process: z.string().min(1).max(64),
  channel: z.enum(["produccion", "simulacro"]),
  issuedAt: z
    .string()
    .min(1)
    .max(64)
    .refine((s) => isoWithOffsetProblem(s) === undefined, "must be ISO 8601 with an explicit offset"),
  text: z.string().min(1).max(8192),
});

export const MAX_NOTICE_BYTES = 16 * 1024;

export function signNotice(doc: NoticeDoc, secretKey: Uint8Array): { notice: Buffer; signature: Uint8Array } {
  const notice = canonicalBytes(doc);
  if (notice.length > MAX_NOTICE_BYTES)
    throw new PrepcastError("TOO_LARGE", `notice is ${notice.length} bytes (limit ${MAX_NOTICE_BYTES})`, { hint: "shorten the notice text" });
  return { notice, signature: signDetached(signedMessage("notice", notice), secretKey) };
}

/**
 * Verifies the signature over the exact bytes against the pinned publisher identity key, then
 * parses, then checks that the notice is addressed to this receiver, process and publisher.
 */
export function verifyNotice(
  notice: Uint8Array,
  signature: Uint8Array,
  expect: { publisherKey: Uint8Array; publisherId: string; receiverId: string; process: string },
  where: string,
): NoticeDoc {
  if (notice.length > MAX_NOTICE_BYTES) throw new PrepcastError("TOO_LARGE", `notice of ${notice.length} bytes exceeds ${MAX_NOTICE_BYTES}`, { where });
  if (signature.length !== 64 || !verifyStrict(signedMessage("notice", notice), signature, expect.publisherKey)) {
    throw new PrepcastError("SIGNATURE_INVALID", "notice signature does not verify against the pinned publisher identity key", {
      where,
      hint: "a notice is applied only when signed by the publisher pinned in publisher.identityPublicKey",
    });
  }
  const parsed = NoticeSchema.safeParse(parseCanonical(notice, where));
  if (!parsed.success) {
    throw new PrepcastError("PROTOCOL_ERROR", `notice has the wrong shape: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, {
      where,
    });
  }
  const doc = parsed.data as NoticeDoc;
  if (doc.receiverId !== expect.receiverId)
    throw new PrepcastError("PEER_NOT_ALLOWED", `notice is addressed to receiver "${doc.receiverId}", not "${expect.receiverId}"`, { where });
  if (doc.publisherId !== expect.publisherId)
    throw new PrepcastError("PEER_NOT_ALLOWED", `notice names publisher "${doc.publisherId}", not "${expect.publisherId}"`, { where });
  if (doc.process !== expect.process)
    throw new PrepcastError("CHANNEL_MISMATCH", `notice is for process ${doc.process}, this receiver accepts ${expect.process}`, { where });
  return doc;
}
