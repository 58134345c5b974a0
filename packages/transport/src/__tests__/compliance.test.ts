import { describeTransportCompliance } from "../compliance";
import { memoryTransport } from "../memory";
import { generateSelfSignedCertificate } from "../tls";

async function tlsFixture() {
  const cert = await generateSelfSignedCertificate({ commonName: "prepcast-test-receiver", days: 2 });
  return { listen: { tls: { cert: cert.cert, key: cert.key } }, connect: { tls: { expectedFingerprint: cert.fingerprint } } };
}

describeTransportCompliance("memory", async () => ({ factory: memoryTransport(), ...(await tlsFixture()), cleanup: async () => undefined }));
