import { CHANNELS, PrepcastError, readTrustedRoot, type Channel, type RootOfTrust } from "@prepcast/protocol";

export interface TrustOptions {
  trust: string;
  process?: string;
  channel?: string;
}

/** The pinned root (root.pub or root.json + root.sig) and which cuts this receiver accepts. */
export function loadTrust(opts: TrustOptions): { rootPublicKey: RootOfTrust; accept: { process?: string; channels?: Channel[] } } {
  const root = readTrustedRoot(opts.trust, "--trust");
  const accept: { process?: string; channels?: Channel[] } = {};
  if (opts.process !== undefined) accept.process = opts.process;
  if (opts.channel !== undefined) {
    if (!(CHANNELS as readonly string[]).includes(opts.channel)) {
      throw new PrepcastError("CONFIG_INVALID", `--channel ${opts.channel} is not one of ${CHANNELS.join(", ")}`, {
        where: "--channel",
        hint: "the OPLE's cuts are produccion; drills are simulacro",
      });
    }
    accept.channels = [opts.channel as Channel];
  }
  return { rootPublicKey: root, accept };
}
