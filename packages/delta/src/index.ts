// The payload encoding compliance suite lives in "./compliance" (not exported here: it loads jest and fast-check).
export { ENCODING_DELTA_ZSTD, ENCODING_FULL_ZSTD, DEFAULT_GROUP_BYTES, DEFAULT_LEVEL, MAX_GROUP_LITERAL_BYTES, decodeHeader } from "./format";
export type { DeltaHeader } from "./format";
export { payloadFileContent, cutDirContent } from "./content";
export type { CutContent } from "./content";
export { encodeDelta } from "./encode";
export type { EncodeOptions, EncodeStats } from "./encode";
export { applyDelta } from "./apply";
export type { ApplyOptions, ApplyResult, ApplyTarget } from "./apply";
export { ObjectIndex } from "./object-index";
export { DeltaCache } from "./cache";
export type { CachedStream, StreamStats } from "./cache";
export {
  writeDeltaPackage,
  readDeltaPackage,
  isDeltaPackage,
  buildDeltaPackage,
  DELTA_PACKAGE_FORMAT,
  DELTA_PACKAGE_FORMAT_V1,
  BASE_ENTRY,
  DELTA_ENTRY,
} from "./package";
export type { DeltaPackageBase, WriteDeltaPackageOptions } from "./package";
export * from "./zip";
