import { Command } from "commander";
import { registerAudit } from "./commands/audit";
import { registerInit } from "./commands/init";
import { registerPack } from "./commands/pack";
import { runProgram } from "./program";

/** Builds the prep-publisher command tree; other modules add their commands through the register functions. */
export function buildProgram(): Command {
  const program = new Command()
    .name("prep-publisher")
    .description("PREPcast publisher: sign PREP cuts into verifiable packages (and, later, push them to difusores)")
    .version("0.1.0");
  registerInit(program);
  registerPack(program);
  registerAudit(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}
