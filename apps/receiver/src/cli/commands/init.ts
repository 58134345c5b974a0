import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { Command } from "commander";
import { PrepcastError, generateKeyPair, inlinePublicKey, reportCliSuccess, writePublicKeyFile, writeSecretKeyFile } from "@prepcast/protocol";
import { handOver, INIT_PUBLIC_MODE, ownerOption, ownershipNotes } from "@prepcast/runtime";
import { generateSelfSignedCertificate } from "@prepcast/transport";
import { action } from "../program";
import { LOCAL_LISTENERS, receiverConfigTemplate, receiverRegistration } from "../../agent/config-template";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("create this receiver's identity key, a self-signed TLS certificate and an example config")
    .requiredOption("--dir <DIR>", "directory to create (must not hold keys yet)")
    .requiredOption("--id <ID>", "receiver id as registered with the OPLE")
    .option(
      "--trust <ROOT.pub>",
      "path of the OPLE's root (root.pub, or root.json of a root set with root.sig beside it), for the example config",
      "./root.pub",
    )
    .option("--publisher-key <KEY>", "the OPLE's publisher identity public key (base64 or .pub path)", "./publisher-identity.pub")
    .option("--publisher-id <ID>", "the OPLE's publisher id", "ople")
    .option("--process <ID>", "electoral process", "VER-2024")
    .option("--allow <CIDR...>", "publisher addresses allowed to connect", ["127.0.0.1/32"])
    .option("--cn <NAME>", "certificate common name (your push host name)")
    .option(
      "--owner <USER[:GROUP]>",
      "the user the service runs as (e.g. prepcast): gets the secret keys (0600) and, for a directory init creates, its group (0750); needs root",
    )
    .option(
      "--local",
      `a trial on one machine: every listener on 127.0.0.1 (push ${LOCAL_LISTENERS.push}, site http://${LOCAL_LISTENERS.site}/, admin ${LOCAL_LISTENERS.admin}), the publisher on 127.0.0.1`,
    )
    .option("--name <TEXT>", "the difusor's name for the OPLE's registry and public list (default: the id)")
    .option("--address <HOST:PORT>", "where the OPLE reaches your push port, for registration.yaml (default: --cn:8730; with --local 127.0.0.1:8730)")
    .option("--public-url <URL>", "your public PREP site, for registration.yaml (default: https://--cn/; with --local the local site)")
    .option("--json", "print the result as JSON")
    .action(
      action(
        async (opts: {
          dir: string;
          id: string;
          trust: string;
          publisherKey: string;
          publisherId: string;
          process: string;
          allow: string[];
          cn?: string;
          owner?: string;
          local?: boolean;
          name?: string;
          address?: string;
          publicUrl?: string;
          json?: boolean;
        }) => {
          const owner = ownerOption(opts.owner);
          const created = !fs.existsSync(opts.dir);
          const local = opts.local === true;
          const address = opts.address ?? (local ? LOCAL_LISTENERS.push : `${opts.cn ?? `${opts.id}.prepcast`}:8730`);
          if (!/^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/]+):\d{1,5}$/.test(address))
            throw new PrepcastError("CONFIG_INVALID", `--address ${address} is not HOST:PORT`, {
              where: "--address",
              hint: "e.g. --address 203.0.113.10:8730 (your push port as the OPLE reaches it)",
            });
          const publicUrl = opts.publicUrl ?? (local ? `http://${LOCAL_LISTENERS.site}/` : opts.cn ? `https://${opts.cn}/` : undefined);
          fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
          for (const f of ["identity.key", "tls.key", "receiver.yaml", "registration.yaml"]) {
            if (fs.existsSync(path.join(opts.dir, f))) {
              throw new PrepcastError("KEY_FILE_INVALID", `${path.join(opts.dir, f)} already exists; refusing to replace it`, {
                where: path.join(opts.dir, f),
                hint: "use a new, empty directory; a new identity must be registered with the OPLE again",
              });
            }
          }
          const identity = generateKeyPair();
          const keyid = writeSecretKeyFile(path.join(opts.dir, "identity.key"), identity);
          writePublicKeyFile(path.join(opts.dir, "identity.pub"), identity.publicKey);
          // subjectAltName: the CN (<id>.prepcast or --cn), and the host of --address the OPLE dials
          // (an IP entry for an IP address; 127.0.0.1 for a --local trial), docs/protocol.md, TLS naming.
          const commonName = opts.cn ?? `${opts.id}.prepcast`;
          const addressHost = address.replace(/:\d{1,5}$/, "").replace(/^\[|\]$/g, "");
          const ipAddresses = [...(local ? ["127.0.0.1"] : []), ...(net.isIP(addressHost) ? [addressHost] : [])];
          const dnsNames =
            !net.isIP(addressHost) && /^[A-Za-z0-9.-]+$/.test(addressHost) && addressHost.toLowerCase() !== commonName.toLowerCase() ? [addressHost] : [];
          const cert = await generateSelfSignedCertificate({ commonName, days: 825, dnsNames, ipAddresses });
          fs.writeFileSync(path.join(opts.dir, "tls.key"), cert.key, { flag: "wx", mode: 0o600 });
          fs.writeFileSync(path.join(opts.dir, "tls.crt"), cert.cert, { flag: "wx", mode: 0o644 });
          fs.writeFileSync(
            path.join(opts.dir, "receiver.yaml"),
            receiverConfigTemplate({
              id: opts.id,
              allow: opts.allow,
              trust: opts.trust,
              publisherKey: opts.publisherKey,
              publisherId: opts.publisherId,
              process: opts.process,
              local,
            }),
            { flag: "wx", mode: INIT_PUBLIC_MODE }, // no secrets in it: the service user must read it
          );
          const secrets = [path.join(opts.dir, "identity.key"), path.join(opts.dir, "tls.key")];
          if (owner) handOver(owner, secrets, created ? opts.dir : null);
          const publicKey = Buffer.from(identity.publicKey).toString("base64");
          const registration = path.join(opts.dir, "registration.yaml");
          fs.writeFileSync(
            registration,
            receiverRegistration({
              id: opts.id,
              name: opts.name ?? opts.id,
              address,
              tlsFingerprint: cert.fingerprint,
              identityPublicKey: publicKey,
              ...(publicUrl ? { publicUrl } : {}),
            }),
            { flag: "wx", mode: 0o644 },
          );
          const config = path.join(opts.dir, "receiver.yaml");
          reportCliSuccess(
            opts.json === true,
            {
              id: opts.id,
              identityKeyId: keyid,
              identityPublicKey: publicKey,
              tlsFingerprint: cert.fingerprint,
              dir: opts.dir,
              config,
              registration,
              address,
              local,
            },
            [
              `receiver ${opts.id} initialised in ${opts.dir}${local ? " for a trial on this machine (every listener on 127.0.0.1)" : ""}`,
              `hand ${registration} to the OPLE for its registry (prep-publisher register); it holds:`,
              `  identityPublicKey: ${publicKey}`,
              `  tlsFingerprint:    ${cert.fingerprint}`,
              `  address:           ${address}`,
              inlinePublicKey(opts.publisherKey) !== undefined
                ? `from the OPLE, put its root.pub at ${path.join(opts.dir, opts.trust)} (trust.rootPublicKey in ${config}), review the config, and run:`
                : `from the OPLE, put its root.pub at ${path.join(opts.dir, opts.trust)} and its identity.pub at ${path.join(opts.dir, opts.publisherKey)} (the paths in ${config}), review the config, and run:`,
              `  prep-receiver run --config ${config}`,
              ...ownershipNotes(secrets, opts.dir, owner),
            ],
          );
        },
      ),
    );
}
