// site.nginx: the agent keeps Debian's real nginx in step. Pages served by nginx carry the PREP
// headers, the well-known documents and the banner; a pushed cut switches what nginx serves (no
// stale bytes), with one reload per changed include and none when nothing changed; a suspension
// notice replaces the results; the agent follows nginx's access log into the analytics store. Real processes (needs `npm run build`).
import * as fs from "node:fs";
import * as path from "node:path";
import { openAnalyticsReadOnly } from "@prepcast/site";
import { Cluster, cli, generateCut, nginxBinary, PUBLISHER_BIN, RECEIVER_BIN, startNginx, waitFor, type TestNginx } from "@prepcast/testkit";

const haveNginx = nginxBinary() !== undefined;
if (!haveNginx) console.warn("SKIPPED nginx-site.test.ts: nginx is not installed (Debian: apt-get install -y nginx; CI installs it)");
const maybe = haveNginx ? test : test.skip;

let cluster: Cluster | undefined;
let nginx: TestNginx | undefined;

afterAll(async () => {
  await cluster?.stop();
  await nginx?.stop();
  cluster?.cleanup();
});

/** fetch, once more on a fresh connection when nginx's reload closed the kept-alive one. */
async function fetchRetry(url: string): Promise<Response> {
  try {
    return await fetch(url);
  } catch {
    return fetch(url);
  }
}

/** The corte the agent's own site serves for a path, to compare header values. */
async function agentHeaders(url: string): Promise<Headers> {
  const r = await fetch(url);
  await r.arrayBuffer();
  return r.headers;
}

