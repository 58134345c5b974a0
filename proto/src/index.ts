// The wire contract: generated protobufjs classes plus the path of the .proto files.
import * as path from "node:path";
import * as protobuf from "protobufjs/minimal";

// 64-bit fields (sequences, sizes, offsets) are generated as JS numbers (--force-number); make the
// decoder agree, so a decoded offset is a number, never a Long object that `+` would concatenate.
// Every value on this wire stays below 2^53.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();
export { prepcast } from "./gen/prepcast";
import { prepcast } from "./gen/prepcast";
export type Frame = prepcast.v1.Frame;
export const Frame = prepcast.v1.Frame;
/** Directory holding prepcast/v1/*.proto (for @grpc/proto-loader or other implementations). */
export const PROTO_ROOT = path.join(__dirname, "..");
export const PUSH_PROTO = path.join(PROTO_ROOT, "prepcast", "v1", "push.proto");
export const PROTOCOL_VERSION = 1;
