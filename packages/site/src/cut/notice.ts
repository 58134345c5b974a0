// Suspension notice: when the OPLE suspends a difusor (45-minute rule) the agent verifies the
// publisher's signed notice and writes DIR/notice/notice.json; while it is active every results
// page is replaced by the notice. A malformed notice file is reported and ignored (results keep
// being served): the agent only writes notices it verified, so a broken file is a local fault.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const NoticeSchema = z.object({
  text: z.string().min(1),
  title: z.string().min(1).optional(),
  active: z.boolean().optional(),
  issuedAt: z.string().optional(),
  until: z.string().optional(),
});

export interface ActiveNotice {
  title: string;
  text: string;
  issuedAtMs: number | undefined;
  untilMs: number | undefined;
}

export interface NoticeReader {
  /** The notice in force at `nowMs`, if any. */
  current(nowMs: number): ActiveNotice | undefined;
}

export function noticePath(root: string): string {
  return join(root, "notice", "notice.json");
}

export function createNoticeReader(root: string, onError: (message: string) => void, ttlMs = 250): NoticeReader {
  const file = noticePath(root);
  let checkedAt = -Infinity;
  let mtime = -1;
  let size = -1;
  let notice: ActiveNotice | undefined;
  let inactive = false;
  const refresh = (): void => {
    let st;
    try {
      st = statSync(file);
    } catch {
      notice = undefined;
      mtime = -1;
      return;
    }
    if (st.mtimeMs === mtime && st.size === size) return;
    mtime = st.mtimeMs;
    size = st.size;
    notice = undefined;
    inactive = false;
    try {
      const parsed = NoticeSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
      if (!parsed.success) {
        onError(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}; notice ignored`);
        return;
      }
      const n = parsed.data;
      inactive = n.active === false;
      const issuedAtMs = n.issuedAt ? Date.parse(n.issuedAt) : undefined;
      const untilMs = n.until ? Date.parse(n.until) : undefined;
      notice = {
        title: n.title ?? "Aviso sobre la publicación de resultados",
        text: n.text,
        issuedAtMs: Number.isFinite(issuedAtMs) ? issuedAtMs : undefined,
        untilMs: Number.isFinite(untilMs) ? untilMs : undefined,
      };
    } catch (e) {
      onError(`${file}: not valid JSON (${(e as Error).message}); notice ignored`);
    }
  };
  return {
    current(nowMs: number): ActiveNotice | undefined {
      const t = Date.now();
      if (t - checkedAt >= ttlMs) {
        checkedAt = t;
        refresh();
      }
      if (!notice || inactive) return undefined;
      if (notice.untilMs !== undefined && nowMs >= notice.untilMs) return undefined;
      return notice;
    },
  };
}
