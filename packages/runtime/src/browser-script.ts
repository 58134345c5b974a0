// The scripts a package serves to browsers are TypeScript (its src/browser/*.ts), compiled by the
// package's build (tsconfig.browser.json) into dist/browser/ as classic scripts. A server reads them
// once, when it starts, from the package root: the same path from dist/ (release tarball, images)
// and from src/ (jest runs the sources against the built scripts; each package's test compares the
// two).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PrepcastError } from "@prepcast/protocol";

/** The folder a package's build writes its browser scripts to. */
export function browserScriptDir(packageDir: string): string {
  return join(packageDir, "dist", "browser");
}

/** A compiled browser script of the package at packageDir, exactly as its build wrote it. */
export function readBrowserScript(packageDir: string, name: string): Buffer {
  const file = join(browserScriptDir(packageDir), name);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new PrepcastError("INTERNAL", `the browser script ${name} is missing (${file})`, {
      where: file,
      hint: "build the package (npm run build): it compiles src/browser/*.ts into dist/browser/",
      cause: e,
    });
  }
}
