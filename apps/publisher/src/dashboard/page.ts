// The operator dashboard: one static page, one script, one stylesheet, all served by the admin
// listener itself (CSP default-src 'self', no CDN, no inline script). The script is
// src/browser/dashboard.ts (compiled into dist/browser/dashboard.js, read by routes.ts at startup);
// its one value from the server, the CSRF token, travels in <meta name="csrf-token">. Spanish, dark background,
// large colored states with an icon and a word each, so it reads at a glance at 3 a.m.

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function shell(title: string, body: string, head = ""): string {
  return `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>${head}
<link rel="stylesheet" href="/dashboard.css"></head>
<body>${body}</body></html>
`;
}

export function loginHtml(message: string | null): string {
  return shell(
    "PREPcast · Acceso al panel",
    `<main class="login"><h1>PREPcast · Panel de operación</h1>
<form method="post" action="/login">
<label for="secreto">Contraseña o token de operación</label>
<input id="secreto" name="secreto" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Entrar</button>
${message ? `<p class="error" role="alert">${esc(message)}</p>` : ""}
</form></main>`,
  );
}

export function lockedHtml(): string {
  return shell(
    "PREPcast · Panel bloqueado",
    `<main class="login"><h1>Panel bloqueado</h1><p>El panel necesita una credencial. Configure <code>admin.tokenFile</code> (un token de al menos 16 caracteres)
o <code>admin.passwordFile</code> (creado con <code>prep-publisher admin-password --out FILE</code>) y reinicie el servicio.</p></main>`,
  );
}

export function dashboardHtml(csrf: string, simulacro: boolean): string {
  return shell(
    `${simulacro ? "SIMULACRO · " : ""}PREPcast · Panel de operación`,
    `${simulacro ? '<div class="simulacro" id="simulacro">SIMULACRO · canal de prueba</div>' : ""}
<header><div><h1>PREPcast · Panel de operación</h1><p id="resumen">Conectando…</p><p id="llaves" class="advertencia" hidden></p></div>
<div class="cabecera-acciones"><span id="conexion" class="conexion">…</span>
<form method="post" action="/logout" id="salir"><button type="submit" class="secundario">Salir</button></form></div></header>
<main>
<section aria-labelledby="t-difusores"><h2 id="t-difusores">Difusores</h2>
<div class="tabla"><table id="difusores"><thead><tr>
<th>Difusor</th><th>Estado</th><th>Corte en línea</th><th>Retraso</th><th>Sitio público</th><th>Último recibo</th><th>Reloj</th><th>Disco libre</th><th>Versión</th><th>Errores</th><th>Acciones</th>
</tr></thead><tbody></tbody></table></div></section>
<div class="columnas">
<section aria-labelledby="t-incidentes"><h2 id="t-incidentes">Incidentes</h2><ol id="incidentes" class="lista"></ol></section>
<section aria-labelledby="t-cronologia"><h2 id="t-cronologia">Cronología de cortes y recibos</h2><ol id="cronologia" class="lista"></ol></section>
</div>
<p id="aviso" role="status" aria-live="polite"></p>
</main>
<dialog id="dialogo"><form id="dialogo-form" method="dialog">
<h2 id="dialogo-titulo"></h2><p id="dialogo-texto"></p>
<label for="dialogo-motivo" id="dialogo-etiqueta">Motivo</label>
<textarea id="dialogo-motivo" rows="3" maxlength="1000"></textarea>
<div class="botones"><button value="cancelar" type="submit" class="secundario" id="dialogo-cancelar">Cancelar</button>
<button value="confirmar" type="submit" id="dialogo-confirmar">Confirmar</button></div>
</form></dialog>
<script src="/dashboard.js" defer></script>`,
    `\n<meta name="csrf-token" content="${esc(csrf)}">`,
  );
}

export const DASHBOARD_CSS = `:root{color-scheme:dark;--fondo:#0f172a;--panel:#1e293b;--linea:#334155;--texto:#f1f5f9;--tenue:#94a3b8;
--ok:#16a34a;--alerta:#d97706;--falla:#dc2626;--info:#2563eb;--gris:#64748b}
*{box-sizing:border-box}body{margin:0;background:var(--fondo);color:var(--texto);font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;justify-content:space-between;align-items:center;padding:.8rem 1.5rem;background:var(--panel);border-bottom:1px solid var(--linea)}
h1{font-size:1.35rem;margin:0}h2{font-size:1.1rem;margin:1.2rem 0 .5rem}#resumen{margin:.2rem 0 0;color:var(--tenue);font-size:1.05rem}
main{padding:0 1.5rem 2rem}.tabla{overflow-x:auto}table{border-collapse:collapse;width:100%;background:var(--panel);border-radius:8px}
th,td{padding:.55rem .6rem;border-bottom:1px solid var(--linea);text-align:left;vertical-align:top}th{color:var(--tenue);font-weight:600;font-size:.9rem}
.estado{display:inline-flex;gap:.4rem;align-items:center;padding:.3rem .75rem;border-radius:999px;font-weight:700;white-space:nowrap;color:#fff}
.e-ok{background:var(--ok)}.e-atrasado,.e-falla{background:var(--alerta)}.e-suspendido,.e-desconectado{background:var(--falla)}.e-transfiriendo,.e-reinstalando{background:var(--info)}
.sonda-ok{color:#4ade80}.sonda-mal{color:#fbbf24}.sonda-grave{color:#f87171}.tenue{color:var(--tenue);font-size:.9rem}
.advertencia{color:#fbbf24;font-weight:700}
button{font:inherit;border:0;border-radius:6px;padding:.35rem .7rem;margin:.1rem;cursor:pointer;background:#3b82f6;color:#fff}
button.peligro{background:var(--falla)}button.exito{background:var(--ok)}button.secundario{background:var(--gris)}
button:disabled{opacity:.4;cursor:not-allowed}
.columnas{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem}@media (max-width:900px){.columnas{grid-template-columns:1fr}}
.lista{list-style:none;margin:0;padding:0;max-height:24rem;overflow:auto;background:var(--panel);border-radius:8px}
.lista li{padding:.4rem .7rem;border-bottom:1px solid var(--linea)}.lista time{color:var(--tenue);margin-right:.5rem;font-variant-numeric:tabular-nums}
.sev-critical{border-left:6px solid var(--falla)}.sev-warning{border-left:6px solid var(--alerta)}.sev-info{border-left:6px solid var(--info)}
.simulacro{background:#7c3aed;color:#fff;font-weight:800;text-align:center;padding:.4rem;letter-spacing:.05em}
.conexion{padding:.25rem .7rem;border-radius:999px;font-weight:700;margin-right:.6rem}.conectado{background:var(--ok)}.desconectado{background:var(--falla)}
.cabecera-acciones{display:flex;align-items:center}#salir{margin:0}
#aviso{min-height:1.5rem;font-weight:600}
dialog{background:var(--panel);color:var(--texto);border:1px solid var(--linea);border-radius:10px;max-width:34rem;width:90%}
dialog textarea{width:100%;font:inherit;background:var(--fondo);color:var(--texto);border:1px solid var(--linea);border-radius:6px;padding:.4rem}
.botones{display:flex;justify-content:flex-end;margin-top:.6rem}
.login{max-width:26rem;margin:12vh auto;background:var(--panel);padding:2rem;border-radius:10px}
.login input{display:block;width:100%;font:inherit;padding:.5rem;margin:.4rem 0 1rem;border-radius:6px;border:1px solid var(--linea);background:var(--fondo);color:var(--texto)}
.error{color:#f87171;font-weight:700}
`;
