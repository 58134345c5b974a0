// The citizen's verifier: a static page that checks, inside the browser, that the files of the page
// being looked at are exactly the ones the OPLE signed. tweetnacl does the Ed25519 math; the strict
// checks of the protocol (S < L, canonical non-small-order points, domain-separated message) are
// repeated here so the browser accepts exactly what `verify-site` accepts.
import { readFileSync } from "node:fs";
import type { StaticAsset } from "../server/browser-assets";


export const VERIFY_HTML = `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Verificar la publicación PREP</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
input[type=text]{width:100%;font-family:monospace;padding:.4rem;box-sizing:border-box}
button{padding:.5rem 1rem;margin:.5rem .5rem 0 0;font-size:1rem}
#result{margin-top:1rem;padding:1rem;border-radius:6px;background:#f1f1f1;white-space:pre-wrap}
#result.ok{background:#e3f6e5;border:2px solid #2a9d3a}#result.bad{background:#fde2e2;border:2px solid #c0392b}
table{border-collapse:collapse;width:100%;margin-top:1rem;font-size:.9rem}td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left}
.why{background:#fff8e1;padding:.6rem 1rem;border-left:4px solid #f4a100}
</style></head><body>
<h1>Verificar que este sitio publica exactamente lo que firmó el OPLE</h1>
<p>Esta página descarga el manifiesto firmado del corte vigente (<code>/.well-known/prepcast/</code>), verifica sus firmas Ed25519
y compara la huella SHA-256 de cada archivo de la página que usted consulta con la huella firmada.</p>
<div class="why"><strong>¿Por qué debe escribir usted la llave pública raíz?</strong> Si la llave viniera de este mismo sitio,
quien controle el sitio podría cambiar a la vez los resultados, la firma y la llave, y la verificación siempre saldría bien.
Obtenga la llave pública raíz (o su huella) del sitio oficial del OPLE o de otra fuente independiente y péguela aquí.
Para una verificación completamente independiente use también <code>prep-receiver verify-site</code> desde su propio equipo.</div>
<form id="form">
<p><label for="key">Llave pública raíz del OPLE (base64 de 32 bytes, o el contenido del archivo <code>root.pub</code>):</label>
<input type="text" id="key" name="key" autocomplete="off" spellcheck="false"></p>
<p><label for="page">Página a verificar:</label> <input type="text" id="page" name="page" value="/"></p>
<button type="submit" id="verify-page">Verificar esta página</button><button type="button" id="verify-all">Verificar todo el sitio</button>
</form>
<div id="result" role="status" aria-live="polite">Sin verificar.</div>
<table id="files" hidden><thead><tr><th>Archivo</th><th>Resultado</th></tr></thead><tbody></tbody></table>
<script src="/.well-known/prepcast/nacl.js"></script>
<script src="/.well-known/prepcast/verify.js"></script>
</body></html>
`;

