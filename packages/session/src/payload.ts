import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { PrepcastError, hashFile, replaceFileDurably, toPrepcastError } from "@prepcast/protocol";
import { z } from "zod";

/** Default payload chunk: big enough to amortize framing, small enough to resume cheaply. */
export const DEFAULT_CHUNK_SIZE = 512 * 1024;

/**
 * A payload the publisher can stream from any offset. One source is shared by every receiver on
 * the same base: reads come from one file (the page cache), never a per-receiver copy.
 */
export interface PayloadSource {
  readonly size: number;
  readonly sha256: Buffer;
  read(offset: number, length: number): Promise<Buffer>;
  /**
   * Optional: the chunk with its SHA-256. A source shared by many sessions implements it so each
   * chunk is hashed once, not once per receiver; without it the session hashes what read() gives.
   */
  readChunk?(offset: number, length: number): Promise<PayloadChunk>;
}

/** A payload chunk as it goes on the wire: the bytes and their SHA-256. */
export interface PayloadChunk {
  data: Buffer;
  sha256: Buffer;
}

export function hashChunk(data: Buffer): PayloadChunk {
  return { data, sha256: createHash("sha256").update(data).digest() };
}

/** `source.readChunk` when the source has it, otherwise read() and hash here. */
export async function readPayloadChunk(source: PayloadSource, offset: number, length: number): Promise<PayloadChunk> {
  return source.readChunk ? source.readChunk(offset, length) : hashChunk(await source.read(offset, length));
}

/** A payload already written to a file (built once per cut and encoding). */
export class FilePayloadSource implements PayloadSource {
  private constructor(
    private readonly handle: fsp.FileHandle,
    readonly size: number,
    readonly sha256: Buffer,
  ) {}

