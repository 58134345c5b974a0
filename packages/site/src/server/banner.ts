// The embeddable banner's iframe variant. The banner itself (src/browser/banner.ts, served as
// /.well-known/prepcast/banner.js) shows the live cut's date and time ("Corte: dd/mm/aaaa hh:mm
// (UTC-6)") and the drill marker on the difusor's own portal without touching the OPLE's pages.

export const BANNER_HTML = `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Corte PREP</title>
<style>html,body{margin:0;padding:0;background:transparent}</style></head>
<body><!-- iframe variant: <iframe src="https://SITIO/.well-known/prepcast/banner.html" title="Corte PREP" style="border:0;width:100%;height:34px"></iframe> -->
<script src="/.well-known/prepcast/banner.js" data-beacon="no"></script>
</body></html>
`;
