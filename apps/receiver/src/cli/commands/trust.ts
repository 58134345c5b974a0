import { CHANNELS, PrepcastError, readTrustedRootKey, type Channel } from "@prepcast/protocol";

export interface TrustOptions {
  trust: string;
  process?: string;
  channel?: string;
}

/** The pinned root key and which cuts this receiver accepts. */
export function loadTrust(opts: TrustOptions): { rootPublicKey: Uint8Array; rootKeyId: string; accept: { process?: string; channels?: Channel[] } } {
  const root = readTrustedRootKey(opts.trust, "--trust");
  const accept: { process?: string; channels?: Channel[] } = {};
  if (opts.process !== undefined) accept.process = opts.process;
  if (opts.channel !== undefined) {
    if (!(CHANNELS as readonly string[]).includes(opts.channel)) {
      throw new PrepcastError("CONFIG_INVALID", `--channel ${opts.channel} is not one of ${CHANNELS.join(", ")}`, { where: "--channel", hint: "the OPLE's cuts are produccion; drills are simulacro" });
    }
    accept.channels = [opts.channel as Channel];
  }
  return { rootPublicKey: root.publicKey, rootKeyId: root.keyid, accept };
}
