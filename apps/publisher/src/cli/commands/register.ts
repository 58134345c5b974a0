import * as fs from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { PrepcastError, reportCliSuccess } from "@prepcast/protocol";
import { action } from "../program";
import { addRegistryEntry } from "../../difusores/registry-file";
import { PublisherConfigSchema } from "../../service/config";
import { defaultTransports, transportNamed, transportRegistry } from "../../service/transports";

/** The registry's own rules (receivers[] of the publisher config), for one entry. */
const RegistrySchema = PublisherConfigSchema.shape.receivers;

function readRegistration(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new PrepcastError("CONFIG_INVALID", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      where: file,
      hint: "the difusor's `prep-receiver init` writes registration.yaml next to its receiver.yaml; ask the difusor for it",
    });
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new PrepcastError("CONFIG_INVALID", `${file} is not valid YAML: ${(e as Error).message.split("\n")[0]}`, { where: file });
  }
  if (Array.isArray(value) && value.length === 1) value = value[0];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PrepcastError("CONFIG_INVALID", `${file} must hold one difusor's registry entry (id, name, address, tlsFingerprint, identityPublicKey, ...)`, {
      where: file,
    });
  }
  const parsed = RegistrySchema.safeParse([value]);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => {
        const at = i.path.slice(1);
        return `  - ${at.length ? at.join(".") : "(top level)"}: ${i.message}`;
      });
  problems.push(...transportProblems(value as Record<string, unknown>));
  if (problems.length > 0) {
    throw new PrepcastError("CONFIG_INVALID", `${problems.length} problem(s) in ${file}:\n${problems.join("\n")}`, {
      where: file,
      hint: "fix them with the difusor (the fields are those of receivers[] in docs/operations/configuration.md)",
    });
  }
  return value as Record<string, unknown>;
}

/** The entry's transport is one this publisher knows, and its address reads as that transport's. */
function transportProblems(entry: Record<string, unknown>): string[] {
  const name = entry.transport ?? "grpc";
  if (typeof name !== "string" || typeof entry.address !== "string") return [];
  const registry = transportRegistry(defaultTransports());
  try {
    transportNamed(registry, name, "transport").parseAddress(entry.address, "address", { insecurePlaintext: entry.insecurePlaintext === true });
    return [];
  } catch (e) {
    const err = e as PrepcastError;
    return [`  - ${err.where ?? "address"}: ${err.message}${err.hint ? ` (${err.hint})` : ""}`];
  }
}

export function registerRegister(program: Command): void {
  program
    .command("register")
    .description(
      "add a difusor to the registry (receivers: in the publisher config) from the registration.yaml its `prep-receiver init` wrote; comments in the config are kept",
    )
    .argument("<REGISTRATION.yaml>", "the difusor's registration file")
    .requiredOption("--config <FILE>", "publisher config (YAML) to add it to")
    .option("--replace", "replace the entry with the same id (a new key or certificate)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (file: string, opts: { config: string; replace?: boolean; json?: boolean }) => {
        const entry = readRegistration(file);
        const id = String(entry.id);
        const { replaced } = await addRegistryEntry(opts.config, entry, opts.replace === true);
        reportCliSuccess(opts.json === true, { receiver: id, config: opts.config, replaced }, [
          `${id} ${replaced ? "replaced" : "added"} in ${opts.config} (address ${String(entry.address)}, TLS certificate ${String(entry.tlsFingerprint).slice(0, 16)}…)`,
          "a running prep-publisher reads its registry at start: restart it to connect to the difusor",
        ]);
      }),
    );
}
