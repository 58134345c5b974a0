#!/usr/bin/env node
// Chunk size and HTTP/2 flow-control window for the push channel, measured on loopback over the
// real gRPC transport with TLS: N sessions from one sender process (the publisher's shape), each
// sending the same shared 32 MiB payload in chunks of the size under test, awaiting each send
// as PublisherSession does. Prints MiB/s aggregate and sender CPU s per GiB sent.
//   node bench/transfer/chunks.js [MiB per session, default 32] [sessions, default 8]
"use strict";
const { createHash, randomBytes } = require("node:crypto");
const path = require("node:path");
const t = require(path.join(__dirname, "..", "..", "packages", "transport", "dist"));

const perSession = Number(process.argv[2] ?? 32) * 1024 * 1024;
const sessions = Number(process.argv[3] ?? 8);
const payload = randomBytes(perSession);

async function run(chunk, windowBytes) {
  const opts = windowBytes ? { channelOptions: { "grpc-node.flow_control_window": windowBytes } } : {};
  const cert = await t.generateSelfSignedCertificate({ commonName: "bench" });
  const accepted = [];
  const server = await t.grpcTransport(opts).listen({ host: "127.0.0.1", port: 0, tls: { cert: cert.cert, key: cert.key } }, (c) => accepted.push(c));
  const clients = [];
  for (let i = 0; i < sessions; i++)
    clients.push(await t.grpcTransport(opts).connect({ host: "127.0.0.1", port: server.address.port, tls: { expectedFingerprint: cert.fingerprint } }));
  while (accepted.length < sessions) await new Promise((r) => setTimeout(r, 10));
  const chunks = [];
  for (let off = 0; off < perSession; off += chunk) {
    const data = payload.subarray(off, Math.min(perSession, off + chunk));
    chunks.push({ offset: off, data, sha256: createHash("sha256").update(data).digest() });
  }
  const cpu0 = process.cpuUsage();
  const started = process.hrtime.bigint();
  const readers = accepted.map(async (r) => {
    let n = 0;
    for await (const f of r.frames()) if (++n === chunks.length && f.chunk) break;
  });
  await Promise.all(
    clients.map(async (c) => {
      for (const ch of chunks) await c.send({ chunk: ch });
    }),
  );
  await Promise.all(readers);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  for (const c of clients) await c.close();
  await server.close();
  const gib = (perSession * sessions) / 2 ** 30;
  return { mibs: (perSession * sessions) / 2 ** 20 / seconds, cpuPerGiB: (cpu.user + cpu.system) / 1e6 / gib };
}

(async () => {
  console.log(`${sessions} sessions × ${perSession >> 20} MiB, one process (sender and receivers share it: the CPU column is both sides)`);
  console.log("| chunk | flow-control window | MiB/s | CPU s per GiB |\n| --- | --- | --- | --- |");
  for (const windowBytes of [0, 64 * 1024, 16 * 1024 * 1024]) {
    for (const chunk of [256 * 1024, 512 * 1024, 1024 * 1024]) {
      const r = await run(chunk, windowBytes);
      console.log(
        `| ${chunk >> 10} KiB | ${windowBytes ? `${windowBytes >> 10} KiB` : "4096 KiB (transport default)"} | ${r.mibs.toFixed(0)} | ${r.cpuPerGiB.toFixed(2)} |`,
      );
    }
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
