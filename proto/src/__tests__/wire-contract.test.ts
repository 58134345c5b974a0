import * as protobuf from "protobufjs";
import { Frame, PUSH_PROTO, UnsafeInteger, findUnsafeInteger, prepcast } from "../index";

// The generated static code and the .proto text must describe the same wire format: every
// message encoded by the generated classes decodes identically through a reflection root loaded
// straight from prepcast/v1/push.proto, and the other way round.
const reflected = protobuf.loadSync(PUSH_PROTO);
const ReflectedFrame = reflected.lookupType("prepcast.v1.Frame");

const ref = { process: "VER-2024", channel: "produccion", sequence: 42, manifestSha256: Buffer.alloc(32, 7) };
const samples: prepcast.v1.IFrame[] = [
  {
    hello: {
      protocolVersion: 1,
      receiverId: "uv",
      identityPublicKey: Buffer.alloc(32, 1),
      nonce: Buffer.alloc(32, 2),
      live: ref,
      partial: ref,
      partialOffset: 2 ** 40,
      freeDiskBytes: 2 ** 45,
      clockUnixMs: 1_717_380_000_000,
      agentVersion: "0.1.0",
      keysetVersion: 3,
      acceptedEncodings: ["full", "delta-zstd@1"],
      staged: ref,
      features: ["offer-manifest-zstd@1", "x-future@2"],
      doctor: { checkedUnixMs: 1_717_300_000_000, passed: 12, warnings: 2, failed: 1, skipped: 2, failedChecks: ["keys"], warningChecks: ["os", "ntp"] },
    },
  },
  {
    publisherAuth: { publisherId: "ople", identityPublicKey: Buffer.alloc(32, 3), nonce: Buffer.alloc(32, 4), signature: Buffer.alloc(64, 5), clockUnixMs: -1 },
  },
  { receiverAuth: { signature: Buffer.alloc(64, 6) } },
  {
    offer: {
      transferId: "ab".repeat(16),
      keyset: Buffer.from("{}"),
      keysetSig: Buffer.from("{}"),
      manifest: Buffer.from("{}"),
      manifestSig: Buffer.from("{}"),
      encoding: "full",
      base: ref,
      payloadSize: 5 * 2 ** 32,
      payloadSha256: Buffer.alloc(32, 8),
      chunkSize: 512 * 1024,
    },
  },
  {
    offer: {
      transferId: "cd".repeat(16),
      keyset: Buffer.from("{}"),
      keysetSig: Buffer.from("{}"),
      manifestZstd: Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2]),
      manifestSize: 32 * 2 ** 20,
      manifestSig: Buffer.from("{}"),
      root: Buffer.from("{}"),
      rootSig: Buffer.from("{}"),
      encoding: "delta-zstd@1",
      payloadSize: 1,
      payloadSha256: Buffer.alloc(32, 8),
      chunkSize: 1024,
    },
  },
  { offerReply: { accept: false, resumeOffset: 1024, code: "ROLLBACK", message: "older" } },
  { chunk: { offset: 2 ** 33, data: Buffer.alloc(1000, 9), sha256: Buffer.alloc(32, 10) } },
  { payloadEnd: {} },
  { receipt: { receipt: Buffer.from("{}"), signature: Buffer.alloc(64, 11) } },
  { error: { code: "DISK_FULL", message: "full", retryable: true } },
  { notice: { notice: Buffer.from("{}"), signature: Buffer.alloc(64, 12) } },
  { ping: { unixMs: 1 } },
  { pong: { unixMs: 2 } },
  { status: { live: ref, staged: ref, clockUnixMs: 3, freeDiskBytes: 4 } },
];

