// The nginx include's sync without nginx: a refused include (the test command fails) or a failed
// reload puts the previous include back and says why; an unchanged state changes nothing. (Debian's
// real nginx serves the include in e2e/test/nginx-site.test.ts.)
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderNginxInclude, nginxSiteState, syncNginxSite } from "../src";
import { activate, makeKeys, tempRoot, writeCut } from "./fixtures";

test("sync: written once per change, refused or unreloadable includes put back, unsafe values refused", async () => {
  const root = tempRoot();
  const keys = makeKeys();
  const cut = writeCut(root, keys, { sequence: 1, corte: "2024-06-02T20:15:00-06:00", files: { "index.html": "<p>hola</p>", "data/a.json": "{}" } });
  activate(root, cut.id);
  const include = join(root, "site.conf");
  const opts = { root, publicDir: join(root, "nginx"), accessLog: join(root, "access.log"), include, test: ["true"], reload: ["true"] };
  const first = await syncNginxSite(opts, Date.now(), true);
  expect(first).toMatchObject({ mode: "live", cut: cut.id, changed: true, reloaded: true });
  expect(readFileSync(include, "utf8")).toContain(`root "${join(cut.dir, "site")}";`);
  expect(JSON.parse(readFileSync(join(root, "nginx", "prepcast.json"), "utf8"))).toMatchObject({ status: "live", sequence: 1 });
  expect(await syncNginxSite(opts, Date.now())).toMatchObject({ changed: false, reloaded: false });

  // the next state (a notice) refused by `nginx -t`: the live include stays
  const live = readFileSync(include, "utf8");
  const noticeDir = join(root, "notice");
  mkdirSync(noticeDir, { recursive: true });
  writeFileSync(join(noticeDir, "notice.json"), JSON.stringify({ text: "suspendido" }));
  await expect(syncNginxSite({ ...opts, test: ["false"] }, Date.now())).rejects.toThrow(
    expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringContaining("the previous include is kept") }),
  );
  expect(readFileSync(include, "utf8")).toBe(live);
  await expect(syncNginxSite({ ...opts, reload: ["false"] }, Date.now())).rejects.toThrow(expect.objectContaining({ code: "IO_ERROR" }));
  expect(readFileSync(include, "utf8")).toBe(live);
  expect(await syncNginxSite(opts, Date.now())).toMatchObject({ mode: "notice", changed: true });
  expect(readFileSync(include, "utf8")).toContain("notice.html");

  expect(() => renderNginxInclude({ ...opts, accessLog: "/var/log/$host.log" }, nginxSiteState(opts, Date.now()))).toThrow(
    expect.objectContaining({ code: "CONFIG_INVALID" }),
  );
});

test("embargo: 503 with the embargo page until notBefore, then live (nextChangeMs says when)", async () => {
  const root = tempRoot();
  const keys = makeKeys();
  const notBefore = Date.now() + 60_000;
  const cut = writeCut(root, keys, {
    sequence: 1,
    corte: new Date(notBefore + 60_000).toISOString(),
    notBefore: new Date(notBefore).toISOString(),
    files: { "index.html": "<p>hola</p>" },
  });
  activate(root, cut.id);
  const opts = { root, publicDir: join(root, "nginx"), accessLog: join(root, "access.log"), include: join(root, "site.conf"), test: [], reload: [] };
  expect(await syncNginxSite(opts, Date.now(), true)).toMatchObject({ mode: "embargo", nextChangeMs: notBefore });
  expect(readFileSync(opts.include, "utf8")).toMatch(/location \/ \{\n {2}return 503;\n\}/);
  expect(readFileSync(join(root, "nginx", "pages", "unavailable.html"), "utf8")).toContain("Resultados disponibles a partir de");
  expect(await syncNginxSite(opts, notBefore)).toMatchObject({ mode: "live", changed: true, nextChangeMs: null });
  expect(readFileSync(opts.include, "utf8")).toContain("add_header X-PREP-Corte");
});
