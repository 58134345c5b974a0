// Real headless Chromium: the in-browser verifier and the embeddable banner (with its beacon).
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { createRoot, encodeBase64, encodeSigFile, generateKeyPair, keyIdOf, signDocument, signWithKeys } from "@prepcast/protocol";
import { createSiteServer, SiteServer } from "../src";
import { CHROMIUM, haveChromium, launchChromium } from "@prepcast/testkit";
import { activate, cleanup, makeKeys, sampleSite, tempRoot, writeCut } from "./fixtures";

const RESULTS = join(__dirname, "..", "test-results");
if (!haveChromium) console.warn(`browser tests skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
const maybe = haveChromium ? describe : describe.skip;

maybe("in a real browser", () => {
  const keys = makeKeys();
  let root: string;
  let server: SiteServer;
  let browser: Browser;
  let cut: ReturnType<typeof writeCut>;
  let portal: Server;
  let portalUrl: string;
  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    root = tempRoot();
    cut = writeCut(root, keys, {
      sequence: 9,
      corte: "2024-05-26T20:45:00-06:00",
      notBefore: "2024-05-26T20:00:00-06:00",
      channel: "simulacro",
      files: sampleSite("B"),
    });
    activate(root, cut.id);
    // The difusor's own portal, on another origin, embedding the banner (listed in frameAncestors:
    // beacons are accepted from the site's own pages and the configured portals only).
    portal = createServer((req, res) => {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end(
        req.url === "/iframe.html"
          ? `<!doctype html><html><body><iframe id="b" src="${server.url}/.well-known/prepcast/banner.html" style="border:0;width:100%;height:40px"></iframe></body></html>`
          : `<!doctype html><html><head><title>Portal</title></head><body><h1>Portal del difusor</h1><script src="${server.url}/.well-known/prepcast/banner.js"></script></body></html>`,
      );
    });
    await new Promise<void>((r) => portal.listen(0, "127.0.0.1", r));
    portalUrl = `http://127.0.0.1:${(portal.address() as AddressInfo).port}`;
    server = await createSiteServer({
      root,
      listen: "127.0.0.1:0",
      analytics: join(root, "analytics.sqlite"),
      frameAncestors: ["'self'", portalUrl],
      log: { info() {}, warn() {}, error() {} },
    });
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((r) => portal?.close(r));
    cleanup(root);
  });

  test("verifier page: valid with the right root key, refused with another, tampering named", async () => {
    const page = await browser.newPage();
    const key = encodeBase64(keys.root.publicKey);
    await page.goto(`${server.url}/.well-known/prepcast/verify.html?key=${encodeURIComponent(key)}&page=/`);
    await page.click("#verify-page");
    await page.waitForSelector("#result.ok, #result.bad", { timeout: 15_000 });
    const ok = await page.textContent("#result");
    expect(ok).toContain("VERIFICADO");
    expect(ok).toContain("SIMULACRO");
    // "/" plus the stylesheet, the script and the logo it references
    expect(ok).toContain("los 4 archivos coinciden");
    await page.screenshot({ path: join(RESULTS, "verify-ok.png"), fullPage: true });

    await page.fill("#key", encodeBase64(generateKeyPair().publicKey));
    await page.click("#verify-page");
    await page.waitForSelector("#result.bad", { timeout: 15_000 });
    expect(await page.textContent("#result")).toContain("no está firmado por la llave raíz indicada");

    const altered = Buffer.from(sampleSite("B")["bd/resultados.zip"] as Buffer);
    altered[5]! ^= 0xff;
    writeFileSync(join(cut.dir, "site", "bd", "resultados.zip"), altered);
    await page.fill("#key", key);
    await page.click("#verify-all");
    await page.locator("#result", { hasText: /NO COINCIDE|FALLÓ/ }).waitFor({ timeout: 15_000 });
    const bad = await page.textContent("#result");
    expect(bad).toContain("1 de 11 archivos difieren");
    expect(bad).toContain("bd/resultados.zip");
    await page.screenshot({ path: join(RESULTS, "verify-tampered.png"), fullPage: true });
    writeFileSync(join(cut.dir, "site", "bd", "resultados.zip"), sampleSite("B")["bd/resultados.zip"] as Buffer);
    await page.close();
  }, 30_000);

  test("verifier page is as strict as verify-site: a malleated S, a small-order R, another kind's signature are refused", async () => {
    // What tweetnacl alone accepts (S + L verifies) or what only the domain separation tells apart,
    // served in place of the real manifest.sig: the page must name each one.
    const real = JSON.parse(await (await fetch(`${server.url}/.well-known/prepcast/manifest.sig`)).text()) as { keyid: string; sig: string };
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    const sig = Buffer.from(real.sig, "base64");
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
    const malleated = Buffer.from(sig);
    let t = s + L;
    for (let i = 32; i < 64; i++, t >>= 8n) malleated[i] = Number(t & 0xffn);
    const smallR = Buffer.from(sig);
    smallR.fill(0, 0, 32)[0] = 1; // the identity point (y = 1)
    const otherKind = signDocument("keyset", cut.manifest, keys.signing.secretKey, keyIdOf(keys.signing.publicKey));
    const cases: Array<[string, Buffer, string]> = [
      ["S + L", encodeSigFile({ keyid: real.keyid, sig: malleated.toString("base64") }), "la firma de manifest está maleada (S >= L)"],
      ["R of small order", encodeSigFile({ keyid: real.keyid, sig: smallR.toString("base64") }), "la firma de manifest: R punto de orden pequeño"],
      ["signed as a keyset", encodeSigFile(otherKind), "la firma de manifest NO es válida"],
    ];
    const key = encodeBase64(keys.root.publicKey);
    for (const [what, body, message] of cases) {
      const page = await browser.newPage();
      await page.route("**/.well-known/prepcast/manifest.sig", (route) => route.fulfill({ status: 200, contentType: "application/octet-stream", body }));
      await page.goto(`${server.url}/.well-known/prepcast/verify.html?key=${encodeURIComponent(key)}&page=/`);
      await page.click("#verify-page");
      await page.waitForSelector("#result.ok, #result.bad", { timeout: 15_000 });
      expect({ what, result: await page.textContent("#result") }).toEqual({ what, result: `FALLÓ la verificación: ${message}` });
      await page.close();
    }
  }, 60_000);

  test("verifier page with a root set: the pasted root.json pins it, a newer root version is followed only when both thresholds signed it, one key counts once", async () => {
    // The cut's own keyset bytes, re-signed by root sets and served in place of the single-key files.
    const keyset = Buffer.from(await (await fetch(`${server.url}/.well-known/prepcast/keyset.json`)).arrayBuffer());
    const key = () => {
      const k = generateKeyPair();
      return { ...k, keyid: keyIdOf(k.publicKey) };
    };
    const [a, b, c, d, e, f] = [key(), key(), key(), key(), key(), key()] as const;
    const v1 = createRoot({ version: 1, threshold: 2, publicKeys: [a.publicKey, b.publicKey, c.publicKey] });
    const v2 = createRoot({ version: 2, threshold: 2, publicKeys: [d.publicKey, e.publicKey, f.publicKey] });
    const served = { root: v2, rootSig: signWithKeys("root", v2, [a, b, d, e]), keysetSig: signWithKeys("keyset", keyset, [d, e]) };
    const cases: Array<[string, Buffer, Partial<typeof served>, string]> = [
      ["pinned v1, the site at v2 signed by both thresholds", v1, {}, "VERIFICADO"],
      ["pinned v2", v2, {}, "VERIFICADO"],
      [
        "pinned v1, v2 signed by one v1 key only",
        v1,
        { rootSig: signWithKeys("root", v2, [a, d, e]) },
        "FALLÓ la verificación: el documento raíz tiene 1 firma(s) válida(s) de llaves distintas de la raíz indicada (versión 1); se necesitan 2",
      ],
      [
        "pinned v2, the keyset signed twice by one key",
        v2,
        { keysetSig: signWithKeys("keyset", keyset, [d, d]) },
        "FALLÓ la verificación: el conjunto de llaves tiene 1 firma(s) válida(s) de llaves distintas de la raíz indicada; se necesitan 2",
      ],
      [
        "a single root.pub that is not in the set",
        Buffer.from(encodeBase64(keys.root.publicKey)),
        {},
        "FALLÓ la verificación: el conjunto de llaves no está firmado por la llave raíz indicada",
      ],
    ];
    for (const [what, pinned, override, expected] of cases) {
      const files = { ...served, ...override };
      const page = await browser.newPage();
      const body = (b: Buffer) => (route: import("playwright-core").Route) => route.fulfill({ status: 200, contentType: "application/octet-stream", body: b });
      await page.route("**/.well-known/prepcast/root.json", body(files.root));
      await page.route("**/.well-known/prepcast/root.sig", body(files.rootSig));
      await page.route("**/.well-known/prepcast/keyset.sig", body(files.keysetSig));
      await page.goto(`${server.url}/.well-known/prepcast/verify.html?key=${encodeURIComponent(pinned.toString())}&page=/`);
      await page.click("#verify-page");
      await page.waitForSelector("#result.ok, #result.bad", { timeout: 15_000 });
      const result = (await page.textContent("#result")) ?? "";
      expect({ what, result: result.includes(expected) }).toEqual({ what, result: true });
      if (expected === "VERIFICADO") expect(result).toContain("raíz versión 2 (2 de 3 llaves)");
      await page.close();
    }
  }, 90_000);

  test("banner on the difusor's portal (script and iframe) shows the corte and the drill marker; the beacon reports time on page", async () => {
    const page = await browser.newPage();
    await page.goto(`${portalUrl}/portal.html`);
    await page.locator("#prepcast-banner .prepcast-corte", { hasText: /^Corte: 26/ }).waitFor({ timeout: 10_000 });
    expect(await page.textContent("#prepcast-banner .prepcast-corte")).toBe(
      `Corte: 26/05/2024 20:45 (UTC-6) · sin actualizar desde hace ${Math.floor((Date.now() - Date.parse("2024-05-26T20:45:00-06:00")) / 86_400_000)} días`,
    );
    expect(await page.isVisible("#prepcast-banner .prepcast-simulacro")).toBe(true);
    await page.screenshot({ path: join(RESULTS, "banner-script.png") });
    await page.waitForTimeout(300);
    await page.goto("about:blank"); // pagehide → navigator.sendBeacon
    const frame = await browser.newPage();
    await frame.goto(`${portalUrl}/iframe.html`);
    const inner = frame.frameLocator("#b").locator("#prepcast-banner .prepcast-corte");
    await expect(inner.textContent({ timeout: 10_000 })).resolves.toMatch(/^Corte: 26\/05\/2024 20:45 \(UTC-6\)/);
    await frame.screenshot({ path: join(RESULTS, "banner-iframe.png") });
    await frame.close();
    await page.close();
    let beacon: { path: string; duration_ms: number } | undefined;
    for (let i = 0; i < 40 && !beacon; i++) {
      await server.flushAnalytics();
      beacon = server.store!.db.prepare("SELECT path, duration_ms FROM hits WHERE method = 'BEACON'").get() as typeof beacon;
      if (!beacon) await new Promise((r) => setTimeout(r, 100));
    }
    expect(beacon?.path).toBe("/portal.html");
    expect(beacon!.duration_ms).toBeGreaterThanOrEqual(300);
  }, 30_000);

  test("banner with the OPLE's final cut: says so and until when, never 'sin actualizar'", async () => {
    const last = writeCut(root, keys, {
      sequence: 10,
      corte: "2024-05-26T21:00:00-06:00",
      notBefore: "2024-05-26T20:00:00-06:00",
      channel: "simulacro",
      publishUntil: "2024-06-09T23:59:00-06:00",
      files: sampleSite("B"),
    });
    activate(root, last.id);
    const page = await browser.newPage();
    try {
      await page.goto(`${portalUrl}/portal.html`);
      await page.locator("#prepcast-banner .prepcast-corte", { hasText: /^Corte final: 26/ }).waitFor({ timeout: 10_000 });
      // 9 June 2024 has passed on this machine's clock: the publication is over, the results stay
      expect(await page.textContent("#prepcast-banner .prepcast-corte")).toBe("Corte final: 26/05/2024 21:00 (UTC-6) · publicación concluida");
      expect(await page.getAttribute("#prepcast-banner", "data-final")).toBe("true");
      await page.screenshot({ path: join(RESULTS, "banner-final.png") });
    } finally {
      await page.close();
      activate(root, cut.id);
    }
  }, 30_000);
});
