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
    const rec: StoredReceipt = { storedAt: new Date().toISOString(), receiverId, receipt: Buffer.from(receipt).toString("base64"), signature: Buffer.from(signature).toString("base64") };
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

/** Reads and re-verifies the receipts; a torn last line (crash mid-write) is skipped. */
export function readReceipts(stateDir: string, keys: (receiverId: string) => Uint8Array | undefined): CheckedReceipt[] {
  const file = path.join(stateDir, "receipts.jsonl");
  if (!fs.existsSync(file)) return [];
  const out: CheckedReceipt[] = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    let stored: StoredReceipt;
    try {
      stored = JSON.parse(line) as StoredReceipt;
    } catch {
      continue;
    }
    const key = keys(stored.receiverId);
    if (!key) {
      out.push({ stored, doc: null, valid: false, problem: `receiver ${stored.receiverId} is not in the registry` });
      continue;
    }
    try {
      const doc = verifyReceipt(Buffer.from(stored.receipt, "base64"), Buffer.from(stored.signature, "base64"), key, `receipt of ${stored.receiverId}`);
      out.push({ stored, doc, valid: doc.receiverId === stored.receiverId, ...(doc.receiverId === stored.receiverId ? {} : { problem: "receipt names another receiver" }) });
    } catch (e) {
      out.push({ stored, doc: null, valid: false, problem: (e as Error).message });
    }
  }
  return out;
}
