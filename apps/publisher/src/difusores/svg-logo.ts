import * as fs from "node:fs";
import { createHash } from "node:crypto";
import { PrepcastError } from "@prepcast/protocol";

export const MAX_LOGO_BYTES = 100 * 1024;

export interface CheckedLogo {
  file: string;
  bytes: Buffer;
  /** Content-addressed output name, e.g. `3f1a9c0b2d4e6f70.svg`. */
  name: string;
}

function invalid(file: string, what: string, hint = "export the logo again as a plain SVG file (File > Export > SVG) under 100 KB"): PrepcastError {
  return new PrepcastError("LOGO_INVALID", `logo ${file}: ${what}`, { where: file, hint });
}

/**
 * Checks that an (untrusted) logo is an SVG document (UTF-8, at most 100 KB, no DOCTYPE, well-nested
 * tags whose single root is `<svg>` in the SVG namespace) and then REWRITES it through an
 * allowlist (sanitizeSvg): only drawing elements and presentation attributes survive, references
 * only to `#fragments` of the logo itself. What is published (`bytes`, `name`) is the rewritten
 * document: `<img src>` would run no script, but the file is also on the OPLE's origin where a
 * person (or a browser following a link) may open it directly.
 */
export function checkSvgLogo(file: string): CheckedLogo {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw invalid(
      file,
      `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      "check the logo path in the receivers list of the config",
    );
  }
  if (!st.isFile()) throw invalid(file, "is not a regular file");
  if (st.size > MAX_LOGO_BYTES) throw invalid(file, `is ${st.size} bytes, more than the ${MAX_LOGO_BYTES} allowed`);
  const bytes = fs.readFileSync(file);
  if (bytes.length > MAX_LOGO_BYTES) throw invalid(file, `is more than ${MAX_LOGO_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalid(file, "is not UTF-8 text (a PNG or JPEG renamed to .svg?)");
  }
  checkSvgShape(text, file);
  const clean = Buffer.from(sanitizeSvg(text, file));
  return { file, bytes: clean, name: `${createHash("sha256").update(clean).digest("hex").slice(0, 16)}.svg` };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*/;

function checkSvgShape(text: string, file: string): void {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: string[] = [];
  let root: string | null = null;
  let rootTag = "";
  let rootClosed = false;
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    const between = text.slice(i, lt === -1 ? text.length : lt);
    if (stack.length === 0 && between.trim() !== "")
      throw invalid(file, rootClosed ? "has text after the closing </svg>" : "has text before the root element: it is not an SVG document");
    if (lt === -1) break;
    if (text.startsWith("<!--", lt)) {
      const end = text.indexOf("-->", lt + 4);
      if (end === -1) throw invalid(file, "has an unterminated comment");
      i = end + 3;
      continue;
    }
    if (text.startsWith("<![CDATA[", lt)) {
      if (stack.length === 0) throw invalid(file, "has CDATA outside the root element");
      const end = text.indexOf("]]>", lt);
      if (end === -1) throw invalid(file, "has an unterminated CDATA section");
      i = end + 3;
      continue;
    }
    if (text.startsWith("<!", lt)) throw invalid(file, "has a DOCTYPE or entity declaration, which logos must not carry", "remove the <!DOCTYPE ...> line");
    if (text.startsWith("<?", lt)) {
      const end = text.indexOf("?>", lt);
      if (end === -1) throw invalid(file, "has an unterminated processing instruction");
      i = end + 2;
      continue;
    }
    const gt = findTagEnd(text, lt + 1);
    if (gt === -1) throw invalid(file, `has an unterminated tag at offset ${lt}`);
    const inner = text.slice(lt + 1, gt);
    if (inner.startsWith("/")) {
      const name = inner.slice(1).trim();
      const open = stack.pop();
      if (open !== name) throw invalid(file, `closes <${name}> but <${open ?? "nothing"}> is open: not well-formed XML`);
      if (stack.length === 0) rootClosed = true;
    } else {
      const m = NAME.exec(inner);
      if (!m) throw invalid(file, `has a malformed tag at offset ${lt}`);
      const selfClosing = inner.trimEnd().endsWith("/");
      if (stack.length === 0) {
        if (root !== null) throw invalid(file, "has more than one root element");
        root = m[0];
        rootTag = inner;
        if (root !== "svg" && !root.endsWith(":svg")) throw invalid(file, `root element is <${root}>, not <svg>: it is not an SVG document`);
      }
      if (selfClosing) {
        if (stack.length === 0) rootClosed = true;
      } else stack.push(m[0]);
    }
    i = gt + 1;
  }
  if (root === null) throw invalid(file, "has no root element: it is not an SVG document");
  if (stack.length > 0) throw invalid(file, `ends with <${stack[stack.length - 1]}> still open: truncated or not well-formed`);
  if (!/xmlns(:[A-Za-z_][\w.-]*)?\s*=\s*["']http:\/\/www\.w3\.org\/2000\/svg["']/.test(rootTag)) {
    throw invalid(
      file,
      'root <svg> lacks xmlns="http://www.w3.org/2000/svg" (browsers do not show such a file as an image)',
      'add xmlns="http://www.w3.org/2000/svg" to the <svg> element',
    );
  }
}

/** Index of the `>` ending a tag, skipping quoted attribute values. */
function findTagEnd(text: string, from: number): number {
  let quote: string | null = null;
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return j;
    else if (c === "<") return -1;
  }
  return -1;
}

// ---- allowlist sanitizer -------------------------------------------------------------------------
// Everything not listed is dropped: an element with its whole subtree (script, foreignObject, style,
// image, a, iframe, animate/set that could rewrite an href, metadata, any prefixed element), an
// attribute with its value (every on* handler in any case, href to anything but "#id", class,
// xml:base, unknown namespaces). Values are decoded (entities, numeric references) before they are
// judged and escaped again on output, so `&#106;avascript:` is seen as what it is.

const SVG_NS = "http://www.w3.org/2000/svg";
const XLINK_NS = "http://www.w3.org/1999/xlink";

const ELEMENTS = new Set([
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
const UNWRAP = new Set(["a", "switch"]);

/** Elements whose text content is kept (everything else keeps only whitespace between children). */
const TEXT_ELEMENTS = new Set(["title", "desc", "text", "tspan", "textPath"]);

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

function decodeEntities(v: string): string {
  return v.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,8});/g, (m, ref: string) => {
    if (ref[0] === "#") {
      const cp = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : "\ufffd";
    }
    return NAMED_ENTITIES[ref] ?? "\ufffd"; // undeclared entity (no DOCTYPE is allowed): replaced
  });
}

