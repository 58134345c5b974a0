// docs/extending.md, "A transport": a third party runs the one behaviour contract from the
// package's public entry point (@prepcast/transport/compliance, its exports map), the way its own
// transport would. Here against the in-memory transport, imported like any consumer would.
import { describeTransportCompliance } from "@prepcast/transport/compliance";
import { generateSelfSignedCertificate, memoryTransport } from "@prepcast/transport";

describeTransportCompliance("memory, through @prepcast/transport/compliance", async () => {
  const cert = await generateSelfSignedCertificate({ commonName: "my-transport-test", days: 2 });
  return {
    factory: memoryTransport(),
    listen: { tls: { cert: cert.cert, key: cert.key } },
    connect: { tls: { expectedFingerprint: cert.fingerprint } },
    cleanup: async () => undefined,
  };
});
