// The operator dashboard in a real headless Chromium: login, live updates over SSE when a receiver
// activates a cut, suspend and reinstate from the page end to end, CSRF and cookie protections.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { CHROMIUM, haveChromium, launchChromium } from "@prepcast/testkit";
import { hashPassword } from "../src/dashboard/auth";
import type { PublisherService } from "../src/service/publisher-service";
import { auditEvents, cut, makePublisherKeys, startPublisher, startReceiver, tmpDir, waitFor, writePublisherConfig, type ReceiverFixture } from "./helpers";

if (!haveChromium) console.warn(`dashboard browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
const maybe = haveChromium ? describe : describe.skip;
const RESULTS = path.join(__dirname, "..", "test-results");

maybe("operator dashboard in Chromium", () => {
  const work = tmpDir("dashboard");
  const password = "contraseña-de-prueba-larga";
  let browser: Browser;
  let svc: PublisherService;
  let rx: ReceiverFixture;
  let base: string;

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    const keys = makePublisherKeys(work);
    rx = await startReceiver(work, "uv", keys);
    writeFileSync(path.join(work, "admin.pass"), (await hashPassword(password, { N: 1 << 14, r: 8, p: 1 })) + "\n", { mode: 0o600 });
    const configFile = writePublisherConfig(work, keys, [rx], {
      publicUrls: { uv: rx.agent.siteUrl! },
      admin: { passwordFile: path.join(work, "admin.pass") },
      monitor: { autoSuspend: false },
      keysetWarnDays: 400,
    });
    svc = await startPublisher(configFile);
    base = `http://127.0.0.1:${svc.adminAddress!.port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
    await rx?.agent.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const rowState = (page: Page) => page.locator("#fila-uv").getAttribute("data-estado");

  async function act(page: Page, button: string, reason: string): Promise<void> {
    await page.locator("#fila-uv button", { hasText: button }).click();
    await page.locator("#dialogo-motivo").fill(reason);
    await page.locator("#dialogo-confirmar").click();
  }

  test("login, live update on activation, suspend and reinstate from the page", async () => {
    const context = await browser.newContext({ viewport: { width: 1500, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));

    // Locked until login; a wrong password is refused.
    await page.goto(base + "/");
    await page.locator("#secreto").fill("incorrecta-incorrecta");
    await page.locator("button[type=submit]").click();
    await page.locator(".error").waitFor();
    expect(await page.locator(".error").textContent()).toContain("incorrecto");
    await page.locator("#secreto").fill(password);
    await page.locator("button[type=submit]").click();
    await page.locator("#fila-uv").waitFor();
    errors.length = 0; // the refused login above logged its 401; from here on nothing may fail
    const cookie = (await context.cookies()).find((c) => c.name === "prepcast_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(await page.locator("#conexion").textContent()).toContain("En vivo");
    // init's keyset expires in 365 days, inside this config's 400-day warning window: a banner
    await page.locator("#llaves:not([hidden])").waitFor();
    expect(await page.locator("#llaves").textContent()).toMatch(/conjunto de llaves de firma \(versión 1\) vence en 36\d día\(s\).*keys renew/);
    await page.screenshot({ path: path.join(RESULTS, "dashboard-1-sin-cortes.png"), fullPage: true });

    // A cut goes live on the receiver: the page updates by itself (no reload).
    await svc.publish((await cut(work, 1)).dir);
    await page.locator("#fila-uv .corte strong", { hasText: "#1" }).waitFor({ timeout: 20_000 });
    await waitFor("state Al día", async () => (await rowState(page)) === "ok", 20_000).catch(async (e) => {
      await page.screenshot({ path: path.join(RESULTS, "dashboard-fallo.png"), fullPage: true });
      throw new Error(`${(e as Error).message}; row: ${await page.locator("#fila-uv").textContent()}; status: ${JSON.stringify(svc.status().receivers[0])}`);
    });
    expect(await page.locator("#fila-uv .texto-estado").textContent()).toBe("Al día");
    expect(await page.locator("#cronologia").textContent()).toContain("uv: corte 1 en línea");
    expect(await page.locator("#resumen").textContent()).toContain("Último corte: #1");
    // the keyset in force and the root it is signed under (init made a root.pub: no root set)
    expect(await page.locator("#resumen").textContent()).toContain("Llaves: versión 1, raíz root.pub");
    await page.screenshot({ path: path.join(RESULTS, "dashboard-2-corte-en-linea.png"), fullPage: true });

    // Push the latest cut again (e.g. after the difusor fixed its disk): acknowledged and audited.
    await page.locator("#fila-uv button", { hasText: "Reenviar corte" }).click();
    await page.locator("#aviso", { hasText: "Último corte reenviado a uv." }).waitFor();

    // Suspend from the page: the row turns red, the incident is listed, the audit log has it.
    await act(page, "Suspender", "prueba de suspensión desde el panel");
    await waitFor("row suspended", async () => (await rowState(page)) === "suspendido", 20_000);
    expect(await page.locator("#fila-uv .texto-estado").textContent()).toBe("Suspendido");
    expect(await page.locator("#incidentes").textContent()).toContain("suspendido por el operador");
    expect(svc.link("uv")!.status().suspended).toBe(true);
    await waitFor("probe sees the notice", async () => (await page.locator("#fila-uv").textContent())?.includes("Muestra el aviso"), 20_000);
    await page.screenshot({ path: path.join(RESULTS, "dashboard-3-suspendido.png"), fullPage: true });

    // Reinstate from the page: back to green once the probe confirms.
    await act(page, "Reinstalar", "sitio corregido");
    await waitFor("row back to ok", async () => (await rowState(page)) === "ok", 20_000);
    expect(svc.monitor.status("uv")!.linkEnabled).toBe(true);
    await page.screenshot({ path: path.join(RESULTS, "dashboard-4-reinstalado.png"), fullPage: true });
    const events = auditEvents(svc.config.state).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(["dashboard_login_failed", "dashboard_login", "push_again", "suspended", "reinstated", "link_restored"]));
    const suspended = auditEvents(svc.config.state).find((e) => e.event === "suspended")!.data;
    expect(suspended).toMatchObject({ manual: true, by: "panel", reason: "prueba de suspensión desde el panel" });

    // The session cookie alone does not authorize a state change (CSRF), nor a foreign Origin.
    const headers = { cookie: `prepcast_session=${cookie.value}`, "content-type": "application/json" };
    const noCsrf = await fetch(`${base}/api/receivers/uv/suspend`, { method: "POST", headers, body: JSON.stringify({ reason: "csrf" }) });
    expect(noCsrf.status).toBe(401);
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute("content");
    const foreign = await fetch(`${base}/api/receivers/uv/suspend`, {
      method: "POST",
      headers: { ...headers, "x-csrf-token": csrf!, origin: "http://evil.example" },
      body: JSON.stringify({ reason: "csrf" }),
    });
    expect(foreign.status).toBe(401);
    // fetch() cannot set Host: a raw request plays the DNS-rebinding page
    const rebinding = await new Promise<number>((resolve, reject) => {
      http
        .get(
          {
            host: "127.0.0.1",
            port: svc.adminAddress!.port,
            path: "/api/overview",
            headers: { cookie: headers.cookie, host: `evil.example:${svc.adminAddress!.port}` },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on("error", reject);
    });
    expect(rebinding).toBe(421); // refused by the admin listener itself, before any route (issue 12)
    expect(svc.monitor.isSuspended("uv")).toBe(false);

    // The OPLE's final cut (the call's end of publication, 9 June 2024, is past on this clock).
    await svc.publish((await cut(work, 2)).dir, { final: true });
    await page.locator("#resumen", { hasText: "CORTE FINAL" }).waitFor({ timeout: 20_000 });
    expect(await page.locator("#resumen").textContent()).toContain(
      "Último corte: #2 (02/06/2024 20:15:00 UTC-6) · CORTE FINAL, en línea hasta 09/06/2024 23:59:00 UTC-6 · publicación concluida",
    );
    await page.screenshot({ path: path.join(RESULTS, "dashboard-5-corte-final.png"), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  test("every asset is served by the publisher itself under a strict CSP", async () => {
    const res = await fetch(base + "/login");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const js = await fetch(base + "/dashboard.js");
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(await fetch(base + "/api/overview").then((r) => r.status)).toBe(401);
  });
});
