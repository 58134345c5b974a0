// The dashboard's script is compiled from src/browser/dashboard.ts (tsconfig.browser.json): what a
// running publisher sends as /dashboard.js is byte for byte what tsc makes of the source now (a
// stale dist/ or a script kept anywhere else fails here), and it is a classic script.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { PublisherService } from "../src/service/publisher-service";
import { makePublisherKeys, startPublisher, tmpDir, writePublisherConfig } from "./helpers";

const PKG = path.join(__dirname, "..");

describe("the dashboard's browser script", () => {
  const work = tmpDir("dashboard-script");
  let svc: PublisherService;
  let compiled: string;
  beforeAll(async () => {
    compiled = tmpDir("dashboard-tsc");
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(PKG, "tsconfig.browser.json"), "--outDir", compiled], {
      stdio: "pipe",
    });
    svc = await startPublisher(writePublisherConfig(work, makePublisherKeys(work), []), { monitor: false });
  }, 60_000);
  afterAll(async () => {
    await svc?.stop();
  });

  test("/dashboard.js is exactly the fresh tsc output of src/browser/dashboard.ts, a classic script", async () => {
    expect(readdirSync(path.join(PKG, "src", "browser"))).toEqual(["dashboard.ts"]);
    const fresh = readFileSync(path.join(compiled, "dashboard.js"));
    const res = await fetch(`http://127.0.0.1:${svc.adminAddress!.port}/dashboard.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(Buffer.from(await res.arrayBuffer()).equals(fresh)).toBe(true);
    expect(fresh.toString()).not.toMatch(/\b(exports|require|import)\b\s*[.(]|^\s*(import|export)\s/m);
  });
});
