import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { PrepcastError, sha256Hex, writeFileAtomic, type AuditLog, type ReceiverAuditEvent } from "@prepcast/protocol";
import type { NoticeDoc } from "@prepcast/session";

/** What the agent keeps about notices (DIR/notice/state.json): the evidence and the replay guard. */
interface NoticeState {
  format: "prepcast/receiver-notices@1";
  /** Last suspension or reinstatement applied: its time orders the next one. */
  last: StoredNotice | null;
  /** Last test notice (shown on the local status page only). */
  lastTest: StoredNotice | null;
}

export interface StoredNotice {
  kind: NoticeDoc["kind"];
  channel: NoticeDoc["channel"];
  issuedAt: string;
  receivedAt: string;
  text: string;
  sha256: string;
  /** Exact signed bytes and signature, base64: anyone can re-check them with the publisher's key. */
  notice: string;
  signature: string;
}

export interface NoticeStatus {
  /** The suspension in force (its text replaces the public results), or null. */
  active: StoredNotice | null;
  lastTest: StoredNotice | null;
}

export const SUSPENSION_TITLE = "Publicación de resultados suspendida";

/**
 * Applies verified notices to the state directory: a suspension writes DIR/notice/notice.json,
 * which the site server serves in place of every results page; a reinstatement removes it; a
 * test notice is only recorded. Notices older than the last applied one of their class are
 * refused (REPLAY); the same notice again (the publisher re-sends it on every session) is a no-op.
 */
export class NoticeKeeper {
  private readonly dir: string;
  private readonly stateFile: string;
  private state: NoticeState;
  private serial: Promise<unknown> = Promise.resolve();

  constructor(
    root: string,
    private readonly audit: AuditLog<ReceiverAuditEvent>,
    private readonly channels: readonly string[],
  ) {
    this.dir = path.join(root, "notice");
    this.stateFile = path.join(this.dir, "state.json");
    this.state = { format: "prepcast/receiver-notices@1", last: null, lastTest: null };
    try {
      const loaded = JSON.parse(fs.readFileSync(this.stateFile, "utf8")) as NoticeState;
      if (loaded.format === "prepcast/receiver-notices@1") this.state = loaded;
    } catch {
      /* no notice yet */
    }
  }

  /** The file the site server reads (packages/site: DIR/notice/notice.json). */
  get noticeFile(): string {
    return path.join(this.dir, "notice.json");
  }

  status(): NoticeStatus {
    return { active: this.state.last?.kind === "suspension" ? this.state.last : null, lastTest: this.state.lastTest };
  }

  apply(doc: NoticeDoc, signed: { notice: Buffer; signature: Buffer }): Promise<"applied" | "duplicate"> {
    const run = this.serial.then(() => this.applyNow(doc, signed));
    this.serial = run.catch(() => undefined);
    return run;
  }

  private async applyNow(doc: NoticeDoc, signed: { notice: Buffer; signature: Buffer }): Promise<"applied" | "duplicate"> {
    if (!this.channels.includes(doc.channel)) {
      throw new PrepcastError("CHANNEL_MISMATCH", `notice for channel ${doc.channel}, this receiver accepts ${this.channels.join(", ")}`, { where: "notice" });
    }
    const sha256 = sha256Hex(signed.notice);
    const prev = doc.kind === "test" ? this.state.lastTest : this.state.last;
    if (prev && prev.sha256 === sha256) return "duplicate";
    if (prev && Date.parse(doc.issuedAt) <= Date.parse(prev.issuedAt)) {
      throw new PrepcastError(
        "REPLAY",
        `${doc.kind} notice issued at ${doc.issuedAt} is not newer than the last one applied (${prev.kind}, ${prev.issuedAt})`,
        { where: "notice" },
      );
    }
    const stored: StoredNotice = {
      kind: doc.kind,
      channel: doc.channel,
      issuedAt: doc.issuedAt,
      receivedAt: new Date().toISOString(),
      text: doc.text,
      sha256,
      notice: signed.notice.toString("base64"),
      signature: signed.signature.toString("base64"),
    };
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o755 });
    if (doc.kind === "suspension") {
      const title = doc.channel === "simulacro" ? `SIMULACRO · ${SUSPENSION_TITLE}` : SUSPENSION_TITLE;
      await writeFileAtomic(this.noticeFile, JSON.stringify({ title, text: doc.text, active: true, issuedAt: doc.issuedAt }, null, 2) + "\n", 0o644);
    } else if (doc.kind === "reinstatement") {
      await fsp.rm(this.noticeFile, { force: true });
    }
    const next: NoticeState = doc.kind === "test" ? { ...this.state, lastTest: stored } : { ...this.state, last: stored };
    await writeFileAtomic(this.stateFile, JSON.stringify(next, null, 2) + "\n", 0o640);
    this.state = next;
    this.audit.append("notice_applied", { kind: doc.kind, channel: doc.channel, issuedAt: doc.issuedAt, sha256, publisher: doc.publisherId });
    return "applied";
  }
}
