/* PREPcast in-browser verifier: the page's form (see verify.html). */
// Browser script (tsconfig.browser.json, served as dist/browser/verify-form.js, after verify.js, whose
// global prepcastVerify does the checking): reads the root key and the page from the form or the
// URL, runs the checks and shows the result and every file's outcome.

(function () {
  const parseTrust = prepcastVerify.parseTrust,
    loadSigned = prepcastVerify.loadSigned,
    pathsOfPage = prepcastVerify.pathsOfPage,
    checkFiles = prepcastVerify.checkFiles;
  const $ = function <T extends HTMLElement = HTMLElement>(id: string): T {
    return document.getElementById(id) as T;
  };

  function run(all: boolean): void {
    const out = $("result"),
      table = $("files"),
      body = table.querySelector("tbody") as HTMLTableSectionElement;
    out.className = "";
    out.textContent = "Verificando…";
    body.textContent = "";
    table.hidden = false;
    const show = function (p: string, r: string): void {
      const tr = document.createElement("tr");
      const a = document.createElement("td");
      a.textContent = p;
      const b = document.createElement("td");
      b.textContent = r;
      tr.appendChild(a);
      tr.appendChild(b);
      body.appendChild(tr);
    };
    let signed: Signed;
    let trust: Promise<Root>;
    try {
      trust = parseTrust($<HTMLInputElement>("key").value);
    } catch (e) {
      trust = Promise.reject(e);
    }
    trust
      .then(
        function (pinned) {
          return loadSigned(pinned);
        },
        function (e: Error) {
          throw new Error("llave pública raíz inválida: " + e.message);
        },
      )
      .then(function (s) {
        signed = s;
        return all ? s.manifest.files : pathsOfPage(s.manifest, $<HTMLInputElement>("page").value || "/");
      })
      .then(function (files) {
        return checkFiles(files, signed.corte, show).then(function (bad) {
          return { files: files, bad: bad };
        });
      })
      .then(function (r) {
        const m = signed.manifest;
        const root = signed.root.single
          ? ""
          : " · raíz versión " + signed.root.version + " (" + signed.root.threshold + " de " + signed.root.keys.length + " llaves)";
        const head = "Corte " + m.corte + " · secuencia " + m.sequence + (m.channel === "simulacro" ? " · SIMULACRO" : "") + root + "\n";
        if (r.bad.length === 0) {
          out.className = "ok";
          out.textContent = head + "VERIFICADO: las firmas son válidas y los " + r.files.length + " archivos coinciden con lo firmado por el OPLE.";
        } else {
          out.className = "bad";
          out.textContent = head + "NO COINCIDE: " + r.bad.length + " de " + r.files.length + " archivos difieren de lo firmado: " + r.bad.join(", ");
        }
      })
      .catch(function (e: Error) {
        out.className = "bad";
        out.textContent = "FALLÓ la verificación: " + e.message;
      });
  }

  const params = new URLSearchParams(location.search.slice(1) || location.hash.slice(1));
  if (params.get("key")) $<HTMLInputElement>("key").value = params.get("key") as string;
  if (params.get("page")) $<HTMLInputElement>("page").value = params.get("page") as string;
  else if (document.referrer) {
    try {
      const r = new URL(document.referrer);
      if (r.origin === location.origin) $<HTMLInputElement>("page").value = r.pathname;
    } catch {
      /* no referrer */
    }
  }
  $("form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    run(false);
  });
  $("verify-all").addEventListener("click", function () {
    run(true);
  });
})();
