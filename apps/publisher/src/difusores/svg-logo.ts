import * as fs from "node:fs";
import { createHash } from "node:crypto";
import { PrepcastError } from "@prepcast/protocol";
import { ELEMENTS, SVG_NS, TEXT_ELEMENTS, UNWRAP, XLINK_NS, decodeEntities, escapeXml, sanitizeAttribute } from "./svg-allowlist";

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

// ---- allowlist sanitizer: what it keeps and how values are judged is svg-allowlist.ts -------------

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
