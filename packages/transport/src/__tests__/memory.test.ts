import { isPrepcastError } from "@prepcast/protocol";
import { memoryTransport } from "../memory";
import type { FrameConnection } from "../types";

describe("memory transport", () => {
  it("emulates the client address for allowlists", async () => {
    const seen: string[] = [];
    const rejected: string[] = [];
    const factory = memoryTransport({ clientAddress: "10.1.2.3" });
    const open = await factory.listen({ host: "r", port: 0, allowlist: ["10.0.0.0/8"] }, (c) => seen.push(c.remoteAddress));
    const closed = await factory.listen({ host: "r", port: 0, allowlist: ["2001:db8::/32"], onRejected: (i) => rejected.push(i.address) }, () => undefined);
    const c = await factory.connect({ host: "r", port: open.address.port });
    expect(seen).toEqual(["10.1.2.3"]);
    await expect(factory.connect({ host: "r", port: closed.address.port })).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(rejected).toEqual(["10.1.2.3"]);
    await c.close();
    await Promise.all([open.close(), closed.close()]);
  });

  it("refuses a second listener on the same address and a second reader of one connection", async () => {
    const factory = memoryTransport();
    let serverSide: FrameConnection | undefined;
    const server = await factory.listen({ host: "r", port: 9000 }, (c) => (serverSide = c));
    await expect(factory.listen({ host: "r", port: 9000 }, () => undefined)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    const client = await factory.connect({ host: "r", port: 9000 });
    client.frames();
    let second: unknown;
    try {
      client.frames();
    } catch (e) {
      second = e;
    }
    expect(isPrepcastError(second, "INTERNAL")).toBe(true);
    await client.close();
    await serverSide!.closed;
    await server.close();
  });
});

describe("a throwing onConnection", () => {
  it("closes that session with INTERNAL and keeps serving", async () => {
    const factory = memoryTransport();
    let calls = 0;
    const server = await factory.listen({ host: "r", port: 0 }, () => {
      calls++;
      throw new Error("boom");
    });
    const client = await factory.connect({ host: "r", port: server.address.port });
    const frames = [];
    let ending: unknown;
    try {
      for await (const f of client.frames()) frames.push(f);
    } catch (e) {
      ending = e;
    }
    // one Error frame, then the connection ends with that code (as a gRPC status would)
    expect(frames.map((f) => f.error?.code)).toEqual(["INTERNAL"]);
    expect(ending).toMatchObject({ code: "INTERNAL" });
    expect(frames[0]!.error!.message).toMatch(/boom/);
    const again = await factory.connect({ host: "r", port: server.address.port });
    expect(calls).toBe(2);
    await again.close();
    await server.close();
  });
});
