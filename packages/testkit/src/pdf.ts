// Reads back what a PREPcast PDF report says, for tests: the structure (header, %%EOF, pages) and
// the text drawn with the standard fonts (content streams inflated, TJ/Tj strings decoded from
// WinAnsi). Not a PDF parser: enough for what renderPdfReport writes, and failing loudly otherwise.
import { inflateSync } from "node:zlib";

const CP1252: Record<number, string> = {
  0x80: "€",
  0x82: "‚",
  0x83: "ƒ",
  0x84: "„",
  0x85: "…",
  0x86: "†",
  0x87: "‡",
  0x88: "ˆ",
  0x89: "‰",
  0x8a: "Š",
  0x8b: "‹",
  0x8c: "Œ",
  0x8e: "Ž",
  0x91: "‘",
  0x92: "’",
  0x93: "“",
  0x94: "”",
  0x95: "•",
  0x96: "–",
  0x97: "—",
  0x98: "˜",
  0x99: "™",
  0x9a: "š",
  0x9b: "›",
  0x9c: "œ",
  0x9e: "ž",
  0x9f: "Ÿ",
};
const winAnsi = (bytes: Buffer): string => Array.from(bytes, (b) => CP1252[b] ?? String.fromCharCode(b)).join("");

function literal(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== "\\") {
      out.push(c.charCodeAt(0));
      continue;
    }
    const n = s[++i]!;
    const oct = /^[0-7]{1,3}/.exec(s.slice(i));
    if (oct) {
      out.push(parseInt(oct[0], 8));
      i += oct[0].length - 1;
    } else out.push(({ n: 10, r: 13, t: 9, b: 8, f: 12 } as Record<string, number>)[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(out);
}

export interface PdfReadBack {
  /** Number of page objects. */
  pages: number;
  /** Every text-showing operation's text, one per line, in drawing order. */
  text: string;
}

export function readPdf(bytes: Buffer): PdfReadBack {
  const head = bytes.subarray(0, 8).toString("latin1");
  if (!head.startsWith("%PDF-")) throw new Error(`not a PDF: starts with ${JSON.stringify(head)}`);
  if (!bytes.subarray(-16).toString("latin1").includes("%%EOF")) throw new Error("not a complete PDF: no %%EOF at the end");
  const raw = bytes.toString("latin1");
  const pages = (raw.match(/\/Type\s*\/Page\b(?!s)/g) ?? []).length;
  const texts: string[] = [];
  const streamRe = /<<([^]*?)>>\s*stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = streamRe.exec(raw))) {
    const start = m.index + m[0].length;
    const end = raw.indexOf("endstream", start);
    let data = bytes.subarray(start, end);
    if (/\/Filter\s*\/FlateDecode/.test(m[1]!)) {
      try {
        data = inflateSync(data);
      } catch {
        continue; // a font or image stream, not text
      }
    }
    const content = data.toString("latin1");
    if (!/\bT[Jj]\b/.test(content)) continue;
    for (const op of content.matchAll(/\[((?:[^\]\\]|\\.)*)\]\s*TJ|(<[0-9a-fA-F]*>|\((?:[^)\\]|\\.)*\))\s*Tj/g)) {
      const parts =
        op[1] !== undefined
          ? [...op[1].matchAll(/<([0-9a-fA-F]*)>|\(((?:[^)\\]|\\.)*)\)/g)]
          : [op[2]!.startsWith("<") ? [op[2]!, op[2]!.slice(1, -1), undefined] : [op[2]!, undefined, op[2]!.slice(1, -1)]];
      texts.push(parts.map((p) => winAnsi(p[1] !== undefined ? Buffer.from(p[1], "hex") : literal(p[2] ?? ""))).join(""));
    }
  }
  return { pages, text: texts.join("\n") };
}
