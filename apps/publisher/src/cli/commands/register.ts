import * as fs from "node:fs";
import type { Command } from "commander";
import { parseDocument, parse as parseYaml, isSeq } from "yaml";
import { PrepcastError, reportCliSuccess, writeFileAtomic } from "@prepcast/protocol";
import { action } from "../program";
import { loadPublisherConfig, PublisherConfigSchema } from "../../service/config";

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
    throw new PrepcastError("CONFIG_INVALID", `${file} must hold one difusor's registry entry (id, name, address, tlsFingerprint, identityPublicKey, ...)`, { where: file });
  }
  const parsed = RegistrySchema.safeParse([value]);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const at = i.path.slice(1);
      return `  - ${at.length ? at.join(".") : "(top level)"}: ${i.message}`;
    });
    throw new PrepcastError("CONFIG_INVALID", `${problems.length} problem(s) in ${file}:\n${problems.join("\n")}`, {
      where: file,
      hint: "fix them with the difusor (the fields are those of receivers[] in docs/operations/configuration.md)",
    });
  }
  return value as Record<string, unknown>;
}

export function registerRegister(program: Command): void {
  program
    .command("register")
    .description("add a difusor to the registry (receivers: in the publisher config) from the registration.yaml its `prep-receiver init` wrote; comments in the config are kept")
    .argument("<REGISTRATION.yaml>", "the difusor's registration file")
    .requiredOption("--config <FILE>", "publisher config (YAML) to add it to")
    .option("--replace", "replace the entry with the same id (a new key or certificate)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (file: string, opts: { config: string; replace?: boolean; json?: boolean }) => {
        const entry = readRegistration(file);
        loadPublisherConfig(opts.config); // the config must be valid before it is changed
        const doc = parseDocument(fs.readFileSync(opts.config, "utf8"));
        const node = doc.get("receivers", true);
        const id = String(entry.id);
        let replaced = false;
        if (isSeq(node) && node.items.length > 0) {
          const at = node.items.findIndex((item) => (item as { get?: (k: string) => unknown }).get?.("id") === id);
          if (at >= 0) {
            if (opts.replace !== true) {
              throw new PrepcastError("STATE_CONFLICT", `${id} is already registered in ${opts.config}`, { where: `${opts.config}: receivers.${at}`, hint: "add --replace to replace its entry (e.g. a new identity key or certificate)" });
            }
            node.items[at] = doc.createNode(entry);
            replaced = true;
          } else node.items.push(doc.createNode(entry));
        } else {
          doc.set("receivers", doc.createNode([entry]));
        }
        const text = doc.toString();
        // the config keeps its mode, and its owner and group when root rewrites it (root:prepcast 0640 in the guides)
        const st = fs.statSync(opts.config);
        const asRoot = process.getuid?.() === 0;
        await writeFileAtomic(opts.config, text, st.mode & 0o777, asRoot ? { uid: st.uid, gid: st.gid } : undefined);
        loadPublisherConfig(opts.config); // what was written loads (a key file path must exist, etc.)
        reportCliSuccess(opts.json === true, { receiver: id, config: opts.config, replaced }, [
          `${id} ${replaced ? "replaced" : "added"} in ${opts.config} (address ${String(entry.address)}, TLS certificate ${String(entry.tlsFingerprint).slice(0, 16)}…)`,
          "a running prep-publisher reads its registry at start: restart it to connect to the difusor",
        ]);
      }),
    );
}