function escapeXml(v: string): string {
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

function sanitizeAttribute(name: string, rawValue: string): string | null {
  const value = decodeEntities(rawValue);
  if (name === "href" || name === "xlink:href") return /^#[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/.test(value.trim()) ? value.trim() : null;
  if (name === "style") return sanitizeStyle(value);
  if (!ATTRIBUTES.has(name)) return null;
  if (value.length > 20_000 && name !== "d" && name !== "points") return null;
  return safeValue(value) ? value : null;
}

const ATTR = /([^\s=/>]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

/**
 * The allowlist rewrite of a logo already checked by checkSvgShape (well-formed, one <svg> root,
 * no DOCTYPE). Returns a new document; throws LOGO_INVALID if nothing drawable is left.
 */
export function sanitizeSvg(text: string, file = "logo"): string {
  const out: string[] = [];
  const stack: Array<{ name: string; kept: boolean; unwrapped?: boolean }> = [];
  let dropDepth = 0; // > 0 while inside a dropped element
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const inText = (): boolean => dropDepth === 0 && stack.length > 0 && TEXT_ELEMENTS.has(stack[stack.length - 1]!.name);
  const emitText = (t: string): void => {
    if (dropDepth > 0 || stack.length === 0) return;
    const decoded = decodeEntities(t);
    if (inText()) out.push(escapeXml(decoded));
    else if (decoded.trim() === "") out.push(decoded.length > 2 ? "\n" : decoded);
  };
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    emitText(text.slice(i, lt === -1 ? text.length : lt));
    if (lt === -1) break;
    if (text.startsWith("<!--", lt)) {
      i = text.indexOf("-->", lt + 4) + 3;
      continue;
    }
    if (text.startsWith("<![CDATA[", lt)) {
      const end = text.indexOf("]]>", lt);
      if (inText()) out.push(escapeXml(text.slice(lt + 9, end)));
      i = end + 3;
      continue;
    }
    if (text.startsWith("<?", lt)) {
      i = text.indexOf("?>", lt) + 2;
      continue;
    }
    const gt = findTagEnd(text, lt + 1);
    const inner = text.slice(lt + 1, gt);
    i = gt + 1;
    if (inner.startsWith("/")) {
      const open = stack.pop()!;
      if (open.unwrapped) continue;
      if (!open.kept) dropDepth--;
      else out.push(`</${open.name}>`);
      continue;
    }
    const selfClosing = inner.trimEnd().endsWith("/");
    const name = NAME.exec(inner)![0];
    if (dropDepth === 0 && UNWRAP.has(name)) {
      if (!selfClosing) stack.push({ name, kept: false, unwrapped: true });
      continue;
    }
    const keep = dropDepth === 0 && ELEMENTS.has(name);
    if (!selfClosing) stack.push({ name, kept: keep });
    if (!keep) {
      if (!selfClosing) dropDepth++;
      continue;
    }
    const attrs: string[] = [];
    const seen = new Set<string>();
    const body = inner.slice(name.length, selfClosing ? inner.trimEnd().length - 1 : inner.length);
    for (const m of body.matchAll(ATTR)) {
      const an = m[1]!;
      const av = m[2] ?? m[3] ?? m[4] ?? "";
      if (seen.has(an)) continue;
      seen.add(an);
      if (an === "xmlns") {
        if (decodeEntities(av) === SVG_NS) attrs.push(`xmlns="${SVG_NS}"`);
        continue;
      }
      if (an === "xmlns:xlink") {
        if (decodeEntities(av) === XLINK_NS) attrs.push(`xmlns:xlink="${XLINK_NS}"`);
        continue;
      }
      const clean = sanitizeAttribute(an, av);
      if (clean !== null) attrs.push(`${an}="${escapeXml(clean)}"`);
    }
    if (stack.length <= 1 && name === "svg" && !attrs.some((a) => a.startsWith("xmlns="))) attrs.unshift(`xmlns="${SVG_NS}"`);
    if (attrs.some((a) => a.startsWith("xlink:href=")) && !attrs.some((a) => a.startsWith("xmlns:xlink=")) && name === "svg")
      attrs.push(`xmlns:xlink="${XLINK_NS}"`);
    out.push(`<${name}${attrs.length ? " " + attrs.join(" ") : ""}${selfClosing ? "/>" : ">"}`);
  }
  const doc = out.join("").trim();
  if (!doc.startsWith("<svg"))
    throw invalid(file, "has no drawable <svg> left after removing what logos may not carry (script, links, external references, styles)");
  // xlink:href anywhere needs the prefix declared on the root
  const fixed = /\sxlink:href=/.test(doc) && !/^<svg[^>]*xmlns:xlink=/.test(doc) ? doc.replace(/^<svg/, `<svg xmlns:xlink="${XLINK_NS}"`) : doc;
  return `${fixed}\n`;
}
