// Switching the live cut while the site server is answering: every response comes whole from one cut.
import { createHash } from "node:crypto";
import { Agent } from "node:http";
import { brotliDecompressSync } from "node:zlib";
import { createSiteServer, prepareCompressedVariants } from "../src";
import { activate, cleanup, makeKeys, sampleSite, tempRoot, writeCut } from "./fixtures";
import { request } from "./http";

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const CORTE = "2024-06-02T20:15:00-06:00";
const NOT_BEFORE = "2024-06-02T20:00:00-06:00";

describe("site server: cut switches", () => {
  const keys = makeKeys();
  const now = Date.parse("2024-06-02T20:20:00-06:00");

  test("a switch reaches requests on keep-alive connections opened before it; headers, ETag and body always from one cut", async () => {
    // The server resolves `current` at most once per event-loop turn and keeps per-cut header and
    // body tables: a request sent after the switch returns must get the new cut (no stale table),
    // and each response's X-PREP-Corte, ETag and body must belong to the same cut.
    const sw = tempRoot();
    const cortes = ["2024-06-02T20:15:00-06:00", "2024-06-02T20:30:00-06:00"];
    const cuts = cortes.map((corte, i) => writeCut(sw, keys, { sequence: i + 1, corte, notBefore: NOT_BEFORE, files: sampleSite(`keepalive-${i}-`) }));
    for (const c of cuts) await prepareCompressedVariants({ root: sw, cutDir: c.dir });
    const shaByCorte = new Map(
      cortes.map((corte, i) => [corte, new Map(Object.entries(sampleSite(`keepalive-${i}-`)).map(([p, b]) => [p, sha(Buffer.from(b))]))]),
    );
    activate(sw, cuts[0]!.id);
    const s = await createSiteServer({ root: sw, listen: "127.0.0.1:0", clock: () => now, log: { info() {}, warn() {}, error() {} } });
    const agent = new Agent({ keepAlive: true, maxSockets: 6 });
    const paths: [string, string][] = [
      ["/", "index.html"],
      ["/datos/entidad.json", "datos/entidad.json"],
      ["/assets/app.css", "assets/app.css"],
    ];
    const check = async (expectedCorte: string, problems: string[]): Promise<void> => {
      await Promise.all(
        Array.from({ length: 6 }, async (_, k) => {
          for (const [url, file] of paths) {
            const br = k % 2 === 0;
            const r = await request(`${s.url}${url}`, { agent, headers: br ? { "Accept-Encoding": "br" } : {} });
            const corte = r.headers["x-prep-corte"] as string;
            const etag = r.headers["etag"] as string;
            const body = r.headers["content-encoding"] === "br" ? brotliDecompressSync(r.body) : r.body;
            const expectedSha = shaByCorte.get(corte)?.get(file);
            if (r.status !== 200) problems.push(`${url} ${r.status}`);
            else if (corte !== expectedCorte) problems.push(`${url}: served corte ${corte} after switching to ${expectedCorte}`);
            else if (etag !== (r.headers["content-encoding"] === "br" ? `"${expectedSha}.br"` : `"${expectedSha}"`))
              problems.push(`${url}: ETag ${etag} is not the ${corte} cut's`);
            else if (sha(body) !== expectedSha) problems.push(`${url}: body is not the ${corte} cut's`);
          }
        }),
      );
    };
    try {
      const problems: string[] = [];
      // warm every table (routes, verified bodies, headers) of both cuts on the same open sockets
      for (let i = 0; i < 4; i++) {
        activate(sw, cuts[i % 2]!.id);
        await check(cortes[i % 2]!, []);
      }
      for (let i = 0; i < 20; i++) {
        activate(sw, cuts[i % 2]!.id);
        await check(cortes[i % 2]!, problems);
      }
      expect(problems).toEqual([]);
      const sockets = Object.values(agent.sockets).flat().length + Object.values(agent.freeSockets).flat().length;
      expect(sockets).toBeLessThanOrEqual(6); // the same kept-alive connections served every round
      expect(sockets).toBeGreaterThan(0);
    } finally {
      agent.destroy();
      await s.close();
      cleanup(sw);
    }
  });

  test("switching cuts under load: no errors, no 404, every body matches the ETag it came with", async () => {
    const sw = tempRoot();
    const cuts = [1, 2, 3, 4].map((seq) =>
      writeCut(sw, keys, { sequence: seq, corte: CORTE, notBefore: NOT_BEFORE, files: sampleSite(`cut${seq}-`.repeat(seq)) }),
    );
    activate(sw, cuts[0]!.id);
    const s = await createSiteServer({ root: sw, listen: "127.0.0.1:0", clock: () => now, log: { info() {}, warn() {}, error() {} } });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const paths = ["/", "/datos/entidad.json", "/assets/app.css", "/bd/resultados.zip", "/bd/resultados.csv", "/diputaciones/"];
    let stop = false;
    let n = 0;
    const problems: string[] = [];
    const corteSeen = new Set<string>();
    const worker = async (k: number): Promise<void> => {
      while (!stop) {
        const path = paths[(n + k) % paths.length]!;
        n++;
        const r = await request(`${s.url}${path}`, { agent });
        if (r.status !== 200) problems.push(`${path} ${r.status}`);
        else if (r.headers["etag"] !== `"${sha(r.body)}"`) problems.push(`${path} body does not match its ETag`);
        corteSeen.add(r.headers["etag"] as string);
      }
    };
    try {
      const running = Array.from({ length: 12 }, (_, k) => worker(k));
      for (let i = 0; i < 40; i++) {
        activate(sw, cuts[i % cuts.length]!.id);
        await new Promise((r) => setTimeout(r, 25));
      }
      stop = true;
      await Promise.all(running);
      expect(problems).toEqual([]);
      expect(n).toBeGreaterThan(200);
      expect(corteSeen.size).toBeGreaterThan(paths.length * 2); // responses really came from several cuts
    } finally {
      agent.destroy();
      await s.close();
      cleanup(sw);
    }
  });
});
