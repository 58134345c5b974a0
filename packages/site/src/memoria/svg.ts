// Tiny inline-SVG charts (no scripts, no external files) so the stats page and the memoria técnica
// are self-contained and print the same on paper as on screen.
import { escapeHtml } from "../server/pages";

export interface Series {
  name: string;
  color: string;
  values: number[];
}

const fmt = (n: number): string => (Math.abs(n) >= 1000 ? n.toLocaleString("es-MX", { maximumFractionDigits: 0 }) : String(Math.round(n * 10) / 10));

/** Vertical bars for one or more series over the same labels (e.g. visitors and pageviews per hour). */
export function barChart(labels: string[], series: Series[], opts: { title: string; width?: number; height?: number; labelEvery?: number }): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 240;
  const left = 56;
  const bottom = 48;
  const top = 28;
  const plotW = width - left - 12;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const n = Math.max(1, labels.length);
  const groupW = plotW / n;
  const barW = Math.max(1, (groupW * 0.8) / series.length);
  const every = opts.labelEvery ?? Math.max(1, Math.ceil(n / 12));
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(opts.title)}" class="chart">`,
  );
  parts.push(`<text x="${left}" y="16" font-size="13" font-weight="bold">${escapeHtml(opts.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    parts.push(
      `<line x1="${left}" x2="${width - 12}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 4}" y="${y + 4}" font-size="10" text-anchor="end">${fmt((max * i) / 4)}</text>`,
    );
  }
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      const h = (v / max) * plotH;
      parts.push(
        `<rect x="${(left + i * groupW + groupW * 0.1 + j * barW).toFixed(2)}" y="${(top + plotH - h).toFixed(2)}" width="${barW.toFixed(2)}" height="${h.toFixed(2)}" fill="${s.color}"><title>${escapeHtml(`${label} · ${s.name}: ${v}`)}</title></rect>`,
      );
    });
    if (i % every === 0)
      parts.push(
        `<text x="${(left + i * groupW + groupW / 2).toFixed(2)}" y="${top + plotH + 14}" font-size="9" text-anchor="middle">${escapeHtml(label)}</text>`,
      );
  });
  series.forEach((s, j) => {
    parts.push(
      `<rect x="${left + j * 130}" y="${height - 16}" width="10" height="10" fill="${s.color}"/><text x="${left + j * 130 + 14}" y="${height - 7}" font-size="11">${escapeHtml(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

/** Horizontal bars with labels (top pages, status codes, time on site). */
export function hbarChart(rows: { label: string; value: number }[], opts: { title: string; width?: number; color?: string }): string {
  const width = opts.width ?? 720;
  const rowH = 20;
  const labelW = 260;
  const height = 28 + rows.length * rowH + 8;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const plotW = width - labelW - 70;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(opts.title)}" class="chart">`,
    `<text x="4" y="16" font-size="13" font-weight="bold">${escapeHtml(opts.title)}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = 28 + i * rowH;
    const w = (r.value / max) * plotW;
    const label = r.label.length > 42 ? `…${r.label.slice(-41)}` : r.label;
    parts.push(
      `<text x="${labelW - 6}" y="${y + 13}" font-size="11" text-anchor="end">${escapeHtml(label)}</text><rect x="${labelW}" y="${y + 2}" width="${w.toFixed(2)}" height="${rowH - 6}" fill="${opts.color ?? "#457b9d"}"/><text x="${(labelW + w + 4).toFixed(2)}" y="${y + 13}" font-size="11">${fmt(r.value)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}
