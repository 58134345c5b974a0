// The files under /.well-known/prepcast/ that are not the cut's: the embeddable banner and the
// in-browser verifier. Their scripts are TypeScript (src/browser/*.ts) compiled by the package's
// build (tsconfig.browser.json) into dist/browser/; the server reads them once, when it starts
// (@prepcast/runtime's readBrowserScript).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readBrowserScript } from "@prepcast/runtime";
import { VERIFY_CSP, VERIFY_HTML } from "../verify/verify-page";
import { BANNER_HTML } from "./banner";
import { BANNER_CSP } from "./headers";

export interface StaticAsset {
  type: string;
  body: string | Buffer;
  csp: string | undefined;
}

/** The package's folder: ../.. from dist/server/ and from src/server/ alike. */
const PACKAGE_DIR = join(__dirname, "..", "..");

const JS = "text/javascript; charset=utf-8";
const HTML = "text/html; charset=utf-8";

/** The banner's and the verifier's files by name; every script is read here, at startup. */
export function browserAssets(): { get(name: string): StaticAsset | undefined } {
  const assets = new Map<string, StaticAsset>([
    ["banner.js", { type: JS, body: readBrowserScript(PACKAGE_DIR, "banner.js"), csp: undefined }],
    ["banner.html", { type: HTML, body: BANNER_HTML, csp: BANNER_CSP }],
    ["verify.html", { type: HTML, body: VERIFY_HTML, csp: VERIFY_CSP }],
    ["sha256.js", { type: JS, body: readBrowserScript(PACKAGE_DIR, "sha256.js"), csp: undefined }],
    ["verify.js", { type: JS, body: readBrowserScript(PACKAGE_DIR, "verify.js"), csp: undefined }],
    ["verify-form.js", { type: JS, body: readBrowserScript(PACKAGE_DIR, "verify-form.js"), csp: undefined }],
    ["nacl.js", { type: JS, body: readFileSync(require.resolve("tweetnacl/nacl-fast.min.js")), csp: undefined }],
  ]);
  return { get: (name) => assets.get(name) };
}
