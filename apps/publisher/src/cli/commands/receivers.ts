import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { PrepcastError, readRegistrationFile, reportCliSuccess, verifyRegistration, writeFileAtomic } from "@prepcast/protocol";
import { action } from "../program";
import { addRegistryEntry, removeRegistryEntry } from "../../difusores/registry-file";
import { checkSvgLogo } from "../../difusores/svg-logo";
import { loadPublisherConfig } from "../../service/config";

/** The files `receivers add` keeps beside the config get the config's owner and group when root writes them. */
function ownerOf(configFile: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const st = fs.statSync(configFile);
  return { uid: st.uid, gid: st.gid };
}

function mkdirOwned(dir: string, owner: { uid: number; gid: number } | undefined): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
}

export function registerReceivers(program: Command): void {
  const receivers = program
    .command("receivers")
    .description("the registry of difusores (receivers: in the publisher config): add one from its signed registration, list, remove");

  receivers
    .command("add")
    .description(
      "check a difusor's signed registration (prep-receiver register) and add it to the registry; its logo is sanitized and kept in logos/ beside the config, the signed file in registrations/",
    )
    .argument("<REGISTRATION.json>", "the registration file the difusor handed over")
    .requiredOption("--config <FILE>", "publisher config (YAML) to add it to")
    .option("--expect-key <KEYID>", "the identity key id the difusor read to you over the phone: refuse the file if it was signed by another key")
    .option("--replace", "replace the entry with the same id (a new key, certificate or address)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (file: string, opts: { config: string; expectKey?: string; replace?: boolean; json?: boolean }) => {
        const signed = readRegistrationFile(file, "ask the difusor for the registration.json that `prep-receiver register` wrote");
        const { registration: r, keyid } = verifyRegistration(signed, file);
        if (opts.expectKey !== undefined && opts.expectKey.trim().toLowerCase() !== keyid) {
          throw new PrepcastError("SIGNATURE_INVALID", `${file} is signed by identity key ${keyid}, not by ${opts.expectKey}`, {
            where: file,
            hint: "do not add it: ask the difusor to read its key id again (`prep-receiver register` prints it) and for a new file",
          });
        }
        loadPublisherConfig(opts.config); // fail on a broken config before writing anything beside it
        const configDir = path.dirname(path.resolve(opts.config));
        const owner = ownerOf(opts.config);
        const entry: Record<string, unknown> = {
          id: r.id,
          name: r.name,
          organization: r.organization,
          transport: r.transport,
          address: r.address,
          tlsFingerprint: r.tlsFingerprint,
          identityPublicKey: r.identityPublicKey,
          publicUrl: r.publicUrl,
          staff: r.staff,
        };
        if (r.logo !== null) {
          // the logo is untrusted: checked and rewritten through the SVG allowlist, and only the rewritten bytes are kept
          const logos = path.join(configDir, "logos");
          mkdirOwned(logos, owner);
          const tmp = path.join(logos, `.registration-${r.id}-${process.pid}.svg`);
          fs.writeFileSync(tmp, r.logo, { mode: 0o600 });
          let checked: ReturnType<typeof checkSvgLogo>;
          try {
            checked = checkSvgLogo(tmp);
          } catch (e) {
            const err = e as PrepcastError;
            throw new PrepcastError("LOGO_INVALID", `the logo in ${file}: ${err.message.replace(/^logo \S+: /, "")}`, {
              where: `${file}: logo`,
              hint: "ask the difusor for a plain SVG logo (under 100 KB, no scripts or external references) and a new registration",
            });
          } finally {
            fs.rmSync(tmp, { force: true });
          }
          await writeFileAtomic(path.join(logos, `${r.id}.svg`), checked.bytes, 0o644, owner);
          entry.logo = `./logos/${r.id}.svg`;
        }
        const kept = path.join(configDir, "registrations");
        mkdirOwned(kept, owner);
        const { replaced } = await addRegistryEntry(opts.config, entry, opts.replace === true);
        await writeFileAtomic(path.join(kept, `${r.id}.json`), signed, 0o644, owner);
        reportCliSuccess(
          opts.json === true,
          {
            receiver: r.id,
            config: opts.config,
            replaced,
            identityKeyId: keyid,
            tlsFingerprint: r.tlsFingerprint,
            transport: r.transport,
            address: r.address,
            staff: r.staff.length,
            logo: r.logo !== null,
          },
          [
            `${r.id} (${r.organization}) ${replaced ? "replaced" : "added"} in ${opts.config}: ${r.transport} ${r.address}, TLS certificate ${r.tlsFingerprint.slice(0, 16)}…, ${r.staff.length} staff, ${r.logo !== null ? "logo sanitized in logos/" : "no logo"}`,
            `identity key id ${keyid}${opts.expectKey ? " (matches the one you were given)" : ": confirm it with the difusor by phone before election day (or pass --expect-key)"}`,
            "a running prep-publisher reads its registry at start: restart it to connect to the difusor",
          ],
        );
      }),
    );

  receivers
    .command("list")
    .description("list the registered difusores")
    .requiredOption("--config <FILE>", "publisher config (YAML)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { config: string; json?: boolean }) => {
        const config = loadPublisherConfig(opts.config);
        const list = config.receivers.map((r) => ({
          id: r.id,
          name: r.name,
          organization: r.organization ?? null,
          transport: r.transport,
          address: r.address,
          tlsFingerprint: r.tlsFingerprint ?? null,
          publicUrl: r.publicUrl ?? null,
          staff: r.staff ?? [],
          logo: r.logo ?? null,
        }));
        reportCliSuccess(opts.json === true, { config: opts.config, receivers: list }, [
          `${list.length} difusor(es) registered in ${opts.config}`,
          ...list.map(
            (r) =>
              `  ${r.id}  ${r.organization ?? r.name}  ${r.transport} ${r.address}  TLS ${r.tlsFingerprint ? `${r.tlsFingerprint.slice(0, 16)}…` : "(none)"}  staff ${r.staff.length}${r.logo ? "  logo" : ""}`,
          ),
        ]);
      }),
    );

  receivers
    .command("remove")
    .description("remove a difusor from the registry (its saved logo and registration stay on disk as a record)")
    .argument("<ID>", "the receiver id")
    .requiredOption("--config <FILE>", "publisher config (YAML)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (id: string, opts: { config: string; json?: boolean }) => {
        const removed = await removeRegistryEntry(opts.config, id);
        reportCliSuccess(opts.json === true, { receiver: id, config: opts.config, removed: true, address: removed.address ?? null }, [
          `${id} removed from ${opts.config}`,
          "a running prep-publisher reads its registry at start: restart it to stop pushing to the difusor",
        ]);
      }),
    );
}
