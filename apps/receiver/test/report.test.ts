// prep-receiver report --config: the memoria técnica names the difusor and its technical staff
// from the signed registration beside the config, and draws the service diagram from the config
// as deployed; a changed config changes the diagram, a tampered or foreign registration is refused.
// Real processes (needs `npm run build`).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateCut, readPdf } from "@prepcast/testkit";

const REPO = path.resolve(__dirname, "../../..");
const PUBLISHER = path.join(REPO, "apps/publisher/bin/prep-publisher.js");
const RECEIVER = path.join(REPO, "apps/receiver/bin/prep-receiver.js");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-receiver-report-"));
(globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(work); // removed after the test file (jest.environment.js)

function run(bin: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const WINDOW = ["--from", "2024-06-02T20:00-06:00", "--to", "2030-01-01T00:00-06:00"];
const STAFF_NAME = 'Ana "<img src=x onerror=alert(1)>" Pérez';

beforeAll(async () => {
  expect(run(PUBLISHER, ["init", "--dir", "keys"]).status).toBe(0);
  const cut = await generateCut({ outDir: path.join(work, "cortes"), k: 1 });
  expect(run(PUBLISHER, ["pack", cut.dir, "--keys", "keys", "--sequence", "1", "--corte", cut.corte, "--out", "c1.prep"]).status).toBe(0);
  for (const id of ["uv", "otro"])
    expect(run(RECEIVER, ["init", "--dir", id, "--id", id, "--local", "--trust", "../keys/root.pub", "--publisher-key", "../keys/identity.pub"]).status).toBe(
      0,
    );
  expect(run(RECEIVER, ["install", "c1.prep", "--trust", "keys/root.pub", "--root", "uv/data"]).status).toBe(0);
  const reg = run(RECEIVER, [
    "register",
    "--config",
    "uv/receiver.yaml",
    "--organization",
    "Universidad <Veracruzana>",
    "--public-url",
    "https://prep.uv.mx/",
    "--out",
    "uv/registration.json",
    "--staff",
    `${STAFF_NAME}|Responsable técnica|+52 228 842 1700|ana.perez@uv.mx`,
    "--staff",
    '=HYPERLINK("http://x")|Guardia nocturna|+52 228 842 1701|guardia@uv.mx',
  ]);
  expect(reg.stderr).toBe("");
  expect(reg.status).toBe(0);
  expect(
    run(RECEIVER, [
      "register",
      "--config",
      "otro/receiver.yaml",
      "--organization",
      "Otro",
      "--public-url",
      "https://otro.mx/",
      "--out",
      "otro/registration.json",
      "--staff",
      "Luis|Soporte|+52 228 000 0000|luis@otro.mx",
    ]).status,
  ).toBe(0);
});

test("staff from the signed registration and the diagram from the deployment; a changed config changes the diagram", () => {
  const r = run(RECEIVER, ["report", "--config", "uv/receiver.yaml", ...WINDOW, "--out", "m1", "--json"]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({
    ok: true,
    difusor: "Universidad <Veracruzana>",
    staff: 2,
    registration: path.join(work, "uv", "registration.json"),
    identityProblem: null,
    diagram: "deployment",
    cuts: 1,
    auditLogVerified: true,
  });
  const html = fs.readFileSync(path.join(work, "m1", "memoria.html"), "utf8");
  // attacker-influenced text is escaped, never markup
  expect(html).not.toContain("<img");
  expect(html).not.toContain("<Veracruzana>");
  expect(html).toContain("Ana &quot;&lt;img src=x onerror=alert(1)&gt;&quot; Pérez");
  expect(html).toContain("Universidad &lt;Veracruzana&gt;");
  expect(html).toContain("ana.perez@uv.mx");
  const svg = /<svg[^>]*aria-label="Diagrama del servicio"[\s\S]*?<\/svg>/.exec(html)![0];
  for (const s of [
    "Agente uv",
    "gRPC + TLS (certificado fijado)",
    "→ 127.0.0.1:8730",
    "HTTP en 127.0.0.1:8080",
    "un proceso",
    "administración 127.0.0.1:8731",
    "sin TLS propio",
  ])
    expect(svg).toContain(s);
  expect(svg).not.toContain("WebSocket");
  expect(svg).not.toContain("Proxy / CDN");
  // the same memoria as PDF, written without a browser: it parses, has a cover and the body, and says what the HTML says
  const pdfBytes = fs.readFileSync(path.join(work, "m1", "memoria.pdf"));
  expect(JSON.parse(r.stdout).pdf).toBe("m1/memoria.pdf");
  const pdf = readPdf(pdfBytes);
  expect(pdf.pages).toBeGreaterThan(1);
  for (const s of [
    "Memoria técnica del difusor PREP",
    "Universidad <Veracruzana>",
    'Ana "<img src=x onerror=alert(1)>" Pérez',
    "ana.perez@uv.mx",
    "Personal técnico",
    "2. Diagrama del servicio",
    "Agente uv",
    "-> 127.0.0.1:8730",
    "3. Incidentes que afectaron la publicación",
    "4. Cortes publicados",
    "5. Estadísticas de visitas",
    "6. Criterios de mejora y planeación",
    "Qué debe mejorar",
  ])
    expect(pdf.text).toContain(s);
  expect(pdf.text).toMatch(/página 1 de \d+/);
  // the staff as CSV, a formula defused
  const staffCsv = fs.readFileSync(path.join(work, "m1", "personal.csv"), "utf8");
  expect(staffCsv).toContain(`"'=HYPERLINK(""http://x"")",Guardia nocturna`);
  expect(JSON.parse(fs.readFileSync(path.join(work, "m1", "memoria.json"), "utf8"))).toMatchObject({
    identity: { staff: [{ email: "ana.perez@uv.mx" }, { email: "guardia@uv.mx" }] },
    deployment: { push: { listen: "127.0.0.1:8730", websocket: null }, site: { workers: 1, frontend: null } },
  });

  // another deployment: WebSocket on its own port, 3 workers, another site port, a CDN in front
  const config = path.join(work, "uv", "receiver.yaml");
  const yaml = fs.readFileSync(config, "utf8");
  fs.writeFileSync(
    config,
    yaml
      .replace(/websocket: false/, "websocket: { listen: 127.0.0.1:8443 }")
      .replace(/workers: 1 /, "workers: 3 ")
      .replace(/listen: 127\.0\.0\.1:8080/, 'listen: 127.0.0.1:8081\n  frontend: "Cloudflare <CDN>"'),
  );
  const r2 = run(RECEIVER, ["report", "--config", "uv/receiver.yaml", ...WINDOW, "--out", "m2", "--json"]);
  expect(r2.stderr).toBe("");
  expect(r2.status).toBe(0);
  const svg2 = /<svg[^>]*aria-label="Diagrama del servicio"[\s\S]*?<\/svg>/.exec(fs.readFileSync(path.join(work, "m2", "memoria.html"), "utf8"))![0];
  for (const s of ["WebSocket wss", "→ 127.0.0.1:8443", "3 procesos", "HTTP en 127.0.0.1:8081", "Proxy / CDN", "Cloudflare &lt;CDN&gt;", ":8081"])
    expect(svg2).toContain(s);
  expect(svg2).not.toContain("un proceso");
  expect(svg2).not.toBe(svg);
  const pdf2 = readPdf(fs.readFileSync(path.join(work, "m2", "memoria.pdf"))).text;
  for (const s of ["WebSocket wss", "-> 127.0.0.1:8443", "3 procesos", "Cloudflare <CDN>"]) expect(pdf2).toContain(s);
  expect(pdf.text).not.toContain("Cloudflare");
  fs.writeFileSync(config, yaml);
});

test("a tampered or foreign registration is refused; a missing one is a warning in the memoria; --registration needs --config", () => {
  const file = path.join(work, "uv", "registration.json");
  const good = fs.readFileSync(file, "utf8");
  fs.writeFileSync(file, good.replace("Guardia nocturna", "Guardia diurna!"));
  const tampered = run(RECEIVER, ["report", "--config", "uv/receiver.yaml", ...WINDOW, "--out", "m3", "--json"]);
  fs.writeFileSync(file, good);
  expect(tampered.status).toBe(1);
  expect(JSON.parse(tampered.stdout)).toMatchObject({ ok: false, code: "SIGNATURE_INVALID" });

  const foreign = run(RECEIVER, ["report", "--config", "uv/receiver.yaml", "--registration", "otro/registration.json", ...WINDOW, "--out", "m3", "--json"]);
  expect(foreign.status).toBe(1);
  expect(JSON.parse(foreign.stdout)).toMatchObject({
    ok: false,
    code: "REGISTRATION_INVALID",
    message: expect.stringContaining('registers the difusor "otro", but the config\'s id is "uv"'),
  });

  const missing = run(RECEIVER, ["report", "--config", "uv/receiver.yaml", "--registration", "uv/nope.json", ...WINDOW, "--out", "m3", "--json"]);
  expect(missing.status).toBe(1);
  expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, code: "REGISTRATION_INVALID", where: "uv/nope.json" });

  fs.renameSync(file, `${file}.aside`);
  try {
    const absent = run(RECEIVER, ["report", "--config", "uv/receiver.yaml", ...WINDOW, "--out", "m4", "--json"]);
    expect(absent.status).toBe(0);
    expect(JSON.parse(absent.stdout)).toMatchObject({
      ok: true,
      staff: 0,
      registration: null,
      identityProblem: expect.stringContaining("No se encontró el registro firmado"),
    });
    expect(fs.readFileSync(path.join(work, "m4", "memoria.html"), "utf8")).toContain("No hay personal técnico registrado");
  } finally {
    fs.renameSync(`${file}.aside`, file);
  }

  const noConfig = run(RECEIVER, ["report", "--root", "uv/data", "--registration", "uv/registration.json", ...WINDOW, "--out", "m5", "--json"]);
  expect(noConfig.status).toBe(78);
  expect(JSON.parse(noConfig.stdout)).toMatchObject({ ok: false, code: "CONFIG_INVALID", where: "--registration" });
  const badConfig = run(RECEIVER, ["report", "--config", "uv/nope.yaml", ...WINDOW, "--out", "m5", "--json"]);
  expect(badConfig.status).toBe(78);
  expect(JSON.parse(badConfig.stdout)).toMatchObject({ ok: false, code: "CONFIG_INVALID" });
});
