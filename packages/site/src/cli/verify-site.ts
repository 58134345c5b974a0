// `prep-receiver verify-site`: does a difusor's public site serve exactly the signed cut?
import { processStreams, reportCliError, type CliStreams } from "@prepcast/protocol";
import { verifySite } from "../verify/verify-site";

export interface VerifySiteCommandOptions {
  /** The difusor's public URL. */
  url: string;
  /** The OPLE's root public key file (root.pub). */
  trust: string;
  /** Check N random files instead of all. */
  sample?: number;
  concurrency?: number;
  json?: boolean;
  io?: CliStreams;
}

/** Exit codes: 0 the site serves exactly the signed cut; 1 verification failed (signatures, network, or files differ). */
export async function verifySiteCommand(opts: VerifySiteCommandOptions): Promise<number> {
  const io = opts.io ?? processStreams;
  try {
    const r = await verifySite({
      url: opts.url,
      trust: opts.trust,
      ...(opts.sample !== undefined ? { sample: opts.sample } : {}),
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    });
    if (opts.json === true) io.stdout(`${JSON.stringify(r)}\n`);
    else {
      io.stdout(`${r.url}: ${r.process}/${r.channel} sequence ${r.sequence}, corte ${r.corte}, manifest ${r.manifestSha256}\n`);
      io.stdout(`signatures valid (keyset signed by the pinned root key, manifest by a key it lists)\n`);
      if (r.ok) io.stdout(`OK: ${r.checked} of ${r.totalFiles} files checked, all identical to the signed manifest\n`);
      else {
        io.stdout(`DIFFERS: ${r.differing.length} of ${r.checked} checked files do not match what the OPLE signed:\n`);
        for (const d of r.differing) io.stdout(`  ${d.path}: ${d.problem} (${d.detail ?? ""})\n`);
      }
    }
    return r.ok ? 0 : 1;
  } catch (e) {
    return reportCliError(e, opts.json === true, io);
  }
}
