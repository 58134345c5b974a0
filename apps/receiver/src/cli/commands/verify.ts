import type { Command } from "commander";
import { formatBytes, inspectStore, reportCliSuccess, verifyPackage } from "@prepcast/protocol";
import { action } from "../program";
import { loadTrust, type TrustOptions } from "./trust";

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description("check a .prep package completely (signatures, every file's size and hash) without writing anything; exit 0 only when valid")
    .argument("<FILE.prep>", "package to check")
    .requiredOption("--trust <ROOT.pub>", "the OPLE's root public key")
    .option("--process <ID>", "accept only this electoral process")
    .option("--channel <CHANNEL>", "accept only this channel (produccion or simulacro)")
    .option("--root <DIR>", "also check it against what this receiver state directory has accepted (read only): a keyset older than the highest seen (KEYSET_ROLLBACK, e.g. one that still lists a revoked key), an older cut (ROLLBACK)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (file: string, opts: TrustOptions & { root?: string; json?: boolean }) => {
        const trust = loadTrust(opts);
        // without --root nothing is known of earlier keysets: a package made with an older keyset still verifies
        const state = opts.root !== undefined ? inspectStore(opts.root, "--root").state.trust : undefined;
        const r = await verifyPackage(file, { rootPublicKey: trust.rootPublicKey, accept: trust.accept, ...(state ? { state, allowSameSequence: true } : {}) });
        const m = r.verified.manifest;
        reportCliSuccess(
          opts.json === true,
          { process: m.process, channel: m.channel, sequence: m.sequence, corte: m.corte, notBefore: m.notBefore, expires: m.expires, files: r.files, bytes: r.bytes, manifestSha256: r.verified.manifestSha256, keysetVersion: r.verified.keyset.version, retraction: m.retraction?.reason ?? null, final: m.final !== undefined, publishUntil: m.final?.publishUntil ?? null },
          [
            `valid: ${m.process}/${m.channel} sequence ${m.sequence}, corte ${m.corte}`,
            `${r.files} files, ${r.bytes} bytes (${formatBytes(r.bytes)}), every size and SHA-256 matches the signed manifest`,
            `manifest sha256 ${r.verified.manifestSha256}, keyset version ${r.verified.keyset.version}, root key ${trust.rootKeyId}`,
            ...(m.final ? [`signed by the OPLE as the FINAL cut of the process: no newer cut will come; keep it online until ${m.final.publishUntil} (the end of publication)`] : []),
            ...(m.retraction ? [`signed by the OPLE as a retraction (its corte may be earlier than the one you show): "${m.retraction.reason}"`] : []),
          ],
        );
      }),
    );
}
