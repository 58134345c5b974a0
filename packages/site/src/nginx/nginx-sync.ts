// Keeps the difusor's nginx in step with the live cut: the public files every time, the include
// only when its text changes, checked with `nginx -t` before nginx is told to reload. A refused
// include (or a failed reload) puts the previous one back, so nginx keeps serving the previous
// cut consistently, and the next sync tries again.
import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { PrepcastError } from "@prepcast/protocol";
import { nginxSiteState, NginxSiteMode, NginxSiteOptions, renderNginxInclude, writeFileAtomicSync, writeNginxPublicFiles } from "./nginx-site";

export interface NginxControlOptions extends NginxSiteOptions {
  /** The include file the difusor's server block includes. */
  include: string;
  /** Checks the whole nginx config with the new include in place (default ["nginx", "-t"]; [] = no check). */
  test?: string[];
  /** Makes nginx load it (default ["nginx", "-s", "reload"]; [] = no reload). */
  reload?: string[];
}

export interface NginxSyncResult {
  mode: NginxSiteMode;
  cut: string | null;
  include: string;
  /** The include's text changed (and nginx was reloaded when a reload command is set). */
  changed: boolean;
  reloaded: boolean;
  /** When the state changes by itself (the embargo's end, a notice's `until`): sync again then. */
  nextChangeMs: number | null;
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Runs a command without blocking the agent's event loop (nginx -t can take a while on a large config). */
function run(cmd: string[], what: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(cmd[0]!, cmd.slice(1), { encoding: "utf8", timeout: 30_000 }, (err, stdout, stderr) => {
      const output = `${stdout ?? ""}${stderr ?? ""}`.trim().split("\n").slice(-8).join("\n");
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (err && typeof code === "string") resolve({ ok: false, output: `${what} (${cmd.join(" ")}) could not run: ${err.message}` });
      else resolve({ ok: err === null, output });
    });
  });
}

/**
 * One sync at `now`: prepcast.json and the pages always (`assets`: also the constant banner and
 * verifier files), the include and the reload only when the include's text changes.
 */
export async function syncNginxSite(opts: NginxControlOptions, now: number, assets = false): Promise<NginxSyncResult> {
  const state = nginxSiteState(opts, now);
  writeNginxPublicFiles(opts, state, assets);
  const text = renderNginxInclude(opts, state);
  const nextChangeMs = state.mode === "embargo" ? state.cut!.notBeforeMs : state.mode === "notice" ? (state.notice!.untilMs ?? null) : null;
  const result: NginxSyncResult = { mode: state.mode, cut: state.cut?.id ?? null, include: opts.include, changed: false, reloaded: false, nextChangeMs };
  const previous = readOrUndefined(opts.include);
  if (previous === text) return result;
  writeFileAtomicSync(opts.include, text);
  const restore = (): void => {
    if (previous === undefined) rmSync(opts.include, { force: true });
    else writeFileAtomicSync(opts.include, previous);
  };
  const test = opts.test ?? ["nginx", "-t"];
  if (test.length > 0) {
    const t = await run(test, "nginx -t");
    if (!t.ok) {
      restore();
      throw new PrepcastError(
        "CONFIG_INVALID",
        `nginx refused the new include ${opts.include} (${state.mode}${state.cut ? `, cut ${state.cut.id}` : ""}); the previous include is kept and nginx keeps serving it: ${t.output}`,
        { where: opts.include, hint: "run the test command by hand (nginx -t) and fix what it names; the agent tries again on the next sync" },
      );
    }
  }
  const reload = opts.reload ?? ["nginx", "-s", "reload"];
  if (reload.length > 0) {
    const r = await run(reload, "nginx reload");
    if (!r.ok) {
      restore();
      throw new PrepcastError("IO_ERROR", `nginx could not be reloaded with the new include ${opts.include}: ${r.output}; the previous include is kept`, {
        where: opts.include,
        hint: "give the agent's user the right to reload nginx (docs/operations/nginx.md), e.g. a sudoers line for `nginx -s reload`",
      });
    }
    result.reloaded = true;
  }
  result.changed = true;
  return result;
}
