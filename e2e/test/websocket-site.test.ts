// push.websocket: true: the OPLE pushes over WebSocket through the difusor's own HTTPS port (the
// site's listener, two cluster workers), while citizens keep reading the site on that same port.
// Real processes on loopback. The push is selected by the TLS SNI every publisher sends
// (PIN_SERVERNAME); a peer outside the allowlist that asks for it is dropped before a single TLS
// byte comes back, and any other SNI only ever reaches the public site.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";
import { WebSocket, type ClientOptions } from "ws";
import { Cluster, compareTrees, generateCut, waitFor } from "@prepcast/testkit";
import { certificateFingerprint, PIN_SERVERNAME } from "@prepcast/transport";

jest.setTimeout(180_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.create([{ id: "difusor-443", transport: "websocket-site", siteWorkers: 2 }]);
  await cluster.startReceiver(cluster.receivers[0]!);
  await cluster.startPublisher();
});

afterAll(async () => {
  await cluster?.stop();
  cluster?.cleanup();
});

const r = () => cluster.receivers[0]!;

/** The certificate the site's port presents for `servername`. */
function presented(servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: "127.0.0.1", port: r().sitePort, rejectUnauthorized: false, ...(servername ? { servername } : {}) }, () => {
      const der = s.getPeerCertificate().raw;
      s.destroy();
      resolve(certificateFingerprint(`-----BEGIN CERTIFICATE-----\n${der.toString("base64")}\n-----END CERTIFICATE-----\n`));
    });
    s.once("error", reject);
  });
}

/** A real ClientHello asking for `servername`, captured from Node's TLS client. */
function clientHello(servername: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((sock) => {
      sock.once("data", (d) => {
        resolve(d);
        sock.destroy();
        srv.close();
      });
    });
    srv.listen(0, "127.0.0.1", () => {
      const c = tls.connect({ host: "127.0.0.1", port: (srv.address() as net.AddressInfo).port, servername, rejectUnauthorized: false });
      c.on("error", () => undefined);
    });
    srv.once("error", reject);
  });
}

/** Sends `hello` from `localAddress` and returns every byte that comes back before the server closes (or 2 s pass). */
function replay(hello: Buffer, localAddress: string): Promise<{ bytes: number; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const s = net.connect({ host: "127.0.0.1", port: r().sitePort, localAddress }, () => s.write(hello));
    const t = setTimeout(() => {
      s.destroy();
      resolve({ bytes, closedByServer: false });
    }, 2000);
    s.on("data", (d) => (bytes += d.length));
    s.once("close", () => {
      clearTimeout(t);
      resolve({ bytes, closedByServer: true });
    });
    s.once("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" ? undefined : reject(e)));
  });
}

test("the push arrives over WebSocket on the site's HTTPS port (2 site workers) and the site keeps serving citizens there", async () => {
  const cuts = path.join(cluster.dir, "cuts");
  for (let k = 1; k <= 2; k++) {
    const { dir } = await generateCut({ outDir: cuts, k, scale: "small" });
    const res = cluster.push(dir);
    expect(res.json).toMatchObject({ ok: true, sequence: k, delivered: 1 });
    const cmp = await compareTrees(dir, path.join(r().dir, "data", "current", "site"));
    expect(cmp.differences).toEqual([]);
    // a citizen, same port, https: the cut's own file, byte for byte, and the well-known document
    const fetched = await new Promise<Buffer>((resolve, reject) => {
      const s = tls.connect({ host: "127.0.0.1", port: r().sitePort, servername: "localhost", rejectUnauthorized: false }, () =>
        s.write("GET /data/corte.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
      );
      const parts: Buffer[] = [];
      s.on("data", (d) => parts.push(d));
      s.once("end", () => resolve(Buffer.concat(parts)));
      s.once("error", reject);
    });
    const [head, body] = [fetched.subarray(0, fetched.indexOf("\r\n\r\n")).toString(), fetched.subarray(fetched.indexOf("\r\n\r\n") + 4)];
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(body.equals(fs.readFileSync(path.join(dir, "data/corte.json")))).toBe(true);
  }
  // the publisher reached it as a WebSocket session at the site's address
  const status = await cluster.status();
  expect(status.receivers[0]).toMatchObject({ id: "difusor-443", live: { sequence: 2 } });
  // as a WebSocket session, with the publisher's own address (passed by the bridge, not the unix socket's)
  const events = fs
    .readFileSync(path.join(r().dir, "data", "audit.log"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { event: string; data: Record<string, unknown> });
  expect(events.filter((e) => e.event === "publisher_connected").map((e) => e.data)).toContainEqual({
    publisher: "ople",
    transport: "websocket",
    address: "127.0.0.1",
  });
});

test("the push SNI gets the pinned push certificate, any other SNI the site's public certificate", async () => {
  const push = fs.readFileSync(path.join(r().dir, "tls.crt"));
  const site = fs.readFileSync(path.join(r().dir, "site.crt"));
  expect(await presented(PIN_SERVERNAME)).toBe(certificateFingerprint(push));
  expect(await presented("localhost")).toBe(certificateFingerprint(site));
  expect(await presented(undefined)).toBe(certificateFingerprint(site));
  expect(certificateFingerprint(push)).not.toBe(certificateFingerprint(site));
});

test("an address outside the allowlist asking for the push is dropped before any TLS byte; an allowed one gets its ServerHello", async () => {
  const hello = await clientHello(PIN_SERVERNAME);
  expect(hello[0]).toBe(0x16);
  const outside = await replay(hello, "127.0.0.2"); // loopback, but not in the allowlist (127.0.0.1/32)
  expect(outside).toEqual({ bytes: 0, closedByServer: true });
  const allowed = await replay(hello, "127.0.0.1");
  expect(allowed.bytes).toBeGreaterThan(0);
  // citizens from that same address still get the site (another SNI)
  const citizen = await replay(await clientHello("localhost"), "127.0.0.2");
  expect(citizen.bytes).toBeGreaterThan(0);
  // reported by the worker that dropped it, in the agent's audit log
  await waitFor(
    "the rejection in the audit log",
    () => fs.readFileSync(path.join(r().dir, "data", "audit.log"), "utf8").includes('"address":"127.0.0.2"'),
    10_000,
  );
});

test("a WebSocket upgrade to the push path with another SNI never reaches the push endpoint", async () => {
  const sessions = () => (fs.readFileSync(path.join(r().dir, "data", "audit.log"), "utf8").match(/"event":"(publisher_connected|auth_failed)"/g) ?? []).length;
  const before = sessions();
  const outcome = await new Promise<string>((resolve) => {
    const ws = new WebSocket(`wss://127.0.0.1:${r().sitePort}/prepcast/v1/push`, {
      servername: "localhost",
      rejectUnauthorized: false,
      handshakeTimeout: 5000,
    } as ClientOptions); // ws hands servername to tls.connect
    ws.once("open", () => {
      ws.terminate();
      resolve("open");
    });
    ws.once("unexpected-response", (_req, res) => {
      ws.terminate();
      resolve(`http ${res.statusCode}`);
    });
    ws.once("error", (e) => resolve(`error ${e.message}`));
  });
  expect(outcome).not.toBe("open");
  await new Promise((res) => setTimeout(res, 500));
  expect(sessions()).toBe(before);
});
