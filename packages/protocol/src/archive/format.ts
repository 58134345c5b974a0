// The fixed shape of a `.prep` package: four signed documents first (optionally preceded by the
// root document and its signatures), then the site files in
// manifest order. The limits bound what the reader buffers before the signatures are checked.

export const KEYSET_ENTRY = "prepcast/keyset.json";
export const KEYSET_SIG_ENTRY = "prepcast/keyset.sig";
export const MANIFEST_ENTRY = "prepcast/manifest.json";
export const MANIFEST_SIG_ENTRY = "prepcast/manifest.sig";
/** Optional, before KEYSET_ENTRY: the root document of a root set (prepcast/root@1) and its signatures. */
export const ROOT_ENTRY = "prepcast/root.json";
export const ROOT_SIG_ENTRY = "prepcast/root.sig";
/** Largest root.json / root.sig the reader buffers. */
export const MAX_ROOT_ENTRY_SIZE = 64 * 1024;
/**
 * In place of MANIFEST_ENTRY, only in an offline delta package of format
 * prepcast/delta-package@2: one zstd frame of the exact manifest.json bytes, its header declaring
 * their size (archive/manifest-zstd.ts). A `.prep` never holds it.
 */
export const MANIFEST_ZSTD_ENTRY = "prepcast/manifest.json.zst";
export const SITE_PREFIX = "site/";

/** The signed documents, in the order they must appear, with the largest size the reader buffers. */
export const SIGNED_ENTRIES = [
  { name: KEYSET_ENTRY, maxSize: 1024 * 1024 },
  { name: KEYSET_SIG_ENTRY, maxSize: 4096 },
  { name: MANIFEST_ENTRY, maxSize: 32 * 1024 * 1024 },
  { name: MANIFEST_SIG_ENTRY, maxSize: 4096 },
] as const;

/** Largest pax extended header accepted: room for a 4096-byte path plus the record framing. */
export const MAX_PAX_HEADER_SIZE = 8192;
/** Longest entry name: `site/` + a 4096-byte path. */
export const MAX_ENTRY_NAME_BYTES = SITE_PREFIX.length + 4096;
/** Largest single file: what a ustar octal size field holds (8 GiB - 1); nothing in a cut comes near. */
export const MAX_FILE_SIZE = 0o77777777777;
/** Every entry is written with this mode and mtime so the same cut always packs to the same bytes. */
export const ENTRY_MODE = 0o644;
export const ENTRY_MTIME = new Date(0);

export function siteEntryName(path: string): string {
  return SITE_PREFIX + path;
}
