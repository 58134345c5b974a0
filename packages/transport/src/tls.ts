// TLS material for the push port: self-signed certificates (pinned by fingerprint, no CA) and the
// client-side pin check that runs before a single byte of application data is sent.
import { execFile } from "node:child_process";
import { X509Certificate, timingSafeEqual } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as net from "node:net";
import * as tls from "node:tls";
import { PrepcastError } from "@prepcast/protocol";

export interface SelfSignedCertificate {
  cert: string;
  key: string;
  /** SHA-256 hex of the certificate DER: what the publisher pins. */
  fingerprint: string;
}

/** SHA-256 of the certificate's DER encoding, lowercase hex without separators. */
export function certificateFingerprint(pem: string | Buffer): string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (e) {
    throw new PrepcastError("CONFIG_INVALID", `not a PEM X.509 certificate: ${(e as Error).message}`, {
      hint: "pass the certificate file (-----BEGIN CERTIFICATE-----), not the key",
    });
  }
  return cert.fingerprint256.replace(/:/g, "").toLowerCase();
}

/** Accepts "AB:CD:..." or "abcd..." and returns lowercase hex; throws CONFIG_INVALID otherwise. */
export function normalizeFingerprint(fingerprint: string): string {
  const hex = String(fingerprint).replace(/:/g, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new PrepcastError("CONFIG_INVALID", `TLS fingerprint ${JSON.stringify(fingerprint)} is not 64 hex digits (SHA-256)`, {
      hint: "copy the fingerprint printed by `prep-receiver init` for this receiver",
    });
  }
  return hex;
}

function runOpenssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { cwd, timeout: 30_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
      reject(
        new PrepcastError("INTERNAL", missing ? "the openssl command is not installed" : `openssl ${args[0]} failed: ${String(stderr).trim()}`, {
          hint: missing ? "install OpenSSL (apt-get install openssl)" : undefined,
          cause: err,
        }),
      );
    });
  });
}

/** A DNS name for a subjectAltName: dot-separated labels of letters, digits, `-` (and `_`, which OpenSSL and Go accept). */
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/**
 * The subjectAltName of a receiver certificate (docs/protocol.md, TLS naming and pinning): the CN
 * as a DNS name (an IP address given as CN goes in as an IP entry), then `dnsNames` and
 * `ipAddresses`, without duplicates. Empty only when the CN is neither (it has spaces) and nothing
 * else was given.
 */
export function subjectAltNames(commonName: string, dnsNames: readonly string[] = [], ipAddresses: readonly string[] = []): string[] {
  const out: string[] = [];
  const add = (entry: string) => {
    if (!out.includes(entry)) out.push(entry);
  };
  const ip = (a: string) => {
    const bare = a.replace(/^\[|\]$/g, "");
    if (!net.isIP(bare)) throw new PrepcastError("CONFIG_INVALID", `certificate IP address ${JSON.stringify(a)} is not an IPv4 or IPv6 address`);
    add(`IP:${bare}`);
  };
  if (net.isIP(commonName)) ip(commonName);
  else if (DNS_NAME.test(commonName)) add(`DNS:${commonName.toLowerCase()}`);
  for (const d of dnsNames) {
    if (!DNS_NAME.test(d))
      throw new PrepcastError("CONFIG_INVALID", `certificate DNS name ${JSON.stringify(d)} is not a host name`, {
        hint: "letters, digits and dashes, in dot-separated labels",
      });
    add(`DNS:${d.toLowerCase()}`);
  }
  for (const a of ipAddresses) ip(a);
  return out;
}

/**
 * A P-256 key and a self-signed certificate made by the openssl CLI. The key only ever exists in a
 * private (0700) temporary directory that is removed before returning; nothing secret is on argv.
 * The certificate carries a subjectAltName (subjectAltNames()): clients that cannot pin a
 * fingerprint with custom verification trust the certificate itself as their only root and
 * check the name, and Go's and other modern TLS stacks ignore a CN-only certificate's name.
 */
