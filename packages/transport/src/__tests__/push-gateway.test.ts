// The pieces of the push on the site's port that run before any TLS: reading the SNI from a real
// ClientHello (Node's own TLS client), and the bridge preamble only the gateway writes.
import * as net from "node:net";
import * as tls from "node:tls";
import { clientHelloServerName, readBridgePreamble } from "../push-gateway";
import { PIN_SERVERNAME } from "../tls";

function captureClientHello(servername?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((sock) => {
      sock.once("data", (d) => {
        resolve(d);
        sock.destroy();
        srv.close();
      });
    });
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const c = tls.connect({
        host: "127.0.0.1",
        port: (srv.address() as net.AddressInfo).port,
        rejectUnauthorized: false,
        ...(servername ? { servername } : {}),
      });
      c.on("error", () => undefined);
    });
  });
}

describe("clientHelloServerName", () => {
  test("reads the SNI of a real ClientHello, byte by byte until complete", async () => {
    const hello = await captureClientHello(PIN_SERVERNAME);
    expect(clientHelloServerName(hello)).toBe(PIN_SERVERNAME);
    for (const cut of [0, 1, 4, 5, 40, hello.length - 1]) expect(clientHelloServerName(hello.subarray(0, cut))).toBe("more");
    expect(clientHelloServerName(await captureClientHello("PREP.Difusor.MX"))).toBe("prep.difusor.mx");
  });

  test("no SNI (a client that connects by IP address) and not TLS at all: null, i.e. the public site", async () => {
    expect(clientHelloServerName(await captureClientHello())).toBeNull();
    expect(clientHelloServerName(Buffer.from("GET / HTTP/1.1\r\n\r\n"))).toBeNull();
    const truncatedInside = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0x00, 0x00, 0x40, 0x03, 0x03]);
    expect(clientHelloServerName(truncatedInside)).toBeNull();
  });
});

describe("readBridgePreamble", () => {
  async function feed(bytes: string): Promise<{ address: string; rest: string } | string> {
    const [a, b] = await new Promise<[net.Socket, net.Socket]>((resolve) => {
      const srv = net.createServer((s) => {
        srv.close();
        resolve([c, s]);
      });
      let c: net.Socket;
      srv.listen(0, "127.0.0.1", () => (c = net.connect((srv.address() as net.AddressInfo).port, "127.0.0.1")));
    });
    a.end(bytes);
    try {
      const r = await readBridgePreamble(b, 1000);
      return { address: r.address, rest: r.rest.toString() };
    } catch (e) {
      return (e as Error).message;
    } finally {
      a.destroy();
      b.destroy();
    }
  }

  test("the first line carries the publisher's address; the rest is the relayed stream", async () => {
    expect(await feed("PREPCAST-BRIDGE/1 203.0.113.7\nGET /prepcast/v1/push HTTP/1.1\r\n")).toEqual({
      address: "203.0.113.7",
      rest: "GET /prepcast/v1/push HTTP/1.1\r\n",
    });
    expect(await feed("PREPCAST-BRIDGE/1 ::ffff:127.0.0.1\n")).toEqual({ address: "127.0.0.1", rest: "" });
  });

  test("anything else is refused", async () => {
    expect(await feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n")).toMatch(/without a valid preamble/);
    expect(await feed("PREPCAST-BRIDGE/1 not-an-ip\n")).toMatch(/without a valid preamble/);
    expect(await feed(`PREPCAST-BRIDGE/1 ${"1".repeat(200)}`)).toMatch(/too long/);
  });
});
