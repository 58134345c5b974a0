import * as fs from "node:fs";
import * as os from "node:os";
import * as tls from "node:tls";
import { X509Certificate, createHash, createPrivateKey } from "node:crypto";
import { isPrepcastError } from "@prepcast/protocol";
import { certificateFingerprint, generateSelfSignedCertificate, normalizeFingerprint, probePinnedCertificate, subjectAltNames } from "../tls";

function tempDirs(): Set<string> {
  return new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("prepcast-tls-")));
}

/**
 * The certificate directories that appeared since `before` and are still there after up to 3 s.
 * Jest runs two test files at once, and the other one may be generating a certificate in the same
 * temporary directory at this moment: its directory goes within milliseconds; a leaked one stays.
 */
async function leftSince(before: Set<string>): Promise<string[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const left = [...tempDirs()].filter((d) => !before.has(d));
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("TLS material", () => {
  it("generates a P-256 self-signed certificate whose fingerprint is the SHA-256 of its DER, leaving no key behind", async () => {
    const before = tempDirs();
    const c = await generateSelfSignedCertificate({ commonName: "unam-difusor", days: 30 });
    expect(await leftSince(before)).toEqual([]);
    const x = new X509Certificate(c.cert);
    expect(x.subject).toContain("CN=unam-difusor");
    expect(x.issuer).toBe(x.subject);
    expect(x.checkPrivateKey(createPrivateKey(c.key))).toBe(true);
    expect(createPrivateKey(c.key).asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(c.fingerprint).toBe(createHash("sha256").update(x.raw).digest("hex"));
    expect(certificateFingerprint(c.cert)).toBe(c.fingerprint);
    const days = (Date.parse(x.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
  });

  it("carries a subjectAltName: the CN as a DNS name plus the IP addresses given", async () => {
    const c = await generateSelfSignedCertificate({ commonName: "uv-xalapa.prepcast", days: 2, ipAddresses: ["127.0.0.1", "::1"] });
    const x = new X509Certificate(c.cert);
    expect(x.subjectAltName).toBe("DNS:uv-xalapa.prepcast, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    expect(x.checkHost("uv-xalapa.prepcast")).toBe("uv-xalapa.prepcast");
    expect(x.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(subjectAltNames("203.0.113.10")).toEqual(["IP:203.0.113.10"]);
    expect(subjectAltNames("Mi Difusor", ["push.example.mx"])).toEqual(["DNS:push.example.mx"]);
    expect(() => subjectAltNames("a", [], ["not-an-ip"])).toThrow(/not an IPv4 or IPv6 address/);
    // A client with no custom verification: the certificate is its only root, the name is checked
    // the standard way (Node, like Go, needs the name in the subjectAltName for an IP address).
    const server = tls.createServer({ cert: c.cert, key: c.key }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      for (const servername of ["uv-xalapa.prepcast", undefined]) {
        const s = tls.connect({ host: "127.0.0.1", port, ca: c.cert, ...(servername ? { servername } : {}) });
        await new Promise<void>((resolve, reject) => s.once("secureConnect", () => resolve()).once("error", reject));
        expect(s.authorized).toBe(true);
        s.destroy();
      }
      const wrong = tls.connect({ host: "127.0.0.1", port, ca: c.cert, servername: "other.prepcast" });
      await expect(new Promise((resolve, reject) => wrong.once("secureConnect", resolve).once("error", reject))).rejects.toMatchObject({
        code: "ERR_TLS_CERT_ALTNAME_INVALID",
      });
      wrong.destroy();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("makes a different key every time", async () => {
    const [a, b] = await Promise.all([generateSelfSignedCertificate({ commonName: "a" }), generateSelfSignedCertificate({ commonName: "a" })]);
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it("refuses unsafe parameters and bad input with CONFIG_INVALID", async () => {
    await expect(generateSelfSignedCertificate({ commonName: "x/CN=evil" })).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    await expect(generateSelfSignedCertificate({ commonName: "ok", days: 0 })).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    expect(() => certificateFingerprint("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")).toThrow(/not a PEM X.509 certificate/);
    expect(() => normalizeFingerprint("abc")).toThrow(/64 hex digits/);
    expect(normalizeFingerprint("AB:".repeat(31) + "AB")).toBe("ab".repeat(32));
  });

  it("the probe pins the certificate of a real TLS server and reports both fingerprints on mismatch", async () => {
    const c = await generateSelfSignedCertificate({ commonName: "probe" });
    const server = tls.createServer({ cert: c.cert, key: c.key }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const pin = await probePinnedCertificate("127.0.0.1", port, c.fingerprint.toUpperCase(), 5000);
      expect(pin.fingerprint).toBe(c.fingerprint);
      expect(certificateFingerprint(pin.ca)).toBe(c.fingerprint);
      // The returned check accepts exactly that certificate on a verified connection.
      const ok = tls.connect({ host: "127.0.0.1", port, ca: pin.ca, checkServerIdentity: pin.checkServerIdentity, servername: "prepcast-receiver" });
      await new Promise<void>((resolve, reject) => ok.once("secureConnect", () => resolve()).once("error", reject));
      expect(ok.authorized).toBe(true);
      ok.destroy();

      const wrong = "0".repeat(64);
      const e = await probePinnedCertificate("127.0.0.1", port, wrong, 5000).catch((x: unknown) => x);
      expect(isPrepcastError(e, "AUTH_FAILED")).toBe(true);
      expect((e as Error).message).toContain(wrong);
      expect((e as Error).message).toContain(c.fingerprint);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("the probe reports an unreachable receiver as UNAVAILABLE", async () => {
    const server = tls.createServer({});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const e = await probePinnedCertificate("127.0.0.1", port, "a".repeat(64), 2000).catch((x: unknown) => x);
    expect(isPrepcastError(e, "UNAVAILABLE")).toBe(true);
    expect((e as Error).message).toMatch(/ECONNREFUSED/);
  });
});