  static async open(file: string, sha256?: Buffer): Promise<FilePayloadSource> {
    const handle = await fsp.open(file, "r");
    const { size } = await handle.stat();
    const digest = sha256 ?? Buffer.from((await hashFile(file)).sha256, "hex");
    return new FilePayloadSource(handle, size, digest);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.handle.read(buf, done, n - done, offset + done);
      if (bytesRead === 0) throw new PrepcastError("TRUNCATED", `payload file shrank while streaming at ${offset + done}`);
      done += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** An in-memory payload (tests, tiny cuts). */
export class BufferPayloadSource implements PayloadSource {
  readonly size: number;
  readonly sha256: Buffer;
  constructor(private readonly data: Buffer) {
    this.size = data.length;
    this.sha256 = createHash("sha256").update(data).digest();
  }
  async read(offset: number, length: number): Promise<Buffer> {
    return this.data.subarray(offset, Math.min(this.size, offset + length));
  }
}

const PartialMetaSchema = z.strictObject({
  transferId: z.string().regex(/^[0-9a-f]{16,64}$/),
  process: z.string(),
  channel: z.string(),
  sequence: z.number().int().min(1),
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  encoding: z.string(),
  payloadSize: z.number().int().min(0),
  payloadSha256: z.string().regex(/^[0-9a-f]{64}$/),
  chunkSize: z.number().int().min(1),
});
export type PartialMeta = z.infer<typeof PartialMetaSchema>;

/**
 * The receiver's resumable copy of a payload being received: `payload.bin` holds only chunks
 * whose hash was checked, appended in order, so after a crash the verified prefix is the file
 * length rounded down to a whole chunk. Nothing here is trusted later: the whole payload hash and
 * every rebuilt file are verified against the signed manifest before anything goes live.
 */
export class PartialPayload {
  private fd: number | null = null;
  private offset = 0;

  private constructor(
    readonly dir: string,
    readonly meta: PartialMeta,
  ) {}

  static metaPath(dir: string): string {
    return path.join(dir, "partial.json");
  }
  static payloadPath(dir: string): string {
    return path.join(dir, "payload.bin");
  }

  /** What a previous session left, if anything usable. */
  static async inspect(dir: string): Promise<{ meta: PartialMeta; offset: number } | null> {
    try {
      const raw = await fsp.readFile(PartialPayload.metaPath(dir), "utf8");
      const meta = PartialMetaSchema.parse(JSON.parse(raw));
      const st = await fsp.stat(PartialPayload.payloadPath(dir));
      const offset = Math.min(meta.payloadSize, Math.floor(st.size / meta.chunkSize) * meta.chunkSize, st.size);
      return { meta, offset: st.size === meta.payloadSize ? st.size : offset };
    } catch {
      return null;
    }
  }

  /**
   * Opens the partial payload for `meta`: resumes when a previous one for the same transfer is
   * there, otherwise starts from zero. Returns the offset to ask the publisher for.
   */
  static async open(dir: string, meta: PartialMeta): Promise<PartialPayload> {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    const prev = await PartialPayload.inspect(dir);
    const p = new PartialPayload(dir, meta);
    const file = PartialPayload.payloadPath(dir);
    if (prev && prev.meta.transferId === meta.transferId && prev.meta.payloadSha256 === meta.payloadSha256 && prev.meta.chunkSize === meta.chunkSize) {
      await fsp.truncate(file, prev.offset);
      p.offset = prev.offset;
    } else {
      await fsp.rm(file, { force: true });
      await replaceFileDurably(PartialPayload.metaPath(dir), 0o600, (h) => h.writeFile(JSON.stringify(meta)));
      await fsp.writeFile(file, Buffer.alloc(0), { mode: 0o600 });
      p.offset = 0;
    }
    p.fd = fs.openSync(file, "a", 0o600);
    return p;
  }

  get verifiedOffset(): number {
    return this.offset;
  }

  /** Appends a chunk whose hash the caller already checked; it must start at the current offset. */
  append(offset: number, data: Uint8Array): void {
    if (this.fd === null) throw new PrepcastError("INTERNAL", "partial payload is closed");
    if (offset !== this.offset) {
      throw new PrepcastError("PROTOCOL_ERROR", `chunk at offset ${offset}, expected ${this.offset}`);
    }
    if (offset + data.length > this.meta.payloadSize) {
      throw new PrepcastError("TOO_LARGE", `chunk ends at ${offset + data.length}, beyond the declared payload size ${this.meta.payloadSize}`);
    }
    const last = offset + data.length === this.meta.payloadSize;
    if (!last && data.length !== this.meta.chunkSize) {
      throw new PrepcastError("PROTOCOL_ERROR", `chunk of ${data.length} bytes, expected ${this.meta.chunkSize}`);
    }
    try {
      let done = 0;
      while (done < data.length) done += fs.writeSync(this.fd, data, done, data.length - done);
    } catch (e) {
      throw toPrepcastError(e, PartialPayload.payloadPath(this.dir));
    }
    this.offset += data.length;
  }

  get complete(): boolean {
    return this.offset === this.meta.payloadSize;
  }

  /** Flushes and checks the whole payload hash; on mismatch the partial is discarded. */
  async finish(): Promise<string> {
    if (this.fd !== null) {
      try {
        fs.fsyncSync(this.fd);
      } finally {
        fs.closeSync(this.fd);
        this.fd = null;
      }
    }
    const file = PartialPayload.payloadPath(this.dir);
    const digest = (await hashFile(file)).sha256;
    if (digest !== this.meta.payloadSha256) {
      await this.discard();
      throw new PrepcastError("HASH_MISMATCH", `payload SHA-256 ${digest} differs from the offered ${this.meta.payloadSha256}`, {
        hint: "the transfer restarts from zero",
      });
    }
    return file;
  }

  close(): void {
    if (this.fd !== null) {
      try {
        fs.fsyncSync(this.fd);
      } catch {
        /* closing anyway */
      }
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }

  async discard(): Promise<void> {
    this.close();
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}
