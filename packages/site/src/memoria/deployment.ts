// What the memoria técnica says about the difusor's own deployment: who it is (from its signed
// registration), its technical staff, and the service diagram drawn from the agent's config as
// deployed (transports and ports, TLS, site workers, listen addresses, a proxy or CDN in front).
// The diagram is a small layout (boxes and arrows) rendered to SVG for the HTML and drawn with the
// same coordinates into the PDF, so both show the same picture.
import { escapeHtml } from "../server/pages";

export interface StaffEntry {
  name: string;
  role: string;
  phone: string;
  email: string;
}

/** The difusor as its signed registration (`prep-receiver register`) names it. */
export interface DifusorIdentity {
  id: string;
  name: string;
  organization: string | null;
  publicUrl: string | null;
  staff: StaffEntry[];
  /** The signed registration the staff list was read from, or null (problem says why). */
  registration: { file: string; keyid: string; signedAt: string } | null;
  /** Why the staff list is missing or doubtful (shown in the memoria), or null. */
  problem: string | null;
}

/** The deployment as the agent's config sets it up (already defaulted). */
export interface ServiceDeployment {
  /** The config file it was read from. */
  config: string;
  id: string;
  publisherId: string;
  push: {
    /** gRPC listener (always on). */
    listen: string;
    tls: boolean;
    /** WebSocket push: null = off; "site" = on the site's HTTPS listener (SNI); else its own listener. */
    websocket: null | "site" | { listen: string };
    allowlist: string[];
  };
  site: {
    listen: string;
    tls: boolean;
    /** As configured: 0 = one per core. */
    workers: number;
    /** Cores of the machine the memoria was written on (what 0 means there). */
    cores: number;
    analytics: boolean;
    analyticsFile: string | null;
    /** The reverse proxy or CDN in front of the site (site.frontend), or null. */
    frontend: string | null;
  };
  admin: { listen: string };
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  title: string;
  lines: string[];
  fill: string;
}
interface Arrow {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  label: string;
  dashed?: boolean;
}
export interface DiagramLayout {
  width: number;
  height: number;
  boxes: Box[];
  arrows: Arrow[];
  /** Notes printed under the drawing. */
  notes: string[];
}

/** A line cut to what fits `width` px at ~5.6 px a character (10 px font), keeping its end. */
export function fitText(text: string, width: number): string {
  const max = Math.max(4, Math.floor(width / 5.6));
  return text.length > max ? `…${text.slice(text.length - max + 1)}` : text;
}

const portOf = (listen: string): string => /:(\d+)$/.exec(listen)?.[1] ?? "?";

function workersText(s: ServiceDeployment["site"]): string {
  if (s.workers === 0) return `un proceso por núcleo (${s.cores} en este equipo)`;
  return s.workers === 1 ? "un proceso" : `${s.workers} procesos`;
}

