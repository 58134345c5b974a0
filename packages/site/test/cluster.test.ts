import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Agent } from "node:http";
import { createSiteServer } from "../src";
import { activate, cleanup, makeKeys, sampleSite, tempRoot, writeCut } from "./fixtures";
import { request } from "./http";

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

test("cluster mode: workers serve, hits reach the single SQLite writer over IPC, the primary prepares variants", async () => {
  const root = tempRoot();
  const keys = makeKeys();
  const a = writeCut(root, keys, { sequence: 1, corte: "2024-06-02T20:15:00-06:00", notBefore: "2024-06-02T20:00:00-06:00", files: sampleSite("one") });
  const b = writeCut(root, keys, { sequence: 2, corte: "2024-06-02T20:30:00-06:00", notBefore: "2024-06-02T20:00:00-06:00", files: sampleSite("two") });
  activate(root, a.id);
  const server = await createSiteServer({
    root,
    listen: "127.0.0.1:0",
    workers: 2,
    analytics: join(root, "analytics.sqlite"),
    log: { info() {}, warn() {}, error() {} },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  try {
    expect(server.workers).toBe(2);
    let sent = 0;
    const problems: string[] = [];
    const shoot = async (): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        const path = ["/", "/datos/entidad.json", "/assets/app.css", "/bd/resultados.zip"][i % 4]!;
        const r = await request(`${server.url}${path}`, { agent, headers: { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0" } });
        sent++;
        if (r.status !== 200 || r.headers["etag"] !== `"${sha(r.body)}"`) problems.push(`${path} ${r.status}`);
      }
    };
    const load = Promise.all([shoot(), shoot(), shoot(), shoot()]);
    await new Promise((r) => setTimeout(r, 30));
    activate(root, b.id);
    await load;
    expect(problems).toEqual([]);
    const home = await request(`${server.url}/`, { agent });
    sent++;
    expect(home.body.toString()).toContain("Resultados two");
    expect(home.headers["x-prep-corte"]).toBe("2024-06-02T20:30:00-06:00");
    await server.flushAnalytics();
    expect(server.store!.count()).toBe(sent);
    for (let i = 0; i < 50 && !existsSync(join(root, "cache", b.id, "index.json")); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(join(root, "cache", b.id, "index.json"))).toBe(true);
  } finally {
    agent.destroy();
    await server.close();
    cleanup(root);
  }
});
