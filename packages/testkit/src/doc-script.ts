// Turns the shell blocks of a Markdown guide into one bash script, so a test runs the guide as a
// reader would: every ```sh block, in order, word for word, in one shell (a `cd` or a variable
// carries over to the next block, as in the reader's terminal).
//
// A guide may annotate the block that follows with an HTML comment (invisible when rendered):
//   <!-- doctest: skip: WHY -->   not run; WHY is required and printed (e.g. needs the Internet)
//   <!-- doctest: values -->      the block sets variables the reader fills in (NAME=value lines);
//                                 a test may give its own value for any NAME (options.values)
//   <!-- doctest: exit N -->      the block must end with exit status N (e.g. a refused rollback)
//   <!-- doctest: background until URL within N s -->
//                                 a long-running command the reader starts in another terminal
//                                 (`prep-receiver run`): started in the background in its own
//                                 process group, its output kept in a log; the script goes on once
//                                 URL answers 2xx ("until URL" and "within N s" are optional; the
//                                 default wait is 60 s). If it exits or is not ready in time, the
//                                 script fails and prints its log. When the script ends, however
//                                 it ends, every background block still running gets SIGTERM (its
//                                 whole process group; SIGKILL after 10 s) and is waited for.
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
  /** run in the background; `until`: the URL that answers 2xx once it is ready, within `withinSeconds` */
  background?: { until?: string; withinSeconds: number };
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
  const bg = /^background(?:\s+until\s+(https?:\/\/\S+))?(?:\s+within\s+(\d{1,4})\s*s)?$/.exec(text);
  if (bg) return { background: { ...(bg[1] !== undefined ? { until: bg[1] } : {}), withinSeconds: bg[2] !== undefined ? Number(bg[2]) : 60 } };
  throw new Error(`line ${line}: unknown doctest annotation "${text}" (skip: WHY | values | exit N | background [until URL] [within N s])`);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// The shell functions a script with background blocks uses: start one, wait for its URL, stop all.
const BACKGROUND_FUNCTIONS = `doc_tmp=$(mktemp -d "\${TMPDIR:-/tmp}/doc-script.XXXXXX")
doc_bg_pids=()
doc_bg_where=()
doc_bg_log() { echo "doc-script: output of the background block at $2:" >&2; sed 's/^/    /' "$doc_tmp/bg-$1.log" >&2 || true; }
doc_bg_wait() { # pid index where url seconds
  local deadline=$((SECONDS + $5))
  while :; do
    if ! kill -0 "$1" 2>/dev/null; then
      local rc=0; wait "$1" || rc=$?
      echo "doc-script: the background block at $3 exited (exit $rc) before it was ready" >&2; doc_bg_log "$2" "$3"; exit 1
    fi
    if [ -z "$4" ] || node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$4" 2>/dev/null; then return 0; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "doc-script: the background block at $3 was not ready ($4) within $5 s" >&2; doc_bg_log "$2" "$3"; exit 1
    fi
    sleep 0.2
  done
}
doc_bg_stop() {
  local rc=$? i pid waited
  trap - EXIT
  set +e
  for i in "\${!doc_bg_pids[@]}"; do
    pid=\${doc_bg_pids[$i]}
    kill -0 -- "-$pid" 2>/dev/null || continue
    kill -TERM -- "-$pid" 2>/dev/null
    waited=0
    # until every process of its group is gone (a service finishing its shutdown), at most 10 s
    while kill -0 -- "-$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "doc-script: stopped the background block at \${doc_bg_where[$i]} (exit $?)" >&2
    [ "$rc" -ne 0 ] && doc_bg_log "$i" "\${doc_bg_where[$i]}"
  done
  rm -rf "$doc_tmp"
  exit "$rc"
}
trap doc_bg_stop EXIT`;

/** One bash script running the guide's blocks in order; it stops at the first failing block and names it. */
export function docScript(markdown: string, options: DocScriptOptions = {}): string {
  const source = options.source ?? "the guide";
  const unused = new Set(Object.keys(options.values ?? {}));
  const blocks = extractShellBlocks(markdown);
  const out: string[] = [
    "#!/usr/bin/env bash",
    `# generated from ${source} by @prepcast/testkit docScript: every shell block, in order`,
    "set -eo pipefail",
    'doc_block=""',
    `doc_on_err() { local rc=$?; [ -n "$doc_block" ] && echo "doc-script: the block at ${source}:$doc_block failed (exit $rc)" >&2; }`,
    "trap doc_on_err ERR",
  ];
  const wanted = options.sections;
  if (wanted) {
    for (const w of wanted) if (!blocks.some((b) => b.section.startsWith(w))) throw new Error(`${source}: no shell block under a heading starting with "${w}"`);
  }
  const runs = (b: DocBlock) => !wanted || wanted.some((w) => b.section.startsWith(w));
  if (blocks.some((b) => b.background && !b.skip && runs(b))) out.push(BACKGROUND_FUNCTIONS);
  let backgrounds = 0;
  for (const block of blocks) {
    // a values block runs even outside the sections asked for: a reader resuming the procedure
    // later (on another day, after the other machine's part) still has its values and directory
    if (!runs(block) && !block.values) continue;
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
    out.push(`echo ${shellQuote(`doc-script: block at ${where}`)}" (\${SECONDS} s)" >&2`, `doc_block=${block.line}`);
    if (block.background) {
      // its own process group (job control on for the launch), so stopping it stops its children too
      const i = backgrounds++;
      // the subshell outlives a SIGTERM (a trap, not an ignore: the command still gets it) so its
      // exit status is the command's own after a clean stop
      out.push("set -m", "(", "trap 'true' TERM", body, `) > "$doc_tmp/bg-${i}.log" 2>&1 < /dev/null &`, "doc_bg_pid=$!", "set +m");
      out.push(`doc_bg_pids+=("$doc_bg_pid")`, `doc_bg_where+=(${shellQuote(where)})`);
      out.push(`doc_bg_wait "$doc_bg_pid" ${i} ${shellQuote(where)} ${shellQuote(block.background.until ?? "")} ${block.background.withinSeconds}`);
    } else if (block.exit !== undefined) {
      // Run in a subshell so the expected failure cannot end the script; its status is checked.
      // without the ERR trap (the failure is expected, and checked below); not in a `||` list,
      // where bash would switch set -e off inside the subshell
      out.push("trap - ERR", "set +e", "(", "set -e", body, ")", "doc_rc=$?", "set -e", "trap doc_on_err ERR");
      out.push(
        `if [ "$doc_rc" -ne ${block.exit} ]; then echo "doc-script: the block at ${where} ended with exit $doc_rc, the guide says ${block.exit}" >&2; exit 1; fi`,
      );
    } else {
      out.push(body);
    }
  }
  if (unused.size > 0) throw new Error(`${source}: no values block sets ${[...unused].join(", ")}`);
  out.push('doc_block=""', `echo ${shellQuote(`doc-script: ${source} ran to the end`)}" (\${SECONDS} s)" >&2`, "");
  return out.join("\n");
}

/** docScript of a file. */
export function docScriptFile(file: string, options: DocScriptOptions = {}): string {
  return docScript(fs.readFileSync(file, "utf8"), { source: file, ...options });
}
