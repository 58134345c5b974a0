import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { createSiteServer, SiteServer, prepareCompressedVariants, RawHit } from "../src";
import { activate, cleanup, makeKeys, sampleSite, tempRoot, writeCut } from "./fixtures";
import { request } from "./http";

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const CORTE = "2024-06-02T20:15:00-06:00";
const NOT_BEFORE = "2024-06-02T20:00:00-06:00";

describe("site server", () => {
  const keys = makeKeys();
  let root: string;
  let server: SiteServer;
  let now = Date.parse("2024-06-02T20:20:00-06:00");
  const hits: RawHit[] = [];
  let cut: ReturnType<typeof writeCut>;
  const site = sampleSite("A");

  beforeAll(async () => {
    root = tempRoot();
    cut = writeCut(root, keys, { sequence: 5, corte: CORTE, notBefore: NOT_BEFORE, files: site });
    activate(root, cut.id);
    await prepareCompressedVariants({ root, cutDir: cut.dir });
    server = await createSiteServer({
      root,
      listen: "127.0.0.1:0",
      clock: () => now,
      frameAncestors: ["'self'", "https://portal.example.mx"],
      analytics: undefined,
      log: { info() {}, warn() {}, error() {} },
    });
  });
  afterAll(async () => {
    await server.close();
    cleanup(root);
  });
  beforeEach(() => {
    now = Date.parse("2024-06-02T20:20:00-06:00");
    hits.length = 0;
  });

  test("serves / as index.html with exact bytes, strong ETag from the manifest and the cut header", async () => {
    const r = await request(`${server.url}/`);
    expect(r.status).toBe(200);
    expect(r.body.equals(Buffer.from(site["index.html"] as string))).toBe(true);
    expect(r.headers["etag"]).toBe(`"${sha(r.body)}"`);
    expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(r.headers["x-prep-corte"]).toBe(CORTE);
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    expect(r.headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(r.headers["content-security-policy"]).toContain("frame-ancestors 'self' https://portal.example.mx");
    expect(r.headers["x-frame-options"]).toBeUndefined();
    expect(r.headers["cache-control"]).toBe("public, max-age=30, must-revalidate");
  });

  test("content types and cache policy follow the path", async () => {
    const cases: [string, string, RegExp][] = [
      ["/assets/app.css", "text/css; charset=utf-8", /max-age=600/],
      ["/assets/app.js", "text/javascript; charset=utf-8", /max-age=600/],
      ["/assets/app.3f9a1b2c4d.js", "text/javascript; charset=utf-8", /immutable/],
      ["/assets/logo.svg", "image/svg+xml", /max-age=600/],
      ["/datos/entidad.json", "application/json; charset=utf-8", /max-age=30, must-revalidate/],
      ["/bd/resultados.csv", "text/csv; charset=utf-8", /max-age=30/],
      ["/bd/resultados.zip", "application/zip", /max-age=30/],
      ["/bd/resultados.csv.sha256", "text/plain; charset=utf-8", /max-age=30/],
    ];
    for (const [path, type, cache] of cases) {
      const r = await request(`${server.url}${path}`);
      expect([path, r.status, r.headers["content-type"]]).toEqual([path, 200, type]);
      expect(r.headers["cache-control"]).toMatch(cache);
      expect(r.body.length).toBe(Buffer.byteLength(site[path.slice(1)]!));
    }
  });

  test("denies everything not listed in the manifest", async () => {
    for (const path of [
      "/missing.html",
      "/prepcast/manifest.json",
      "/site/index.html",
      "/../prepcast/keyset.sig",
      "/%2e%2e/prepcast/manifest.json",
      "/datos/",
      "/.well-known/prepcast/nope",
      "/index.html/",
    ]) {
      const r = await request(`${server.url}${path}`);
      expect([path, r.status]).toEqual([path, 404]);
      expect(r.headers["x-prep-corte"]).toBe(CORTE);
    }
    expect((await request(`${server.url}/%E0%A4%A`)).status).toBe(400);
    expect((await request(`${server.url}/`, { method: "PUT" })).status).toBe(405);
    expect((await request(`${server.url}/`, { method: "DELETE" })).headers["allow"]).toBe("GET, HEAD");
  });

  test("percent-encoded names, directory index and redirect to the directory", async () => {
    const r = await request(`${server.url}/datos/seccion%201.json`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString()).nombre).toBe("sección 1");
    const d = await request(`${server.url}/diputaciones/`);
    expect(d.status).toBe(200);
    expect(d.body.toString()).toContain("Diputaciones A");
    const redirect = await request(`${server.url}/diputaciones?x=1`);
    expect(redirect.status).toBe(301);
    expect(redirect.headers["location"]).toBe("/diputaciones/?x=1");
  });

  test("HEAD and If-None-Match", async () => {
    const head = await request(`${server.url}/datos/entidad.json`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers["content-length"])).toBe(Buffer.byteLength(site["datos/entidad.json"]!));
    const etag = head.headers["etag"] as string;
    const cond = await request(`${server.url}/datos/entidad.json`, { headers: { "If-None-Match": `"other", ${etag}` } });
    expect(cond.status).toBe(304);
    expect(cond.body.length).toBe(0);
    const miss = await request(`${server.url}/datos/entidad.json`, { headers: { "If-None-Match": '"0000"' } });
    expect(miss.status).toBe(200);
  });

  test("single ranges (206), suffix ranges, unsatisfiable (416), on memory-cached and streamed files", async () => {
    for (const path of ["bd/resultados.csv", "bd/resultados.zip"]) {
      const full = Buffer.from(site[path]!);
      const r = await request(`${server.url}/${path}`, { headers: { Range: "bytes=10-19" } });
      expect(r.status).toBe(206);
      expect(r.headers["content-range"]).toBe(`bytes 10-19/${full.length}`);
      expect(r.body.equals(full.subarray(10, 20))).toBe(true);
      const suffix = await request(`${server.url}/${path}`, { headers: { Range: "bytes=-5" } });
      expect(suffix.body.equals(full.subarray(full.length - 5))).toBe(true);
      const open = await request(`${server.url}/${path}`, { headers: { Range: "bytes=100-" } });
      expect(open.body.equals(full.subarray(100))).toBe(true);
      const bad = await request(`${server.url}/${path}`, { headers: { Range: `bytes=${full.length}-` } });
      expect(bad.status).toBe(416);
      expect(bad.headers["content-range"]).toBe(`bytes */${full.length}`);
      const multi = await request(`${server.url}/${path}`, { headers: { Range: "bytes=0-1,5-6" } });
      expect(multi.status).toBe(200);
      expect(multi.body.equals(full)).toBe(true);
      const staleIfRange = await request(`${server.url}/${path}`, { headers: { Range: "bytes=0-1", "If-Range": '"old"' } });
      expect(staleIfRange.status).toBe(200);
    }
  });

  test("precompressed variants live outside the cut and decode to the exact signed bytes", async () => {
    const original = Buffer.from(site["datos/entidad.json"]!);
    const br = await request(`${server.url}/datos/entidad.json`, { headers: { "Accept-Encoding": "gzip, deflate, br" } });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers["vary"]).toBe("Accept-Encoding");
    expect(br.body.length).toBeLessThan(original.length);
    expect(brotliDecompressSync(br.body).equals(original)).toBe(true);
    expect(br.headers["etag"]).toBe(`"${sha(original)}.br"`);
    const gz = await request(`${server.url}/datos/entidad.json`, { headers: { "Accept-Encoding": "gzip" } });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).equals(original)).toBe(true);
    const refused = await request(`${server.url}/datos/entidad.json`, { headers: { "Accept-Encoding": "br;q=0, gzip;q=0" } });
    expect(refused.headers["content-encoding"]).toBeUndefined();
    expect(refused.body.equals(original)).toBe(true);
    // 304 for a client holding the compressed representation
    expect(
      (await request(`${server.url}/datos/entidad.json`, { headers: { "Accept-Encoding": "br", "If-None-Match": br.headers["etag"] as string } })).status,
    ).toBe(304);
    // binary types are never compressed; the signed cut holds only the signed files
    const zip = await request(`${server.url}/bd/resultados.zip`, { headers: { "Accept-Encoding": "br, gzip" } });
    expect(zip.headers["content-encoding"]).toBeUndefined();
    expect(existsSync(join(root, "cache", cut.id, "datos", "entidad.json.br"))).toBe(true);
    expect(existsSync(join(cut.dir, "site", "datos", "entidad.json.br"))).toBe(false);
  });

  test("/.well-known/prepcast.json and the exact signed documents", async () => {
    const r = await request(`${server.url}/.well-known/prepcast.json`);
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBe("*");
    const st = JSON.parse(r.body.toString());
    expect(st).toMatchObject({
      status: "live",
      process: "VER-2024",
      channel: "produccion",
      simulacro: false,
      sequence: 5,
      corte: CORTE,
      manifestSha256: cut.manifestSha256,
      notBefore: NOT_BEFORE,
      corteLocal: "02/06/2024 20:15 (UTC-6)",
      staleSeconds: 300,
      stale: false,
    });
    for (const name of ["keyset.json", "keyset.sig", "manifest.json", "manifest.sig"]) {
      const f = await request(`${server.url}/.well-known/prepcast/${name}`);
      expect(f.status).toBe(200);
      expect(f.body.equals(readFileSync(join(cut.dir, "prepcast", name)))).toBe(true);
    }
  });

  test("staleness after the last cut: still served, reported stale", async () => {
    now = Date.parse("2024-06-09T23:59:00-06:00");
    expect((await request(`${server.url}/`)).status).toBe(200);
    const st = JSON.parse((await request(`${server.url}/.well-known/prepcast.json`)).body.toString());
    expect(st.stale).toBe(true);
    expect(st.staleSeconds).toBe((Date.parse("2024-06-09T23:59:00-06:00") - Date.parse(CORTE)) / 1000);
  });

  test("the final cut: never stale, says so and until when, and when the publication ended", async () => {
    const finalRoot = tempRoot();
    const until = "2024-06-09T23:59:00-06:00";
    const fc = writeCut(finalRoot, keys, { sequence: 9, corte: "2024-06-03T12:00:00-06:00", publishUntil: until, files: site });
    activate(finalRoot, fc.id);
    let t = Date.parse("2024-06-03T12:05:00-06:00");
    const s = await createSiteServer({
      root: finalRoot,
      listen: "127.0.0.1:0",
      clock: () => t,
      analytics: undefined,
      prepareVariants: false,
      log: { info() {}, warn() {}, error() {} },
    });
    try {
      const get = async () => JSON.parse((await request(`${s.url}/.well-known/prepcast.json`)).body.toString());
      expect(await get()).toMatchObject({
        status: "live",
        sequence: 9,
        final: true,
        publishUntil: until,
        publishUntilLocal: "09/06/2024 23:59 (UTC-6)",
        publicationEnded: false,
        stale: false,
      });
      t = Date.parse("2024-06-08T12:00:00-06:00"); // five days without a new cut: no alarm for the last one
      expect(await get()).toMatchObject({ final: true, stale: false, publicationEnded: false, staleSeconds: 5 * 86_400 });
      t = Date.parse(until) + 60_000;
      expect(await get()).toMatchObject({ final: true, stale: false, publicationEnded: true });
      expect((await request(`${s.url}/`)).status).toBe(200); // the results stay online
    } finally {
      await s.close();
    }
    // a cut without the field is as before: final false, stale by its age
    now = Date.parse("2024-06-08T12:00:00-06:00");
    expect(JSON.parse((await request(`${server.url}/.well-known/prepcast.json`)).body.toString())).toMatchObject({ final: false, stale: true });
    expect(JSON.parse((await request(`${server.url}/.well-known/prepcast.json`)).body.toString()).publishUntil).toBeUndefined();
  });

  test("embargo: before notBefore nothing of the cut is served", async () => {
    now = Date.parse(NOT_BEFORE) - 90_000;
    for (const path of ["/", "/datos/entidad.json", "/.well-known/prepcast/manifest.json"]) {
      const r = await request(`${server.url}${path}`);
      expect([path, r.status]).toEqual([path, 503]);
      expect(r.headers["x-prep-corte"]).toBe("none");
      expect(r.body.toString()).not.toContain("Resultados A");
    }
    const page = await request(`${server.url}/`);
    expect(page.body.toString()).toContain("Resultados disponibles a partir de 02/06/2024 20:00 (UTC-6)");
    expect(page.headers["retry-after"]).toBe("90");
    expect(page.headers["cache-control"]).toBe("no-store");
    const st = JSON.parse((await request(`${server.url}/.well-known/prepcast.json`)).body.toString());
    expect(st).toEqual({ format: "prepcast/site-status@1", status: "embargo", notBefore: NOT_BEFORE, now: new Date(now).toISOString() });
    now = Date.parse(NOT_BEFORE);
    expect((await request(`${server.url}/`)).status).toBe(200);
  });

  test("suspension notice replaces every results page; /.well-known stays available", async () => {
    mkdirSync(join(root, "notice"), { recursive: true });
    writeFileSync(
      join(root, "notice", "notice.json"),
      JSON.stringify({
        title: "Publicación suspendida",
        text: "El OPLE suspendió la transmisión de resultados a este sitio.\n\nConsulte el sitio oficial.",
        issuedAt: "2024-06-02T21:00:00-06:00",
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    try {
      const home = await request(`${server.url}/`);
      expect(home.status).toBe(200);
      expect(home.body.toString()).toContain("El OPLE suspendió la transmisión");
      expect(home.body.toString()).not.toContain("Resultados A");
      expect(home.headers["cache-control"]).toBe("no-store");
      const data = await request(`${server.url}/datos/entidad.json`);
      expect(data.status).toBe(503);
      expect(data.body.toString()).not.toContain('"tag"');
      const st = JSON.parse((await request(`${server.url}/.well-known/prepcast.json`)).body.toString());
      expect(st.status).toBe("suspended");
      expect(st.notice.text).toContain("suspendió");
      expect((await request(`${server.url}/.well-known/prepcast/manifest.json`)).status).toBe(200);
    } finally {
      rmSync(join(root, "notice"), { recursive: true, force: true });
    }
    await new Promise((r) => setTimeout(r, 300));
    expect((await request(`${server.url}/`)).body.toString()).toContain("Resultados A");
  });

  test("banner script, iframe variant and verifier assets are served", async () => {
    const js = await request(`${server.url}/.well-known/prepcast/banner.js`);
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.body.toString()).toContain("sendBeacon");
    const html = await request(`${server.url}/.well-known/prepcast/banner.html`);
    expect(html.headers["content-security-policy"]).toContain("frame-ancestors *");
    const nacl = await request(`${server.url}/.well-known/prepcast/nacl.js`);
    expect(nacl.body.equals(readFileSync(require.resolve("tweetnacl/nacl-fast.min.js")))).toBe(true);
    expect((await request(`${server.url}/.well-known/prepcast/verify.html`)).body.toString()).toContain("llave pública raíz");
  });

  test("refuses to serve a file whose bytes on disk differ from the manifest", async () => {
    const other = tempRoot();
    const c = writeCut(other, keys, { sequence: 1, corte: CORTE, notBefore: NOT_BEFORE, files: { "index.html": "<p>original</p>", "a.json": "{}" } });
    activate(other, c.id);
    writeFileSync(join(c.dir, "site", "index.html"), "<p>altered!!!!</p>");
    const s = await createSiteServer({ root: other, listen: "127.0.0.1:0", clock: () => now, log: { info() {}, warn() {}, error() {} } });
    try {
      const r = await request(`${s.url}/`);
      expect(r.status).toBe(500);
      expect(r.body.toString()).not.toContain("altered");
      expect((await request(`${s.url}/a.json`)).status).toBe(200);
    } finally {
      await s.close();
      cleanup(other);
    }
  });

  test("no live cut: 503 with a neutral page", async () => {
    const empty = tempRoot();
    const s = await createSiteServer({ root: empty, listen: "127.0.0.1:0", log: { info() {}, warn() {}, error() {} } });
    try {
      const r = await request(`${s.url}/`);
      expect(r.status).toBe(503);
      expect(r.body.toString()).toContain("Sin resultados publicados");
      expect(JSON.parse((await request(`${s.url}/.well-known/prepcast.json`)).body.toString()).status).toBe("no-cut");
    } finally {
      await s.close();
      cleanup(empty);
    }
  });
});
