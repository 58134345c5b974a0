// The payload encoding compliance suite (../compliance.ts) for the two built-in encodings, through
// the same plain functions the apps wrap: encodeDelta on the publisher, applyDelta on the receiver.
import { describeCodecCompliance } from "../compliance";
import { applyDelta } from "../apply";
import { encodeDelta } from "../encode";
import { ENCODING_DELTA_ZSTD, ENCODING_FULL_ZSTD } from "../format";

describeCodecCompliance(ENCODING_DELTA_ZSTD, () => ({
  encoding: ENCODING_DELTA_ZSTD,
  kind: "delta",
  encode: (target, base, out) => encodeDelta(target, base, out, { level: 3 }),
  apply: (i) =>
    applyDelta({ streamPath: i.streamPath, target: i.target, base: i.base ? i.base.content : null, findObject: i.findObject, stagingDir: i.stagingDir }),
}));

describeCodecCompliance(ENCODING_FULL_ZSTD, () => ({
  encoding: ENCODING_FULL_ZSTD,
  kind: "whole",
  encode: (target, _base, out) => encodeDelta(target, null, out, { level: 3 }),
  apply: (i) => applyDelta({ streamPath: i.streamPath, target: i.target, base: null, findObject: i.findObject, stagingDir: i.stagingDir }),
}));
