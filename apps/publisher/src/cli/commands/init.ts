import type { Command } from "commander";
import { initPublisherKeys, reportCliSuccess } from "@prepcast/protocol";
import { action, positiveInteger } from "../program";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("create the root key, one signing key and the root-signed keyset")
    .requiredOption("--dir <KEYS>", "keys directory to create (must not hold keys yet)")
    .option("--keyset-expires-days <N>", "days until the keyset expires", positiveInteger, 365)
    .option("--json", "print the result as JSON")
    .action(
      action((opts: { dir: string; keysetExpiresDays: number; json?: boolean }) => {
        const r = initPublisherKeys(opts.dir, { keysetExpiresDays: opts.keysetExpiresDays });
        reportCliSuccess(opts.json === true, { rootKeyId: r.rootKeyId, signingKeyId: r.signingKeyId, rootPub: r.rootPubPath, keysetVersion: r.keysetVersion, keysetExpires: r.keysetExpires }, [
          `keys written to ${r.dir}`,
          `root key fingerprint (SHA-256 of the public key): ${r.rootKeyId}`,
          `signing key: ${r.signingKeyId}`,
          `keyset version ${r.keysetVersion}, expires ${r.keysetExpires}`,
          `hand ${r.rootPubPath} to every difusor (prep-receiver --trust) and publish the fingerprint above`,
          `keep root.key offline: pack needs only signing.key, keyset.json and keyset.sig`,
        ]);
      }),
    );
}
