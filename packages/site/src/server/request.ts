// Reading a request: its target (path decoded once, the query kept as sent), the manifest path a
// URL path names, the client address behind trusted proxies, and the few headers the fast path
// and the hit record need, read from rawHeaders in one pass.

export interface RequestTarget {
  /** The path as sent (before percent-decoding), at most the part before "?". */
  rawPath: string;
  /** "?..." as sent, or "". */
  query: string;
  /** The decoded path; "" when its percent-encoding is invalid. */
  path: string;
}

export function parseRequestTarget(rawUrl: string): RequestTarget {
  const q = rawUrl.indexOf("?");
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  let path: string;
  try {
    path = rawPath.includes("%") ? decodeURIComponent(rawPath) : rawPath;
  } catch {
    path = "";
  }
  return { rawPath, query: q === -1 ? "" : rawUrl.slice(q), path };
}

/** A path the server can look up: absolute, no NUL (anything else is answered 400). */
export function isValidPath(path: string): boolean {
  return path.startsWith("/") && !path.includes("\0");
}

/** The manifest path a URL path names: "/" and "x/" name their index.html. */
export function manifestPathOf(path: string): string {
  let rel = path.slice(1);
  if (rel === "" || rel.endsWith("/")) rel += "index.html";
  return rel;
}

/** The few request headers the fast path and the hit record need, read from rawHeaders in one pass. */
export interface FastHeaders {
  /** Range, If-Range or If-None-Match present: handled by the general path. */
  conditional: boolean;
  acceptEncoding: string | undefined;
  ua: string;
  referrer: string;
  dest: string;
  forwardedFor: string | undefined;
}

export function emptyFastHeaders(): FastHeaders {
  return { conditional: false, acceptEncoding: undefined, ua: "", referrer: "", dest: "", forwardedFor: undefined };
}

export function scanHeaders(raw: string[], out: FastHeaders): FastHeaders {
  out.conditional = false;
  out.acceptEncoding = undefined;
  out.ua = "";
  out.referrer = "";
  out.dest = "";
  out.forwardedFor = undefined;
  let uaSeen = false;
  let refSeen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Length first: most headers are skipped without lowercasing.
    switch (name.length) {
      case 5:
        if (name.toLowerCase() === "range") out.conditional = true;
        break;
      case 7:
        // Node keeps the first of duplicate User-Agent / Referer headers; so does this scan.
        if (!refSeen && name.toLowerCase() === "referer") {
          refSeen = true;
          out.referrer = raw[i + 1]!;
        }
        break;
      case 8:
        if (name.toLowerCase() === "if-range") out.conditional = true;
        break;
      case 10:
        if (!uaSeen && name.toLowerCase() === "user-agent") {
          uaSeen = true;
          out.ua = raw[i + 1]!;
        }
        break;
      case 13:
        if (name.toLowerCase() === "if-none-match") out.conditional = true;
        break;
      case 14:
        if (name.toLowerCase() === "sec-fetch-dest") out.dest = out.dest === "" ? raw[i + 1]! : `${out.dest}, ${raw[i + 1]!}`;
        break;
      case 15:
        if (name.toLowerCase() === "accept-encoding")
          out.acceptEncoding = out.acceptEncoding === undefined ? raw[i + 1]! : `${out.acceptEncoding}, ${raw[i + 1]!}`;
        else if (name.toLowerCase() === "x-forwarded-for")
          out.forwardedFor = out.forwardedFor === undefined ? raw[i + 1]! : `${out.forwardedFor}, ${raw[i + 1]!}`;
        break;
    }
  }
  return out;
}

/** The referrer as stored: its origin only (scheme and host, at most 256 characters), or "". */
export function referrerOrigin(referer: string | undefined): string {
  if (!referer) return "";
  const m = /^(https?:\/\/[^/?#\s]{1,240})/i.exec(referer);
  return m ? m[1]!.toLowerCase() : "";
}

/** X-Forwarded-For values, left to right (trimmed, empty entries dropped). */
export function forwardedFor(xff: string | string[] | undefined): string[] | undefined {
  if (xff === undefined) return undefined;
  const all = (Array.isArray(xff) ? xff.join(",") : xff)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return all.length ? all : undefined;
}

/**
 * The client address behind `hops` trusted proxies: the socket address is the nearest proxy; the
 * rightmost X-Forwarded-For entry was added by it, and so on. Entries to the left of the one the
 * outermost trusted proxy added were written by the client (spoofable) and are never used.
 */
export function pickClientIp(socketAddress: string, xff: string | string[] | undefined, hops: number): string {
  if (hops <= 0 || xff === undefined) return socketAddress;
  const list = forwardedFor(xff);
  if (!list || list.length === 0) return socketAddress;
  const entry = list[Math.max(0, list.length - hops)]!.trim();
  return entry.length > 0 && entry.length <= 64 && /^[0-9a-fA-F:.[\]]+$/.test(entry) ? entry : socketAddress;
}

/** `trustProxy` as a number of trusted hops: true = 1, N = N, anything else = 0. */
export function trustedHopsOf(trustProxy: boolean | number | undefined): number {
  return trustProxy === true ? 1 : typeof trustProxy === "number" ? Math.max(0, Math.floor(trustProxy)) : 0;
}