describe("wire contract", () => {
  test.each(samples.map((s) => [Object.keys(s)[0], s] as const))("%s: generated code and .proto agree byte for byte", (_name, sample) => {
    const generated = Buffer.from(Frame.encode(sample).finish());
    const viaReflection = Buffer.from(ReflectedFrame.encode(ReflectedFrame.fromObject(sample)).finish());
    expect(generated.equals(viaReflection)).toBe(true);
    const back = Frame.decode(viaReflection);
    expect(back.body).toBe(Object.keys(sample)[0]);
    // the reflection root reads back what the generated code wrote (generated code has no toObject: --no-convert)
    const opts = { longs: Number, bytes: String, defaults: false };
    expect(ReflectedFrame.toObject(ReflectedFrame.decode(generated), opts)).toEqual(ReflectedFrame.toObject(ReflectedFrame.fromObject(sample), opts));
  });

  test("64-bit sizes and offsets survive as exact JavaScript numbers", () => {
    const f = Frame.decode(Frame.encode({ chunk: { offset: Number.MAX_SAFE_INTEGER, data: Buffer.alloc(0), sha256: Buffer.alloc(32) } }).finish());
    expect(f.chunk?.offset).toBe(Number.MAX_SAFE_INTEGER);
    expect(typeof Frame.decode(Frame.encode({ hello: { freeDiskBytes: 2 ** 40 } }).finish()).hello?.freeDiskBytes).toBe("number");
  });

  test("every oneof member of Frame has a sample here", () => {
    const members = ReflectedFrame.oneofs.body!.fieldsArray.map((f) => f.name).sort();
    const covered = [...new Set(samples.map((s) => Object.keys(s)[0]!))].sort();
    expect(covered).toEqual(members);
  });

  test("every field of every message in a Frame is set by some sample (new fields get covered here)", () => {
    const set = new Map<string, Set<string>>();
    const visit = (type: protobuf.Type, value: Record<string, unknown>): void => {
      const seen = set.get(type.fullName) ?? new Set<string>();
      set.set(type.fullName, seen);
      for (const field of type.fieldsArray) {
        const v = value[field.name];
        if (v === undefined || v === null) continue;
        seen.add(field.name);
        field.resolve();
        if (field.resolvedType instanceof protobuf.Type) visit(field.resolvedType, v as Record<string, unknown>);
      }
    };
    for (const s of samples) visit(ReflectedFrame, ReflectedFrame.toObject(ReflectedFrame.fromObject(s), { defaults: false }));
    const missing: string[] = [];
    for (const member of ReflectedFrame.oneofs.body!.fieldsArray) {
      member.resolve();
      const type = member.resolvedType as protobuf.Type;
      for (const field of type.fieldsArray) if (!set.get(type.fullName)?.has(field.name)) missing.push(`${type.name}.${field.name}`);
    }
    expect(missing).toEqual([]);
  });

  test("field numbers of the offer-manifest-zstd@1 feature are fixed (append-only contract)", () => {
    const hello = reflected.lookupType("prepcast.v1.Hello");
    const offer = reflected.lookupType("prepcast.v1.Offer");
    expect(hello.fields.features).toMatchObject({ id: 14, repeated: true, type: "string" });
    expect(hello.fields.doctor).toMatchObject({ id: 15, type: "DoctorSummary" });
    expect(offer.fields.manifest).toMatchObject({ id: 4, type: "bytes" });
    expect(offer.fields.manifestZstd).toMatchObject({ id: 11, type: "bytes" });
    expect(offer.fields.manifestSize).toMatchObject({ id: 12, type: "uint64" });
    expect(offer.fields.root).toMatchObject({ id: 13, type: "bytes" });
    expect(offer.fields.rootSig).toMatchObject({ id: 14, type: "bytes" });
  });

  test("a truncated frame is rejected by the decoder", () => {
    const bytes = Frame.encode(samples[5]!).finish();
    expect(() => Frame.decode(bytes.subarray(0, bytes.length - 10))).toThrow();
  });
});

