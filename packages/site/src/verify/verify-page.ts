// The citizen's verifier: a static page that checks, inside the browser, that the files of the page
// being looked at are exactly the ones the OPLE signed. Its scripts, loaded in this order: tweetnacl
// (nacl.js) does the Ed25519 math; src/browser/sha256.ts hashes; src/browser/verify.ts does the
// checks, the strict checks of the protocol (S < L, canonical non-small-order points,
// domain-separated message) repeated there so the browser accepts exactly what `verify-site`
// accepts; src/browser/verify-form.ts runs the form. Served by ../server/browser-assets.ts.

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
<p><label for="key">Llave pública raíz del OPLE (base64 de 32 bytes, o el contenido del archivo <code>root.pub</code>; si el OPLE usa varias llaves raíz, el contenido de su <code>root.json</code>):</label>
<input type="text" id="key" name="key" autocomplete="off" spellcheck="false"></p>
<p><label for="page">Página a verificar:</label> <input type="text" id="page" name="page" value="/"></p>
<button type="submit" id="verify-page">Verificar esta página</button><button type="button" id="verify-all">Verificar todo el sitio</button>
</form>
<div id="result" role="status" aria-live="polite">Sin verificar.</div>
<table id="files" hidden><thead><tr><th>Archivo</th><th>Resultado</th></tr></thead><tbody></tbody></table>
<script src="/.well-known/prepcast/nacl.js"></script>
<script src="/.well-known/prepcast/sha256.js"></script>
<script src="/.well-known/prepcast/verify.js"></script>
<script src="/.well-known/prepcast/verify-form.js"></script>
</body></html>
`;

export const VERIFY_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";
