/** The receiver's small local status page (admin listener only): live cut, last transfer, incidents. */
const esc = (s: unknown): string => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function statusPage(status: Record<string, unknown>): string {
  const live = status.live as { sequence: number; corte: string; channel: string; files: number; bytes: number; committedAt: string } | null;
  const staged = status.staged as { sequence: number; notBefore: string } | null;
  const last = status.lastTransfer as { at: string; sequence: number; bytes: number; durationMs: number } | null;
  const incidents = (status.incidents as Array<{ at: string; kind: string; code?: string; message: string }>) ?? [];
  const peerIncidents = (status.peerIncidents as Array<{ at: string; kind: string; code?: string; message: string }> | undefined) ?? [];
  const stale = Boolean(status.stale);
  type ShownNotice = { kind: string; channel: string; issuedAt: string; receivedAt: string; text: string };
  const notice = (status.notice as { active: ShownNotice | null; lastTest: ShownNotice | null } | null) ?? { active: null, lastTest: null };
  const channels = (status.channels as string[] | undefined) ?? [];
  const drill = live?.channel === "simulacro" || (!live && channels.length === 1 && channels[0] === "simulacro");
  const final = status.final as { sequence: number; publishUntil: string; publicationEnded: boolean } | null | undefined;
  const state = notice.active
    ? ["⊘ Suspendido por el OPLE", "#b91c1c"]
    : !live
      ? ["Sin corte publicado", "#6b7280"]
      : final
        ? [
            final.publicationEnded ? `✔ Corte final · publicación concluida (${final.publishUntil})` : `✔ Corte final · en línea hasta ${final.publishUntil}`,
            "#15803d",
          ]
        : stale
          ? ["⚠ Corte desactualizado", "#b45309"]
          : ["✔ Publicando", "#15803d"];
  return `<!doctype html><html lang="es"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>${drill ? "SIMULACRO · " : ""}PREPcast receptor ${esc(status.receiver)}</title>
<style>body{font:16px system-ui,sans-serif;margin:2rem;max-width:60rem;color:#111}h1{font-size:1.4rem}
.badge{display:inline-block;padding:.3rem .8rem;border-radius:1rem;color:#fff;font-weight:600}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}
.drill{background:#7c3aed;color:#fff;padding:.2rem .5rem;border-radius:.3rem}
.notice{border:3px solid #b91c1c;background:#fef2f2;padding:.8rem 1rem;border-radius:.4rem;margin:1rem 0}
.test{border:2px dashed #1d4ed8;background:#eff6ff;padding:.6rem 1rem;border-radius:.4rem;margin:1rem 0}</style></head><body>
${drill ? '<p class="drill" id="drill-marker">SIMULACRO · los datos de este corte son de prueba</p>' : ""}
<h1>PREPcast · receptor <code>${esc(status.receiver)}</code></h1>
<p><span class="badge" id="state" style="background:${state[1]}">${state[0]}</span>
${drill ? '<span class="drill">SIMULACRO</span>' : ""}</p>
${notice.active ? `<div class="notice" id="notice"><strong>Aviso de suspensión vigente</strong> (emitido ${esc(notice.active.issuedAt)}, recibido ${esc(notice.active.receivedAt)}). El sitio público muestra este texto en lugar de los resultados:<p>${esc(notice.active.text)}</p></div>` : ""}
${notice.lastTest ? `<div class="test" id="test-notice"><strong>Último aviso de prueba del OPLE</strong> (emitido ${esc(notice.lastTest.issuedAt)}, recibido ${esc(notice.lastTest.receivedAt)}): ${esc(notice.lastTest.text)}</div>` : ""}
<table>
<tr><th>Corte en línea</th><td>${live ? `#${esc(live.sequence)} · ${esc(live.corte)} · ${esc(live.files)} archivos · ${esc(live.bytes)} bytes` : "ninguno"}</td></tr>
<tr><th>Corte en espera (embargo)</th><td>${staged ? `#${esc(staged.sequence)} hasta ${esc(staged.notBefore)}` : "ninguno"}</td></tr>
<tr><th>Última transferencia</th><td>${last ? `#${esc(last.sequence)} · ${esc(last.bytes)} bytes en ${esc(last.durationMs)} ms · ${esc(last.at)}` : "ninguna"}</td></tr>
<tr><th>Publicadores conectados</th><td>${esc(status.connectedPublishers)}</td></tr>
<tr><th>Sitio público</th><td>${esc(status.site ?? "no iniciado")}</td></tr>
</table>
<h2>Incidentes</h2>
${
  incidents.length === 0
    ? "<p>Sin incidentes.</p>"
    : `<table><tr><th>Hora</th><th>Tipo</th><th>Código</th><th>Detalle</th></tr>${incidents
        .slice()
        .reverse()
        .map((i) => `<tr><td>${esc(i.at)}</td><td>${esc(i.kind)}</td><td>${esc(i.code ?? "")}</td><td>${esc(i.message)}</td></tr>`)
        .join("")}</table>`
}
<h2>Conexiones no autenticadas rechazadas</h2>
${
  peerIncidents.length === 0
    ? "<p>Ninguna.</p>"
    : `<p>Las más recientes (una ráfaga se resume en una línea por minuto; la métrica las cuenta todas).</p><table><tr><th>Hora</th><th>Tipo</th><th>Código</th><th>Detalle</th></tr>${peerIncidents
        .slice()
        .reverse()
        .map((i) => `<tr><td>${esc(i.at)}</td><td>${esc(i.kind)}</td><td>${esc(i.code ?? "")}</td><td>${esc(i.message)}</td></tr>`)
        .join("")}</table>`
}
</body></html>`;
}
