import { sha256Hex } from "@prepcast/protocol";
import { signNotice, type NoticeDoc, type NoticeKind } from "@prepcast/session";

/** A notice signed for one receiver (see @prepcast/session notice.ts). */
export interface SignedNotice {
  kind: NoticeKind;
  issuedAt: string;
  sha256: string;
  notice: Buffer;
  signature: Uint8Array;
}

/**
 * Signs the suspension, reinstatement and test notices with the publisher's identity key.
 * issuedAt is strictly increasing per receiver, so the receiver's replay guard always accepts
 * the next notice (even two in the same millisecond, or after a restart).
 */
export class NoticeSigner {
  private readonly lastIssued = new Map<string, number>();

  constructor(
    private readonly publisher: { id: string; process: string; channel: NoticeDoc["channel"] },
    private readonly secretKey: Uint8Array,
    private readonly now: () => number,
  ) {}

  /** `previousIssuedAt`: the notice in force for this receiver (persisted), if any. */
  sign(receiverId: string, kind: NoticeKind, text: string, previousIssuedAt: string | null): SignedNotice {
    const c = this.publisher;
    const floor = Math.max(this.lastIssued.get(receiverId) ?? 0, previousIssuedAt ? Date.parse(previousIssuedAt) : 0);
    const t = Math.max(this.now(), floor + 1);
    this.lastIssued.set(receiverId, t);
    const doc: NoticeDoc = {
      format: "prepcast/notice@1",
      kind,
      publisherId: c.id,
      receiverId,
      process: c.process,
      channel: c.channel,
      issuedAt: new Date(t).toISOString(),
      text,
    };
    const { notice, signature } = signNotice(doc, this.secretKey);
    return { kind, issuedAt: doc.issuedAt, sha256: sha256Hex(notice), notice, signature };
  }
}
