import { Command } from "commander";
import { registerCheckConfig, registerVerifyRelease, registerWaitReady } from "@prepcast/runtime";
import { loadReceiverConfig } from "../agent/config";
import { registerSiteCommands, type CommandLike } from "@prepcast/site";
import { registerActivate } from "./commands/activate";
import { registerAudit } from "./commands/audit";
import { registerDoctor } from "./commands/doctor";
import { registerInit } from "./commands/init";
import { registerInstall } from "./commands/install";
import { registerNginxConfig } from "./commands/nginx-config";
import { registerRegister } from "./commands/register";
import { registerRun } from "./commands/run";
import { registerStatus } from "./commands/status";
import { registerVerify } from "./commands/verify";
import { reportConfigContext } from "./commands/report-context";
import { runProgram } from "./program";

/** Builds the prep-receiver command tree; other modules add their commands through the register functions. */
export function buildProgram(): Command {
  const program = new Command()
    .name("prep-receiver")
    .description("PREPcast receiver: the difusor's agent: verify, install and serve signed PREP cuts")
    .version("0.1.0");
  registerInit(program);
  registerRun(program);
  registerVerify(program);
  registerInstall(program);
  registerActivate(program);
  registerStatus(program);
  registerAudit(program);
  registerDoctor(program);
  registerRegister(program);
  // serve, report (memoria técnica), ingest-logs, verify-site
  registerSiteCommands(program as unknown as CommandLike, { resolveReportConfig: reportConfigContext });
  registerNginxConfig(program);
  registerVerifyRelease(program);
  registerCheckConfig(program, (file) => loadReceiverConfig(file));
  registerWaitReady(program, (file) => loadReceiverConfig(file).admin.listen, "127.0.0.1:8731");
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}
