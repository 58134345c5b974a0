// Raw bytes to an HTTP listener (what fetch refuses to send: bad request targets, header floods,
// slow clients), and what came back.
import * as net from "node:net";
import { spawn, type ChildProcess } from "node:child_process";

export interface RawAnswer {
  /** Status code of the first response, or null if the connection closed without one. */
  status: number | null;
  text: string;
  /** The listener answered or closed the connection (false: still holding it when we gave up). */
  settled: boolean;
}

/** Writes `bytes` (all at once, or in the given pieces with `gapMs` between) and reads until close or `timeoutMs`. */
export function rawRequest(
  port: number,
  bytes: string | Buffer | Array<string | Buffer>,
  opts: { timeoutMs?: number; gapMs?: number; host?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: opts.host ?? "127.0.0.1", port });
    const first = Array.isArray(bytes) ? bytes[0] : bytes;
    const headRequest = String(first ?? "").startsWith("HEAD ");
    const chunks: Buffer[] = [];
    let done = false;
    let settled = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text, settled: settled || m !== null });
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 5000);
    const closed = () => {
      settled = true;
      finish();
    };
    socket.on("data", (d) => {
      chunks.push(d);
      // one complete response is enough (keep-alive connections stay open)
      const t = Buffer.concat(chunks).toString("latin1");
      const h = t.indexOf("\r\n\r\n");
      if (h !== -1) {
        const head = t.slice(0, h);
        const len = /\r\ncontent-length: *(\d+)/i.exec(head);
        const noBody = headRequest || /^HTTP\/1\.[01] (1\d\d|204|304)/.test(head);
        if (noBody || (len && t.length - h - 4 >= Number(len[1])) || (/\r\ntransfer-encoding: *chunked/i.test(head) && t.endsWith("\r\n0\r\n\r\n"))) finish();
      }
    });
    socket.on("error", closed);
    socket.on("close", closed);
    socket.on("end", closed);
    socket.on("connect", async () => {
      const pieces = Array.isArray(bytes) ? bytes : [bytes];
      for (const p of pieces) {
        if (socket.destroyed) return;
        socket.write(p);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
    });
  });
}

/** The request targets and header shapes that must get a 4xx, never kill or hang the listener. */
export function hostileRequests(hostHeader: string): Array<{ name: string; bytes: string }> {
  const req = (line: string, headers = `Host: ${hostHeader}\r\n`) => `${line}\r\n${headers}\r\n`;
  return [
    { name: "GET //%zz/", bytes: req("GET //%zz/ HTTP/1.1") },
    { name: "GET //[::1/", bytes: req("GET //[::1/ HTTP/1.1") },
    { name: "GET http://[::1/ (absolute-form, bad IPv6 host)", bytes: req("GET http://[::1/ HTTP/1.1") },
    { name: "GET http://%zz/ (absolute-form)", bytes: req("GET http://%zz/x HTTP/1.1") },
    { name: "GET //evil.example/livez", bytes: req("GET //evil.example/livez HTTP/1.1") },
    { name: "GET * (asterisk-form)", bytes: req("GET * HTTP/1.1") },
    { name: "CONNECT authority-form", bytes: req("CONNECT 127.0.0.1:1 HTTP/1.1") },
    { name: "CONNECT origin-form", bytes: req("CONNECT / HTTP/1.1") },
    {
      name: "Upgrade: websocket",
      bytes: req(
        "GET / HTTP/1.1",
        `Host: ${hostHeader}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`,
      ),
    },
    {
      name: "Upgrade: h2c",
      bytes: req(
        "GET / HTTP/1.1",
        `Host: ${hostHeader}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n`,
      ),
    },
    { name: "HTTP/2 preface", bytes: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" },
    { name: "GET /%", bytes: req("GET /% HTTP/1.1") },
    { name: "GET /%E0%A4%A", bytes: req("GET /%E0%A4%A HTTP/1.1") },
    { name: "GET /%00", bytes: req("GET /%00 HTTP/1.1") },
    { name: "GET /?%zz=%zz&token=%", bytes: req("GET /stats.json?%zz=%zz&from=%&token=% HTTP/1.1") },
    { name: "GET / with Host [::1", bytes: req("GET / HTTP/1.1", "Host: [::1\r\n") },
    { name: "GET / with Host %zz", bytes: req("GET / HTTP/1.1", "Host: %zz:99999\r\n") },
    { name: "GET / with two Host headers", bytes: req("GET / HTTP/1.1", `Host: ${hostHeader}\r\nHost: evil.example\r\n`) },
    { name: "GET / HTTP/1.0 without Host", bytes: "GET / HTTP/1.0\r\n\r\n" },
    { name: "bytes above 0x7f in the target", bytes: req("GET /\u00ff\u0080/ HTTP/1.1") },
    { name: "request line of 64 KiB", bytes: req(`GET /${"a".repeat(65536)} HTTP/1.1`) },
    { name: "a 32 KiB header", bytes: req("GET / HTTP/1.1", `Host: ${hostHeader}\r\nX-Big: ${"b".repeat(32768)}\r\n`) },
    { name: "2 000 headers", bytes: req("GET / HTTP/1.1", `Host: ${hostHeader}\r\n${Array.from({ length: 2000 }, (_, i) => `X-${i}: v`).join("\r\n")}\r\n`) },
    { name: "garbage request line", bytes: "\u0000\u0001\u0002 garbage\r\n\r\n" },
    {
      name: "Content-Length and Transfer-Encoding",
      bytes: `POST /login HTTP/1.1\r\nHost: ${hostHeader}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    },
    { name: "negative Content-Length", bytes: `POST /login HTTP/1.1\r\nHost: ${hostHeader}\r\nContent-Length: -1\r\n\r\n` },
    { name: "bad chunk size", bytes: `POST /api/push HTTP/1.1\r\nHost: ${hostHeader}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n` },
  ];
}

/** Spawns a CLI and waits for a line of its stderr/stdout matching `ready`. */
export function spawnUntil(
  bin: string,
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
): Promise<{ child: ChildProcess; match: RegExpExecArray; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${args.join(" ")} did not print ${ready} within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m, output: () => out });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")} exited ${code} before it was ready:\n${out}`));
    });
  });
}

export async function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), 5000);
  const code = await exited;
  clearTimeout(t);
  return code;
}
