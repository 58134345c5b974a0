// A receiver's directory written without its CLI, for rigs that start the agent in their own
// process (ReceiverAgent.start with a test clock, a fake free-disk probe, extra appliers): identity
// key, a self-signed TLS certificate, and receiver.json naming them. `prep-receiver init` is the
// operator's way (Cluster, initReceiver); this is the same layout with every listener on 127.0.0.1:0.
import * as fs from "node:fs";
import * as path from "node:path";
import { encodeBase64, generateKeyPair, writeSecretKeyFile, type Ed25519KeyPair } from "@prepcast/protocol";
import { generateSelfSignedCertificate } from "@prepcast/transport";

export interface ReceiverDirOptions {
  id: string;
  /** trust.rootPublicKey: a path (relative to `dir`, or absolute) or an inline base64 key */
  rootPublicKey: string;
  /** publisher.identityPublicKey: a path or an inline base64 key */
  publisherIdentityPublicKey: string;
  process?: string;
  channels?: string[];
  /** extra fields of `push` (allowlist, maxFrameBytes, …) */
  push?: Record<string, unknown>;
  /** top-level fields added to (or replacing) the config's, e.g. retain, stalePeriods */
  extra?: Record<string, unknown>;
}

export interface ReceiverDir {
  dir: string;
  configFile: string;
  /** the state directory (`root` in the config) */
  root: string;
  identityPublicKey: string;
  /** the receiver's identity key pair, for tests that sign as it */
  identity: Ed25519KeyPair;
  tlsFingerprint: string;
}

export async function writeReceiverDir(dir: string, o: ReceiverDirOptions): Promise<ReceiverDir> {
  fs.mkdirSync(dir, { recursive: true });
  const identity = generateKeyPair();
  writeSecretKeyFile(path.join(dir, "identity.key"), identity);
  const cert = await generateSelfSignedCertificate({ commonName: `${o.id}.prepcast` });
  fs.writeFileSync(path.join(dir, "tls.crt"), cert.cert);
  fs.writeFileSync(path.join(dir, "tls.key"), cert.key, { mode: 0o600 });
  const config = {
    id: o.id,
    root: "./data",
    trust: { rootPublicKey: o.rootPublicKey, process: o.process ?? "VER-2024", channels: o.channels ?? ["produccion"] },
    identity: { secretKey: "./identity.key" },
    publisher: { id: "ople", identityPublicKey: o.publisherIdentityPublicKey },
    push: { listen: "127.0.0.1:0", tls: { cert: "./tls.crt", key: "./tls.key" }, allowlist: ["127.0.0.1/32"], ...o.push },
    site: { listen: "127.0.0.1:0", workers: 1, analytics: false },
    admin: { listen: "127.0.0.1:0" },
    updatePeriodMinutes: 15,
    log: { level: "fatal" },
    ...o.extra,
  };
  const configFile = path.join(dir, "receiver.json");
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  return { dir, configFile, root: path.join(dir, "data"), identityPublicKey: encodeBase64(identity.publicKey), identity, tlsFingerprint: cert.fingerprint };
}
