// The wire contract: generated protobufjs classes plus the path of the .proto files.
import * as path from "node:path";
import * as protobuf from "protobufjs/minimal";

// 64-bit fields (sequences, sizes, offsets, clocks) are generated as JS numbers (--force-number)
// and the decoder is configured without Long, so protobufjs reads them with LongBits.toNumber():
// `lo + hi * 2^32`, which silently ROUNDS anything above 2^53 − 1 (2^53 + 1 decodes as 2^53).
// (proto-loader's `longs: String` / `longs: Long` options are the reflection-side equivalents;
// this package uses the static code, where neither applies.) No honest PREPcast value reaches
// 2^53, so instead of carrying BigInts through the code every 64-bit reader (int64, uint64,
// sint64, fixed64, sfixed64, in every message) is wrapped: a value within ±(2^53 − 1) is the
// exact number, anything else decodes as an UnsafeInteger holding the exact value, and
// findUnsafeInteger() names the field so the transport refuses the frame (INTEGER_OUT_OF_RANGE)
// before any session code sees a number.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

/** A 64-bit wire value outside ±(2^53 − 1): kept exact, never rounded, and never used as a number. */
export class UnsafeInteger {
  constructor(readonly value: bigint) {}
  toString(): string {
    return this.value.toString();
  }
}

function varintValue(buf: Uint8Array, start: number, end: number): bigint {
  let v = 0n;
  for (let i = start; i < end; i++) v |= BigInt(buf[i]! & 0x7f) << BigInt(7 * (i - start));
  return BigInt.asUintN(64, v);
}

function fixed64Value(buf: Uint8Array, start: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(buf[start + i]!);
  return v;
}

type LongReader = (this: protobuf.Reader) => number;
const readerProto = protobuf.Reader.prototype as unknown as Record<string, LongReader>;
const exact: Record<string, (buf: Uint8Array, start: number, end: number) => bigint> = {
  int64: (b, s, e) => BigInt.asIntN(64, varintValue(b, s, e)),
  uint64: (b, s, e) => varintValue(b, s, e),
  sint64: (b, s, e) => {
    const v = varintValue(b, s, e);
    return (v >> 1n) ^ -(v & 1n);
  },
  fixed64: (b, s) => fixed64Value(b, s),
  sfixed64: (b, s) => BigInt.asIntN(64, fixed64Value(b, s)),
};
for (const [name, exactValue] of Object.entries(exact)) {
  const rounded = readerProto[name]!;
  readerProto[name] = function (this: protobuf.Reader): number {
    const start = this.pos;
    const n = rounded.call(this);
    if (Number.isSafeInteger(n)) return n;
    return new UnsafeInteger(exactValue(this.buf, start, this.pos)) as unknown as number;
  };
}

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The first 64-bit field of a decoded message whose value is outside ±(2^53 − 1), with its
 * proto path (`offer.payload_size`) and exact decimal value; null when there is none.
 */
export function findUnsafeInteger(message: unknown, path = ""): { field: string; value: string } | null {
  if (message instanceof UnsafeInteger) return { field: path, value: message.toString() };
  if (message === null || typeof message !== "object" || message instanceof Uint8Array) return null;
  if (Array.isArray(message)) {
    for (let i = 0; i < message.length; i++) {
      const hit = findUnsafeInteger(message[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return null;
  }
  for (const [key, value] of Object.entries(message)) {
    if (value === null || typeof value !== "object") continue;
    const hit = findUnsafeInteger(value, path ? `${path}.${snake(key)}` : snake(key));
    if (hit) return hit;
  }
  return null;
}
export { prepcast } from "./gen/prepcast";
import { prepcast } from "./gen/prepcast";
export type Frame = prepcast.v1.Frame;
export const Frame = prepcast.v1.Frame;
/** Directory holding prepcast/v1/*.proto (for @grpc/proto-loader or other implementations). */
export const PROTO_ROOT = path.join(__dirname, "..");
export const PUSH_PROTO = path.join(PROTO_ROOT, "prepcast", "v1", "push.proto");
export const PROTOCOL_VERSION = 1;
