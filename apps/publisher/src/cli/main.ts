import { Command } from "commander";
import { registerReleaseKey, registerCheckConfig, registerVerifyRelease, registerWaitReady } from "@prepcast/runtime";
import { loadPublisherConfig } from "../service/config";
import { registerAudit } from "./commands/audit";
import { registerInit } from "./commands/init";
import { registerKeys } from "./commands/keys";
import { registerPack } from "./commands/pack";
import { registerPush } from "./commands/push";
import { registerReceipts } from "./commands/receipts";
import { registerNotify } from "./commands/notify";
import { registerReceivers } from "./commands/receivers";
import { registerRegister } from "./commands/register";
import { registerRun } from "./commands/run";
import { registerStatus } from "./commands/status";
import { registerAdminPassword } from "./commands/admin-password";
import { registerDifusores } from "./commands/difusores";
import { registerDrill } from "./commands/drill";
import { registerReinstate } from "./commands/reinstate";
import { registerReport } from "./commands/report";
import { registerSuspend } from "./commands/suspend";
import { runProgram } from "./program";

/** Builds the prep-publisher command tree; other modules add their commands through the register functions. */
export function buildProgram(): Command {
  const program = new Command()
    .name("prep-publisher")
    .description("PREPcast publisher: sign PREP cuts and push them to every registered difusor")
    .version("0.1.0");
  registerInit(program);
  registerKeys(program);
  registerPack(program);
  registerRegister(program);
  registerReceivers(program);
  registerNotify(program);
  registerRun(program);
  registerPush(program);
  registerStatus(program);
  registerReceipts(program);
  registerAudit(program);
  registerSuspend(program);
  registerReinstate(program);
  registerDifusores(program);
  registerDrill(program);
  registerReport(program);
  registerAdminPassword(program);
  registerVerifyRelease(program);
  registerCheckConfig(program, (file) => loadPublisherConfig(file));
  registerWaitReady(program, (file) => loadPublisherConfig(file).admin.listen, "127.0.0.1:8740");
  registerReleaseKey(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}
