// HTTP semantics the server applies to every response: the Content-Security-Policy of the
// difusor's pages, of the server's own pages and of the banner; Range and If-None-Match parsing.

export const ALLOWED_METHODS = "GET, HEAD";

export function buildCsp(frameAncestors: string[]): string {
  // The OPLE's pages are served unmodified and may use inline scripts/styles, so those stay
  // allowed; everything else is same-origin only. X-Frame-Options is deliberately not sent: it
  // cannot express an allowlist and would conflict with frame-ancestors.
  return `default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors ${frameAncestors.join(" ")}`;
}

/** The CSP of the server's own HTML pages under /.well-known/prepcast/ (the verifier). */
export function ownPageCsp(frameAncestors: string[]): string {
  return `default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors ${frameAncestors.join(" ")}`;
}

/** The banner page may be framed by anyone. */
export const BANNER_CSP = `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; frame-ancestors *`;

export function parseRange(header: string, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined; // multiple or malformed ranges: ignored, the whole file is sent (RFC 9110 allows it)
  const [, a, b] = m;
  if (a === "" && b === "") return undefined;
  let start: number;
  let end: number;
  if (a === "") {
    const n = Number(b);
    if (n === 0) return "unsatisfiable";
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== "" && Number(b) < start) return undefined;
  }
  if (start >= size || size === 0) return "unsatisfiable";
  return { start, end };
}

export function etagMatches(header: string, etags: string[]): boolean {
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => {
    const tag = t.trim().replace(/^W\//, "");
    return etags.includes(tag);
  });
}
