import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import {
  PrepcastError,
  keyIdOf,
  readSecretKeyFile,
  reportCliSuccess,
  signRegistration,
  verifyRegistration,
  writeFileAtomic,
  MAX_REGISTRATION_LOGO_BYTES,
  type StaffMember,
} from "@prepcast/protocol";
import { certificateFingerprint } from "@prepcast/transport";
import { action } from "../program";
import { loadConfig, resolveFrom } from "@prepcast/runtime";
import { RECEIVER_ENV, ReceiverConfigSchema, type ReceiverConfig } from "../../agent/config";

/** `--staff "Name|Role|Phone|Email"`, repeatable. */
function staffMember(value: string, previous: StaffMember[] = []): StaffMember[] {
  const parts = value.split("|").map((p) => p.trim());
  if (parts.length !== 4 || parts.some((p) => p === "")) {
    throw new PrepcastError("CONFIG_INVALID", `--staff ${JSON.stringify(value)} is not "Name|Role|Phone|Email"`, {
      where: "--staff",
      hint: 'e.g. --staff "Ana Pérez|Responsable técnica|+52 228 842 1700|ana.perez@uv.mx" (once per person)',
    });
  }
  const [name, role, phone, email] = parts as [string, string, string, string];
  return [...previous, { name, role, phone, email }];
}

/** Where the OPLE reaches this receiver, from the config unless given. */
function pushAddress(config: ReceiverConfig, given: string | undefined, publicUrl: string): { transport: "grpc" | "websocket"; address: string } {
  if (config.push.websocket === true) {
    // push on the site's HTTPS port: the OPLE dials wss://<public host>/prepcast/v1/push
    const address = given ?? `wss://${new URL(publicUrl).host}/prepcast/v1/push`;
    return { transport: "websocket", address };
  }
  if (given) return { transport: /^wss:\/\//.test(given) ? "websocket" : "grpc", address: given };
  const listen = config.push.listen;
  if (/^(0\.0\.0\.0|\[::\]|::):/.test(listen)) {
    throw new PrepcastError("CONFIG_INVALID", `push.listen is ${listen} (every address): which one the OPLE should dial cannot be known from the config`, {
      where: "--address",
      hint: "give --address HOST:PORT, your push port as the OPLE reaches it (e.g. --address 203.0.113.10:8730)",
    });
  }
  return { transport: "grpc", address: listen };
}

export function registerRegister(program: Command): void {
  program
    .command("register")
    .description(
      "write this receiver's signed registration for the OPLE (identity key, TLS fingerprint, address, organization, technical staff, logo); the OPLE adds it with `prep-publisher receivers add`",
    )
    .requiredOption("--config <FILE>", "the receiver config (its identity key and push certificate are read from it)")
    .requiredOption("--organization <TEXT>", "the organization registered as difusor (e.g. Universidad Veracruzana)")
    .requiredOption("--public-url <URL>", "your public PREP site")
    .option("--staff <NAME|ROLE|PHONE|EMAIL>", "a person of the technical staff; repeat for each (at least one)", staffMember, [])
    .option("--name <TEXT>", "the name on the OPLE's public list (default: the organization)")
    .option(
      "--address <HOST:PORT|wss://…>",
      "where the OPLE reaches your push port (default: push.listen when it names one address; wss://<public host>/prepcast/v1/push with push.websocket: true)",
    )
    .option("--logo <FILE.svg>", "your logo for the OPLE's public list (SVG, at most 100 KB)")
    .option("--out <FILE>", "where to write the registration", "registration.json")
    .option("--force", "replace an existing --out file")
    .option("--json", "print the result as JSON")
    .action(
      action(
        async (opts: {
          config: string;
          organization: string;
          publicUrl: string;
          staff: StaffMember[];
          name?: string;
          address?: string;
          logo?: string;
          out: string;
          force?: boolean;
          json?: boolean;
        }) => {
          // The config's fields, not its file checks: a difusor registers before it has the OPLE's
          // root.pub and publisher key (what register reads, identity key and certificate, is checked here).
          const { config, baseDir } = loadConfig(opts.config, ReceiverConfigSchema, { overrides: RECEIVER_ENV });
          if (opts.staff.length === 0)
            throw new PrepcastError("CONFIG_INVALID", "no --staff given: the call asks for the technical staff responsible for the site", {
              where: "--staff",
              hint: 'add --staff "Name|Role|Phone|Email" once per person',
            });
          const certFile = config.push.tls ? resolveFrom(baseDir, config.push.tls.cert) : undefined;
          if (!certFile)
            throw new PrepcastError("CONFIG_INVALID", `${opts.config} has no push.tls: the OPLE pins the push certificate's fingerprint`, {
              where: "push.tls",
              hint: "set push.tls { cert, key } (`prep-receiver init` writes tls.crt and tls.key)",
            });
          let logo: string | null = null;
          if (opts.logo) {
            const bytes = fs.readFileSync(opts.logo);
            if (bytes.length > MAX_REGISTRATION_LOGO_BYTES)
              throw new PrepcastError("LOGO_INVALID", `logo ${opts.logo} is ${bytes.length} bytes, more than the ${MAX_REGISTRATION_LOGO_BYTES} allowed`, {
                where: opts.logo,
                hint: "export it again as a plain SVG file under 100 KB",
              });
            try {
              logo = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
            } catch {
              throw new PrepcastError("LOGO_INVALID", `logo ${opts.logo} is not UTF-8 text (an SVG file is)`, {
                where: opts.logo,
                hint: "give the SVG file, not a PNG or a PDF",
              });
            }
            if (!/<svg[\s>]/.test(logo))
              throw new PrepcastError("LOGO_INVALID", `logo ${opts.logo} holds no <svg> element`, {
                where: opts.logo,
                hint: "give an SVG file (File > Export > SVG)",
              });
          }
          const identity = readSecretKeyFile(resolveFrom(baseDir, config.identity.secretKey));
          const tlsFingerprint = certificateFingerprint(fs.readFileSync(certFile)).replace(/:/g, "").toLowerCase();
          const { transport, address } = pushAddress(config, opts.address, opts.publicUrl);
          const signed = signRegistration(
            {
              id: config.id,
              name: opts.name ?? opts.organization,
              organization: opts.organization,
              transport,
              address,
              tlsFingerprint,
              identityPublicKey: Buffer.from(identity.publicKey).toString("base64"),
              publicUrl: opts.publicUrl,
              staff: opts.staff,
              logo,
            },
            identity.secretKey,
          );
          verifyRegistration(signed, opts.out); // what is handed over reads back
          if (fs.existsSync(opts.out) && opts.force !== true)
            throw new PrepcastError("STATE_CONFLICT", `${opts.out} already exists`, {
              where: opts.out,
              hint: "add --force to replace it, or choose another --out",
            });
          await writeFileAtomic(path.resolve(opts.out), signed, 0o644);
          const keyid = keyIdOf(identity.publicKey);
          reportCliSuccess(
            opts.json === true,
            { id: config.id, file: opts.out, identityKeyId: keyid, tlsFingerprint, transport, address, staff: opts.staff.length, logo: logo !== null },
            [
              `registration of ${config.id} written to ${opts.out} (signed by identity key ${keyid.slice(0, 16)}…)`,
              `  ${transport} ${address}, TLS certificate ${tlsFingerprint.slice(0, 16)}…, ${opts.staff.length} staff, ${logo !== null ? "with" : "no"} logo`,
              `hand it to the OPLE (prep-publisher receivers add ${path.basename(opts.out)}) and read them the identity key id over the phone: ${keyid}`,
            ],
          );
        },
      ),
    );
}
