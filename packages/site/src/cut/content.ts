// Content types and cache policy are decided from the manifest path only (never sniffed), so the
// same file always gets the same headers on every difusor.

/** Extension → Content-Type (the nginx include writes the same table as a `types {}` block). */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  zip: "application/zip",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  ico: "image/x-icon",
  webp: "image/webp",
  woff2: "font/woff2",
  woff: "font/woff",
  ttf: "font/ttf",
  txt: "text/plain; charset=utf-8",
  sha256: "text/plain; charset=utf-8",
  md: "text/plain; charset=utf-8",
  xml: "application/xml",
  pdf: "application/pdf",
  map: "application/json; charset=utf-8",
};

export const COMPRESSIBLE_EXTENSIONS: ReadonlySet<string> = new Set([
  "html",
  "htm",
  "js",
  "mjs",
  "css",
  "json",
  "csv",
  "svg",
  "txt",
  "sha256",
  "md",
  "xml",
  "map",
  "ico",
  "ttf",
]);

export function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot + 1).toLowerCase();
}

export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extensionOf(path)] ?? "application/octet-stream";
}

export function isCompressible(path: string): boolean {
  return COMPRESSIBLE_EXTENSIONS.has(extensionOf(path));
}

export function isHtmlPath(path: string): boolean {
  const ext = extensionOf(path);
  return ext === "html" || ext === "htm";
}

/** Results data changes every cut (15 min): short and revalidated. */
export const SHORT_CACHE = "public, max-age=30, must-revalidate";
/** Static assets whose name carries a content hash never change under the same URL. */
export const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";
/** Other static assets (logos, fonts, scripts without a hash in the name). */
export const ASSET_CACHE = "public, max-age=600";

/**
 * The cache rules as data (cacheControlFor applies them; the nginx include writes them as
 * locations): data directories and data extensions (and no extension) short, hashed names immutable,
 * everything else ASSET_CACHE. Case-insensitive.
 */
export const CACHE_RULES = {
  dataDirs: ["data", "datos"],
  dataExtensions: ["html", "htm", "json", "csv", "zip", "sha256", "txt", "xml", "md", "pdf"],
  hashedName: "[.-][0-9a-f]{8,}\\.[a-z0-9]+$",
} as const;
const DATA_EXT = new Set<string>([...CACHE_RULES.dataExtensions, ""]);
const DATA_DIR = new RegExp(`^(${CACHE_RULES.dataDirs.join("|")})/`, "i");
const HASHED_NAME = new RegExp(CACHE_RULES.hashedName, "i");

export function cacheControlFor(path: string): string {
  if (DATA_DIR.test(path) || DATA_EXT.has(extensionOf(path))) return SHORT_CACHE;
  if (HASHED_NAME.test(path)) return IMMUTABLE_CACHE;
  return ASSET_CACHE;
}
