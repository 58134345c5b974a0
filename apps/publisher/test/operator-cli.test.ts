// The operator's commands as real processes against a real `prep-publisher run`: suspend (the
// suspension survives a restart of the service), status, difusores, notice, reinstate.
// Needs `npm run build` first (turbo builds before test), like the receiver's CLI tests.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort } from "@prepcast/testkit";
import {
  PUBLISHER_BIN as BIN,
  REPO,
  cut,
  httpGet,
  makePublisherKeys,
  runPublisherCli,
  startReceiver,
  tmpDir,
  waitFor,
  writePublisherConfig,
  type ReceiverFixture,
} from "./helpers";

const work = tmpDir("operator-cli");
let rx: ReceiverFixture | null = null;
let service: ChildProcess | null = null;

const run = runPublisherCli;

async function cli(args: string[]): Promise<{ status: number | null; json: Record<string, unknown>; stderr: string }> {
  const r = await run([...args, "--json"]);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    json = { unparsed: r.stdout };
  }
  return { status: r.status, json, stderr: r.stderr };
}

async function startService(configFile: string, adminPort: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, "run", "--config", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  await waitFor("the service's admin listener", async () => {
    if (child.exitCode !== null) throw new Error(`prep-publisher run exited ${child.exitCode}: ${err}`);
    return (
      (await fetch(`http://127.0.0.1:${adminPort}/livez`).then(
        (r) => r.ok,
        () => false,
      )) || null
    );
  });
  return child;
}

async function stopService(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

beforeAll(() => {
  const dist = path.join(REPO, "apps/publisher/dist/cli/main.js");
  if (!fs.existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` at the repository root first`);
});

afterAll(async () => {
  if (service && service.exitCode === null) await stopService(service);
  await rx?.agent.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test("suspend, restart, status, list, test notice and reinstate through the CLI", async () => {
  const keys = makePublisherKeys(work);
  rx = await startReceiver(work, "uv", keys);
  const adminPort = await freePort();
  fs.writeFileSync(path.join(work, "admin.token"), "token-de-operacion-para-la-prueba", { mode: 0o600 });
  const logo = path.join(work, "uv.svg");
  fs.writeFileSync(logo, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>');
  const configFile = writePublisherConfig(work, keys, [rx], {
    publicUrls: { uv: rx.agent.siteUrl! },
    logos: { uv: logo },
    admin: { listen: `127.0.0.1:${adminPort}`, tokenFile: path.join(work, "admin.token") },
    monitor: { autoSuspend: false },
  });
  const c1 = await cut(work, 1);
  service = await startService(configFile, adminPort);
  const push = await run(["push", c1.dir, "--config", configFile, "--json"]);
  expect(push.status).toBe(0);
  expect(JSON.parse(push.stdout)).toMatchObject({ ok: true, sequence: 1, delivered: 1, via: "service" });

  // A wrong difusor id is a clear error (the API the CLI uses).
  const unknown = await fetch(`http://127.0.0.1:${adminPort}/api/receivers/nadie/suspend`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer token-de-operacion-para-la-prueba" },
    body: JSON.stringify({ reason: "x" }),
  });
  expect(unknown.status).toBe(404);
  expect(await unknown.json()).toMatchObject({ ok: false, code: "NOT_FOUND" });

  const s = await cli(["suspend", "uv", "--config", configFile, "--reason", "sitio caído en la prueba", "--by", "ana"]);
  expect(s.status).toBe(0);
  expect(s.json).toMatchObject({ ok: true, receiver: "uv", suspension: { manual: true, by: "cli:ana", reason: "sitio caído en la prueba" } });
  await waitFor("notice on the site", async () =>
    (await httpGet(rx!.agent.siteUrl + "/", { "sec-fetch-dest": "document" })).body.includes("Publicación de resultados suspendida"),
  );

  // The suspension survives a restart of the service.
  await stopService(service);
  service = await startService(configFile, adminPort);
  // the operator still sees why (incidents rebuilt from the audit log)
  const overview = (await (
    await fetch(`http://127.0.0.1:${adminPort}/api/overview`, { headers: { authorization: "Bearer token-de-operacion-para-la-prueba" } })
  ).json()) as { incidents: Array<{ kind: string; message: string }> };
  expect(overview.incidents.find((i) => i.kind === "suspended")?.message).toContain("sitio caído en la prueba");
  const st = await cli(["status", "--config", configFile]);
  expect(st.status).toBe(0);
  const uv = (st.json.receivers as Array<Record<string, unknown>>)[0]!;
  expect(uv).toMatchObject({ id: "uv", suspended: true, monitor: { linkEnabled: false, suspended: { by: "cli:ana" } } });

  const out = path.join(work, "lista");
  const list = await cli(["difusores", "--config", configFile, "--out", out]);
  expect(list.status).toBe(0);
  expect(list.json).toMatchObject({ ok: true, difusores: 1, disabled: ["uv"] });
  expect(fs.readFileSync(path.join(out, "index.html"), "utf8")).toContain("Enlace deshabilitado");

  const n = await cli(["notice", "uv", "--config", configFile, "--text", "Aviso de prueba desde la CLI"]);
  expect(n.status).toBe(0);
  await waitFor("test notice on the receiver's status page", async () =>
    (await httpGet(`http://127.0.0.1:${rx!.agent.adminAddress!.port}/`)).body.includes("Aviso de prueba desde la CLI"),
  );

  const r = await cli(["reinstate", "uv", "--config", configFile, "--reason", "servidor reparado"]);
  expect(r.status).toBe(0);
  expect(r.json).toMatchObject({ ok: true, receiver: "uv", latest: 1 });
  await waitFor("link back once the probe confirms", async () => {
    const j = (await (
      await fetch(`http://127.0.0.1:${adminPort}/api/status`, { headers: { authorization: "Bearer token-de-operacion-para-la-prueba" } })
    ).json()) as { receivers: Array<{ monitor: { linkEnabled: boolean } }> };
    return j.receivers[0]!.monitor.linkEnabled;
  });
  // the running service keeps its own copy of the list up to date
  const statePublic = path.join(work, "pub-state", "public", "index.html");
  await waitFor("the service's list links the difusor again", () => fs.readFileSync(statePublic, "utf8").includes(`href="${rx!.agent.siteUrl}/"`));

  // A logo that is not SVG stops the list command with the file named.
  fs.writeFileSync(logo, "GIF89a");
  const bad = await cli(["difusores", "--config", configFile, "--out", path.join(work, "lista2")]);
  expect(bad.status).toBe(1);
  expect(bad.json).toMatchObject({ ok: false, code: "LOGO_INVALID" });
  expect(String(bad.json.message)).toContain(logo);
});
