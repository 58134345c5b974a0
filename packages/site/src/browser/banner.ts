/* PREPcast banner: <script src="https://SITIO/.well-known/prepcast/banner.js" async></script>
   Optional attributes: data-target="id-of-element" (where to put it), data-beacon="no" (no time-on-page beacon). */
// Browser script (tsconfig.browser.json, served as dist/browser/banner.js): ES5 syntax on purpose,
// so it runs in any browser that embeds it (test/browser-scripts.test.ts parses the output as ES5).
(function () {
  interface PrepcastStatus {
    status?: string;
    notBefore?: string;
    corte?: string;
    final?: boolean;
    publicationEnded?: boolean;
    publishUntil?: string;
    stale?: boolean;
    staleSeconds?: number;
    simulacro?: boolean;
  }
  var script = document.currentScript;
  var src = script && (script as HTMLScriptElement).src ? (script as HTMLScriptElement).src : location.href;
  var statusUrl = new URL("/.well-known/prepcast.json", src).href;
  var beaconUrl = new URL("/.well-known/prepcast/beacon", src).href;
  var box = document.createElement("div");
  box.id = "prepcast-banner";
  box.setAttribute("role", "status");
  box.setAttribute("aria-live", "polite");
  var s = box.style;
  s.fontFamily = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
  s.fontSize = "15px";
  s.padding = "6px 12px";
  s.background = "#1d3557";
  s.color = "#fff";
  s.textAlign = "center";
  var text = document.createElement("span");
  text.className = "prepcast-corte";
  text.textContent = "Corte: consultando\u2026";
  box.appendChild(text);
  var drill = document.createElement("strong");
  drill.className = "prepcast-simulacro";
  drill.textContent = "SIMULACRO";
  drill.style.marginLeft = "10px";
  drill.style.padding = "1px 6px";
  drill.style.background = "#e63946";
  drill.style.display = "none";
  box.appendChild(drill);
  function pad(n: number): string {
    return (n < 10 ? "0" : "") + n;
  }
  function fmt(iso: string | undefined): string {
    var ms = Date.parse(iso as string);
    if (isNaN(ms)) return "?";
    var d = new Date(ms - 6 * 3600000);
    return pad(d.getUTCDate()) + "/" + pad(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear() + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }
  function age(sec: number): string {
    if (sec < 3600) return Math.floor(sec / 60) + " min";
    if (sec < 172800) return Math.floor(sec / 3600) + " h";
    return Math.floor(sec / 86400) + " d\u00edas";
  }
  function render(st: PrepcastStatus): void {
    if (st.status === "embargo") {
      text.textContent = "Resultados disponibles a partir de " + fmt(st.notBefore) + " (UTC-6)";
    } else if (st.corte) {
      var t = (st.final ? "Corte final: " : "Corte: ") + fmt(st.corte) + " (UTC-6)";
      if (st.final) t += st.publicationEnded ? " \u00b7 publicaci\u00f3n concluida" : " \u00b7 en l\u00ednea hasta " + fmt(st.publishUntil) + " (UTC-6)";
      else if (st.stale) t += " \u00b7 sin actualizar desde hace " + age(st.staleSeconds as number);
      if (st.status === "suspended") t += " \u00b7 publicaci\u00f3n suspendida";
      text.textContent = t;
    } else {
      text.textContent = "Corte: sin resultados publicados";
    }
    drill.style.display = st.simulacro ? "inline" : "none";
    box.setAttribute("data-status", st.status || "");
    box.setAttribute("data-final", st.final ? "true" : "false");
  }
  function refresh(): void {
    fetch(statusUrl, { cache: "no-store" })
      .then(function (r) {
        return r.json() as Promise<PrepcastStatus>;
      })
      .then(render, function () {
        text.textContent = "Corte: sin conexi\u00f3n con el sitio de resultados";
      });
  }
  function mount(): void {
    var targetId = script && script.getAttribute("data-target");
    var target = targetId ? document.getElementById(targetId) : null;
    if (target) target.appendChild(box);
    else document.body.insertBefore(box, document.body.firstChild);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
  refresh();
  setInterval(refresh, 60000);
  if (!(script && script.getAttribute("data-beacon") === "no") && navigator.sendBeacon) {
    var shownAt = Date.now();
    addEventListener("pagehide", function () {
      var body = JSON.stringify({ path: location.pathname, ms: Date.now() - shownAt });
      navigator.sendBeacon(beaconUrl, new Blob([body], { type: "text/plain" }));
    });
  }
})();
