/* PREPcast operator dashboard (see dashboard/page.ts): live state over /api/events, actions over /api/receivers/<id>/<action>. */
// Browser script (tsconfig.browser.json, served as /dashboard.js from dist/browser/dashboard.js).
// The server passes it one value, the session's CSRF token, in <meta name="csrf-token">.
(function () {
  interface Probe {
    verdict: string;
    code: number | string;
    at: string;
    message: string;
  }
  interface Monitor {
    suspended?: boolean;
    reinstating?: boolean;
    publicUrl?: string | null;
    probe?: Probe | null;
    failingSince?: string | null;
    failedPeriods?: number;
    linkEnabled?: boolean;
  }
  interface Receiver {
    id: string;
    name: string;
    address: string;
    state: string;
    monitor: Monitor | null;
    lagCuts: number | null;
    lagMinutes: number | null;
    live: { sequence: number; since: string | null } | null;
    lastReceipt: { sequence: number; state: string; activatedAt?: string | null; receivedAt?: string | null } | null;
    hello: {
      clockSkewMs: number;
      freeDiskBytes: number | null;
      agentVersion: string;
      doctor?: { failed: boolean; failedChecks: string[]; warnings: number; checkedAt: string } | null;
    } | null;
    clockSkewWarning: boolean;
    lastError: { code: string } | null;
    transferErrors: number;
  }
  interface Overview {
    publisher: string;
    process: string;
    channel: string;
    simulacro: boolean;
    generatedAt: string;
    suspendAfterPeriods: number;
    latest: { sequence: number; corte: string; final: boolean; publishUntil: string | null } | null;
    publication?: { ended: boolean } | null;
    keyset?: {
      version: number;
      expires: string;
      daysLeft: number;
      expired: boolean;
      expiringSoon: boolean;
      root?: { version: number; threshold: number; keyIds: string[] | null };
      reloadProblem: { code: string } | null;
    } | null;
    receivers: Receiver[];
    incidents: Array<{ at: string; receiver: string | null; severity: string; message: string }>;
    timeline: Array<{ at: string; kind: string; text: string }>;
  }
  type Estado = [cls: string, icon: string, label: string];

  const csrf = (document.querySelector('meta[name="csrf-token"]') as HTMLMetaElement).getAttribute("content") as string;
  let last: Overview | null = null;
  function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string | null, text?: unknown): HTMLElementTagNameMap[K] {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  const byId = function <T extends HTMLElement = HTMLElement>(id: string): T {
    return document.getElementById(id) as T;
  };
  const pad = function (n: number): string {
    return (n < 10 ? "0" : "") + n;
  };
  function mx(iso: string | null | undefined): string {
    if (!iso) return "—";
    const ms = Date.parse(iso);
    if (isNaN(ms)) return "—";
    const d = new Date(ms - 6 * 3600000);
    return (
      pad(d.getUTCDate()) +
      "/" +
      pad(d.getUTCMonth() + 1) +
      "/" +
      d.getUTCFullYear() +
      " " +
      pad(d.getUTCHours()) +
      ":" +
      pad(d.getUTCMinutes()) +
      ":" +
      pad(d.getUTCSeconds())
    );
  }
  function bytes(n: number | null | undefined): string {
    if (n === null || n === undefined) return "—";
    const u = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) {
      n /= 1024;
      i++;
    }
    return n.toFixed(i ? 1 : 0) + " " + u[i];
  }
  function estado(r: Receiver): Estado {
    const m: Monitor = r.monitor || {};
    if (m.suspended) return ["suspendido", "\u2298", "Suspendido"];
    if (m.reinstating) return ["reinstalando", "\u21BB", "Reinstalado, verificando"];
    if (r.state === "transferring") return ["transfiriendo", "\u21C5", "Transfiriendo"];
    if (r.state !== "connected") return ["desconectado", "\u2716", "Sin conexión"];
    if (m.probe && m.probe.verdict !== "ok") return ["falla", "\u26A0", "Sitio con falla"];
    if (r.lagCuts !== null && r.lagCuts > 0) return ["atrasado", "\u26A0", "Atrasado"];
    return ["ok", "\u2714", "Al día"];
  }
  const SONDA: Record<string, [string, string]> = {
    ok: ["sonda-ok", "\u2714 Sirve el último corte"],
    stale: ["sonda-mal", "\u26A0 Corte atrasado"],
    notice: ["sonda-grave", "\u2298 Muestra el aviso"],
    wrong: ["sonda-grave", "\u2716 Contenido distinto"],
    down: ["sonda-grave", "\u2716 Sin respuesta"],
  };
  function sonda(r: Receiver, o: Overview): HTMLTableCellElement {
    const td = el("td"),
      m: Monitor = r.monitor || {};
    if (!m.publicUrl) {
      td.appendChild(el("span", "tenue", "— sin URL pública"));
      return td;
    }
    if (!m.probe) {
      td.appendChild(el("span", "tenue", "\u2026 sin verificar"));
      return td;
    }
    const s = SONDA[m.probe.verdict] || ["sonda-mal", m.probe.verdict];
    td.appendChild(el("div", s[0], s[1]));
    td.appendChild(el("div", "tenue", m.probe.code + " · " + mx(m.probe.at)));
    if (m.failingSince && !m.suspended) td.appendChild(el("div", "advertencia", "Periodos fallidos: " + m.failedPeriods + " de " + o.suspendAfterPeriods));
    if (!m.linkEnabled) td.appendChild(el("div", "tenue", "Enlace deshabilitado en la lista pública"));
    td.title = m.probe.message;
    return td;
  }
  function boton(text: string, cls: string, action: string, id: string, disabled?: boolean): HTMLButtonElement {
    const b = el("button", cls, text);
    b.type = "button";
    b.setAttribute("data-action", action);
    b.setAttribute("data-id", id);
    b.disabled = !!disabled;
    return b;
  }
  function render(o: Overview): void {
    last = o;
    const resumen = byId("resumen");
    resumen.textContent =
      o.publisher +
      " · " +
      o.process +
      "/" +
      o.channel +
      " · Último corte: " +
      (o.latest
        ? "#" +
          o.latest.sequence +
          " (" +
          mx(o.latest.corte) +
          " UTC-6)" +
          (o.latest.final
            ? " · CORTE FINAL, en línea hasta " +
              mx(o.latest.publishUntil) +
              " UTC-6" +
              (o.publication && o.publication.ended ? " · publicación concluida: la regla de 45 minutos ya no se aplica" : "")
            : "")
        : "ninguno") +
      (o.keyset
        ? " · Llaves: versión " +
          o.keyset.version +
          (o.keyset.root
            ? o.keyset.root.keyIds
              ? ", raíz versión " + o.keyset.root.version + " (" + o.keyset.root.threshold + " de " + o.keyset.root.keyIds.length + ")"
              : ", raíz root.pub"
            : "")
        : "") +
      " · Actualizado " +
      mx(o.generatedAt);
    const llaves = byId("llaves"),
      ks = o.keyset,
      avisos: string[] = [];
    if (ks && ks.expired)
      avisos.push(
        "\u26A0 El conjunto de llaves de firma (versión " +
          ks.version +
          ") VENCIÓ el " +
          mx(ks.expires) +
          " UTC-6: los difusores rechazan los cortes. Renuévelo con la llave raíz (prep-publisher keys renew).",
      );
    else if (ks && ks.expiringSoon)
      avisos.push(
        "\u26A0 El conjunto de llaves de firma (versión " +
          ks.version +
          ") vence en " +
          ks.daysLeft +
          " día(s), el " +
          mx(ks.expires) +
          " UTC-6. Renuévelo con la llave raíz (prep-publisher keys renew).",
      );
    if (ks && ks.reloadProblem)
      avisos.push(
        "\u26A0 Las llaves nuevas del directorio no se cargaron (" + ks.reloadProblem.code + "): se sigue firmando con la versión " + ks.version + ".",
      );
    llaves.textContent = avisos.join(" ");
    llaves.hidden = avisos.length === 0;
    const tbody = document.querySelector("#difusores tbody") as HTMLTableSectionElement;
    tbody.textContent = "";
    o.receivers.forEach(function (r) {
      const tr = el("tr");
      tr.id = "fila-" + r.id;
      const st = estado(r);
      tr.setAttribute("data-estado", st[0]);
      const c1 = el("td");
      c1.appendChild(el("strong", null, r.name));
      c1.appendChild(el("div", "tenue", r.id + " · " + r.address));
      tr.appendChild(c1);
      const c2 = el("td");
      const chip = el("span", "estado e-" + st[0]);
      chip.appendChild(el("span", null, st[1]));
      chip.appendChild(el("span", "texto-estado", st[2]));
      c2.appendChild(chip);
      tr.appendChild(c2);
      const c3 = el("td");
      c3.className = "corte";
      if (r.live) {
        c3.appendChild(el("strong", null, "#" + r.live.sequence));
        c3.appendChild(el("div", "tenue", r.live.since ? "desde " + mx(r.live.since) : ""));
      } else c3.textContent = "—";
      tr.appendChild(c3);
      tr.appendChild(
        el("td", r.lagCuts !== null && r.lagCuts > 0 ? "advertencia" : null, r.lagCuts === null ? "—" : r.lagCuts + " cortes · " + r.lagMinutes + " min"),
      );
      tr.appendChild(sonda(r, o));
      tr.appendChild(
        el(
          "td",
          null,
          r.lastReceipt
            ? "#" +
                r.lastReceipt.sequence +
                " " +
                (r.lastReceipt.state === "active" ? "en línea" : "en espera") +
                " · " +
                mx(r.lastReceipt.activatedAt || r.lastReceipt.receivedAt)
            : "—",
        ),
      );
      const skew = r.hello ? (r.hello.clockSkewMs / 1000).toFixed(1) + " s" : "—";
      tr.appendChild(el("td", r.clockSkewWarning ? "advertencia" : null, r.clockSkewWarning ? "\u26A0 " + skew + " (revise NTP)" : skew));
      tr.appendChild(el("td", null, r.hello ? bytes(r.hello.freeDiskBytes) : "—"));
      const ver = el("td", null, r.hello ? r.hello.agentVersion : "—");
      const doc = r.hello && r.hello.doctor;
      if (doc)
        ver.appendChild(
          el(
            "div",
            doc.failed ? "advertencia" : "tenue",
            doc.failed
              ? "\u2716 preflight: " + doc.failedChecks.join(", ")
              : "\u2714 preflight" + (doc.warnings ? " (" + doc.warnings + " avisos)" : "") + " · " + mx(doc.checkedAt),
          ),
        );
      tr.appendChild(ver);
      tr.appendChild(el("td", r.lastError ? "advertencia" : null, r.transferErrors + (r.lastError ? " · " + r.lastError.code : "")));
      const acc = el("td");
      const sus = !!(r.monitor && r.monitor.suspended);
      acc.appendChild(boton("Reenviar corte", "", "push", r.id, sus));
      acc.appendChild(sus ? boton("Reinstalar", "exito", "reinstate", r.id) : boton("Suspender", "peligro", "suspend", r.id));
      acc.appendChild(boton("Aviso de prueba", "secundario", "notice", r.id));
      tr.appendChild(acc);
      tbody.appendChild(tr);
    });
    const inc = byId("incidentes");
    inc.textContent = "";
    if (!o.incidents.length) inc.appendChild(el("li", null, "Sin incidentes."));
    o.incidents.forEach(function (i) {
      const li = el("li", "sev-" + i.severity);
      li.appendChild(el("time", null, mx(i.at)));
      li.appendChild(el("strong", null, i.receiver ? i.receiver + ": " : ""));
      li.appendChild(document.createTextNode(i.message));
      inc.appendChild(li);
    });
    const tl = byId("cronologia");
    tl.textContent = "";
    if (!o.timeline.length) tl.appendChild(el("li", null, "Sin cortes todavía."));
    o.timeline.forEach(function (t) {
      const li = el("li", "t-" + t.kind);
      li.appendChild(el("time", null, mx(t.at)));
      li.appendChild(document.createTextNode(t.text));
      tl.appendChild(li);
    });
  }
  const conexion = byId("conexion");
  function conectado(ok: boolean): void {
    conexion.textContent = ok ? "\u25CF En vivo" : "\u25CB Reconectando\u2026";
    conexion.className = "conexion " + (ok ? "conectado" : "desconectado");
  }
  const es = new EventSource("/api/events");
  es.addEventListener("overview", function (e) {
    conectado(true);
    render(JSON.parse((e as MessageEvent<string>).data) as Overview);
  });
  es.onopen = function () {
    conectado(true);
  };
  es.onerror = function () {
    conectado(false);
  };
  const aviso = byId("aviso");
  function post(id: string, action: string, body: unknown): Promise<unknown> {
    return fetch("/api/receivers/" + encodeURIComponent(id) + "/" + action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (j: { code?: string; message?: string }) {
        if (!r.ok) throw new Error((j.code || r.status) + ": " + (j.message || "error"));
        return j;
      });
    });
  }
  const dialogo = byId<HTMLDialogElement>("dialogo");
  const TEXTOS: Record<string, [title: string, text: string, label: string]> = {
    suspend: [
      "Suspender difusor",
      "Se dejan de enviar resultados, el sitio mostrará el aviso del OPLE y su enlace se deshabilita en la lista pública.",
      "Motivo (queda en la bitácora)",
    ],
    reinstate: [
      "Reinstalar difusor",
      "Se retira el aviso, se envía el último corte y el enlace vuelve cuando la verificación lo confirme.",
      "Qué se corrigió (queda en la bitácora)",
    ],
    notice: ["Enviar aviso de prueba", "El difusor lo verá sólo en su página de estado local; el sitio público no cambia.", "Texto del aviso"],
  };
  function confirmar(action: string, id: string): void {
    if (action === "push") {
      post(id, "push", {}).then(
        function () {
          aviso.textContent = "Último corte reenviado a " + id + ".";
        },
        function (e: Error) {
          aviso.textContent = "Error: " + e.message;
        },
      );
      return;
    }
    const t = TEXTOS[action];
    if (!t) return;
    byId("dialogo-titulo").textContent = t[0] + ": " + id;
    byId("dialogo-texto").textContent = t[1];
    byId("dialogo-etiqueta").textContent = t[2];
    const motivo = byId<HTMLTextAreaElement>("dialogo-motivo");
    motivo.value = "";
    dialogo.returnValue = "";
    dialogo.onclose = function () {
      if (dialogo.returnValue !== "confirmar") return;
      const texto = motivo.value.trim();
      if (!texto && action !== "notice") {
        aviso.textContent = "Indique el motivo.";
        return;
      }
      const body = action === "notice" ? { text: texto } : { reason: texto };
      post(id, action, body).then(
        function () {
          aviso.textContent = t[0] + " (" + id + "): hecho.";
        },
        function (e: Error) {
          aviso.textContent = "Error: " + e.message;
        },
      );
    };
    dialogo.showModal();
    motivo.focus();
  }
  byId("difusores").addEventListener("click", function (e) {
    const b = (e.target as Element).closest("button[data-action]") as HTMLButtonElement | null;
    if (b && !b.disabled) confirmar(b.getAttribute("data-action") as string, b.getAttribute("data-id") as string);
  });
  setInterval(function () {
    if (last) {
      /* keep relative freshness visible even between events */ document.title =
        (last.simulacro ? "SIMULACRO · " : "") + "PREPcast · " + (last.latest ? "#" + last.latest.sequence : "sin cortes");
    }
  }, 5000);
})();
