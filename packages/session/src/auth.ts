import { canonicalBytes, signDetached, signedMessage, verifyStrict, PrepcastError } from "@prepcast/protocol";
import { PROTOCOL_VERSION } from "@prepcast/proto";

export interface Identity {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface AuthParams {
  publisherId: string;
  publisherKey: Uint8Array;
  publisherNonce: Uint8Array;
  receiverId: string;
  receiverKey: Uint8Array;
  receiverNonce: Uint8Array;
}

const b64 = (u: Uint8Array): string => Buffer.from(u).toString("base64");

/**
 * The bytes both sides sign: every session parameter, both nonces, both identities. Each side
 * signs under its own domain (auth-publisher / auth-receiver), so neither signature can be
 * replayed as the other, nor in another session (fresh nonces).
 */
export function authTranscript(p: AuthParams): Buffer {
  return canonicalBytes({
    format: "prepcast/auth@1",
    protocolVersion: PROTOCOL_VERSION,
    publisherId: p.publisherId,
    publisherKey: b64(p.publisherKey),
    publisherNonce: b64(p.publisherNonce),
    receiverId: p.receiverId,
    receiverKey: b64(p.receiverKey),
    receiverNonce: b64(p.receiverNonce),
  });
}

export function signAuth(role: "publisher" | "receiver", params: AuthParams, identity: Identity): Uint8Array {
  return signDetached(signedMessage(`auth-${role}`, authTranscript(params)), identity.secretKey);
}

export function verifyAuth(role: "publisher" | "receiver", params: AuthParams, signature: Uint8Array, where: string): void {
  const key = role === "publisher" ? params.publisherKey : params.receiverKey;
  if (!verifyStrict(signedMessage(`auth-${role}`, authTranscript(params)), signature, key)) {
    throw new PrepcastError("AUTH_FAILED", `the ${role} did not prove possession of its registered identity key`, {
      where,
      hint:
        role === "publisher"
          ? "check the publisher identity public key pinned in the receiver config"
          : "check the receiver's identity public key in the publisher registry",
    });
  }
}

export function sameKey(a: Uint8Array | null | undefined, b: Uint8Array): boolean {
  return !!a && a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}
