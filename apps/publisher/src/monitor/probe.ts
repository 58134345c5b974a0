import { createHash } from "node:crypto";
import { peerText, type Manifest } from "@prepcast/protocol";

/** What the probe expects the public site to serve: the latest cut that is already public. */
export interface ProbeExpectation {
  process: string;
  channel: string;
  sequence: number;
  manifestSha256: string;
  corte: string;
  files: Manifest["files"];
  /** the latest cut is the OPLE's final one: serving it is up to date until publishUntil */
  final?: { publishUntil: string };
}

/**
 * Verdicts, from best to worst: `ok` (the latest cut, and the sampled file matches), `stale`
 * (an older cut), `notice` (a suspension notice in place of results), `wrong` (another cut,
 * process or channel, or a file whose bytes differ), `down` (unreachable, timeout, HTTP error,
 * not a PREPcast status document).
 */
export type ProbeVerdict = "ok" | "stale" | "notice" | "wrong" | "down";

export interface ProbeResult {
  url: string;
  at: string;
  durationMs: number;
  verdict: ProbeVerdict;
  /** Stable reason code (e.g. STALE_CUT, HTTP_STATUS, FILE_MISMATCH) and a message in Spanish for the operator. */
  code: string;
  message: string;
  httpStatus: number | null;
  served: {
    status: string | null;
    process: string | null;
    channel: string | null;
    simulacro: boolean;
    sequence: number | null;
    manifestSha256: string | null;
    corte: string | null;
  } | null;
  expected: { sequence: number; manifestSha256: string } | null;
  file: { path: string; ok: boolean; sha256: string | null; httpStatus: number | null } | null;
}

export interface ProbeOptions {
  timeoutMs: number;
  maxFileBytes: number;
  /** Picks the data file to check (default: a random one of the files under the size limit). */
  pickFile?: (files: Manifest["files"]) => Manifest["files"][number] | undefined;
  now?: () => number;
}

const MAX_STATUS_BYTES = 64 * 1024;

/** Random choice among files small enough to fetch, preferring data files (what citizens query). */
export function defaultPickFile(maxBytes: number): (files: Manifest["files"]) => Manifest["files"][number] | undefined {
  return (files) => {
    const small = files.filter((f) => f.size <= maxBytes);
    const data = small.filter((f) => f.path.startsWith("data/"));
    const pool = data.length > 0 ? data : small;
    return pool.length === 0 ? undefined : pool[Math.floor(Math.random() * pool.length)];
  };
}

/** `<publicUrl>/<rel>` whatever the trailing slash of the registered URL. */
export function publicUrlFor(publicUrl: string, rel: string): string {
  const base = publicUrl.endsWith("/") ? publicUrl : `${publicUrl}/`;
  return new URL(rel.split("/").map(encodeURIComponent).join("/"), base).href;
}

async function readLimited(res: Response, limit: number): Promise<Buffer | null> {
  if (!res.body) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    parts.push(Buffer.from(value));
  }
  return Buffer.concat(parts);
}

/** Redirects the probe follows: within the difusor's own site only (same host; http → https allowed). */
export const MAX_PROBE_REDIRECTS = 3;

class RedirectRefused extends Error {}

/**
 * GET with redirects followed by hand, and only to the publicUrl's own host (same port, or http →
 * https): a difusor must not be able to point the OPLE's probe at internal addresses
 * (169.254.169.254, localhost admin ports, the OPLE's intranet) with a Location header.
 */
async function probeFetch(url: string, publicUrl: string, init: RequestInit): Promise<Response> {
  const home = new URL(publicUrl);
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await fetch(current, { ...init, redirect: "manual" });
    if (res.status < 300 || res.status > 399 || res.status === 304) return res;
    await res.body?.cancel().catch(() => undefined);
    const location = res.headers.get("location");
    let next: URL;
    try {
      next = new URL(location ?? "", current);
    } catch {
      throw new RedirectRefused(`redirección HTTP ${res.status} con Location inválido`);
    }
    const sameSite =
      next.hostname === home.hostname && (next.protocol === home.protocol ? next.port === home.port : home.protocol === "http:" && next.protocol === "https:");
    if (!sameSite)
      throw new RedirectRefused(
        `el sitio redirige fuera de ${home.origin} (a ${peerText(next.origin, 80)}); el sondeo no sigue redirecciones a otros sitios: corrija publicUrl`,
      );
    if (hop >= MAX_PROBE_REDIRECTS) throw new RedirectRefused(`más de ${MAX_PROBE_REDIRECTS} redirecciones`);
    current = next.href;
  }
}

