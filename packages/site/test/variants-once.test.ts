// A cut's gzip/brotli variants are made once per process, however many parts of the server ask
// for them at once: the cut watcher on the switch, and every request that finds the live cut
// without variants while they are being made (on election night, visitors arrive during that
// window at every switch). Each used to compress the whole cut again.
import { mkdirSync, watch } from "node:fs";
import { join } from "node:path";
import { createSiteServer, prepareCompressedVariants, SiteServer } from "../src";
import { activate, cleanup, makeKeys, sampleSite, tempRoot, writeCut } from "./fixtures";
import { request } from "./http";

jest.setTimeout(60_000);

/** About 4 MB of varied JSON: brotli at quality 9 takes a good part of a second on it. */
function bigJson(): string {
  return JSON.stringify(
    Array.from({ length: 60_000 }, (_, i) => ({ seccion: i, votos: (i * 7919) % 100_003, casilla: `B${i % 97}`, tag: (i * 31).toString(36) })),
  );
}

describe("compressed variants are prepared once per cut", () => {
  const keys = makeKeys();
  let root: string;
  let server: SiteServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    cleanup(root);
  });

  test("calls at the same time share one preparation", async () => {
    root = tempRoot();
    const cut = writeCut(root, keys, { sequence: 1, corte: "2024-06-02T20:15:00-06:00", files: { ...sampleSite("A"), "datos/grande.json": bigJson() } });
    const [a, b] = await Promise.all([prepareCompressedVariants({ root, cutDir: cut.dir }), prepareCompressedVariants({ root, cutDir: cut.dir })]);
    expect(a).toBe(b);
    expect(Object.keys(a.files)).toContain("datos/grande.json");
    // a later call, once done, reads the index written by the first
    const c = await prepareCompressedVariants({ root, cutDir: cut.dir });
    expect(c).not.toBe(a);
    expect(c).toEqual(a);
  });

  test("a server taking requests while the live cut's variants are made compresses the cut once", async () => {
    root = tempRoot();
    const cut = writeCut(root, keys, { sequence: 1, corte: "2024-06-02T20:15:00-06:00", files: { ...sampleSite("A"), "datos/grande.json": bigJson() } });
    activate(root, cut.id);
    const cache = join(root, "cache");
    mkdirSync(cache, { recursive: true });
    const started = new Set<string>();
    const watcher = watch(cache, (_event, name) => {
      if (name?.startsWith(".tmp-")) started.add(name);
    });
    try {
      server = await createSiteServer({ root, listen: "127.0.0.1:0", analytics: undefined, log: { info() {}, warn() {}, error() {} } });
      // visitors keep asking until the compressed copy is served
      const deadline = Date.now() + 30_000;
      let served: string | undefined;
      while (Date.now() < deadline) {
        const r = await request(`${server.url}/datos/grande.json`, { headers: { "accept-encoding": "br" } });
        expect(r.status).toBe(200);
        served = r.headers["content-encoding"] as string | undefined;
        if (served === "br") break;
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(served).toBe("br");
    } finally {
      watcher.close();
    }
    expect([...started]).toHaveLength(1);
  });
});