maybe("the agent keeps nginx serving the live cut: headers, well-known, banner, switches, notice, access log", async () => {
  cluster = await Cluster.create([{ id: "uv", transport: "grpc" }], { adminToken: true });
  const r = cluster.receivers[0]!;
  const ngxDir = path.join(cluster.dir, "nginx");
  const include = path.join(ngxDir, "conf.d", "prepcast.conf");
  fs.mkdirSync(path.dirname(include), { recursive: true });
  // the server block includes the agent's file (a glob, so nginx starts before the agent wrote it)
  nginx = await startNginx(ngxDir, { server: `include ${path.join(ngxDir, "conf.d")}/*.conf;` });
  const bin = nginxBinary()!;
  const ctl = [bin, "-p", ngxDir, "-c", nginx.conf, "-e", path.join(ngxDir, "error.log")];
  const accessLog = path.join(ngxDir, "prepcast.access.log");
  const reloadLog = path.join(cluster.dir, "reloads.log");
  // the reload command also counts the reloads (a shell wrapper around `nginx -s reload`)
  const reload = ["sh", "-c", `echo reload >> '${reloadLog}' && exec '${ctl.join("' '")}' -s reload`];
  const yaml = fs
    .readFileSync(r.config, "utf8")
    .replace(
      `listen: 127.0.0.1:${r.sitePort}`,
      (m) =>
        `${m}\n  nginx:\n    include: ${include}\n    accessLog: ${accessLog}\n    test: ${JSON.stringify([...ctl, "-t"])}\n    reload: ${JSON.stringify(reload)}\n    refreshSeconds: 1`,
    );
  fs.writeFileSync(r.config, yaml);
  const reloads = (): number => (fs.existsSync(reloadLog) ? fs.readFileSync(reloadLog, "utf8").split("\n").filter(Boolean).length : 0);

  // the include for review, before anything is live
  const review = cli(RECEIVER_BIN, ["nginx-config", "--config", r.config]);
  expect(review.stdout).toContain("# mode no-cut");
  expect(review.stdout).toContain(`access_log "${accessLog}" combined buffer=64k flush=1s;`);

  await cluster.startReceiver(r);
  await cluster.startPublisher();
  await waitFor("the include (no cut yet)", () => fs.existsSync(include), 10_000, 50);
  const noCut = await fetch(`${nginx.url}/index.html`);
  expect(noCut.status).toBe(503);
  expect(await noCut.text()).toContain("Sin resultados publicados");

  const cuts = path.join(cluster.dir, "cuts");
  const cut1 = await generateCut({ outDir: cuts, k: 1, scale: "small" });
  expect(cluster.push(cut1.dir).json).toMatchObject({ ok: true, delivered: 1 });
  await waitFor(
    "nginx to serve cut 1",
    async () => (await fetch(`${nginx!.url}/.well-known/prepcast.json`).then((x) => x.json() as Promise<{ sequence?: number }>)).sequence === 1,
    10_000,
    50,
  );
  const site = `http://127.0.0.1:${r.sitePort}`;
  // the same headers as the agent's own server, for a page, a data file and an asset
  const files = fs
    .readdirSync(cut1.dir, { recursive: true })
    .map(String)
    .filter((f) => fs.statSync(path.join(cut1.dir, f)).isFile());
  const page = files.find((f) => f.endsWith(".html"))!;
  const data = files.find((f) => f.endsWith(".json"))!;
  const byExtension = new Map(files.map((f) => [path.extname(f), f] as const)); // one file of each kind: cache rules, types
  for (const f of new Set([page, data, ...byExtension.values()])) {
    const ours = await agentHeaders(`${site}/${f}`);
    const res = await fetch(`${nginx.url}/${f}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(path.join(cut1.dir, f)))).toBe(true); // published without modification
    for (const h of ["x-prep-corte", "cache-control", "content-security-policy", "x-content-type-options", "referrer-policy", "content-type"])
      expect({ f, h, v: res.headers.get(h) }).toEqual({ f, h, v: ours.get(h) });
  }
  const wk = await fetch(`${nginx.url}/.well-known/prepcast.json`);
  expect(wk.headers.get("access-control-allow-origin")).toBe("*");
  expect(await wk.json()).toMatchObject({ format: "prepcast/site-status@1", status: "live", sequence: 1, corte: cut1.corte });
  const manifest = await fetch(`${nginx.url}/.well-known/prepcast/manifest.json`);
  expect(Buffer.from(await manifest.arrayBuffer()).equals(Buffer.from(await (await fetch(`${site}/.well-known/prepcast/manifest.json`)).arrayBuffer()))).toBe(
    true,
  );
  const banner = await fetch(`${nginx.url}/.well-known/prepcast/banner.js`);
  expect(banner.status).toBe(200);
  expect(await banner.text()).toContain("PREPcast banner");
  expect((await fetch(`${nginx.url}/no-such-page.html`)).status).toBe(404);
  // verify-site through nginx: the bytes are exactly the signed cut
  const verify = cli(RECEIVER_BIN, ["verify-site", nginx.url, "--trust", path.join(cluster.pubDir, "root.pub"), "--sample", "5", "--json"], {
    allowFail: true,
  });
  expect(verify.json).toMatchObject({ ok: true });

  // a switch: nginx serves cut 2 right after the push, one reload; a quiet period: none
  const before = reloads();
  const cut2 = await generateCut({ outDir: cuts, k: 2, scale: "small" });
  expect(cluster.push(cut2.dir).json).toMatchObject({ ok: true, delivered: 1 });
  // nginx switches at its reload (new workers), a fraction of a second after the agent: each
  // response is one cut's bytes with that cut's header, and once switched never the old cut again
  const bytesOf = (dir: string): Buffer => fs.readFileSync(path.join(dir, data));
  const switchedAt = Date.now();
  await waitFor(
    "nginx to serve cut 2",
    async () => {
      const res = await fetchRetry(`${nginx!.url}/${data}`);
      const body = Buffer.from(await res.arrayBuffer());
      const corte = res.headers.get("x-prep-corte");
      expect(corte === cut2.corte ? body.equals(bytesOf(cut2.dir)) : corte === cut1.corte && body.equals(bytesOf(cut1.dir))).toBe(true);
      return corte === cut2.corte;
    },
    3000,
    10,
  );
  expect(Date.now() - switchedAt).toBeLessThan(2000);
  for (let i = 0; i < 20; i++) {
    const res = await fetchRetry(`${nginx.url}/${data}`);
    expect({ corte: res.headers.get("x-prep-corte"), same: Buffer.from(await res.arrayBuffer()).equals(bytesOf(cut2.dir)) }).toEqual({
      corte: cut2.corte,
      same: true,
    });
  }
  expect(reloads()).toBe(before + 1);
  await new Promise((res) => setTimeout(res, 2500)); // two refreshes: prepcast.json rewritten, include unchanged
  expect(reloads()).toBe(before + 1);

  // the suspension notice replaces the results on nginx too
  expect(cli(PUBLISHER_BIN, ["suspend", "uv", "--config", cluster.pubConfig, "--reason", "prueba", "--json"]).json).toMatchObject({ ok: true });
  await waitFor(
    "nginx to show the notice",
    async () =>
      (await fetchRetry(`${nginx!.url}/.well-known/prepcast.json`).then((x) => x.json() as Promise<{ status?: string }>)).status === "suspended" &&
      (await fetchRetry(`${nginx!.url}/${data}`)).status === 503,
    15_000,
    100,
  );
  const noticePage = await fetchRetry(`${nginx.url}/${page}`);
  expect(noticePage.status).toBe(200);
  expect(await noticePage.text()).toContain("Publicación de resultados suspendida");
  const noticed = await fetchRetry(`${nginx.url}/${data}`);
  expect(noticed.status).toBe(503);
  expect(await noticed.text()).not.toContain(fs.readFileSync(path.join(cut2.dir, data), "utf8").slice(0, 40));

  // the access log: every request nginx served, in the agent's analytics store
  await new Promise((res) => setTimeout(res, 1500)); // the include's access_log is flushed every second
  const served = fs.readFileSync(accessLog, "utf8").split("\n").filter(Boolean).length;
  const db = path.join(r.dir, "data", "analytics.sqlite");
  await waitFor(
    `${served} hits from nginx's access log`,
    () => {
      const s = openAnalyticsReadOnly(db);
      try {
        return s.count() === served;
      } finally {
        s.close();
      }
    },
    10_000,
    100,
  );
  await new Promise((res) => setTimeout(res, 300));
  const s = openAnalyticsReadOnly(db);
  expect(s.count()).toBe(served); // once each
  s.close();
});
