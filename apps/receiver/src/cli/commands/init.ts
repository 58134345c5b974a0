import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { PrepcastError, generateKeyPair, reportCliSuccess, writePublicKeyFile, writeSecretKeyFile } from "@prepcast/protocol";
import { handOver, INIT_PUBLIC_MODE, ownerOption, ownershipNotes } from "@prepcast/runtime";
import { generateSelfSignedCertificate } from "@prepcast/transport";
import { action } from "../program";
import { receiverConfigTemplate } from "../../agent/config-template";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("create this receiver's identity key, a self-signed TLS certificate and an example config")
    .requiredOption("--dir <DIR>", "directory to create (must not hold keys yet)")
    .requiredOption("--id <ID>", "receiver id as registered with the OPLE")
    .option("--trust <ROOT.pub>", "path of the OPLE's root public key, for the example config", "./root.pub")
    .option("--publisher-key <KEY>", "the OPLE's publisher identity public key (base64 or .pub path)", "./publisher-identity.pub")
    .option("--publisher-id <ID>", "the OPLE's publisher id", "ople")
    .option("--process <ID>", "electoral process", "VER-2024")
    .option("--allow <CIDR...>", "publisher addresses allowed to connect", ["127.0.0.1/32"])
    .option("--cn <NAME>", "certificate common name (your push host name)")
    .option("--owner <USER[:GROUP]>", "the user the service runs as (e.g. prepcast): gets the secret keys (0600) and, for a directory init creates, its group (0750); needs root")
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { dir: string; id: string; trust: string; publisherKey: string; publisherId: string; process: string; allow: string[]; cn?: string; owner?: string; json?: boolean }) => {
        const owner = ownerOption(opts.owner);
        const created = !fs.existsSync(opts.dir);
        fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
        for (const f of ["identity.key", "tls.key", "receiver.yaml"]) {
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
        const cert = await generateSelfSignedCertificate({ commonName: opts.cn ?? `${opts.id}.prepcast`, days: 825 });
        fs.writeFileSync(path.join(opts.dir, "tls.key"), cert.key, { flag: "wx", mode: 0o600 });
        fs.writeFileSync(path.join(opts.dir, "tls.crt"), cert.cert, { flag: "wx", mode: 0o644 });
        fs.writeFileSync(
          path.join(opts.dir, "receiver.yaml"),
          receiverConfigTemplate({ id: opts.id, allow: opts.allow, trust: opts.trust, publisherKey: opts.publisherKey, publisherId: opts.publisherId, process: opts.process }),
          { flag: "wx", mode: INIT_PUBLIC_MODE }, // no secrets in it: the service user must read it
        );
        const secrets = [path.join(opts.dir, "identity.key"), path.join(opts.dir, "tls.key")];
        if (owner) handOver(owner, secrets, created ? opts.dir : null);
        const publicKey = Buffer.from(identity.publicKey).toString("base64");
        reportCliSuccess(opts.json === true, { id: opts.id, identityKeyId: keyid, identityPublicKey: publicKey, tlsFingerprint: cert.fingerprint, dir: opts.dir, config: path.join(opts.dir, "receiver.yaml") }, [
          `receiver ${opts.id} initialised in ${opts.dir}`,
          `hand these to the OPLE for its registry:`,
          `  identityPublicKey: ${publicKey}`,
          `  tlsFingerprint:    ${cert.fingerprint}`,
          `then put the OPLE's root.pub and publisher identity key next to ${path.join(opts.dir, "receiver.yaml")}, review it, and run:`,
          `  prep-receiver run --config ${path.join(opts.dir, "receiver.yaml")}`,
          ...ownershipNotes(secrets, opts.dir, owner),
        ]);
      }),
    );
}
