import { toPrepcastError } from "@prepcast/protocol";
import { loadReceiverConfig } from "../../agent/config";
import { fail, pass, type Check } from "./check";

/** The config as `prep-receiver run` reads it. */
export const CONFIG_CHECKS: Check[] = [
  {
    id: "config",
    title: "configuration the agent accepts",
    run(ctx) {
      try {
        loadReceiverConfig(ctx.file, ctx.env);
        return pass(`${ctx.file}: every field, file and listener checks out (as prep-receiver run reads it)`);
      } catch (e) {
        const err = toPrepcastError(e);
        return fail(err.message, err.hint ?? `fix ${ctx.file}; prep-receiver check-config --config ${ctx.file} lists every problem`);
      }
    },
  },
];
