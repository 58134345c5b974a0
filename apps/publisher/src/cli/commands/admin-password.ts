import * as fs from "node:fs";
import type { Command } from "commander";
import { PrepcastError, reportCliSuccess } from "@prepcast/protocol";
import { action } from "../program";
import { hashPassword } from "../../dashboard/password-hash";

async function readPassword(): Promise<string> {
  // from stdin (a pipe or a terminal); never from the command line, where `ps` would show it
  if (process.stdin.isTTY) process.stderr.write("dashboard password (at least 12 characters): ");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    if (process.stdin.isTTY && Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

export function registerAdminPassword(program: Command): void {
  program
    .command("admin-password")
    .description("store the operator dashboard password as an scrypt hash (read from stdin) for admin.passwordFile")
    .requiredOption("--out <FILE>", "file to write (mode 0600; must not exist)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { out: string; json?: boolean }) => {
        const password = await readPassword();
        if (!password) throw new PrepcastError("CONFIG_INVALID", "no password on stdin", { hint: "echo -n '...' | prep-publisher admin-password --out FILE" });
        const line = await hashPassword(password);
        fs.writeFileSync(opts.out, line + "\n", { flag: "wx", mode: 0o600 });
        reportCliSuccess(opts.json === true, { file: opts.out }, [
          `password hash written to ${opts.out}; set admin.passwordFile to it and restart the service`,
        ]);
      }),
    );
}