/**
 * Looks at a difusor's public site the way a citizen does (plain HTTP(S) GET, redirects followed
 * within the difusor's own site only,
 * certificates checked): reads `/.well-known/prepcast.json`, compares it with the expected cut,
 * then downloads one file of that cut and checks its SHA-256 against the manifest. A receiver
 * that holds the cut but whose proxy or CDN serves something else fails here, as it should.
 */
export async function probeDifusor(publicUrl: string, expected: ProbeExpectation | null, opts: ProbeOptions): Promise<ProbeResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const statusUrl = publicUrlFor(publicUrl, ".well-known/prepcast.json");
  const result = (verdict: ProbeVerdict, code: string, message: string, extra: Partial<ProbeResult> = {}): ProbeResult => ({
    url: statusUrl,
    at: new Date(started).toISOString(),
    durationMs: Math.max(0, now() - started),
    verdict,
    code,
    message,
    httpStatus: null,
    served: null,
    expected: expected ? { sequence: expected.sequence, manifestSha256: expected.manifestSha256 } : null,
    file: null,
    ...extra,
  });
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let res: Response;
  try {
    res = await probeFetch(statusUrl, publicUrl, { signal, headers: { "user-agent": "PREPcast-probe/1 (OPLE)", accept: "application/json" } });
  } catch (e) {
    if (e instanceof RedirectRefused) return result("down", "REDIRECT_REFUSED", e.message);
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const timedOut = err.name === "TimeoutError" || err.name === "AbortError";
    return result(
      "down",
      timedOut ? "TIMEOUT" : "UNREACHABLE",
      timedOut ? `sin respuesta en ${opts.timeoutMs} ms` : `no se puede conectar con el sitio: ${err.cause?.code ?? err.cause?.message ?? err.message}`,
    );
  }
  let body: Buffer | null;
  try {
    body = await readLimited(res, MAX_STATUS_BYTES);
  } catch (e) {
    return result("down", "TIMEOUT", `documento de estado incompleto: ${(e as Error).message}`, { httpStatus: res.status });
  }
  if (res.status !== 200) return result("down", "HTTP_STATUS", `GET ${statusUrl} respondió HTTP ${res.status}`, { httpStatus: res.status });
  if (body === null) return result("down", "BAD_STATUS_DOC", `documento de estado mayor de ${MAX_STATUS_BYTES} bytes`, { httpStatus: res.status });
  let doc: Record<string, unknown>;
  try {
    const v = JSON.parse(body.toString("utf8")) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    doc = v as Record<string, unknown>;
  } catch {
    return result(
      "down",
      "BAD_STATUS_DOC",
      "el sitio no sirve el documento de estado de PREPcast (/.well-known/prepcast.json no es JSON): ¿proxy o sitio virtual equivocado?",
      { httpStatus: res.status },
    );
  }
  // the difusor's document: its strings are bounded before they reach incidents, logs and the audit
  const str = (k: string) => (typeof doc[k] === "string" ? peerText(doc[k], 96) : null);
  const served: NonNullable<ProbeResult["served"]> = {
    status: str("status"),
    process: str("process"),
    channel: str("channel"),
    simulacro: doc.simulacro === true,
    sequence: typeof doc.sequence === "number" ? doc.sequence : null,
    manifestSha256: str("manifestSha256"),
    corte: str("corte"),
  };
  const base = { httpStatus: res.status, served };
  if (!expected)
    return result(served.status === "suspended" ? "notice" : "ok", "NO_CUT_YET", "aún no hay cortes publicados: sólo se verificó que el sitio responde", base);
  if (served.status === "suspended") return result("notice", "NOTICE_SHOWN", "el sitio muestra el aviso de suspensión en lugar de resultados", base);
  if (served.status === "no-cut") return result("stale", "NO_CUT", "el sitio no tiene ningún corte en línea", base);
  if (served.status === "embargo") return result("stale", "EMBARGO", "el sitio muestra la página de embargo", base);
  if (served.process !== expected.process || served.channel !== expected.channel) {
    return result(
      "wrong",
      "WRONG_CHANNEL",
      `el sitio sirve ${served.process ?? "?"}/${served.channel ?? "?"}, se esperaba ${expected.process}/${expected.channel}`,
      base,
    );
  }
  if (served.sequence === null || served.sequence < expected.sequence) {
    return result("stale", "STALE_CUT", `el sitio sirve el corte ${served.sequence ?? "?"}, el más reciente es el ${expected.sequence}`, base);
  }
  if (served.sequence !== expected.sequence || served.manifestSha256 !== expected.manifestSha256) {
    return result(
      "wrong",
      "WRONG_CUT",
      `el sitio sirve el corte ${served.sequence} con manifiesto ${String(served.manifestSha256).slice(0, 12)}, se esperaba ${expected.sequence} / ${expected.manifestSha256.slice(0, 12)}`,
      base,
    );
  }
  const file = (opts.pickFile ?? defaultPickFile(opts.maxFileBytes))(expected.files);
  const what = expected.final ? `el corte final ${expected.sequence} (en línea hasta ${expected.final.publishUntil})` : `el corte ${expected.sequence}`;
  if (!file) return result("ok", "OK", `sirve ${what} (ningún archivo pequeño para muestrear)`, base);
  const fileUrl = publicUrlFor(publicUrl, file.path);
  let fres: Response;
  try {
    fres = await probeFetch(fileUrl, publicUrl, { signal, headers: { "user-agent": "PREPcast-probe/1 (OPLE)", "accept-encoding": "identity" } });
  } catch (e) {
    if (e instanceof RedirectRefused)
      return result("down", "REDIRECT_REFUSED", `${file.path}: ${e.message}`, {
        ...base,
        file: { path: file.path, ok: false, sha256: null, httpStatus: null },
      });
    const timedOut = (e as Error).name === "TimeoutError" || (e as Error).name === "AbortError";
    return result("down", timedOut ? "TIMEOUT" : "UNREACHABLE", `${file.path}: ${timedOut ? `sin respuesta en ${opts.timeoutMs} ms` : (e as Error).message}`, {
      ...base,
      file: { path: file.path, ok: false, sha256: null, httpStatus: null },
    });
  }
  let bytes: Buffer | null;
  try {
    bytes = fres.status === 200 ? await readLimited(fres, file.size) : (await fres.body?.cancel().catch(() => undefined), Buffer.alloc(0));
  } catch (e) {
    return result("down", "TIMEOUT", `${file.path}: lectura incompleta (${(e as Error).message})`, {
      ...base,
      file: { path: file.path, ok: false, sha256: null, httpStatus: fres.status },
    });
  }
  if (fres.status !== 200)
    return result("down", "FILE_HTTP_STATUS", `GET ${file.path} respondió HTTP ${fres.status}`, {
      ...base,
      file: { path: file.path, ok: false, sha256: null, httpStatus: fres.status },
    });
  const sha256 = bytes === null ? null : createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== file.sha256) {
    return result(
      "wrong",
      "FILE_MISMATCH",
      `${file.path} servido por el sitio ${bytes === null ? "es más grande que en el manifiesto" : `tiene SHA-256 ${sha256!.slice(0, 12)}…, el manifiesto dice ${file.sha256.slice(0, 12)}…`}`,
      { ...base, file: { path: file.path, ok: false, sha256, httpStatus: fres.status } },
    );
  }
  return result("ok", "OK", `sirve ${what}; ${file.path} coincide con el manifiesto`, {
    ...base,
    file: { path: file.path, ok: true, sha256, httpStatus: fres.status },
  });
}
