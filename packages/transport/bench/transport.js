#!/usr/bin/env node
// Loopback benchmark of the push transports, side by side in one run (not part of npm test).
//   npm run build -w @prepcast/transport && node packages/transport/bench/transport.js [MiB]
// Measures: payload throughput of 256 KiB Chunk frames over TLS, session setup time (TCP + pin
// probe + TLS + upgrade/stream), and the cost of the allowlist check on session setup.
"use strict";
const { createHash, randomBytes } = require("node:crypto");
const t = require("../dist");

const CHUNK = 256 * 1024;
const totalMiB = Number(process.argv[2] ?? 256);
const SETUPS = 30;

async function pair(factory, cert, listenExtra = {}) {
  let accept;
  const accepted = new Promise((r) => (accept = r));
  const server = await factory.listen({ host: "127.0.0.1", port: 0, tls: { cert: cert.cert, key: cert.key }, ...listenExtra }, (c) => accept(c));
  return { server, accepted, connect: () => factory.connect({ host: "127.0.0.1", port: server.address.port, tls: { expectedFingerprint: cert.fingerprint } }) };
}

async function throughput(factory, cert) {
  const { server, accepted, connect } = await pair(factory, cert);
  const client = await connect();
  const receiver = await accepted;
  const data = randomBytes(CHUNK);
  const sha256 = createHash("sha256").update(data).digest();
  const count = Math.ceil((totalMiB * 1024 * 1024) / CHUNK);
  const started = process.hrtime.bigint();
  const reading = (async () => {
    let bytes = 0;
    let n = 0;
    for await (const f of receiver.frames()) {
      bytes += f.chunk.data.length;
      if (++n === count) break;
    }
    return bytes;
  })();
  for (let i = 0; i < count; i++) await client.send({ chunk: { offset: i * CHUNK, data, sha256 } });
  const bytes = await reading;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await client.close();
  await server.close();
  return bytes / (1024 * 1024) / seconds;
}

async function setupTime(factory, cert, allowlist) {
  const extra = allowlist ? { allowlist } : {};
  const server = await factory.listen({ host: "127.0.0.1", port: 0, tls: { cert: cert.cert, key: cert.key }, ...extra }, () => undefined);
  const times = [];
  for (let i = 0; i < SETUPS; i++) {
    const started = process.hrtime.bigint();
    const c = await factory.connect({ host: "127.0.0.1", port: server.address.port, tls: { expectedFingerprint: cert.fingerprint } });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    await c.close();
  }
  await server.close();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

(async () => {
  const cert = await t.generateSelfSignedCertificate({ commonName: "bench" });
  const rows = [];
  for (const [name, make] of [
    ["grpc", () => t.grpcTransport()],
    ["websocket", () => t.websocketTransport()],
    ["memory", () => t.memoryTransport()],
  ]) {
    const mbps = await throughput(make(), cert);
    const open = name === "memory" ? NaN : await setupTime(make(), cert, undefined);
    const listed = name === "memory" ? NaN : await setupTime(make(), cert, ["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32", "127.0.0.0/8"]);
    rows.push({
      transport: name,
      "MiB/s (256 KiB chunks, TLS)": mbps.toFixed(0),
      "session setup ms (median)": open.toFixed(2),
      "setup ms with 4-CIDR allowlist": listed.toFixed(2),
    });
  }
  console.log(`PREPcast transports on loopback, ${totalMiB} MiB per transport, node ${process.version}`);
  console.table(rows);
  const a = new t.Allowlist(["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32", "127.0.0.0/8"]);
  const n = 200_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) a.allows("127.0.0.1");
  console.log(`allowlist check: ${(Number(process.hrtime.bigint() - started) / n).toFixed(0)} ns per connection (4 CIDRs)`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
