import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isPrepcastError } from "@prepcast/protocol";
import { browserScriptDir, readBrowserScript } from "../browser-script";

function packageDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "browser-script-"));
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(dir); // removed after the test file (jest.environment.js)
  return dir;
}

describe("readBrowserScript", () => {
  test("returns the built script's exact bytes from PACKAGE/dist/browser", () => {
    const dir = packageDir();
    fs.mkdirSync(browserScriptDir(dir), { recursive: true });
    const bytes = Buffer.from('"use strict";\n(function () { document.title = "\u00e9"; })();\n');
    fs.writeFileSync(path.join(dir, "dist", "browser", "x.js"), bytes);
    expect(readBrowserScript(dir, "x.js").equals(bytes)).toBe(true);
  });

  test("a package that was not built: a typed error naming the file and the build", () => {
    const dir = packageDir();
    let err: unknown;
    try {
      readBrowserScript(dir, "banner.js");
    } catch (e) {
      err = e;
    }
    expect(isPrepcastError(err)).toBe(true);
    expect(err).toMatchObject({ code: "INTERNAL", where: path.join(dir, "dist", "browser", "banner.js"), hint: expect.stringContaining("npm run build") });
    expect((err as Error).message).toContain("banner.js is missing");
  });
});
