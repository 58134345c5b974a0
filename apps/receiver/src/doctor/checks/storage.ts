import * as fs from "node:fs";
import * as path from "node:path";
import { formatBytes, inspectStore } from "@prepcast/protocol";
import { num, REQUIREMENTS as R } from "../requirements";
import { existingAncestor, fail, pass, warn, type Check } from "./check";

/** Free space for the retained cuts (and the analytics budget). */
export const STORAGE_CHECKS: Check[] = [
  {
    id: "space",
    title: "free space for the retained cuts",
    run(ctx) {
      const at = existingAncestor(ctx.root);
      let free: number;
      try {
        const st = fs.statfsSync(at);
        free = st.bavail * st.bsize;
      } catch (e) {
        return warn(`free space under ${at} cannot be read: ${(e as NodeJS.ErrnoException).code}`, `check by hand: df -h ${at}`);
      }
      let live = 0;
      let held = 0;
      try {
        const view = inspectStore(ctx.root, "root");
        live = view.live?.totalSize ?? 0;
        held = view.state.cuts.reduce((sum, c) => sum + c.totalSize, 0);
      } catch {
        /* not installed yet */
      }
      const analytics =
        ctx.config.site.analytics &&
        (ctx.config.site.analyticsFile === undefined || ctx.resolve(ctx.config.site.analyticsFile).startsWith(`${path.resolve(ctx.root)}/`))
          ? ctx.config.site.analyticsMaxMiB * 1024 * 1024
          : 0;
      const cuts = ctx.config.retain + num(R.extraCuts);
      if (live === 0) return pass(`${formatBytes(free)} free under ${at}; no live cut yet, so the need is not known (run doctor again after the first cut)`);
      const need = live * cuts + analytics;
      const missing = need - held;
      const what = `${formatBytes(free)} free under ${at}; needed: ${cuts} cuts of the live cut's ${formatBytes(live)} (retain ${ctx.config.retain} + ${R.extraCuts.value})${analytics ? ` + the analytics budget ${formatBytes(analytics)}` : ""} = ${formatBytes(need)}, of which ${formatBytes(held)} already on disk`;
      if (free < missing) return fail(what, `free ${formatBytes(missing - free)} under ${at}, lower retain in ${ctx.file}, or move root to a larger disk`);
      if (free < missing * 1.5)
        return warn(`${what}: less than 50% to spare`, `free space under ${at} before election night (cuts grow as actas are captured)`);
      return pass(what);
    },
  },
];