describe("64-bit fields above 2^53 − 1", () => {
  // Hand-encoded varints: a JS number cannot even hold these values to encode them.
  const varint = (v: bigint): number[] => {
    let u = BigInt.asUintN(64, v);
    const out: number[] = [];
    do {
      const b = Number(u & 0x7fn);
      u >>= 7n;
      out.push(u > 0n ? b | 0x80 : b);
    } while (u > 0n);
    return out;
  };
  const field = (no: number, wire: number, body: number[]): number[] => [(no << 3) | wire, ...(wire === 2 ? varint(BigInt(body.length)) : []), ...body];
  const offerWith = (payloadSize: bigint) => Uint8Array.from(field(4, 2, field(8, 0, varint(payloadSize))));

  test("decode to an UnsafeInteger with the exact value, never a rounded number (uint64)", () => {
    const f = Frame.decode(offerWith(2n ** 53n + 1n));
    expect(f.offer!.payloadSize).toBeInstanceOf(UnsafeInteger);
    expect(String(f.offer!.payloadSize)).toBe("9007199254740993");
    expect(findUnsafeInteger(f)).toEqual({ field: "offer.payload_size", value: "9007199254740993" });
  });

  test("2^53 − 1 is the largest value that stays a number; 2^53 is already refused", () => {
    expect(Frame.decode(offerWith(2n ** 53n - 1n)).offer!.payloadSize).toBe(Number.MAX_SAFE_INTEGER);
    expect(findUnsafeInteger(Frame.decode(offerWith(2n ** 53n - 1n)))).toBeNull();
    expect(findUnsafeInteger(Frame.decode(offerWith(2n ** 53n)))).toEqual({ field: "offer.payload_size", value: "9007199254740992" });
    expect(findUnsafeInteger(Frame.decode(offerWith(2n ** 64n - 1n)))).toEqual({ field: "offer.payload_size", value: "18446744073709551615" });
  });

  test("every 64-bit field, nested ones and negative int64 included", () => {
    // hello.live.sequence (CutRef inside Hello), uint64
    const hello = Uint8Array.from(field(1, 2, field(5, 2, field(3, 0, varint(2n ** 60n)))));
    expect(findUnsafeInteger(Frame.decode(hello))).toEqual({ field: "hello.live.sequence", value: String(2n ** 60n) });
    // publisher_auth.clock_unix_ms, int64, negative beyond −(2^53 − 1)
    const auth = Uint8Array.from(field(2, 2, field(5, 0, varint(-(2n ** 53n) - 5n))));
    expect(findUnsafeInteger(Frame.decode(auth))).toEqual({ field: "publisher_auth.clock_unix_ms", value: String(-(2n ** 53n) - 5n) });
    // negative but safe stays a number
    const ok = Frame.decode(Uint8Array.from(field(2, 2, field(5, 0, varint(-5n)))));
    expect(ok.publisherAuth!.clockUnixMs).toBe(-5);
    expect(findUnsafeInteger(ok)).toBeNull();
    // chunk.offset, status.free_disk_bytes, offer_reply.resume_offset, ping.unix_ms
    for (const [frameField, inner, name] of [
      [6, 1, "chunk.offset"],
      [13, 4, "status.free_disk_bytes"],
      [5, 2, "offer_reply.resume_offset"],
      [11, 1, "ping.unix_ms"],
    ] as const) {
      const bytes = Uint8Array.from(field(frameField, 2, field(inner, 0, varint(2n ** 53n + 1n))));
      expect(findUnsafeInteger(Frame.decode(bytes))).toEqual({ field: name, value: "9007199254740993" });
    }
  });

  test("the wrapped readers cover sint64, fixed64 and sfixed64 too (through a reflection root)", () => {
    const root = protobuf.parse('syntax = "proto3"; message W { sint64 a = 1; fixed64 b = 2; sfixed64 c = 3; }').root;
    const W = root.lookupType("W");
    const zz = (v: bigint) => (v << 1n) ^ (v >> 63n);
    const le = (v: bigint) => Array.from({ length: 8 }, (_, i) => Number((BigInt.asUintN(64, v) >> BigInt(8 * i)) & 0xffn));
    const bytes = Uint8Array.from([...field(1, 0, varint(zz(-(2n ** 55n)))), ...field(2, 1, le(2n ** 63n)), ...field(3, 1, le(-(2n ** 54n)))]);
    const m = W.decode(bytes) as unknown as Record<string, unknown>;
    expect(String(m.a)).toBe(String(-(2n ** 55n)));
    expect(String(m.b)).toBe(String(2n ** 63n));
    expect(String(m.c)).toBe(String(-(2n ** 54n)));
    expect(m.a).toBeInstanceOf(UnsafeInteger);
  });
});