/** The picture of the deployment; without one, the generic picture of any PREPcast difusor. */
export function diagramLayout(d: ServiceDeployment | null): DiagramLayout {
  if (d === null) {
    return {
      width: 760,
      height: 300,
      boxes: [
        { x: 10, y: 20, w: 160, h: 60, title: "OPLE", lines: ["prep-publisher (firma Ed25519)"], fill: "#e9f1f7" },
        { x: 300, y: 20, w: 180, h: 60, title: "Agente del difusor", lines: ["prep-receiver: verifica e instala"], fill: "#f1faee" },
        { x: 590, y: 20, w: 160, h: 60, title: "Cortes firmados", lines: ["DIR/cuts, DIR/current"], fill: "#fff8e1" },
        { x: 300, y: 150, w: 180, h: 60, title: "Servidor del sitio", lines: ["todos los núcleos, /.well-known"], fill: "#f1faee" },
        { x: 590, y: 150, w: 160, h: 60, title: "Ciudadanía", lines: ["navegadores, portal del difusor"], fill: "#e9f1f7" },
        { x: 10, y: 150, w: 160, h: 60, title: "Analítica", lines: ["SQLite (visitas, páginas)"], fill: "#fff8e1" },
        { x: 10, y: 235, w: 160, h: 55, title: "Memoria técnica", lines: ["este informe"], fill: "#fde2e2" },
      ],
      arrows: [
        { x1: 170, y1: 50, x2: 298, y2: 50, label: "gRPC / WebSocket + TLS" },
        { x1: 480, y1: 50, x2: 588, y2: 50, label: "cambio atómico" },
        { x1: 640, y1: 80, x2: 480, y2: 160, label: "lee el corte vigente" },
        { x1: 480, y1: 180, x2: 588, y2: 180, label: "HTTP(S) 80/443" },
        { x1: 300, y1: 180, x2: 172, y2: 180, label: "cada solicitud" },
        { x1: 90, y1: 210, x2: 90, y2: 233, label: "" },
      ],
      notes: ["Diagrama genérico: con --config el informe dibuja el despliegue configurado."],
    };
  }
  const boxes: Box[] = [];
  const arrows: Arrow[] = [];
  const notes: string[] = [];
  const siteProto = d.site.tls ? "HTTPS" : "HTTP";
  const allow = `${d.push.allowlist.slice(0, 2).join(", ")}${d.push.allowlist.length > 2 ? ` (+${d.push.allowlist.length - 2})` : ""}`;
  boxes.push({ x: 10, y: 20, w: 160, h: 78, title: "OPLE", lines: [`prep-publisher ${d.publisherId}`, `desde ${allow}`], fill: "#e9f1f7" });
  boxes.push({
    x: 380,
    y: 20,
    w: 220,
    h: 78,
    title: `Agente ${d.id}`,
    lines: ["prep-receiver: verifica e instala", `administración ${d.admin.listen}`],
    fill: "#f1faee",
  });
  boxes.push({ x: 640, y: 20, w: 150, h: 78, title: "Cortes firmados", lines: ["cuts/, current", "cambio atómico"], fill: "#fff8e1" });
  arrows.push({ x1: 170, y1: 44, x2: 378, y2: 44, label: `gRPC ${d.push.tls ? "+ TLS (certificado fijado)" : "SIN TLS"}\n→ ${d.push.listen}` });
  if (d.push.websocket === "site")
    arrows.push({ x1: 170, y1: 92, x2: 440, y2: 168, label: `WebSocket wss → puerto ${portOf(d.site.listen)}\n(SNI prepcast-receiver)`, dashed: true });
  else if (d.push.websocket) arrows.push({ x1: 170, y1: 86, x2: 378, y2: 86, label: `WebSocket ${d.push.tls ? "wss" : "ws"}\n→ ${d.push.websocket.listen}` });
  arrows.push({ x1: 600, y1: 59, x2: 638, y2: 59, label: "" });
  boxes.push({
    x: 380,
    y: 170,
    w: 220,
    h: 92,
    title: "Servidor del sitio",
    lines: [`${siteProto} en ${d.site.listen}`, workersText(d.site), d.site.tls ? "TLS propio (site.tls)" : "sin TLS propio"],
    fill: "#f1faee",
  });
  arrows.push({ x1: 715, y1: 98, x2: 602, y2: 176, label: "corte vigente" });
  boxes.push({
    x: 10,
    y: 170,
    w: 160,
    h: 78,
    title: "Analítica",
    lines: d.site.analytics ? ["SQLite: visitas, páginas", d.site.analyticsFile ?? "ROOT/analytics.sqlite"] : ["DESACTIVADA", "sin estadísticas de visitas"],
    fill: d.site.analytics ? "#fff8e1" : "#fde2e2",
  });
  arrows.push({ x1: 380, y1: 236, x2: 172, y2: 236, label: d.site.analytics ? "cada solicitud" : "", dashed: !d.site.analytics });
  if (d.site.frontend) {
    boxes.push({ x: 640, y: 170, w: 150, h: 78, title: "Proxy / CDN", lines: [d.site.frontend, "HTTPS al público"], fill: "#ede7f6" });
    arrows.push({ x1: 600, y1: 220, x2: 638, y2: 220, label: `:${portOf(d.site.listen)}` });
    arrows.push({ x1: 715, y1: 298, x2: 715, y2: 250, label: "" });
  } else {
    arrows.push({ x1: 638, y1: 318, x2: 520, y2: 264, label: `${siteProto} :${portOf(d.site.listen)}` });
  }
  boxes.push({ x: 640, y: 300, w: 150, h: 60, title: "Ciudadanía", lines: ["navegadores, portal"], fill: "#e9f1f7" });
  boxes.push({ x: 10, y: 300, w: 160, h: 60, title: "Memoria técnica", lines: ["este informe"], fill: "#fde2e2" });
  arrows.push({ x1: 90, y1: 250, x2: 90, y2: 298, label: "" });
  notes.push(`Tomado de ${d.config}.`);
  if (!d.push.tls) notes.push("El puerto del canal no tiene TLS (push.tls: null): solo válido en pruebas locales.");
  if (!d.site.tls && !d.site.frontend) notes.push("El sitio sirve HTTP sin TLS y no se declaró un proxy o CDN delante (site.frontend).");
  return { width: 800, height: 372, boxes, arrows, notes };
}

/** The layout as inline SVG; every text escaped (the config's values are the operator's). */
export function diagramSvg(layout: DiagramLayout): string {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${layout.width} ${layout.height}" width="100%" role="img" aria-label="Diagrama del servicio" class="chart">`,
    `<defs><marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1d3557"/></marker></defs>`,
  ];
  for (const b of layout.boxes) {
    parts.push(
      `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="8" fill="${b.fill}" stroke="#1d3557"/><text x="${b.x + b.w / 2}" y="${b.y + 22}" text-anchor="middle" font-size="13" font-weight="bold">${escapeHtml(b.title)}</text>`,
    );
    b.lines.forEach((l, i) =>
      parts.push(`<text x="${b.x + b.w / 2}" y="${b.y + 40 + i * 15}" text-anchor="middle" font-size="10">${escapeHtml(fitText(l, b.w - 8))}</text>`),
    );
  }
  for (const a of layout.arrows) {
    parts.push(
      `<line x1="${a.x1}" y1="${a.y1}" x2="${a.x2}" y2="${a.y2}" stroke="#1d3557" stroke-width="2"${a.dashed ? ' stroke-dasharray="6 4"' : ""} marker-end="url(#arr)"/>`,
    );
    const lines = a.label ? a.label.split("\n") : [];
    lines.forEach((l, i) =>
      parts.push(
        `<text x="${(a.x1 + a.x2) / 2}" y="${(a.y1 + a.y2) / 2 - 6 - (lines.length - 1 - i) * 12}" text-anchor="middle" font-size="10">${escapeHtml(l)}</text>`,
      ),
    );
  }
  parts.push("</svg>");
  return parts.join("\n");
}
