// verify-site: proves (or disproves) that a difusor's public site serves exactly what the OPLE
// signed. Fetches the signed documents from /.well-known/prepcast/, verifies them against the pinned
// root key with the protocol's verification order, then fetches every listed file (or a random
// sample) and compares size and SHA-256 with the manifest.
import { createHash, randomInt } from "node:crypto";
import { PrepcastError, readTrustedRoot, verifySignedCut, type Manifest, type RootOfTrust } from "@prepcast/protocol";

export interface VerifySiteOptions {
  /** Base URL of the difusor's public site, e.g. https://prep.uv.mx/ */
  url: string;
  /** The OPLE's root public key: a root.pub file path or the 32 raw bytes. */
  trust: string | RootOfTrust;
  /** Check only N files chosen at random (default: every file). */
  sample?: number;
  /** Parallel downloads (default 8). */
  concurrency?: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  now?: Date;
  /** Called after each file is checked (progress). */
  onFile?: (result: FileCheck) => void;
}

export interface FileCheck {
  path: string;
  ok: boolean;
  /** "hash" | "size" | "status" | "network" | "cut-changed" when not ok */
  problem?: string;
  detail?: string;
}

export interface VerifySiteResult {
  ok: boolean;
  url: string;
  process: string;
  channel: string;
  sequence: number;
  corte: string;
  manifestSha256: string;
  totalFiles: number;
  checked: number;
  differing: FileCheck[];
}

const MAX_SIGNED_DOC = 64 * 1024 * 1024;

async function fetchBytes(url: string, timeoutMs: number, maxBytes: number): Promise<{ status: number; bytes: Buffer; corte: string | null }> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { "Accept-Encoding": "identity", "User-Agent": "prep-receiver verify-site" },
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new PrepcastError("UNAVAILABLE", `cannot fetch ${url}: ${(e as Error).cause ? String((e as Error).cause) : (e as Error).message}`, {
      where: url,
      cause: e,
      hint: "check the URL and that the site is reachable from here",
    });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > maxBytes) {
        await res.body.cancel().catch(() => {});
        return { status: res.status, bytes: Buffer.concat([...chunks, Buffer.from(chunk)]).subarray(0, maxBytes + 1), corte: res.headers.get("x-prep-corte") };
      }
      chunks.push(Buffer.from(chunk));
    }
  }
  return { status: res.status, bytes: Buffer.concat(chunks), corte: res.headers.get("x-prep-corte") };
}

function fileUrl(base: string, path: string): string {
  return new URL(path.split("/").map(encodeURIComponent).join("/"), base).href;
}

function pickSample<T>(items: T[], n: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

export async function verifySite(opts: VerifySiteOptions): Promise<VerifySiteResult> {
  const base = opts.url.endsWith("/") ? opts.url : `${opts.url}/`;
  try {
    const u = new URL(base);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
  } catch {
    throw new PrepcastError("CONFIG_INVALID", `"${opts.url}" is not an http(s) URL`, {
      where: "URL",
      hint: "example: prep-receiver verify-site https://prep.difusor.mx/ --trust root.pub",
    });
  }
  const rootPublicKey = typeof opts.trust === "string" ? readTrustedRoot(opts.trust, "--trust") : opts.trust;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  // A cut switch between fetching the manifest and the files is not tampering: start over (twice at most).
  for (let attempt = 0; ; attempt++) {
    const docs = await Promise.all(
      ["keyset.json", "keyset.sig", "manifest.json", "manifest.sig"].map(async (name) => {
        const url = new URL(`.well-known/prepcast/${name}`, base).href;
        const r = await fetchBytes(url, timeoutMs, MAX_SIGNED_DOC);
        if (r.status !== 200)
          throw new PrepcastError("UNAVAILABLE", `${url} answered HTTP ${r.status}`, {
            where: url,
            hint:
              r.status === 503
                ? "the site is embargoed or has no cut yet"
                : "the site does not publish the PREPcast signed documents (is it a PREPcast receiver?)",
          });
        return r;
      }),
    );
    // the root document of a root set (404 when the OPLE signs with a single root.pub): a site
    // whose OPLE rotated its root is checked against the version the pinned one signed
    const rootDocs = await Promise.all(
      ["root.json", "root.sig"].map((name) => fetchBytes(new URL(`.well-known/prepcast/${name}`, base).href, timeoutMs, MAX_SIGNED_DOC)),
    );
    const root = rootDocs.every((r) => r.status === 200) ? { root: rootDocs[0]!.bytes, rootSig: rootDocs[1]!.bytes } : {};
    const verified = verifySignedCut(
      { ...root, keyset: docs[0]!.bytes, keysetSig: docs[1]!.bytes, manifest: docs[2]!.bytes, manifestSig: docs[3]!.bytes },
      { rootPublicKey, now: opts.now ?? new Date(), allowSameSequence: true },
    );
    const manifest: Manifest = verified.manifest;
    const files = opts.sample !== undefined && opts.sample < manifest.files.length ? pickSample(manifest.files, Math.max(0, opts.sample)) : manifest.files;
    const differing: FileCheck[] = [];
    let cutChanged = false;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length && !cutChanged) {
        const f = files[next++]!;
        let check: FileCheck;
        try {
          const r = await fetchBytes(fileUrl(base, f.path), timeoutMs, f.size);
          if (r.corte !== null && r.corte !== manifest.corte) {
            cutChanged = true;
            check = { path: f.path, ok: false, problem: "cut-changed", detail: `served from corte ${r.corte}, manifest is ${manifest.corte}` };
          } else if (r.status !== 200) check = { path: f.path, ok: false, problem: "status", detail: `HTTP ${r.status}` };
          else if (r.bytes.length !== f.size)
            check = {
              path: f.path,
              ok: false,
              problem: "size",
              detail: `${r.bytes.length > f.size ? "more than" : ""} ${r.bytes.length} bytes, signed ${f.size}`.trim(),
            };
          else {
            const got = createHash("sha256").update(r.bytes).digest("hex");
            check = got === f.sha256 ? { path: f.path, ok: true } : { path: f.path, ok: false, problem: "hash", detail: `sha256 ${got}, signed ${f.sha256}` };
          }
        } catch (e) {
          check = { path: f.path, ok: false, problem: "network", detail: (e as Error).message };
        }
        if (!check.ok && check.problem !== "cut-changed") differing.push(check);
        opts.onFile?.(check);
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, Math.max(1, files.length)) }, worker));
    if (cutChanged && attempt < 2) continue;
    if (cutChanged) differing.push({ path: "(todas)", ok: false, problem: "cut-changed", detail: "the site switched cuts during every attempt; try again" });
    return {
      ok: differing.length === 0,
      url: base,
      process: manifest.process,
      channel: manifest.channel,
      sequence: manifest.sequence,
      corte: manifest.corte,
      manifestSha256: verified.manifestSha256,
      totalFiles: manifest.files.length,
      checked: files.length,
      differing: differing.sort((a, b) => (a.path < b.path ? -1 : 1)),
    };
  }
}
