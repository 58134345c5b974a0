import type { Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  PrepcastError,
  generateKeyPair,
  initPublisherKeys,
  PUBLISHER_KEY_FILES,
  reportCliSuccess,
  writePublicKeyFile,
  writeSecretKeyFile,
} from "@prepcast/protocol";
import { handOver, INIT_PUBLIC_MODE, ownerOption, ownershipNotes } from "@prepcast/runtime";
import { publisherConfigTemplate } from "../../service/config-template";
import { action, positiveInteger } from "../program";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("create the root key, one signing key and the root-signed keyset")
    .requiredOption("--dir <KEYS>", "keys directory to create (must not hold keys yet)")
    .option("--keyset-expires-days <N>", "days until the keyset expires", positiveInteger, 365)
    .option(
      "--root-keys <N>",
      "N root keys held by different officials (root-1.key … root-N.key and a signed root.json) instead of one root.key",
      positiveInteger,
    )
    .option("--threshold <M>", "with --root-keys: how many root key holders must sign each keyset (default: a majority)", positiveInteger)
    .option("--id <ID>", "publisher id for the example config", "ople")
    .option("--process <ID>", "electoral process for the example config", "VER-2024")
    .option(
      "--owner <USER[:GROUP]>",
      "the user the service runs as (e.g. prepcast): gets signing.key and identity.key (0600) and, for a directory init creates, its group (0750); root.key stays root's; needs root",
    )
    .option("--json", "print the result as JSON")
    .action(
      action(
        (opts: {
          dir: string;
          keysetExpiresDays: number;
          rootKeys?: number;
          threshold?: number;
          id: string;
          process: string;
          owner?: string;
          json?: boolean;
        }) => {
          const owner = ownerOption(opts.owner);
          const created = !fs.existsSync(opts.dir);
          for (const f of ["identity.key", "publisher.yaml"]) {
            const file = path.join(opts.dir, f);
            if (fs.existsSync(file))
              throw new PrepcastError("KEY_FILE_INVALID", `${file} already exists; refusing to replace it`, {
                where: file,
                hint: "use a new, empty directory",
              });
          }
          const r = initPublisherKeys(opts.dir, {
            keysetExpiresDays: opts.keysetExpiresDays,
            ...(opts.rootKeys !== undefined ? { rootKeys: opts.rootKeys } : {}),
            ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
          });
          // The session identity (proves to receivers that this is their OPLE) and an example config.
          const identity = generateKeyPair();
          const identityKey = path.join(opts.dir, "identity.key");
          const identityKeyId = writeSecretKeyFile(identityKey, identity);
          writePublicKeyFile(path.join(opts.dir, "identity.pub"), identity.publicKey);
          const example = path.join(opts.dir, "publisher.yaml");
          fs.writeFileSync(example, publisherConfigTemplate({ id: opts.id, process: opts.process, keysDir: ".", identityKey: "./identity.key" }), {
            flag: "wx",
            mode: INIT_PUBLIC_MODE,
          }); // no secrets in it
          const secrets = [path.join(opts.dir, PUBLISHER_KEY_FILES.signingKey), identityKey];
          if (owner) handOver(owner, secrets, created ? opts.dir : null);
          const identityPublicKey = Buffer.from(identity.publicKey).toString("base64");
          const rootSet = r.rootSigPath !== null;
          reportCliSuccess(
            opts.json === true,
            {
              rootKeyId: r.rootKeyId,
              rootKeyIds: r.rootKeyIds,
              threshold: r.threshold,
              rootVersion: r.rootVersion,
              rootKeyFiles: r.rootKeyFiles,
              rootSig: r.rootSigPath,
              signingKeyId: r.signingKeyId,
              rootPub: r.rootPubPath,
              keysetVersion: r.keysetVersion,
              keysetExpires: r.keysetExpires,
              identityKeyId,
              identityPublicKey,
              identityPub: path.join(opts.dir, "identity.pub"),
              config: example,
              exampleConfig: example,
            },
            [
              `keys written to ${r.dir}`,
              ...(rootSet
                ? [
                    `root version ${r.rootVersion}: any ${r.threshold} of ${r.rootKeyIds.length} root keys sign a keyset; fingerprints (SHA-256 of the public keys):`,
                    ...r.rootKeyIds.map((id, i) => `  ${path.basename(r.rootKeyFiles[i]!)}  ${id}`),
                  ]
                : [`root key fingerprint (SHA-256 of the public key): ${r.rootKeyId}`]),
              `signing key: ${r.signingKeyId}`,
              `keyset version ${r.keysetVersion}, expires ${r.keysetExpires}`,
              rootSet
                ? `hand ${r.rootPubPath} and ${r.rootSigPath} to every difusor (prep-receiver --trust root.json) and publish the fingerprints above`
                : `hand ${r.rootPubPath} to every difusor (prep-receiver --trust) and publish the fingerprint above`,
              rootSet
                ? `each official takes one root-N.key offline (no two on one medium): pack needs only signing.key, keyset.json and keyset.sig`
                : `keep root.key offline: pack needs only signing.key, keyset.json and keyset.sig`,
              `publisher identity public key (receivers pin it as publisher.identityPublicKey): ${identityPublicKey}`,
              `service config: ${example} (review it; add each difusor with \`prep-publisher register DIFUSOR/registration.yaml --config ${example}\`)`,
              ...ownershipNotes(secrets, opts.dir, owner),
            ],
          );
        },
      ),
    );
}
