// Flood of messages: a peer that keeps sending without waiting for answers must not make the
// reader buffer without bound (frames are up to 8 MiB each), and once the bound is hit the
// session ends at once instead of working through the backlog first.
import { memoryTransport, type FrameConnection } from "@prepcast/transport";
import { FrameReader } from "../index";

async function pair(): Promise<{ client: FrameConnection; server: FrameConnection; close(): Promise<void> }> {
  const t = memoryTransport();
  let server!: FrameConnection;
  const srv = await t.listen({ host: "127.0.0.1", port: 0 }, (c) => (server = c));
  const client = await t.connect({ host: "127.0.0.1", port: srv.address.port });
  while (!server) await new Promise((r) => setTimeout(r, 1));
  return { client, server, close: async () => (await client.close().catch(() => undefined), await srv.close()) };
}

describe("FrameReader under a flood of messages", () => {
  test("flood of large frames before anyone reads: the reader stops pulling at the byte bound (backpressure holds the sender), then the flow resumes", async () => {
    const p = await pair();
    try {
      const reader = new FrameReader(p.server, { maxQueuedBytes: 16 * 1024 * 1024 });
      const chunk = Buffer.alloc(1024 * 1024, 0x41);
      let sent = 0;
      const sends: Array<Promise<void>> = [];
      for (let i = 0; i < 64; i++) sends.push(p.client.send({ chunk: { offset: i, data: chunk, sha256: Buffer.alloc(32) } }).then(() => void sent++));
      await new Promise((r) => setTimeout(r, 500));
      // held in the reader: at most the bound plus one frame; the rest waits at the sender
      expect(reader.queuedBytes).toBeLessThanOrEqual(17 * 1024 * 1024 + 64 * 100);
      expect(sent).toBeLessThan(64);
      for (let i = 0; i < 64; i++) expect(Number((await reader.next(5000, "chunk")).chunk?.offset)).toBe(i);
      await Promise.all(sends);
      expect(reader.queuedBytes).toBe(0);
    } finally {
      await p.close();
    }
  });

  test("flood of small frames past the frame-count bound: the first read reports it", async () => {
    const p = await pair();
    try {
      const reader = new FrameReader(p.server, { maxQueued: 100 });
      for (let i = 0; i < 300; i++) void p.client.send({ status: {} }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      await expect(reader.next(1000, "frame")).rejects.toMatchObject({ code: "PROTOCOL_ERROR" });
    } finally {
      await p.close();
    }
  });

  test("a normal exchange under the bounds is unaffected", async () => {
    const p = await pair();
    try {
      const reader = new FrameReader(p.server, { maxQueuedBytes: 4 * 1024 * 1024 });
      for (let i = 0; i < 3; i++) await p.client.send({ chunk: { offset: i, data: Buffer.alloc(1024 * 1024), sha256: Buffer.alloc(32) } });
      for (let i = 0; i < 3; i++) expect(Number((await reader.next(1000, "chunk")).chunk?.offset)).toBe(i);
      expect(reader.queuedBytes).toBe(0);
    } finally {
      await p.close();
    }
  });
});
