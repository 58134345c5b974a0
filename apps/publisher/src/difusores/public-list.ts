import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { writeFileAtomic } from "@prepcast/protocol";
import { checkSvgLogo } from "./svg-logo";

export interface DifusorListEntry {
  id: string;
  name: string;
  publicUrl: string | null;
  logo: string | null;
  /** False while suspended or until a probe confirms a reinstated site. */
  linkEnabled: boolean;
  /** The cut the difusor's public site served at the last check (ISO), if known. */
  corte: string | null;
}

export interface PublicListInput {
  title: string;
  process: string;
  channel: string;
  generatedAt: Date;
  latest: { sequence: number; corte: string } | null;
  difusores: DifusorListEntry[];
}

export interface PublicListResult {
  dir: string;
  html: string;
  json: string;
  /** Logos that were refused (the difusor is listed by name), with the reason. */
  logoErrors: Array<{ id: string; file: string; code: string; message: string }>;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const pad = (n: number) => String(n).padStart(2, "0");

/** "dd/mm/aaaa hh:mm" in central Mexico time (fixed UTC-6 since 2022). */
export function formatCorteMx(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return "sin dato";
  const d = new Date(ms - 6 * 3600_000);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

function safeHttpUrl(u: string | null): string | null {
  if (!u) return null;
  try {
    const url = new URL(u);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Writes the OPLE's "Difusores oficiales" page into `dir`: index.html (static, no script),
 * difusores.json, and each accepted logo under logos/<content hash>.svg, referenced only by
 * `<img src>`. A suspended difusor keeps its place but loses its link ("Enlace deshabilitado").
 * With `strictLogos` a bad logo is an error (the `difusores` command); otherwise the difusor is
 * listed by name and the problem is returned (the running service must not stop for a logo).
 */
export async function writePublicList(dir: string, input: PublicListInput, opts: { strictLogos?: boolean } = {}): Promise<PublicListResult> {
  await fsp.mkdir(path.join(dir, "logos"), { recursive: true });
  const logoErrors: PublicListResult["logoErrors"] = [];
  const rows: Array<DifusorListEntry & { logoSrc: string | null; url: string | null }> = [];
  for (const d of input.difusores) {
    let logoSrc: string | null = null;
    if (d.logo) {
      try {
        const logo = checkSvgLogo(d.logo);
        const out = path.join(dir, "logos", logo.name);
        await fsp.access(out).catch(() => writeFileAtomic(out, logo.bytes, 0o644));
        logoSrc = `logos/${logo.name}`;
      } catch (e) {
        if (opts.strictLogos) throw e;
        const err = e as { code?: string; message: string };
        logoErrors.push({ id: d.id, file: d.logo, code: err.code ?? "LOGO_INVALID", message: err.message });
      }
    }
    rows.push({ ...d, logoSrc, url: d.linkEnabled ? safeHttpUrl(d.publicUrl) : null });
  }
  const corteText = (iso: string | null) => (iso ? `Corte: ${formatCorteMx(iso)} (UTC-6)` : "Corte: sin dato");
  const drill = input.channel === "simulacro";
  const json = {
    format: "prepcast/difusores@1",
    title: input.title,
    process: input.process,
    channel: input.channel,
    simulacro: drill,
    generatedAt: input.generatedAt.toISOString(),
    latest: input.latest ? { sequence: input.latest.sequence, corte: input.latest.corte, corteLocal: `${formatCorteMx(input.latest.corte)} (UTC-6)` } : null,
    difusores: rows.map((r) => ({
      id: r.id,
      name: r.name,
      url: r.url,
      enabled: r.url !== null,
      logo: r.logoSrc,
      corte: r.corte,
      corteLocal: r.corte ? `${formatCorteMx(r.corte)} (UTC-6)` : null,
    })),
  };
  const items = rows
    .map((r) => {
      const img = r.logoSrc ? `<img src="${esc(r.logoSrc)}" alt="" width="160" height="80" loading="lazy" decoding="async">` : "";
      const body = `${img}<span class="nombre">${esc(r.name)}</span><span class="corte">${esc(corteText(r.corte))}</span>`;
      return r.url
        ? `<li class="difusor" id="d-${esc(r.id)}"><a href="${esc(r.url)}" rel="noopener noreferrer" target="_blank">${body}</a></li>`
        : `<li class="difusor deshabilitado" id="d-${esc(r.id)}" aria-disabled="true">${body}<span class="etiqueta">Enlace deshabilitado</span></li>`;
    })
    .join("\n");
  const html = `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<title>${drill ? "SIMULACRO · " : ""}${esc(input.title)}</title>
<style>body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f5f5;color:#222}
header{background:#4a1d6a;color:#fff;padding:1rem 2rem}h1{margin:0;font-size:1.5rem}
.simulacro{background:#e63946;color:#fff;font-weight:700;padding:.4rem 2rem}
ul{list-style:none;display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:1rem;padding:2rem;margin:0}
li{background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
li a,li.deshabilitado{display:flex;flex-direction:column;align-items:center;gap:.4rem;padding:1rem;color:inherit;text-decoration:none}
img{max-width:160px;max-height:80px;object-fit:contain}.nombre{font-weight:600;text-align:center}.corte{font-size:.9rem;color:#555}
.deshabilitado{opacity:.75}.deshabilitado img{filter:grayscale(1)}
.etiqueta{background:#6b7280;color:#fff;border-radius:1rem;padding:.1rem .7rem;font-size:.85rem}
footer{padding:0 2rem 2rem;color:#555;font-size:.9rem}</style></head>
<body>${drill ? '\n<div class="simulacro">SIMULACRO · lista de prueba</div>' : ""}
<header><h1>${esc(input.title)}</h1><p>${esc(input.process)} · Último corte: ${input.latest ? esc(`${formatCorteMx(input.latest.corte)} (UTC-6)`) : "sin cortes publicados"}</p></header>
<ul>
${items}
</ul>
<footer>Actualizado: ${esc(formatCorteMx(input.generatedAt.toISOString()))} (UTC-6). Los sitios con el enlace deshabilitado no reciben resultados del OPLE.</footer>
</body></html>
`;
  const htmlFile = path.join(dir, "index.html");
  const jsonFile = path.join(dir, "difusores.json");
  // the page first, then the JSON: a reader that sees the new JSON also finds the new page
  await writeFileAtomic(htmlFile, html, 0o644);
  await writeFileAtomic(jsonFile, JSON.stringify(json, null, 2) + "\n", 0o644);
  return { dir, html: htmlFile, json: jsonFile, logoErrors };
}
