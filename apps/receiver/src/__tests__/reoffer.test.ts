// The agent's store backend and a real push session (memory transport): a cut whose install
// stopped between its commit and the switch of `current` (here: the switch fails once) is
// answered, when the publisher offers it again, by completing the switch and an `active` receipt,
// never by ALREADY_INSTALLED while the difusor still shows the previous cut.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CutStore, generateKeyPair } from "@prepcast/protocol";
import { FakeOple } from "@prepcast/protocol/testing";
import { BufferPayloadSource, ENCODING_FULL, PublisherSession, ReceiverSession, transferIdFor, type OfferPlan } from "@prepcast/session";
import { memoryTransport } from "@prepcast/transport";
import { StoreBackend } from "../agent/store-backend";

const ople = new FakeOple({ keyset: { expires: new Date(Date.now() + 86400_000) }, cutDefaults: () => ({ notBefore: new Date(Date.now() - 3600_000) }) });

function plan(sequence: number, files: Record<string, string>): OfferPlan {
  const { signed, ref, payload } = ople.cut(sequence, files);
  return {
    signed,
    cut: ref,
    encoding: ENCODING_FULL,
    base: null,
    transferId: transferIdFor(ref, ENCODING_FULL, null),
    payload: new BufferPayloadSource(payload),
    chunkSize: 1024,
  };
}

test("re-offer of a cut committed but not switched live: the switch is completed and the receipt says active", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-reoffer-"));
  let failSwitchOf: number | null = 2;
  const store = await CutStore.open(path.join(dir, "data"), {
    afterStep: (step, id) => {
      if (step === "recorded" && failSwitchOf !== null && id.startsWith(String(failSwitchOf).padStart(6, "0"))) {
        failSwitchOf = null;
        throw new Error("EIO replacing current (injected once)");
      }
    },
  });
  const backend = new StoreBackend(store);
  const publisher = generateKeyPair();
  const receiver = generateKeyPair();
  const transport = memoryTransport();
  const refusals: string[] = [];
  const server = await transport.listen({ host: "127.0.0.1", port: 0 }, (conn) => {
    void new ReceiverSession(conn, {
      receiverId: "uv",
      identity: receiver,
      publisher: { id: "ople", publicKey: publisher.publicKey },
      rootPublicKey: ople.root.publicKey,
      accept: { process: "VER-2024", channels: ["produccion"] },
      backend,
      partialDir: path.join(dir, "data", "partial"),
      agentVersion: "test",
      onEvent: (e) => {
        if (e.type === "refused") refusals.push(e.code);
      },
    }).run();
  });
  const session = await PublisherSession.open(await transport.connect({ host: "127.0.0.1", port: server.address.port }), {
    publisherId: "ople",
    identity: publisher,
    receiver: { id: "uv", publicKey: receiver.publicKey },
  });
  try {
    expect(await session.deliver(plan(1, { "index.html": "<h1>1</h1>" }))).toMatchObject({ status: "delivered", receipt: { state: "active" } });
    const cut2 = plan(2, { "index.html": "<h1>2</h1>", "datos/a.json": '{"a":2}' });
    const first = await session.deliver(cut2);
    expect(first.status).toBe("failed");
    expect(store.live()!.record.sequence).toBe(1); // committed, trust state at 2, not live
    const again = await session.deliver(cut2);
    expect(again).toMatchObject({ status: "delivered", bytesSent: 0, receipt: { sequence: 2, state: "active" } });
    expect(refusals).not.toContain("ALREADY_INSTALLED");
    expect(store.live()!.record.sequence).toBe(2);
    expect(fs.readFileSync(path.join(dir, "data", "current", "site", "datos", "a.json"), "utf8")).toBe('{"a":2}');
  } finally {
    await session.close();
    await server.close();
    await backend.settled();
    backend.stop();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
