// The static part of the results site (scripts, styles, fonts, images, party logos): the same
// bytes in every cut of a series, as a real PREP front end is built once before election night.
import { createHash } from "node:crypto";
import { PARTIES } from "./geography";
import { deriveSeed, mulberry32, pseudoRandomBytes } from "./random";

const WORDS = (
  "function return const let var this prototype render component state props votos casilla seccion distrito " +
  "entidad partido resultado actas porcentaje participacion ciudadana"
).split(" ");

export interface StaticFile {
  path: string;
  data: Buffer;
}

function buildStaticSite(seed: number): StaticFile[] {
  const r = mulberry32(deriveSeed(seed, "static"));
  const text = (n: number): string => {
    const words: string[] = [];
    let length = 0;
    while (length < n) {
      const w = WORDS[Math.floor(r() * WORDS.length)] + (r() < 0.1 ? ";\n" : " ");
      words.push(w);
      length += w.length;
    }
    return words.join("");
  };
  const contentHash = (data: Buffer): string => createHash("sha256").update(data).digest("hex").slice(0, 8);
  const files: StaticFile[] = [];
  for (let i = 0; i < 24; i++) {
    const data = Buffer.from(text(20_000 + Math.floor(r() * 600_000)));
    files.push({ path: `assets/js/chunk-${i}.${contentHash(data)}.js`, data });
  }
  for (let i = 0; i < 6; i++) files.push({ path: `assets/css/style-${i}.css`, data: Buffer.from(text(5_000 + Math.floor(r() * 60_000))) });
  for (let i = 0; i < 8; i++) files.push({ path: `assets/fonts/font-${i}.woff2`, data: pseudoRandomBytes(30_000 + Math.floor(r() * 90_000), seed, "font", i) });
  for (let i = 0; i < 60; i++) files.push({ path: `assets/img/img-${i}.png`, data: pseudoRandomBytes(2_000 + Math.floor(r() * 120_000), seed, "img", i) });
  for (const p of PARTIES) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><title>${p}</title>${text(800)}</svg>`;
    files.push({ path: `assets/img/logos/${p.toLowerCase()}.svg`, data: Buffer.from(svg) });
  }
  return files;
}

let cached: { seed: number; files: StaticFile[] } | undefined;

export function staticSite(seed: number): StaticFile[] {
  if (cached?.seed !== seed) cached = { seed, files: buildStaticSite(seed) };
  return cached.files;
}

/** index.html: the only page that changes every cut (it shows the cut's time). */
export function indexHtml(files: StaticFile[], corteHuman: string): string {
  const css = files.filter((f) => f.path.endsWith(".css")).map((f) => `<link rel="stylesheet" href="/${f.path}">`);
  const js = files.filter((f) => f.path.endsWith(".js")).map((f) => `<script src="/${f.path}"></script>`);
  return (
    `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>PREP 2024</title>${css.join("")}</head>` +
    `<body><header>Corte: ${corteHuman}</header><main id="app"></main>${js.join("")}</body></html>\n`
  );
}
