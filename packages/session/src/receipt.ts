import { canonicalBytes, parseCanonical, signDetached, signedMessage, verifyStrict, PrepcastError } from "@prepcast/protocol";
import { z } from "zod";

/** What a receiver signs once a cut is staged or live: the publisher keeps every one. */
export interface ReceiptDoc {
  format: "prepcast/receipt@1";
  receiverId: string;
  publisherId: string;
  process: string;
  channel: string;
  sequence: number;
  manifestSha256: string;
  state: "active" | "staged";
  receivedAt: string;
  activatedAt: string | null;
  notBefore: string;
}

const ReceiptSchema = z.strictObject({
  format: z.literal("prepcast/receipt@1"),
  receiverId: z.string().min(1).max(128),
  publisherId: z.string().min(1).max(128),
  process: z.string().min(1).max(64),
  channel: z.string().min(1).max(32),
  sequence: z.number().int().min(1),
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  state: z.enum(["active", "staged"]),
  receivedAt: z.string().min(1).max(64),
  activatedAt: z.string().min(1).max(64).nullable(),
  notBefore: z.string().min(1).max(64),
});

export function signReceipt(doc: ReceiptDoc, secretKey: Uint8Array): { receipt: Buffer; signature: Uint8Array } {
  const receipt = canonicalBytes(doc);
  return { receipt, signature: signDetached(signedMessage("receipt", receipt), secretKey) };
}

/** Verifies the signature over the exact bytes first, then parses. */
export function verifyReceipt(receipt: Uint8Array, signature: Uint8Array, receiverKey: Uint8Array, where: string): ReceiptDoc {
  if (!verifyStrict(signedMessage("receipt", receipt), signature, receiverKey)) {
    throw new PrepcastError("SIGNATURE_INVALID", "receipt signature does not verify against the receiver's identity key", { where });
  }
  const parsed = ReceiptSchema.safeParse(parseCanonical(receipt, where));
  if (!parsed.success) {
    throw new PrepcastError(
      "PROTOCOL_ERROR",
      `receipt has the wrong shape: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      { where },
    );
  }
  return parsed.data as ReceiptDoc;
}
