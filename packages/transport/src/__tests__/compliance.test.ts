import { describeTransportCompliance } from "../compliance";
import { grpcTransport } from "../grpc";
import { memoryTransport } from "../memory";
import { generateSelfSignedCertificate } from "../tls";
import { websocketTransport } from "../websocket";

async function tlsFixture() {
  const cert = await generateSelfSignedCertificate({ commonName: "prepcast-test-receiver", days: 2 });
  return { listen: { tls: { cert: cert.cert, key: cert.key } }, connect: { tls: { expectedFingerprint: cert.fingerprint } } };
}

describeTransportCompliance("memory", async () => ({ factory: memoryTransport(), ...(await tlsFixture()), cleanup: async () => undefined }));
describeTransportCompliance("grpc", async () => ({ factory: grpcTransport(), ...(await tlsFixture()), cleanup: async () => undefined }));
describeTransportCompliance("websocket", async () => ({ factory: websocketTransport(), ...(await tlsFixture()), cleanup: async () => undefined }));
