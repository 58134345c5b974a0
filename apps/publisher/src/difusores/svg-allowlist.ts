// The allowlist sanitizeSvg (svg-logo.ts) rewrites a logo through.
// Everything not listed is dropped: an element with its whole subtree (script, foreignObject, style,
// image, a, iframe, animate/set that could rewrite an href, metadata, any prefixed element), an
// attribute with its value (every on* handler in any case, href to anything but "#id", class,
// xml:base, unknown namespaces). Values are decoded (entities, numeric references) before they are
// judged and escaped again on output, so `&#106;avascript:` is seen as what it is.

export const SVG_NS = "http://www.w3.org/2000/svg";
export const XLINK_NS = "http://www.w3.org/1999/xlink";

export const ELEMENTS = new Set([
  "svg",
  "g",
  "defs",
  "symbol",
  "use",
  "title",
  "desc",
  "path",
  "rect",
  "circle",
  "ellipse",
  "line",
  "polyline",
  "polygon",
  "text",
  "tspan",
  "textPath",
  "linearGradient",
  "radialGradient",
  "stop",
  "pattern",
  "clipPath",
  "mask",
  "marker",
  "filter",
  "feGaussianBlur",
  "feOffset",
  "feBlend",
  "feColorMatrix",
  "feFlood",
  "feComposite",
  "feMerge",
  "feMergeNode",
  "feMorphology",
  "feDropShadow",
]);

/** Wrappers whose tag is dropped but whose children are kept (a link around the drawing, a switch). */
export const UNWRAP = new Set(["a", "switch"]);

/** Elements whose text content is kept (everything else keeps only whitespace between children). */
export const TEXT_ELEMENTS = new Set(["title", "desc", "text", "tspan", "textPath"]);

const PRESENTATION = [
  "fill",
  "fill-opacity",
  "fill-rule",
  "stroke",
  "stroke-width",
  "stroke-linecap",
  "stroke-linejoin",
  "stroke-miterlimit",
  "stroke-dasharray",
  "stroke-dashoffset",
  "stroke-opacity",
  "opacity",
  "clip-path",
  "clip-rule",
  "mask",
  "filter",
  "color",
  "display",
  "visibility",
  "overflow",
  "stop-color",
  "stop-opacity",
  "flood-color",
  "flood-opacity",
  "lighting-color",
  "font-family",
  "font-size",
  "font-weight",
  "font-style",
  "font-variant",
  "font-stretch",
  "text-anchor",
  "dominant-baseline",
  "alignment-baseline",
  "baseline-shift",
  "letter-spacing",
  "word-spacing",
  "text-decoration",
  "writing-mode",
  "marker-start",
  "marker-mid",
  "marker-end",
  "shape-rendering",
  "text-rendering",
  "image-rendering",
  "color-interpolation",
  "color-interpolation-filters",
  "vector-effect",
  "paint-order",
  "mix-blend-mode",
  "isolation",
];

const ATTRIBUTES = new Set([
  ...PRESENTATION,
  "id",
  "x",
  "y",
  "x1",
  "y1",
  "x2",
  "y2",
  "cx",
  "cy",
  "r",
  "rx",
  "ry",
  "fx",
  "fy",
  "fr",
  "width",
  "height",
  "d",
  "points",
  "pathLength",
  "transform",
  "viewBox",
  "preserveAspectRatio",
  "version",
  "baseProfile",
  "gradientUnits",
  "gradientTransform",
  "spreadMethod",
  "offset",
  "patternUnits",
  "patternContentUnits",
  "patternTransform",
  "clipPathUnits",
  "maskUnits",
  "maskContentUnits",
  "markerWidth",
  "markerHeight",
  "markerUnits",
  "refX",
  "refY",
  "orient",
  "dx",
  "dy",
  "rotate",
  "textLength",
  "lengthAdjust",
  "startOffset",
  "side",
  "method",
  "spacing",
  "filterUnits",
  "primitiveUnits",
  "in",
  "in2",
  "result",
  "stdDeviation",
  "mode",
  "type",
  "values",
  "operator",
  "k1",
  "k2",
  "k3",
  "k4",
  "radius",
  "role",
  "aria-label",
  "aria-hidden",
  "xml:space",
  "xml:lang",
  "lang",
  "style",
  "href",
  "xlink:href",
]);

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeEntities(v: string): string {
  return v.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,8});/g, (m, ref: string) => {
    if (ref[0] === "#") {
      const cp = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : "\ufffd";
    }
    return NAMED_ENTITIES[ref] ?? "\ufffd"; // undeclared entity (no DOCTYPE is allowed): replaced
  });
}

export function escapeXml(v: string): string {
  return v.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A value with nothing that can fetch or run: url() only to #fragments, no schemes, no CSS escapes or at-rules. */
function safeValue(v: string): boolean {
  // eslint-disable-next-line no-control-regex
  const flat = v.replace(/[\u0000-\u0020\u007f-\u00a0\u200b-\u200f\ufeff]/g, "").toLowerCase();
  if (/[\\<>]|@|expression\(|javascript:|vbscript:|data:|behavio(u)?r|-moz-binding|image\(|image-set\(|src\(|attr\(|var\(/.test(flat)) return false;
  for (const m of flat.matchAll(/url\(([^)]*)\)?/g)) if (!/^["']?#[a-z0-9_.:-]+["']?$/.test(m[1] ?? "")) return false;
  return !/url\(/.test(flat.replace(/url\(["']?#[a-z0-9_.:-]+["']?\)/g, ""));
}

/** style="…": only presentation properties with safe values; everything else is dropped. */
function sanitizeStyle(v: string): string | null {
  const kept: string[] = [];
  for (const decl of v.split(";")) {
    const i = decl.indexOf(":");
    if (i === -1) continue;
    const prop = decl.slice(0, i).trim().toLowerCase();
    const value = decl.slice(i + 1).trim();
    if (!PRESENTATION.includes(prop) || value === "" || !safeValue(value) || /[{}]/.test(value)) continue;
    kept.push(`${prop}:${value}`);
  }
  return kept.length ? kept.join(";") : null;
}

export function sanitizeAttribute(name: string, rawValue: string): string | null {
  const value = decodeEntities(rawValue);
  if (name === "href" || name === "xlink:href") return /^#[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/.test(value.trim()) ? value.trim() : null;
  if (name === "style") return sanitizeStyle(value);
  if (!ATTRIBUTES.has(name)) return null;
  if (value.length > 20_000 && name !== "d" && name !== "points") return null;
  return safeValue(value) ? value : null;
}
