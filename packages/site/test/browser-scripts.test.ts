// The scripts the site serves to browsers are compiled from src/browser/*.ts (tsconfig.browser.json):
// what a running server sends is byte for byte what tsc makes of the sources now (a stale dist/ or a
// script kept anywhere else fails here), and the banner stays ES5 for the portals that embed it.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Linter } from "eslint";
import { createSiteServer, SiteServer } from "../src";
import { request } from "./http";
import { tempRoot } from "./fixtures";

const PKG = join(__dirname, "..");
const SOURCES = readdirSync(join(PKG, "src", "browser")).filter((f) => f.endsWith(".ts"));

describe("browser scripts", () => {
  let server: SiteServer;
  let compiled: string;
  beforeAll(async () => {
    compiled = tempRoot("prepcast-browser-");
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(PKG, "tsconfig.browser.json"), "--outDir", compiled], { stdio: "pipe" });
    server = await createSiteServer({ root: tempRoot(), listen: "127.0.0.1:0", analytics: undefined, log: { info() {}, warn() {}, error() {} } });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  test("every src/browser script is served exactly as tsc compiles it now, as a classic script", async () => {
    expect(SOURCES).toEqual(expect.arrayContaining(["banner.ts", "verify.ts"]));
    for (const source of SOURCES) {
      const name = source.replace(/\.ts$/, ".js");
      const fresh = readFileSync(join(compiled, name));
      const served = await request(`${server.url}/.well-known/prepcast/${name}`);
      expect({ name, status: served.status, type: served.headers["content-type"] }).toEqual({ name, status: 200, type: "text/javascript; charset=utf-8" });
      expect({ name, same: served.body.equals(fresh) }).toEqual({ name, same: true });
      // a classic script: no module wrapper the browser cannot run
      expect(fresh.toString()).not.toMatch(/\b(exports|require|import)\b\s*[.(]|^\s*(import|export)\s/m);
    }
  });

  test("the banner is ES5 (any browser of a portal that embeds it)", () => {
    const js = readFileSync(join(compiled, "banner.js"), "utf8");
    const problems = new Linter().verify(js, { languageOptions: { ecmaVersion: 5, sourceType: "script" } });
    expect(problems.filter((m) => m.fatal)).toEqual([]);
    // and the check can fail: the same parser refuses ES2015
    expect(new Linter().verify("const a = () => 1;", { languageOptions: { ecmaVersion: 5, sourceType: "script" } }).some((m) => m.fatal)).toBe(true);
  });
});
