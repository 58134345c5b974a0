// The few pages the server itself writes (everything else is the OPLE's signed bytes). Spanish,
// neutral wording, no results: these are shown when the cut must not or cannot be shown.
import { formatMx } from "../time";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f5f5;color:#222}
main{max-width:40rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin-top:0}p{line-height:1.5}small{color:#666}</style></head>
<body><main>${body}</main></body></html>
`;
}

export function embargoPage(notBeforeMs: number): string {
  const when = formatMx(notBeforeMs);
  return page(
    "Resultados aún no disponibles",
    `<h1>Resultados disponibles a partir de ${escapeHtml(when)} (UTC-6)</h1>
<p>La publicación de los resultados preliminares comienza a la hora indicada. Esta página se actualizará entonces.</p>
<p><small>Programa de Resultados Electorales Preliminares (PREP).</small></p>`,
  );
}

export function noCutPage(): string {
  return page(
    "Sin resultados publicados",
    `<h1>Sin resultados publicados</h1>
<p>Este sitio aún no ha recibido un corte de resultados preliminares. Intente más tarde.</p>`,
  );
}

export function noticePage(title: string, text: string, issuedAtMs: number | undefined): string {
  const paragraphs = text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`)
    .join("\n");
  const issued = issuedAtMs === undefined ? "" : `<p><small>Aviso emitido: ${escapeHtml(formatMx(issuedAtMs))} (UTC-6)</small></p>`;
  return page(title, `<h1>${escapeHtml(title)}</h1>\n${paragraphs}\n${issued}`);
}

export function notFoundPage(): string {
  return page(
    "No encontrado",
    `<h1>Página no encontrada</h1><p>La dirección solicitada no forma parte de la publicación vigente.</p><p><a href="/">Ir al inicio</a></p>`,
  );
}

export function errorPage(): string {
  return page("Error", `<h1>Error temporal</h1><p>No fue posible entregar este contenido. Intente nuevamente en unos segundos.</p>`);
}
