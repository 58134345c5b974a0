// Serving through the difusor's own nginx: the include the agent keeps in the difusor's `server {}`
// block, and the small files it points at. Everything is computed from the same code as the
// agent's own server (headers.ts, content.ts, status.ts, pages.ts, banner.ts), never duplicated.
//
//  - root: the live cut's own directory (cuts/<id>/site), not `current`: the cut and its
//    X-PREP-Corte header change together at nginx's reload (each worker generation serves one cut),
//    and if the new include is refused, nginx keeps serving the previous cut consistently;
//  - the OPLE's pages are published without modification, as by the agent: the banner is the same
//    embeddable /.well-known/prepcast/banner.js (no sub_filter, no rewritten copies);
//  - /.well-known/prepcast.json is a file the agent rewrites (temp + rename) every few seconds;
//  - no cut / embargo / suspension notice: the same pages as the agent's, from the public directory;
//  - cache rules: CACHE_RULES (docs/scaling.md) as locations; access log in combined format.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PrepcastError } from "@prepcast/protocol";
import { CutCache, LoadedCut, resolveCurrentDir } from "../cut/cut";
import { ASSET_CACHE, CACHE_RULES, COMPRESSIBLE_EXTENSIONS, CONTENT_TYPES, IMMUTABLE_CACHE, SHORT_CACHE } from "../cut/content";
import { ActiveNotice, createNoticeReader } from "../cut/notice";
import { browserAssets } from "../server/browser-assets";
import { BANNER_CSP, buildCsp, ownPageCsp } from "../server/headers";
import { embargoPage, noCutPage, noticePage, notFoundPage } from "../server/pages";
import { statusOf } from "../server/status";

export interface NginxSiteOptions {
  /** Receiver state directory (DIR/current, DIR/notice). */
  root: string;
  /** Where the agent writes prepcast.json, the pages and the well-known assets nginx serves. */
  publicDir: string;
  /** nginx's access log for this site, combined format (what `ingest-logs --follow` reads). */
  accessLog: string;
  frameAncestors?: string[];
  /** As the agent's server: age of the corte from which prepcast.json says stale (default 1800). */
  staleAfterSeconds?: number;
}

export type NginxSiteMode = "no-cut" | "embargo" | "notice" | "live";

export interface NginxSiteState {
  mode: NginxSiteMode;
  cut: LoadedCut | undefined;
  notice: ActiveNotice | undefined;
  /** The status document of /.well-known/prepcast.json at `now`. */
  status: Record<string, unknown>;
}

const cuts = new CutCache();

/** What nginx must serve now: the live cut, its embargo, a notice, or nothing. */
export function nginxSiteState(opts: NginxSiteOptions, now: number): NginxSiteState {
  const dir = resolveCurrentDir(opts.root);
  const cut = dir ? cuts.get(dir) : undefined;
  const notices = createNoticeReader(opts.root, () => undefined, 0);
  const notice = notices.current(now);
  const status = statusOf(cut, now, { notices, staleAfterMs: (opts.staleAfterSeconds ?? 1800) * 1000 });
  const mode: NginxSiteMode = !cut ? "no-cut" : now < cut.notBeforeMs ? "embargo" : notice ? "notice" : "live";
  return { mode, cut, notice, status };
}

