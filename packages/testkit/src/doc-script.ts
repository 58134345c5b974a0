// Turns the shell blocks of a Markdown guide into one bash script, so a test runs the guide as a
// reader would: every ```sh block, in order, word for word, in one shell (a `cd` or a variable
// carries over to the next block, as in the reader's terminal).
//
// A guide may annotate the block that follows with an HTML comment (invisible when rendered):
//   <!-- doctest: skip: WHY -->   not run; WHY is required and printed (e.g. needs the Internet)
//   <!-- doctest: values -->      the block sets variables the reader fills in (NAME=value lines);
//                                 a test may give its own value for any NAME (options.values)
//   <!-- doctest: exit N -->      the block must end with exit status N (e.g. a refused rollback)
// Nothing else is rewritten: a test that needs another value must use a `values` block.
// A test may run only some sections (by heading) when a procedure spans two machines; the values
// blocks of the other sections still run (the reader still has those values).
import * as fs from "node:fs";

export interface DocBlock {
  /** 1-based line of the opening fence */
  line: number;
  /** the nearest heading above the block (without its #s) */
  section: string;
  lang: string;
  body: string;
  skip?: string;
  values?: boolean;
  exit?: number;
}

export interface DocScriptOptions {
  /** Values for the NAME=value lines of `values` blocks (unknown names are an error). */
  values?: Record<string, string>;
  /** Name shown in failure messages (default: the file path). */
  source?: string;
  /** Run only the blocks under headings that start with one of these (default: all). */
  sections?: string[];
}

const SHELL_LANGS = new Set(["sh", "bash", "shell", "console"]);
const ANNOTATION = /^<!--\s*doctest:\s*(.*?)\s*-->\s*$/;

/** The shell blocks of a Markdown text, with their annotations. */
export function extractShellBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  let pending: Omit<DocBlock, "line" | "section" | "lang" | "body"> | null = null;
  let pendingLine = 0;
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const note = ANNOTATION.exec(text.trim());
    if (note) {
      pending = parseAnnotation(note[1]!, i + 1);
      pendingLine = i + 1;
      continue;
    }
    const heading = /^#{1,6}\s+(.*?)\s*$/.exec(text);
    if (heading) section = heading[1]!;
    const fence = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(text);
    if (!fence) {
      if (text.trim() !== "" && pending) throw new Error(`line ${pendingLine}: a doctest annotation must be followed by a code block`);
      continue;
    }
    const [, indent, marker, lang] = fence as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      if (lines[j]!.trimStart().startsWith(marker) && lines[j]!.trim() === marker) break;
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!);
    }
    if (j === lines.length) throw new Error(`line ${i + 1}: code block is never closed`);
    if (SHELL_LANGS.has(lang.toLowerCase())) blocks.push({ line: i + 1, section, lang, body: body.join("\n"), ...(pending ?? {}) });
    else if (pending) throw new Error(`line ${pendingLine}: a doctest annotation applies to shell blocks only (this one is "${lang}")`);
    pending = null;
    i = j;
  }
  return blocks;
}

function parseAnnotation(text: string, line: number): Omit<DocBlock, "line" | "section" | "lang" | "body"> {
  const skip = /^skip:\s*(\S.*)$/.exec(text);
  if (skip) return { skip: skip[1]! };
  if (text === "values") return { values: true };
  const exit = /^exit\s+(\d{1,3})$/.exec(text);
  if (exit) return { exit: Number(exit[1]) };
  throw new Error(`line ${line}: unknown doctest annotation "${text}" (skip: WHY | values | exit N)`);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One bash script running the guide's blocks in order; it stops at the first failing block and names it. */
export function docScript(markdown: string, options: DocScriptOptions = {}): string {
  const source = options.source ?? "the guide";
  const unused = new Set(Object.keys(options.values ?? {}));
  const out: string[] = [
    "#!/usr/bin/env bash",
    `# generated from ${source} by @prepcast/testkit docScript: every shell block, in order`,
    "set -eo pipefail",
    'doc_block=""',
    `trap 'rc=$?; [ -n "$doc_block" ] && echo "doc-script: the block at ${source}:$doc_block failed (exit $rc)" >&2' ERR`,
  ];
  const blocks = extractShellBlocks(markdown);
  const wanted = options.sections;
  if (wanted) {
    for (const w of wanted) if (!blocks.some((b) => b.section.startsWith(w))) throw new Error(`${source}: no shell block under a heading starting with "${w}"`);
  }
  for (const block of blocks) {
    // a values block runs even outside the sections asked for: a reader resuming the procedure
    // later (on another day, after the other machine's part) still has its values and directory
    if (wanted && !wanted.some((w) => block.section.startsWith(w)) && !block.values) continue;
    const where = `${source}:${block.line}`;
    if (block.skip) {
      out.push(`echo ${shellQuote(`doc-script: skipped the block at ${where}: ${block.skip}`)} >&2`);
      continue;
    }
    let body = block.body;
    if (block.values) {
      body = body
        .split("\n")
        .map((l) => {
          const m = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)=(\S*)(.*)$/.exec(l);
          if (!m || !options.values || !(m[2]! in options.values)) return l;
          unused.delete(m[2]!);
          return `${m[1]}${m[2]}=${shellQuote(options.values[m[2]!]!)}`;
        })
        .join("\n");
    }
    out.push(`echo ${shellQuote(`doc-script: block at ${where}`)} >&2`, `doc_block=${block.line}`);
    if (block.exit !== undefined) {
      // Run in a subshell so the expected failure cannot end the script; its status is checked.
      out.push("set +e", "(", "set -e", body, ")", "doc_rc=$?", "set -e");
      out.push(`if [ "$doc_rc" -ne ${block.exit} ]; then echo "doc-script: the block at ${where} ended with exit $doc_rc, the guide says ${block.exit}" >&2; exit 1; fi`);
    } else {
      out.push(body);
    }
  }
  if (unused.size > 0) throw new Error(`${source}: no values block sets ${[...unused].join(", ")}`);
  out.push('doc_block=""', `echo ${shellQuote(`doc-script: ${source} ran to the end`)} >&2`, "");
  return out.join("\n");
}

/** docScript of a file. */
export function docScriptFile(file: string, options: DocScriptOptions = {}): string {
  return docScript(fs.readFileSync(file, "utf8"), { source: file, ...options });
}
