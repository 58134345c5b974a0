import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { isPrepcastError } from "@prepcast/protocol";
import { commaList, loadConfig, parseListen } from "../config";
import { startAdminServer, createMetricsRegistry } from "../admin-server";

const Schema = z.strictObject({
  id: z.string().min(1),
  site: z.strictObject({ listen: z.string(), workers: z.number().int().min(0) }),
  allowlist: z.array(z.string()).default([]),
});

function write(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-"));
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(dir); // removed after the test file (jest.environment.js)
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

describe("loadConfig", () => {
  test("reads YAML and applies PREPCAST_* overrides", () => {
    const f = write("r.yaml", "id: uv\nsite:\n  listen: 0.0.0.0:80\n  workers: 2\n");
    const { config } = loadConfig(f, Schema, {
      env: { PREPCAST_SITE_LISTEN: "127.0.0.1:8080", PREPCAST_ALLOWLIST: "10.0.0.0/8, 192.0.2.1/32" },
      overrides: [
        { env: "PREPCAST_SITE_LISTEN", path: "site.listen" },
        { env: "PREPCAST_ALLOWLIST", path: "allowlist", parse: commaList },
      ],
    });
    expect(config.site.listen).toBe("127.0.0.1:8080");
    expect(config.allowlist).toEqual(["10.0.0.0/8", "192.0.2.1/32"]);
  });

  test("lists every problem at once with its path", () => {
    const f = write("r.json", JSON.stringify({ site: { listen: 80, workers: -1 }, extra: true }));
    try {
      loadConfig(f, Schema);
      throw new Error("should have failed");
    } catch (e) {
      expect(isPrepcastError(e, "CONFIG_INVALID")).toBe(true);
      const msg = (e as Error).message;
      expect(msg).toMatch(/4 problem/);
      for (const p of ["id", "site.listen", "site.workers", "(top level)"]) expect(msg).toContain(p);
    }
  });

  test("bad YAML names the line", () => {
    const f = write("r.yaml", "id: uv\nsite: [unclosed\n");
    expect(() => loadConfig(f, Schema)).toThrow(/not valid YAML/);
  });

  test("missing file gives a hint", () => {
    try {
      loadConfig("/nonexistent/x.yaml", Schema);
    } catch (e) {
      expect(isPrepcastError(e, "CONFIG_INVALID")).toBe(true);
      expect((e as { hint: string }).hint).toMatch(/--config/);
    }
  });

  test("parseListen", () => {
    expect(parseListen("0.0.0.0:8730", "x")).toEqual({ host: "0.0.0.0", port: 8730 });
    expect(parseListen("[::1]:80", "x")).toEqual({ host: "::1", port: 80 });
    expect(() => parseListen("8730", "push.listen")).toThrow(/HOST:PORT/);
    expect(() => parseListen("a:99999", "x")).toThrow();
  });
});

describe("admin server", () => {
  test("livez, readyz reflects readiness, metrics in Prometheus format, extra routes", async () => {
    let ready = false;
    const admin = await startAdminServer({
      host: "127.0.0.1",
      port: 0,
      registry: createMetricsRegistry("t_"),
      ready: () => ({ ok: ready, reasons: ready ? [] : ["store not open"] }),
      routes: [(req, res, url) => (url.pathname === "/hello" ? (res.end("hi"), true) : false)],
    });
    const base = `http://127.0.0.1:${admin.address.port}`;
    try {
      expect((await fetch(`${base}/livez`)).status).toBe(200);
      const r1 = await fetch(`${base}/readyz`);
      expect(r1.status).toBe(503);
      expect(await r1.json()).toEqual({ ok: false, reasons: ["store not open"] });
      ready = true;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const m = await (await fetch(`${base}/metrics`)).text();
      expect(m).toContain("t_process_cpu_user_seconds_total");
      expect(await (await fetch(`${base}/hello`)).text()).toBe("hi");
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      await admin.close();
    }
  });
});
