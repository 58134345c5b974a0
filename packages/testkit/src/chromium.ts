// Debian's chromium driven by playwright-core, for the tests that check pages in a real browser
// (the site's banner and verifier, the memoria PDF, the publisher's dashboard).
import { existsSync } from "node:fs";
import { chromium, Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
/** false where chromium is not installed: the browser tests then skip, saying so */
export const haveChromium = existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