export const VERIFY_JS = `/* PREPcast in-browser verifier (see verify.html). */
(function () {
  "use strict";
  var L = (1n << 252n) + 27742317777372353535851937790883648493n;
  var P = (1n << 255n) - 19n;
  var Y8 = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;
  var SMALL = [0n, 1n, P - 1n, Y8, P - Y8];
  var enc = new TextEncoder();
  var $ = function (id) { return document.getElementById(id); };

  function le(bytes) { var n = 0n; for (var i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]); return n; }
  function pointProblem(p) {
    if (p.length !== 32) return "longitud incorrecta";
    var c = Uint8Array.from(p); c[31] &= 0x7f; var y = le(c);
    if (y >= P) return "codificación no canónica";
    if (SMALL.indexOf(y) >= 0) return "punto de orden pequeño";
    return null;
  }
  function b64(s) {
    if (typeof s !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new Error("base64 inválido");
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(bytes) { return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join(""); }
  function concat(a, b) { var o = new Uint8Array(a.length + b.length); o.set(a, 0); o.set(b, a.length); return o; }

  // SHA-256 in plain JS: crypto.subtle exists only in secure contexts, and a difusor may serve plain HTTP.
  var K = new Uint32Array([0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2]);
  function sha256js(data) {
    var h = new Uint32Array([0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19]);
    var len = data.length, total = ((len + 9 + 63) >> 6) << 6, m = new Uint8Array(total);
    m.set(data); m[len] = 0x80;
    var bits = len * 8, dv = new DataView(m.buffer);
    dv.setUint32(total - 4, bits >>> 0); dv.setUint32(total - 8, Math.floor(bits / 4294967296));
    var w = new Uint32Array(64);
    for (var off = 0; off < total; off += 64) {
      for (var i = 0; i < 16; i++) w[i] = dv.getUint32(off + i * 4);
      for (i = 16; i < 64; i++) {
        var a0 = w[i - 15], a1 = w[i - 2];
        var s0 = ((a0 >>> 7) | (a0 << 25)) ^ ((a0 >>> 18) | (a0 << 14)) ^ (a0 >>> 3);
        var s1 = ((a1 >>> 17) | (a1 << 15)) ^ ((a1 >>> 19) | (a1 << 13)) ^ (a1 >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      var A = h[0], B = h[1], C = h[2], D = h[3], E = h[4], F = h[5], G = h[6], H = h[7];
      for (i = 0; i < 64; i++) {
        var S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7));
        var t1 = (H + S1 + ((E & F) ^ (~E & G)) + K[i] + w[i]) | 0;
        var S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10));
        var t2 = (S0 + ((A & B) ^ (A & C) ^ (B & C))) | 0;
        H = G; G = F; F = E; E = (D + t1) | 0; D = C; C = B; B = A; A = (t1 + t2) | 0;
      }
      h[0] += A; h[1] += B; h[2] += C; h[3] += D; h[4] += E; h[5] += F; h[6] += G; h[7] += H;
    }
    var out = new Uint8Array(32), odv = new DataView(out.buffer);
    for (i = 0; i < 8; i++) odv.setUint32(i * 4, h[i]);
    return out;
  }
  function sha256(bytes) {
    if (window.crypto && crypto.subtle) return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
    return Promise.resolve(sha256js(bytes));
  }

  function verifyDoc(kind, bytes, sigFile, pub) {
    var sig = b64(sigFile.sig);
    if (sig.length !== 64) throw new Error("la firma de " + kind + " no mide 64 bytes");
    if (le(sig.subarray(32)) >= L) throw new Error("la firma de " + kind + " está maleada (S >= L)");
    var rp = pointProblem(sig.subarray(0, 32)); if (rp) throw new Error("la firma de " + kind + ": R " + rp);
    var kp = pointProblem(pub); if (kp) throw new Error("la llave de " + kind + ": " + kp);
    var msg = concat(enc.encode("prepcast/v1/" + kind + "\\n"), bytes);
    if (!nacl.sign.detached.verify(msg, sig, pub)) throw new Error("la firma de " + kind + " NO es válida");
  }

  function parseRootKey(text) {
    text = text.trim();
    if (text.charAt(0) === "{") { var j = JSON.parse(text); if (j.type !== "ed25519-public") throw new Error("el archivo no es una llave pública ed25519"); text = j.public; }
    text = text.replace(/ /g, "+").replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) text += "=";
    var k = b64(text);
    if (k.length !== 32) throw new Error("la llave pública raíz debe medir 32 bytes");
    return k;
  }

  function get(path) {
    return fetch(path, { cache: "no-store", credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error(path + ": HTTP " + r.status);
      return r.arrayBuffer().then(function (b) { return { bytes: new Uint8Array(b), corte: r.headers.get("X-PREP-Corte") }; });
    });
  }

  function loadSigned(rootKey) {
    var base = "/.well-known/prepcast/";
    return Promise.all(["keyset.json", "keyset.sig", "manifest.json", "manifest.sig"].map(function (n) { return get(base + n); })).then(function (r) {
      var dec = new TextDecoder();
      var keysetSig = JSON.parse(dec.decode(r[1].bytes));
      return sha256(rootKey).then(function (rootId) {
        if (keysetSig.keyid !== hex(rootId)) throw new Error("el conjunto de llaves no está firmado por la llave raíz indicada");
        verifyDoc("keyset", r[0].bytes, keysetSig, rootKey);
        var keyset = JSON.parse(dec.decode(r[0].bytes));
        if (Date.parse(keyset.expires) <= Date.now()) throw new Error("el conjunto de llaves expiró el " + keyset.expires);
        var manifestSig = JSON.parse(dec.decode(r[3].bytes));
        var entry = (keyset.keys || []).filter(function (k) { return k.keyid === manifestSig.keyid; })[0];
        if (!entry) throw new Error("el manifiesto está firmado por una llave que el conjunto de llaves no autoriza");
        verifyDoc("manifest", r[2].bytes, manifestSig, b64(entry.public));
        var manifest = JSON.parse(dec.decode(r[2].bytes));
        return { manifest: manifest, corte: r[2].corte };
      });
    });
  }

  function pathsOfPage(manifest, page) {
    var files = {}; manifest.files.forEach(function (f) { files[f.path] = f; });
    var rel = page.replace(/^\\/+/, ""); if (rel === "" || /\\/$/.test(rel)) rel += "index.html";
    if (!files[rel]) return Promise.reject(new Error("la página " + page + " no forma parte del corte firmado"));
    return get("/" + rel.split("/").map(encodeURIComponent).join("/")).then(function (res) {
      var wanted = [rel];
      if (/\\.html?$/.test(rel)) {
        var doc = new DOMParser().parseFromString(new TextDecoder().decode(res.bytes), "text/html");
        var pageUrl = new URL("/" + rel, location.origin);
        doc.querySelectorAll("[src],link[href]").forEach(function (el) {
          var u = new URL(el.getAttribute("src") || el.getAttribute("href"), pageUrl);
          if (u.origin !== location.origin) return;
          var p = decodeURIComponent(u.pathname).replace(/^\\//, "");
          if (files[p] && wanted.indexOf(p) < 0) wanted.push(p);
        });
      }
      return wanted.map(function (p) { return files[p]; });
    });
  }

  function checkFiles(files, corte, show) {
    var bad = [], i = 0;
    function next() {
      if (i >= files.length) return Promise.resolve(bad);
      var f = files[i++];
      return get("/" + f.path.split("/").map(encodeURIComponent).join("/")).then(function (res) {
        if (corte && res.corte && res.corte !== corte) throw new Error("el corte cambió durante la verificación; vuelva a intentarlo");
        return sha256(res.bytes).then(function (d) {
          var ok = hex(d) === f.sha256 && res.bytes.length === f.size;
          if (!ok) bad.push(f.path);
          show(f.path, ok ? "coincide" : "DIFIERE de lo firmado");
        });
      }, function (e) { bad.push(f.path); show(f.path, "no se pudo descargar (" + e.message + ")"); }).then(next);
    }
    return next();
  }

  function run(all) {
    var out = $("result"), table = $("files"), body = table.querySelector("tbody");
    out.className = ""; out.textContent = "Verificando…"; body.textContent = ""; table.hidden = false;
    var show = function (p, r) { var tr = document.createElement("tr"); var a = document.createElement("td"); a.textContent = p; var b = document.createElement("td"); b.textContent = r; tr.appendChild(a); tr.appendChild(b); body.appendChild(tr); };
    var rootKey;
    try { rootKey = parseRootKey($("key").value); } catch (e) { out.className = "bad"; out.textContent = "Llave pública raíz inválida: " + e.message; return; }
    var signed;
    loadSigned(rootKey).then(function (s) {
      signed = s;
      return all ? s.manifest.files : pathsOfPage(s.manifest, $("page").value || "/");
    }).then(function (files) { return checkFiles(files, signed.corte, show).then(function (bad) { return { files: files, bad: bad }; }); }).then(function (r) {
      var m = signed.manifest;
      var head = "Corte " + m.corte + " · secuencia " + m.sequence + (m.channel === "simulacro" ? " · SIMULACRO" : "") + "\\n";
      if (r.bad.length === 0) { out.className = "ok"; out.textContent = head + "VERIFICADO: las firmas son válidas y los " + r.files.length + " archivos coinciden con lo firmado por el OPLE."; }
      else { out.className = "bad"; out.textContent = head + "NO COINCIDE: " + r.bad.length + " de " + r.files.length + " archivos difieren de lo firmado: " + r.bad.join(", "); }
    }).catch(function (e) { out.className = "bad"; out.textContent = "FALLÓ la verificación: " + e.message; });
  }

  var params = new URLSearchParams(location.search.slice(1) || location.hash.slice(1));
  if (params.get("key")) $("key").value = params.get("key");
  if (params.get("page")) $("page").value = params.get("page");
  else if (document.referrer) { try { var r = new URL(document.referrer); if (r.origin === location.origin) $("page").value = r.pathname; } catch (e) { /* no referrer */ } }
  $("form").addEventListener("submit", function (ev) { ev.preventDefault(); run(false); });
  $("verify-all").addEventListener("click", function () { run(true); });
})();
`;

let naclBytes: Buffer | undefined;
function naclMin(): Buffer {
  if (!naclBytes) naclBytes = readFileSync(require.resolve("tweetnacl/nacl-fast.min.js"));
  return naclBytes;
}

const VERIFY_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

/** The verifier's files, served under /.well-known/prepcast/. */
export function verifierAssets(): { get(name: string): StaticAsset | undefined } {
  return {
    get(name) {
      if (name === "verify.html") return { type: "text/html; charset=utf-8", body: VERIFY_HTML, csp: VERIFY_CSP };
      if (name === "verify.js") return { type: "text/javascript; charset=utf-8", body: VERIFY_JS, csp: undefined };
      if (name === "nacl.js") return { type: "text/javascript; charset=utf-8", body: naclMin(), csp: undefined };
      return undefined;
    },
  };
}
