import * as fs from "node:fs";
import * as path from "node:path";
import { toPrepcastError } from "@prepcast/protocol";
import { verifyReceipt, type ReceiptDoc } from "@prepcast/session";

export interface StoredReceipt {
  storedAt: string;
  receiverId: string;
  receipt: string; // base64 of the exact signed bytes
  signature: string; // base64
}

export interface CheckedReceipt {
  stored: StoredReceipt;
  doc: ReceiptDoc | null;
  valid: boolean;
  problem?: string;
}

/**
 * Every receipt a receiver ever signed, appended (and fsynced) to STATE/receipts.jsonl as the
 * exact bytes and signature: anyone can re-check them later with the receivers' public keys.
 */
export class ReceiptLog {
  private readonly fd: number;
  private constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, "a", 0o640);
  }

  static open(stateDir: string): ReceiptLog {
    return new ReceiptLog(path.join(stateDir, "receipts.jsonl"));
  }

  append(receiverId: string, receipt: Uint8Array, signature: Uint8Array): StoredReceipt {
    const rec: StoredReceipt = {
      storedAt: new Date().toISOString(),
      receiverId,
      receipt: Buffer.from(receipt).toString("base64"),
      signature: Buffer.from(signature).toString("base64"),
    };
    try {
      fs.writeSync(this.fd, JSON.stringify(rec) + "\n");
      fs.fsyncSync(this.fd);
    } catch (e) {
      throw toPrepcastError(e, this.file);
    }
    return rec;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** The stored receipts of STATE/receipts.jsonl as written (not verified); a torn last line (crash mid-write) is skipped. */
export function readStoredReceipts(file: string): StoredReceipt[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const out: StoredReceipt[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as StoredReceipt);
    } catch {
      /* a torn last line */
    }
  }
  return out;
}

/** Reads and re-verifies the receipts; a torn last line (crash mid-write) is skipped. */
export function readReceipts(stateDir: string, keys: (receiverId: string) => Uint8Array | undefined): CheckedReceipt[] {
  return readStoredReceipts(path.join(stateDir, "receipts.jsonl")).map((stored): CheckedReceipt => {
    const key = keys(stored.receiverId);
    if (!key) return { stored, doc: null, valid: false, problem: `receiver ${stored.receiverId} is not in the registry` };
    try {
      const doc = verifyReceipt(Buffer.from(stored.receipt, "base64"), Buffer.from(stored.signature, "base64"), key, `receipt of ${stored.receiverId}`);
      return {
        stored,
        doc,
        valid: doc.receiverId === stored.receiverId,
        ...(doc.receiverId === stored.receiverId ? {} : { problem: "receipt names another receiver" }),
      };
    } catch (e) {
      return { stored, doc: null, valid: false, problem: (e as Error).message };
    }
  });
}
