// The commands both services' CLIs carry for their supervisors and operators.
// `check-config`: loads the config exactly as `run` does and lists every problem (exit 78), or says it is valid.
// `wait-ready`: blocks until the running service's admin /readyz answers 200. The systemd units run
// it as ExecStartPost=, so `systemctl start` returns (and units ordered After= start) only once the
// service is ready, not merely forked. Type=notify would need sd_notify's unix datagram socket,
// which Node cannot open without a native addon; `systemd-notify` from a child process is
// attributed to the unit only if systemd reads it before the child exits (a race before systemd
// 254), so readiness is polled instead.
import * as fs from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { cliAction, isPrepcastError, PrepcastError, reportCliError, reportCliSuccess } from "@prepcast/protocol";
import { parseListen } from "./config";
import { EXIT_CONFIG, positiveInteger } from "./cli-support";

/** The URL of a service's /readyz given its admin.listen (a wildcard listen is asked on loopback). */
export function readyzUrl(adminListen: string, where: string): string {
  const { host, port } = parseListen(adminListen, where);
  const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${h.includes(":") ? `[${h}]` : h}:${port}/readyz`;
}

/** Whether a process exists (signal 0); a PID we may not signal (EPERM) exists too. */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Polls `url` until it answers 200. With `servicePid` (systemd exports the unit's $MAINPID to
 * ExecStartPost), gives up as soon as that process is gone: a service that exited (e.g. 78 on an
 * invalid config) will never be ready, and waiting out the timeout only delays the failure.
 */
export async function waitReady(url: string, timeoutMs: number, everyMs = 250, servicePid?: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  for (;;) {
    if (servicePid !== undefined && !processExists(servicePid)) {
      throw new PrepcastError("UNAVAILABLE", `the service (PID ${servicePid}) exited before ${url} answered ready (last: ${last})`, {
        where: url,
        hint: "read the service's log (journalctl -u <unit> -n 50) for why it stopped",
      });
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(3000, Math.max(100, deadline - Date.now()))) });
      const body = await res.text();
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${body.trim().slice(0, 300)}`;
    } catch (e) {
      last = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new PrepcastError("TIMEOUT", `${url} did not answer ready within ${Math.round(timeoutMs / 1000)} s (last: ${last})`, {
        where: url,
        hint: "read the service's log (journalctl -u <unit> -n 50) for why it is not ready",
      });
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Registers `wait-ready --config FILE [--timeout S]`; `adminListenOf` reads admin.listen from the service's config. */
export function registerWaitReady(program: Command, adminListenOf: (configFile: string) => string, defaultAdminListen: string): void {
  program
    .command("wait-ready")
    .description("wait until the running service answers ready on its admin /readyz (the systemd unit's ExecStartPost); exit 0 when ready")
    .requiredOption("--config <FILE>", "the service's config (admin.listen says where to ask)")
    .option("--timeout <SECONDS>", "give up after this long", positiveInteger, 80)
    .option(
      "--pid <PID>",
      "stop waiting as soon as this process (the service) is gone; default: $MAINPID, which systemd sets for ExecStartPost",
      positiveInteger,
    )
    .action(
      cliAction(async (opts: { config: string; timeout: number; pid?: number }) => {
        let listen: string;
        try {
          listen = adminListenOf(opts.config);
        } catch (e) {
          // The config is the service's to judge: it exits 78 on an invalid one, and systemd then
          // stops this ExecStartPost. Failing here first would make systemd SIGTERM the service and
          // restart it (Restart=on-failure), the loop RestartPreventExitStatus=78 exists to prevent.
          listen = adminListenAsWritten(opts.config) ?? defaultAdminListen;
          process.stderr.write(
            `wait-ready: ${opts.config} does not load (${(e as Error).message.split("\n")[0]}); waiting on ${listen} for the service's own verdict\n`,
          );
        }
        const url = readyzUrl(listen, `${opts.config}: admin.listen`);
        await waitReady(url, opts.timeout * 1000, 250, opts.pid ?? mainPidFromEnv());
      }),
    );
}

/** systemd's $MAINPID for ExecStartPost= (absent or not a plain positive integer: no PID to watch). */
function mainPidFromEnv(): number | undefined {
  const v = process.env.MAINPID;
  return v !== undefined && /^[1-9][0-9]{0,9}$/.test(v) ? Number(v) : undefined;
}

/** admin.listen as the environment or the file gives it, without judging the rest of the config. */
function adminListenAsWritten(configFile: string): string | undefined {
  const fromEnv = process.env.PREPCAST_ADMIN_LISTEN;
  if (fromEnv) return fromEnv;
  try {
    const doc = parseYaml(fs.readFileSync(configFile, "utf8")) as { admin?: { listen?: unknown } } | null;
    return typeof doc?.admin?.listen === "string" ? doc.admin.listen : undefined;
  } catch {
    return undefined;
  }
}

/** Registers `check-config --config FILE [--json]`: `load` is the service's own loader (the one `run` uses). */
export function registerCheckConfig(program: Command, load: (configFile: string) => unknown): void {
  program
    .command("check-config")
    .description(
      "check a config file exactly as `run` reads it (files, keys, listeners) without starting anything; exit 0 when valid, 78 with every problem listed",
    )
    .requiredOption("--config <FILE>", "the config to check")
    .option("--json", "print the result as JSON")
    .action(async (opts: { config: string; json?: boolean }) => {
      try {
        load(opts.config);
        reportCliSuccess(opts.json === true, { config: opts.config }, [`${opts.config}: valid`]);
      } catch (e) {
        const code = reportCliError(e, opts.json === true);
        process.exitCode =
          isPrepcastError(e, "CONFIG_INVALID") || isPrepcastError(e, "KEY_FILE_INVALID") || isPrepcastError(e, "KEY_FILE_PERMISSIONS") ? EXIT_CONFIG : code;
      }
    });
}
