import type { Command } from "commander";
import { isDeltaPackage } from "@prepcast/delta";
import { describeRoot, formatBytes, inspectStore, reportCliSuccess, verifyPackage } from "@prepcast/protocol";
import { verifyDeltaPackage } from "../../agent/delta-verify";
import { action } from "../program";
import { loadTrust, type TrustOptions } from "./trust";

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description(
      "check a .prep package completely (signatures, every file's size and hash) without writing anything; exit 0 only when valid. A delta package (pack --base) is checked the way install would: its files only with --root, against the base cut that receiver holds",
    )
    .argument("<FILE.prep>", "package to check (full, or a delta package)")
    .requiredOption("--trust <ROOT.pub>", "the OPLE's root: root.pub, or root.json of a root set (root.sig beside it)")
    .option("--process <ID>", "accept only this electoral process")
    .option("--channel <CHANNEL>", "accept only this channel (produccion or simulacro)")
    .option(
      "--root <DIR>",
      "also check it against what this receiver state directory has accepted (read only): a keyset older than the highest seen (KEYSET_ROLLBACK, e.g. one that still lists a revoked key), an older cut (ROLLBACK)",
    )
    .option("--json", "print the result as JSON")
    .action(
      action(async (file: string, opts: TrustOptions & { root?: string; json?: boolean }) => {
        const trust = loadTrust(opts);
        if (await isDeltaPackage(file)) return verifyDelta(file, trust, opts);
        // without --root nothing is known of earlier keysets: a package made with an older keyset still verifies
        const state = opts.root !== undefined ? inspectStore(opts.root, "--root").state.trust : undefined;
        const r = await verifyPackage(file, { rootPublicKey: trust.rootPublicKey, accept: trust.accept, ...(state ? { state, allowSameSequence: true } : {}) });
        const m = r.verified.manifest;
        reportCliSuccess(
          opts.json === true,
          {
            process: m.process,
            channel: m.channel,
            sequence: m.sequence,
            corte: m.corte,
            notBefore: m.notBefore,
            expires: m.expires,
            files: r.files,
            bytes: r.bytes,
            manifestSha256: r.verified.manifestSha256,
            keysetVersion: r.verified.keyset.version,
            retraction: m.retraction?.reason ?? null,
            final: m.final !== undefined,
            publishUntil: m.final?.publishUntil ?? null,
          },
          [
            `valid: ${m.process}/${m.channel} sequence ${m.sequence}, corte ${m.corte}`,
            `${r.files} files, ${r.bytes} bytes (${formatBytes(r.bytes)}), every size and SHA-256 matches the signed manifest`,
            `manifest sha256 ${r.verified.manifestSha256}, keyset version ${r.verified.keyset.version}, ${describeRoot(r.verified.root)}`,
            ...(m.final
              ? [
                  `signed by the OPLE as the FINAL cut of the process: no newer cut will come; keep it online until ${m.final.publishUntil} (the end of publication)`,
                ]
              : []),
            ...(m.retraction ? [`signed by the OPLE as a retraction (its corte may be earlier than the one you show): "${m.retraction.reason}"`] : []),
          ],
        );
      }),
    );
}

async function verifyDelta(file: string, trust: ReturnType<typeof loadTrust>, opts: { root?: string; json?: boolean }): Promise<void> {
  const r = await verifyDeltaPackage(file, {
    rootPublicKey: trust.rootPublicKey,
    ...(trust.accept ? { accept: trust.accept } : {}),
    ...(opts.root !== undefined ? { root: opts.root } : {}),
  });
  const m = r.verified.manifest;
  const b = r.base.base;
  reportCliSuccess(
    opts.json === true,
    {
      delta: true,
      format: r.base.format,
      process: m.process,
      channel: m.channel,
      sequence: m.sequence,
      corte: m.corte,
      notBefore: m.notBefore,
      expires: m.expires,
      base: { sequence: b.sequence, manifestSha256: b.manifestSha256 },
      streamBytes: r.base.streamSize,
      filesChecked: r.contents !== null,
      files: r.contents?.files ?? m.files.length,
      bytes: r.contents?.bytes ?? m.totalSize,
      manifestSha256: r.verified.manifestSha256,
      keysetVersion: r.verified.keyset.version,
      retraction: m.retraction?.reason ?? null,
      final: m.final !== undefined,
      publishUntil: m.final?.publishUntil ?? null,
    },
    [
      `valid: delta package for ${m.process}/${m.channel} sequence ${m.sequence}, corte ${m.corte}, against cut ${b.sequence} (${b.manifestSha256.slice(0, 12)})`,
      r.contents
        ? `${r.contents.files} files, ${r.contents.bytes} bytes (${formatBytes(r.contents.bytes)}) rebuilt against that cut in ${opts.root}: every size and SHA-256 matches the signed manifest`
        : `signatures, manifest and the ${formatBytes(r.base.streamSize)} delta stream check out; its files were NOT checked: pass --root DIR (the receiver holding cut ${b.sequence}) to rebuild and check every one`,
      `manifest sha256 ${r.verified.manifestSha256}, keyset version ${r.verified.keyset.version}, ${describeRoot(r.verified.root)}`,
      ...(m.final ? [`signed by the OPLE as the FINAL cut of the process: keep it online until ${m.final.publishUntil} (the end of publication)`] : []),
      ...(m.retraction ? [`signed by the OPLE as a retraction (its corte may be earlier than the one you show): "${m.retraction.reason}"`] : []),
    ],
  );
}
