// The wire contract: generated protobufjs classes plus the path of the .proto files.
import * as path from "node:path";
export { prepcast } from "./gen/prepcast";
import { prepcast } from "./gen/prepcast";
export type Frame = prepcast.v1.Frame;
export const Frame = prepcast.v1.Frame;
/** Directory holding prepcast/v1/*.proto (for @grpc/proto-loader or other implementations). */
export const PROTO_ROOT = path.join(__dirname, "..");
export const PUSH_PROTO = path.join(PROTO_ROOT, "prepcast", "v1", "push.proto");
export const PROTOCOL_VERSION = 1;
