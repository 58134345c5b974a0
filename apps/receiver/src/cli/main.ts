import { Command } from "commander";
import { registerActivate } from "./commands/activate";
import { registerAudit } from "./commands/audit";
import { registerInstall } from "./commands/install";
import { registerStatus } from "./commands/status";
import { registerVerify } from "./commands/verify";
import { runProgram } from "./program";

/** Builds the prep-receiver command tree; other modules add their commands through the register functions. */
export function buildProgram(): Command {
  const program = new Command()
    .name("prep-receiver")
    .description("PREPcast receiver: verify and install signed PREP cuts (offline path; the push agent comes later)")
    .version("0.1.0");
  registerVerify(program);
  registerInstall(program);
  registerActivate(program);
  registerStatus(program);
  registerAudit(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}