export async function generateSelfSignedCertificate(opts: {
  commonName: string;
  days?: number;
  dnsNames?: string[];
  ipAddresses?: string[];
}): Promise<SelfSignedCertificate> {
  const days = opts.days ?? 825;
  if (!Number.isInteger(days) || days < 1 || days > 36500)
    throw new PrepcastError("CONFIG_INVALID", `certificate validity ${days} days must be an integer between 1 and 36500`);
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/.test(opts.commonName)) {
    throw new PrepcastError(
      "CONFIG_INVALID",
      `certificate common name ${JSON.stringify(opts.commonName)} must be 1-63 letters, digits, spaces, dots, dashes or underscores`,
    );
  }
  const san = subjectAltNames(opts.commonName, opts.dnsNames, opts.ipAddresses);
  const dir = await mkdtemp(path.join(tmpdir(), "prepcast-tls-"));
  try {
    const oldMask = process.umask(0o077);
    try {
      await runOpenssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem"], dir);
    } finally {
      process.umask(oldMask);
    }
    await runOpenssl(
      [
        "req",
        "-new",
        "-x509",
        "-key",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        String(days),
        "-subj",
        `/CN=${opts.commonName}`,
        "-addext",
        "basicConstraints=critical,CA:FALSE",
        "-addext",
        "keyUsage=critical,digitalSignature",
        "-addext",
        "extendedKeyUsage=serverAuth",
        ...(san.length > 0 ? ["-addext", `subjectAltName=${san.join(",")}`] : []),
      ],
      dir,
    );
    const [cert, key] = await Promise.all([readFile(path.join(dir, "cert.pem"), "utf8"), readFile(path.join(dir, "key.pem"), "utf8")]);
    return { cert, key, fingerprint: certificateFingerprint(cert) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function fingerprintOfDer(der: Buffer): string {
  return certificateFingerprint(derToPem(der));
}

function derToPem(der: Buffer): string {
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END CERTIFICATE-----\n`;
}

function sameFingerprint(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export function pinMismatchError(host: string, port: number, expected: string, actual: string): PrepcastError {
  return new PrepcastError("AUTH_FAILED", `TLS certificate of ${host}:${port} has fingerprint ${actual}, expected ${expected}`, {
    where: `${host}:${port}`,
    hint: "the receiver's certificate changed or this is not the registered receiver; re-check its fingerprint with its operator before updating the registry",
    details: { expectedFingerprint: expected, actualFingerprint: actual },
  });
}

/** TLS client options that trust exactly one certificate; the host name is not checked (pinning replaces it). */
export interface PinnedTlsOptions {
  /** The receiver's certificate, learned by the probe and verified against the pin. */
  ca: string;
  fingerprint: string;
  checkServerIdentity: (host: string, cert: tls.PeerCertificate) => Error | undefined;
}

/** Server name sent in SNI: an IP address is not allowed there (RFC 6066), and pinning ignores names. */
export const PIN_SERVERNAME = "prepcast-receiver";

/**
 * Fetches the receiver's certificate with a bare TLS handshake (no application data), checks it
 * against the pin and returns options under which the real connection trusts exactly that
 * certificate and re-checks the fingerprint during its own handshake.
 */
export function probePinnedCertificate(host: string, port: number, expectedFingerprint: string, timeoutMs: number): Promise<PinnedTlsOptions> {
  const expected = normalizeFingerprint(expectedFingerprint);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername: PIN_SERVERNAME, rejectUnauthorized: false, ALPNProtocols: ["h2", "http/1.1"] });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new PrepcastError("TIMEOUT", `TLS handshake with ${host}:${port} did not finish within ${timeoutMs} ms`, { where: `${host}:${port}` }));
    }, timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const der = socket.getPeerCertificate(false)?.raw;
      socket.destroy();
      if (!der) return reject(new PrepcastError("AUTH_FAILED", `${host}:${port} presented no TLS certificate`, { where: `${host}:${port}` }));
      const actual = fingerprintOfDer(der);
      if (!sameFingerprint(actual, expected)) return reject(pinMismatchError(host, port, expected, actual));
      resolve({
        ca: derToPem(der),
        fingerprint: actual,
        checkServerIdentity: (_host, cert) => {
          const seen = cert?.raw ? fingerprintOfDer(cert.raw) : "none";
          return sameFingerprint(seen, expected) ? undefined : pinMismatchError(host, port, expected, seen);
        },
      });
    });
    socket.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(unreachable(host, port, e));
    });
  });
}

export function unreachable(host: string, port: number, e: NodeJS.ErrnoException): PrepcastError {
  return new PrepcastError("UNAVAILABLE", `cannot reach ${host}:${port}: ${e.code ?? e.message}`, {
    where: `${host}:${port}`,
    hint:
      e.code === "ECONNRESET"
        ? "the receiver dropped the connection: is this publisher's address in its allowlist?"
        : "check the receiver's push address and that its agent is running",
    cause: e,
  });
}