/** A value nginx reads literally inside "…": no quote, backslash, `$` (a variable) or control characters. */
function quoted(value: string, what: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/["\\$\x00-\x1f]/.test(value))
    throw new PrepcastError(
      "CONFIG_INVALID",
      `${what} ${JSON.stringify(value)} cannot go into the nginx include (it holds a quote, backslash, $ or control character)`,
      { where: what, hint: "use a path or value without those characters" },
    );
  return `"${value}"`;
}

const PAGES = "/.well-known/prepcast/pages/";

/** The include's text for `state` (deterministic: the same state gives the same text, so no reload). */
export function renderNginxInclude(opts: NginxSiteOptions, state: NginxSiteState): string {
  const fa = opts.frameAncestors ?? ["'self'"];
  const pub = opts.publicDir;
  const corte = state.mode === "live" || state.mode === "notice" ? state.cut!.manifest.corte : "none";
  const common = (cacheControl: string, csp = buildCsp(fa)): string[] => [
    `add_header Cache-Control ${quoted(cacheControl, "Cache-Control")} always;`,
    `add_header X-PREP-Corte ${quoted(corte, "corte")} always;`,
    `add_header X-Content-Type-Options "nosniff" always;`,
    `add_header Referrer-Policy "strict-origin-when-cross-origin" always;`,
    `add_header Content-Security-Policy ${quoted(csp, "site.frameAncestors")} always;`,
  ];
  const cors = `add_header Access-Control-Allow-Origin "*" always;`;
  const loc = (match: string, body: string[]): string => `location ${match} {\n${body.map((l) => `  ${l}`).join("\n")}\n}`;
  const textTypes = [
    ...new Set(
      Object.values(CONTENT_TYPES)
        .filter((t) => t.endsWith("; charset=utf-8"))
        .map((t) => t.split(";")[0]!),
    ),
  ].filter((t) => t !== "text/html"); // text/html: nginx's default
  const byType = new Map<string, string[]>();
  for (const [ext, type] of Object.entries(CONTENT_TYPES)) byType.set(type.split(";")[0]!, [...(byType.get(type.split(";")[0]!) ?? []), ext]);
  const gzipTypes = [
    ...new Set([...COMPRESSIBLE_EXTENSIONS].map((e) => CONTENT_TYPES[e]?.split(";")[0]).filter((t): t is string => t !== undefined && t !== "text/html")),
  ];
  const out: string[] = [
    `# PREPcast site include: written by prep-receiver for ${opts.root.replace(/\n/g, " ")}; do not edit (rewritten on every cut switch).`,
    `# mode ${state.mode}${state.cut ? `, cut ${state.cut.id}, corte ${state.cut.manifest.corte}` : ""}`,
    `index index.html;`,
    // buffered (whole lines, flushed at least every second): `ingest-logs --follow` reads them as they land
    `access_log ${quoted(opts.accessLog, "site.nginx.accessLog")} combined buffer=64k flush=1s;`,
    `types {\n${[...byType].map(([type, exts]) => `  ${type} ${exts.join(" ")};`).join("\n")}\n}`,
    `default_type application/octet-stream;`,
    `charset utf-8;`,
    `charset_types ${textTypes.join(" ")};`,
    `gzip on;`,
    `gzip_vary on;`,
    `gzip_types ${gzipTypes.join(" ")};`,
    `error_page 404 ${PAGES}404.html;`,
    loc(`= /.well-known/prepcast.json`, [`alias ${quoted(join(pub, "prepcast.json"), "site.nginx.publicDir")};`, cors, ...common("no-cache")]),
    loc(`= /.well-known/prepcast/beacon`, [cors, `return 204;`]),
    loc(`= /.well-known/prepcast/banner.html`, [
      `alias ${quoted(join(pub, "well-known", "banner.html"), "site.nginx.publicDir")};`,
      cors,
      ...common("public, max-age=300", BANNER_CSP),
    ]),
    loc(`^~ ${PAGES}`, [`internal;`, `alias ${quoted(join(pub, "pages") + "/", "site.nginx.publicDir")};`, ...common("no-store")]),
  ];
  for (const name of ["keyset.json", "keyset.sig", "manifest.json", "manifest.sig", "root.json", "root.sig"]) {
    const file = state.mode === "live" || state.mode === "notice" ? join(state.cut!.dir, "prepcast", name) : null;
    // root.json / root.sig come only with a cut whose OPLE holds a root set (as the agent's own server: 404 otherwise)
    const signed = !file
      ? [`return 503;`]
      : name.startsWith("root.") && !existsSync(file)
        ? [cors, `return 404;`]
        : [`alias ${quoted(file, "cut directory")};`, cors, ...common("no-cache")];
    out.push(loc(`= /.well-known/prepcast/${name}`, signed));
  }
  out.push(
    loc(`^~ /.well-known/prepcast/`, [
      `alias ${quoted(join(pub, "well-known") + "/", "site.nginx.publicDir")};`,
      cors,
      ...common("public, max-age=300", ownPageCsp(fa)),
    ]),
  );
  if (state.mode === "live") {
    out.push(`root ${quoted(join(state.cut!.dir, "site"), "cut directory")};`);
    // regular expressions in quotes (a brace would end the location); the first match wins, in
    // cacheControlFor's order: data directories and extensions, no extension, hashed names
    out.push(loc(`~* "^/(${CACHE_RULES.dataDirs.join("|")})/"`, common(SHORT_CACHE)));
    out.push(loc(`~* "\\.(${CACHE_RULES.dataExtensions.join("|")})$"`, common(SHORT_CACHE)));
    out.push(loc(`~ "/\\.?[^/.]*$"`, common(SHORT_CACHE))); // no extension (and directory indexes)
    out.push(loc(`~* "${CACHE_RULES.hashedName}"`, common(IMMUTABLE_CACHE)));
    out.push(loc(`/`, common(ASSET_CACHE)));
  } else if (state.mode === "notice") {
    // HTML navigations get the notice as a page (200), everything else 503 with it: no results
    out.push(`root ${quoted(join(state.cut!.dir, "site"), "cut directory")};`);
    out.push(`error_page 503 ${PAGES}notice.html;`);
    out.push(loc(`~* "(\\.html?|/)$"`, [`rewrite ^ ${PAGES}notice.html last;`]));
    out.push(loc(`/`, [`return 503;`]));
  } else {
    out.push(`error_page 503 ${PAGES}unavailable.html;`);
    out.push(loc(`/`, [`return 503;`]));
  }
  return `${out.join("\n")}\n`;
}

/** Writes a file by temp + rename (nginx never reads half of it). */
export function writeFileAtomicSync(file: string, data: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${randomBytes(6).toString("hex")}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** prepcast.json and the pages of `state`; with `assets`, also the banner and verifier files (constant). */
export function writeNginxPublicFiles(opts: NginxSiteOptions, state: NginxSiteState, assets: boolean): void {
  const pub = opts.publicDir;
  writeFileAtomicSync(join(pub, "prepcast.json"), JSON.stringify(state.status));
  if (state.mode === "embargo") writeFileAtomicSync(join(pub, "pages", "unavailable.html"), embargoPage(state.cut!.notBeforeMs));
  if (state.mode === "no-cut") writeFileAtomicSync(join(pub, "pages", "unavailable.html"), noCutPage());
  if (state.notice) writeFileAtomicSync(join(pub, "pages", "notice.html"), noticePage(state.notice.title, state.notice.text, state.notice.issuedAtMs));
  if (!assets) return;
  writeFileAtomicSync(join(pub, "pages", "404.html"), notFoundPage());
  // the same files the agent's own server serves under /.well-known/prepcast/ (server/browser-assets.ts)
  const files = browserAssets();
  for (const name of ["banner.js", "banner.html", "verify.html", "sha256.js", "verify.js", "verify-form.js", "nacl.js"])
    writeFileAtomicSync(join(pub, "well-known", name), files.get(name)!.body);
}
