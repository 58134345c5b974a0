// The `.prep` archive: its tar layout, the guarded reader and the writer, payload streams.
export * from "./format";
export * from "./tar-guard";
export * from "./verified-file";
export * from "./payload";
export * from "./manifest-zstd";
export * from "./writer";
export * from "./reader";
export { GuardedTarReader, readSignedDocuments, readSignedHead, type SignedHead, type TarEntry } from "./guarded-reader";
