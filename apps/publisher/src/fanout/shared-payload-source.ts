import { hashChunk, type FilePayloadSource, type PayloadChunk, type PayloadSource } from "@prepcast/session";

/**
 * One stream read by many sessions: each chunk is read from disk and hashed once, and the same
 * Buffer and SHA-256 are handed to every session that asks for it (32 receivers on one base share
 * one copy), up to `maxBytes` of cached chunks; beyond that reads go to the file (the page cache).
 */
export class SharedPayloadSource implements PayloadSource {
  private readonly chunks = new Map<string, Promise<PayloadChunk>>();
  private cached = 0;
  constructor(
    private readonly inner: FilePayloadSource,
    private readonly maxBytes = 64 << 20,
  ) {}
  get size(): number {
    return this.inner.size;
  }
  get sha256(): Buffer {
    return this.inner.sha256;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    return (await this.readChunk(offset, length)).data;
  }
  readChunk(offset: number, length: number): Promise<PayloadChunk> {
    const key = `${offset}:${length}`;
    const hit = this.chunks.get(key);
    if (hit) return hit;
    const p = this.inner.read(offset, length).then(hashChunk);
    if (this.cached + length <= this.maxBytes) {
      this.cached += length;
      this.chunks.set(key, p);
      p.catch(() => {
        this.chunks.delete(key);
        this.cached -= length;
      });
    }
    return p;
  }
  /** Drops the cached chunks (the file stays open for a session still reading it). */
  forget(): void {
    this.chunks.clear();
    this.cached = 0;
  }
  close(): Promise<void> {
    this.forget();
    return this.inner.close();
  }
}
