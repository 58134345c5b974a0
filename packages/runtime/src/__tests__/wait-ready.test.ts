import { spawn } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { waitReady } from "../service-commands";

// A port nobody listens on: bind, note it, close.
async function closedPortUrl(): Promise<string> {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return `http://127.0.0.1:${port}/readyz`;
}

describe("wait-ready", () => {
  test("gives up as soon as the service's process is gone (systemd's $MAINPID), not at the timeout", async () => {
    const child = spawn(process.execPath, ["-e", "process.exit(78)"], { stdio: "ignore" });
    const pid = child.pid!;
    await new Promise((r) => child.on("exit", r));
    const url = await closedPortUrl();
    const t0 = Date.now();
    await expect(waitReady(url, 60_000, 50, pid)).rejects.toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining(`PID ${pid}`) });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  test("keeps waiting while the service runs, and returns when /readyz answers 200", async () => {
    let ready = false;
    const srv = http.createServer((_req, res) => {
      res.statusCode = ready ? 200 : 503;
      res.end(ready ? "ready" : "starting");
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/readyz`;
    setTimeout(() => (ready = true), 400);
    try {
      await expect(waitReady(url, 20_000, 50, process.pid)).resolves.toBeUndefined();
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  test("without a PID it times out with the last answer", async () => {
    const url = await closedPortUrl();
    await expect(waitReady(url, 300, 50)).rejects.toMatchObject({ code: "TIMEOUT", message: expect.stringContaining("ECONNREFUSED") });
  });
});
