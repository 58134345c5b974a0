// The operator dashboard: one static page, one script, one stylesheet, all served by the admin
// listener itself (CSP default-src 'self', no CDN, no inline script). Spanish, dark background,
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

export const DASHBOARD_JS = `"use strict";
(function () {
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var last = null;
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined && text !== null) e.textContent = String(text); return e; }
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  function mx(iso) {
    if (!iso) return "—";
    var ms = Date.parse(iso); if (isNaN(ms)) return "—";
    var d = new Date(ms - 6 * 3600000);
    return pad(d.getUTCDate()) + "/" + pad(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear() + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }
  function bytes(n) { if (n === null || n === undefined) return "—"; var u = ["B", "KB", "MB", "GB", "TB"], i = 0; while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; } return n.toFixed(i ? 1 : 0) + " " + u[i]; }
  function estado(r) {
    var m = r.monitor || {};
    if (m.suspended) return ["suspendido", "\\u2298", "Suspendido"];
    if (m.reinstating) return ["reinstalando", "\\u21BB", "Reinstalado, verificando"];
    if (r.state === "transferring") return ["transfiriendo", "\\u21C5", "Transfiriendo"];
    if (r.state !== "connected") return ["desconectado", "\\u2716", "Sin conexión"];
    if (m.probe && m.probe.verdict !== "ok") return ["falla", "\\u26A0", "Sitio con falla"];
    if (r.lagCuts > 0) return ["atrasado", "\\u26A0", "Atrasado"];
    return ["ok", "\\u2714", "Al día"];
  }
  var SONDA = { ok: ["sonda-ok", "\\u2714 Sirve el último corte"], stale: ["sonda-mal", "\\u26A0 Corte atrasado"], notice: ["sonda-grave", "\\u2298 Muestra el aviso"], wrong: ["sonda-grave", "\\u2716 Contenido distinto"], down: ["sonda-grave", "\\u2716 Sin respuesta"] };
  function sonda(r, o) {
    var td = el("td"), m = r.monitor || {};
    if (!m.publicUrl) { td.appendChild(el("span", "tenue", "— sin URL pública")); return td; }
    if (!m.probe) { td.appendChild(el("span", "tenue", "\\u2026 sin verificar")); return td; }
    var s = SONDA[m.probe.verdict] || ["sonda-mal", m.probe.verdict];
    td.appendChild(el("div", s[0], s[1]));
    td.appendChild(el("div", "tenue", m.probe.code + " · " + mx(m.probe.at)));
    if (m.failingSince && !m.suspended) td.appendChild(el("div", "advertencia", "Periodos fallidos: " + m.failedPeriods + " de " + o.suspendAfterPeriods));
    if (!m.linkEnabled) td.appendChild(el("div", "tenue", "Enlace deshabilitado en la lista pública"));
    td.title = m.probe.message;
    return td;
  }
  function boton(text, cls, action, id, disabled) {
    var b = el("button", cls, text); b.type = "button"; b.setAttribute("data-action", action); b.setAttribute("data-id", id); b.disabled = !!disabled; return b;
  }
  function render(o) {
    last = o;
    var resumen = document.getElementById("resumen");
    resumen.textContent = o.publisher + " · " + o.process + "/" + o.channel + " · Último corte: " + (o.latest ? "#" + o.latest.sequence + " (" + mx(o.latest.corte) + " UTC-6)" + (o.latest.final ? " · CORTE FINAL, en línea hasta " + mx(o.latest.publishUntil) + " UTC-6" + (o.publication && o.publication.ended ? " · publicación concluida: la regla de 45 minutos ya no se aplica" : "") : "") : "ninguno") + " · Actualizado " + mx(o.generatedAt);
    var llaves = document.getElementById("llaves"), ks = o.keyset, avisos = [];
    if (ks && ks.expired) avisos.push("\\u26A0 El conjunto de llaves de firma (versión " + ks.version + ") VENCIÓ el " + mx(ks.expires) + " UTC-6: los difusores rechazan los cortes. Renuévelo con la llave raíz (prep-publisher keys renew).");
    else if (ks && ks.expiringSoon) avisos.push("\\u26A0 El conjunto de llaves de firma (versión " + ks.version + ") vence en " + ks.daysLeft + " día(s), el " + mx(ks.expires) + " UTC-6. Renuévelo con la llave raíz (prep-publisher keys renew).");
    if (ks && ks.reloadProblem) avisos.push("\\u26A0 Las llaves nuevas del directorio no se cargaron (" + ks.reloadProblem.code + "): se sigue firmando con la versión " + ks.version + ".");
    llaves.textContent = avisos.join(" ");
    llaves.hidden = avisos.length === 0;
    var tbody = document.querySelector("#difusores tbody");
    tbody.textContent = "";
    o.receivers.forEach(function (r) {
      var tr = el("tr"); tr.id = "fila-" + r.id; var st = estado(r); tr.setAttribute("data-estado", st[0]);
      var c1 = el("td"); c1.appendChild(el("strong", null, r.name)); c1.appendChild(el("div", "tenue", r.id + " · " + r.address)); tr.appendChild(c1);
      var c2 = el("td"); var chip = el("span", "estado e-" + st[0]); chip.appendChild(el("span", null, st[1])); chip.appendChild(el("span", "texto-estado", st[2])); c2.appendChild(chip); tr.appendChild(c2);
      var c3 = el("td"); c3.className = "corte";
      if (r.live) { c3.appendChild(el("strong", null, "#" + r.live.sequence)); c3.appendChild(el("div", "tenue", r.live.since ? "desde " + mx(r.live.since) : "")); } else c3.textContent = "—";
      tr.appendChild(c3);
      tr.appendChild(el("td", r.lagCuts > 0 ? "advertencia" : null, r.lagCuts === null ? "—" : r.lagCuts + " cortes · " + r.lagMinutes + " min"));
      tr.appendChild(sonda(r, o));
      tr.appendChild(el("td", null, r.lastReceipt ? "#" + r.lastReceipt.sequence + " " + (r.lastReceipt.state === "active" ? "en línea" : "en espera") + " · " + mx(r.lastReceipt.activatedAt || r.lastReceipt.receivedAt) : "—"));
      var skew = r.hello ? (r.hello.clockSkewMs / 1000).toFixed(1) + " s" : "—";
      tr.appendChild(el("td", r.clockSkewWarning ? "advertencia" : null, r.clockSkewWarning ? "\\u26A0 " + skew + " (revise NTP)" : skew));
      tr.appendChild(el("td", null, r.hello ? bytes(r.hello.freeDiskBytes) : "—"));
      var ver = el("td", null, r.hello ? r.hello.agentVersion : "—");
      var doc = r.hello && r.hello.doctor;
      if (doc) ver.appendChild(el("div", doc.failed ? "advertencia" : "tenue", doc.failed ? "\\u2716 preflight: " + doc.failedChecks.join(", ") : "\\u2714 preflight" + (doc.warnings ? " (" + doc.warnings + " avisos)" : "") + " · " + mx(doc.checkedAt)));
      tr.appendChild(ver);
      tr.appendChild(el("td", r.lastError ? "advertencia" : null, r.transferErrors + (r.lastError ? " · " + r.lastError.code : "")));
      var acc = el("td"); var sus = !!(r.monitor && r.monitor.suspended);
      acc.appendChild(boton("Reenviar corte", "", "push", r.id, sus));
      acc.appendChild(sus ? boton("Reinstalar", "exito", "reinstate", r.id) : boton("Suspender", "peligro", "suspend", r.id));
      acc.appendChild(boton("Aviso de prueba", "secundario", "notice", r.id));
      tr.appendChild(acc);
      tbody.appendChild(tr);
    });
    var inc = document.getElementById("incidentes"); inc.textContent = "";
    if (!o.incidents.length) inc.appendChild(el("li", null, "Sin incidentes."));
    o.incidents.forEach(function (i) { var li = el("li", "sev-" + i.severity); li.appendChild(el("time", null, mx(i.at))); li.appendChild(el("strong", null, (i.receiver ? i.receiver + ": " : ""))); li.appendChild(document.createTextNode(i.message)); inc.appendChild(li); });
    var tl = document.getElementById("cronologia"); tl.textContent = "";
    if (!o.timeline.length) tl.appendChild(el("li", null, "Sin cortes todavía."));
    o.timeline.forEach(function (t) { var li = el("li", "t-" + t.kind); li.appendChild(el("time", null, mx(t.at))); li.appendChild(document.createTextNode(t.text)); tl.appendChild(li); });
  }
  var conexion = document.getElementById("conexion");
  function conectado(ok) { conexion.textContent = ok ? "\\u25CF En vivo" : "\\u25CB Reconectando\\u2026"; conexion.className = "conexion " + (ok ? "conectado" : "desconectado"); }
  var es = new EventSource("/api/events");
  es.addEventListener("overview", function (e) { conectado(true); render(JSON.parse(e.data)); });
  es.onopen = function () { conectado(true); };
  es.onerror = function () { conectado(false); };
  var aviso = document.getElementById("aviso");
  function post(id, action, body) {
    return fetch("/api/receivers/" + encodeURIComponent(id) + "/" + action, { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error((j.code || r.status) + ": " + (j.message || "error")); return j; }); });
  }
  var dialogo = document.getElementById("dialogo");
  var TEXTOS = {
    suspend: ["Suspender difusor", "Se dejan de enviar resultados, el sitio mostrará el aviso del OPLE y su enlace se deshabilita en la lista pública.", "Motivo (queda en la bitácora)"],
    reinstate: ["Reinstalar difusor", "Se retira el aviso, se envía el último corte y el enlace vuelve cuando la verificación lo confirme.", "Qué se corrigió (queda en la bitácora)"],
    notice: ["Enviar aviso de prueba", "El difusor lo verá sólo en su página de estado local; el sitio público no cambia.", "Texto del aviso"],
  };
  function confirmar(action, id) {
    if (action === "push") { post(id, "push", {}).then(function () { aviso.textContent = "Último corte reenviado a " + id + "."; }, function (e) { aviso.textContent = "Error: " + e.message; }); return; }
    var t = TEXTOS[action];
    document.getElementById("dialogo-titulo").textContent = t[0] + ": " + id;
    document.getElementById("dialogo-texto").textContent = t[1];
    document.getElementById("dialogo-etiqueta").textContent = t[2];
    var motivo = document.getElementById("dialogo-motivo"); motivo.value = "";
    dialogo.returnValue = "";
    dialogo.onclose = function () {
      if (dialogo.returnValue !== "confirmar") return;
      var texto = motivo.value.trim();
      if (!texto && action !== "notice") { aviso.textContent = "Indique el motivo."; return; }
      var body = action === "notice" ? { text: texto } : { reason: texto };
      post(id, action, body).then(function () { aviso.textContent = t[0] + " (" + id + "): hecho."; }, function (e) { aviso.textContent = "Error: " + e.message; });
    };
    dialogo.showModal();
    motivo.focus();
  }
  document.getElementById("difusores").addEventListener("click", function (e) {
    var b = e.target.closest("button[data-action]");
    if (b && !b.disabled) confirmar(b.getAttribute("data-action"), b.getAttribute("data-id"));
  });
  setInterval(function () { if (last) { /* keep relative freshness visible even between events */ document.title = (last.simulacro ? "SIMULACRO · " : "") + "PREPcast · " + (last.latest ? "#" + last.latest.sequence : "sin cortes"); } }, 5000);
})();
`;
