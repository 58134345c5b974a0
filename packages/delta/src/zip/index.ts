// The zip-aware codec's library: a strict zip reader, the split into skeleton + entries, the rebuild with pinned pako, the recipe on the wire.
export { parseZip, DEFAULT_ZIP_LIMITS, METHOD_STORED as ZIP_METHOD_STORED, METHOD_DEFLATE as ZIP_METHOD_DEFLATE } from "./parse";
export type { ZipLayout, ZipEntry, ZipLimits } from "./parse";
export { splitZip, trySplitZip, rebuildZip, inflateBounded, REBUILD_CANDIDATES } from "./split";
export type { ZipSplit, ZipRecipe, ZipEntryRecipe } from "./split";
export { encodeZipRecipe, decodeZipRecipe, RECIPE_VERSION } from "./recipe";
export { pakoDeflateRaw } from "./pako";
export { ENCODING_DELTA_ZIP, MAX_UNPACKED_BYTES, unpackedForm, zipFromUnpacked } from "./codec-format";
export { encodeZipDelta, isZipPath } from "./codec-encode";
export type { ZipEncodeStats } from "./codec-encode";
export { applyZipDelta } from "./codec-apply";
export type { ZipApplyResult } from "./codec-apply";
