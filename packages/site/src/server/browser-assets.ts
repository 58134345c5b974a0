// The files under /.well-known/prepcast/ that are not the cut's: the embeddable banner and the
// in-browser verifier. Their scripts are TypeScript (src/browser/*.ts) compiled by the package's
// build (tsconfig.browser.json) into dist/browser/; the server reads them once, when it starts.
// Resolved from the package root, so the same path works from dist/ (release tarball, containers)
// and from src/ (jest runs the sources).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PrepcastError } from "@prepcast/protocol";
import { VERIFY_CSP, VERIFY_HTML } from "../verify/verify-page";
import { BANNER_HTML } from "./banner";
import { BANNER_CSP } from "./headers";

export interface StaticAsset {
  type: string;
  body: string | Buffer;
  csp: string | undefined;
}

/** Where the build puts the compiled browser scripts. */
export const BROWSER_SCRIPT_DIR = join(__dirname, "..", "..", "dist", "browser");

/** A compiled browser script, exactly as the build wrote it. */
export function readBrowserScript(name: string): Buffer {
  const file = join(BROWSER_SCRIPT_DIR, name);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new PrepcastError("INTERNAL", `the browser script ${name} is missing (${file})`, {
      where: file,
      hint: "build @prepcast/site (npm run build): it compiles src/browser/*.ts into dist/browser/",
      cause: e,
    });
  }
}

const JS = "text/javascript; charset=utf-8";
const HTML = "text/html; charset=utf-8";

/** The banner's and the verifier's files by name; every script is read here, at startup. */
export function browserAssets(): { get(name: string): StaticAsset | undefined } {
  const assets = new Map<string, StaticAsset>([
    ["banner.js", { type: JS, body: readBrowserScript("banner.js"), csp: undefined }],
    ["banner.html", { type: HTML, body: BANNER_HTML, csp: BANNER_CSP }],
    ["verify.html", { type: HTML, body: VERIFY_HTML, csp: VERIFY_CSP }],
    ["verify.js", { type: JS, body: readBrowserScript("verify.js"), csp: undefined }],
    ["nacl.js", { type: JS, body: readFileSync(require.resolve("tweetnacl/nacl-fast.min.js")), csp: undefined }],
  ]);
  return { get: (name) => assets.get(name) };
}
