// Bytes on the wire: the TCP payload bytes (TLS records included) of the publisher's sockets, from
// the kernel's counters (`ss -tin`), both directions.
"use strict";
const { execFileSync } = require("node:child_process");

/** Publisher-side TCP payload bytes per receiver port, from the kernel's socket counters. */
function socketBytes(ports) {
  const out = execFileSync("ss", ["-tinH", "state", "established"], { encoding: "utf8" });
  const lines = out.split("\n");
  const totals = new Map();
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*\d+\s+\d+\s+127\.0\.0\.1:\d+\s+127\.0\.0\.1:(\d+)\s*$/.exec(lines[i]);
    if (!m || !ports.has(Number(m[1]))) continue;
    const info = lines[i + 1] ?? "";
    const sent = Number(/bytes_sent:(\d+)/.exec(info)?.[1] ?? 0);
    const received = Number(/bytes_received:(\d+)/.exec(info)?.[1] ?? 0);
    const t = totals.get(Number(m[1])) ?? { sent: 0, received: 0 };
    totals.set(Number(m[1]), { sent: t.sent + sent, received: t.received + received });
  }
  return totals;
}

function bytesBetween(before, after) {
  let sent = 0;
  let received = 0;
  for (const [port, a] of after) {
    const b = before.get(port) ?? { sent: 0, received: 0 };
    // a reconnect restarts the counters: count what the new socket carried
    sent += a.sent >= b.sent ? a.sent - b.sent : a.sent;
    received += a.received >= b.received ? a.received - b.received : a.received;
  }
  return { sent, received };
}

module.exports = { socketBytes, bytesBetween };
