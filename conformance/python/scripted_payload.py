"""What the scripted receiver does with an Offer's compressed parts, written from docs/protocol.md
alone: the `offer-manifest-zstd@1` manifest (§8.7) and the `full-zstd@1` / `delta-zstd@1`
payload stream (§9.2), rebuilt and verified file by file. Needs Debian's python3-zstandard."""

import hashlib

from scripted_grpc import Violation

MAX_MANIFEST_BYTES = 32 << 20
MAX_LITERAL = 64 << 20
FEATURE_MANIFEST_ZSTD = "offer-manifest-zstd@1"


def manifest_bytes(o, features):
    """§8.7: exactly one of `manifest` and `manifest_zstd` + `manifest_size`; the zstd form only to
    a receiver that listed the feature, one frame, no dictionary, exactly `manifest_size` bytes."""
    if bool(o.manifest) == bool(o.manifest_zstd):
        raise Violation("PROTOCOL_ERROR", "the Offer carries both manifest and manifest_zstd, or neither (§8.7)")
    if o.manifest:
        if o.manifest_size:
            raise Violation("PROTOCOL_ERROR", "manifest_size beside a plain manifest (§8.7)")
        return o.manifest
    if FEATURE_MANIFEST_ZSTD not in features:
        raise Violation("PROTOCOL_ERROR", f"manifest_zstd to a receiver that did not list {FEATURE_MANIFEST_ZSTD} (§8.7)")
    if not o.manifest_size:
        raise Violation("PROTOCOL_ERROR", "manifest_zstd without manifest_size (§8.7)")
    if o.manifest_size > MAX_MANIFEST_BYTES:
        raise Violation("TOO_LARGE", f"manifest_size {o.manifest_size} above 32 MiB (§8.7)")
    import zstandard

    try:
        if zstandard.get_frame_parameters(o.manifest_zstd).dict_id != 0:
            raise Violation("PROTOCOL_ERROR", "manifest_zstd is a frame needing a dictionary (§8.7)")
        d = zstandard.ZstdDecompressor().decompressobj()
        out = d.decompress(o.manifest_zstd)
    except zstandard.ZstdError as e:
        raise Violation("PROTOCOL_ERROR", f"manifest_zstd is not one valid zstd frame: {e} (§8.7)")
    if not d.eof or d.unused_data:
        raise Violation("PROTOCOL_ERROR" if d.eof else "TRUNCATED", "manifest_zstd is not exactly one complete zstd frame (§8.7)")
    if len(out) != o.manifest_size:
        raise Violation("TOO_LARGE" if len(out) > o.manifest_size else "TRUNCATED", f"manifest_zstd yields {len(out)} bytes, manifest_size is {o.manifest_size} (§8.7)")
    return out


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, n, what):
        if self.at + n > len(self.data):
            raise Violation("TRUNCATED", f"the stream ends inside {what} at byte {self.at} (§9.2)")
        self.at += n
        return self.data[self.at - n:self.at]

    def varint(self, what, bound):
        """Unsigned LEB128, at most 7 bytes, minimally encoded, at most `bound` (§9.2)."""
        n = 0
        for i in range(7):
            b = self.take(1, what)[0]
            n |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                if b == 0 and i > 0:
                    raise Violation("PROTOCOL_ERROR", f"{what}: a varint not minimally encoded at byte {self.at - 1} (§9.2)")
                if n > bound:
                    raise Violation("PROTOCOL_ERROR", f"{what} {n} above its bound {bound} (§9.2)")
                return n
        raise Violation("PROTOCOL_ERROR", f"{what}: a varint of more than 7 bytes at byte {self.at} (§9.2)")


def compress_bound(n):
    """ZSTD_compressBound: the most a zstd frame of n bytes may take."""
    return n + (n >> 8) + (((128 << 10) - n) >> 11 if n < (128 << 10) else 0)


def rebuild(stream, manifest, manifest_sha, base=None):
    """§9.2: the files of `manifest` from the stream, each verified against the manifest (path ->
    bytes), and how many ops of each kind it had. `base` is the cut the delta applies to: {"sha": hex, "manifest": ..., "files": {path: bytes}},
    None for `full-zstd@1`."""
    import zstandard

    r, files = Reader(stream), manifest["files"]
    base_files = base["manifest"]["files"] if base else []
    if r.take(4, "the header") != b"PCDZ" or r.take(1, "the header") != b"\x01":
        raise Violation("PROTOCOL_ERROR", "the stream does not start with PCDZ version 1 (§9.2)")
    flags = r.take(1, "the header")[0]
    target_sha, base_sha = r.take(32, "the header").hex(), r.take(32, "the header")
    counts = int.from_bytes(r.take(4, "the header"), "big"), int.from_bytes(r.take(4, "the header"), "big")
    want_base = bytes.fromhex(base["sha"]) if base else bytes(32)
    if flags != (1 if base else 0) or target_sha != manifest_sha or base_sha != want_base or counts != (len(files), len(base_files)):
        raise Violation("PROTOCOL_ERROR", "the stream's header does not name the offered manifest, its base and their file counts (§9.2)")
    by_sha = {f["sha256"]: base["files"][f["path"]] for f in base_files} if base else {}
    out, nxt, kinds = {}, 0, {"copy": 0, "literal": 0, "literalRef": 0}
    while nxt < len(files):
        if r.take(1, "a group") != b"G":
            raise Violation("PROTOCOL_ERROR", f"expected a group 'G' for file {nxt} at byte {r.at - 1} (§9.2)")
        if r.varint("a group's first", len(files)) != nxt:
            raise Violation("PROTOCOL_ERROR", f"a group does not start at the next file {nxt} (§9.2)")
        count = r.varint("a group's count", min(65536, len(files) - nxt))
        if count < 1:
            raise Violation("PROTOCOL_ERROR", "a group of 0 files (§9.2)")
        group = list(range(nxt, nxt + count))
        ops = [r.varint("an op", 1 + len(base_files)) for _ in group]
        if any(op == 0 for op in ops) and not base:
            raise Violation("PROTOCOL_ERROR", "a COPY op in a stream without base (§9.2)")
        size = sum(files[i]["size"] for i, op in zip(group, ops) if op != 0)
        method = r.take(1, "a group's method")[0]
        if method == 0:
            literal = r.take(r.varint("a stored length", size), "a stored group")
            if len(literal) != size:
                raise Violation("PROTOCOL_ERROR", f"a stored group of {len(literal)} bytes, its literals make {size} (§9.2)")
        elif method == 1:
            if not 1 <= size <= MAX_LITERAL:
                raise Violation("PROTOCOL_ERROR", f"a zstd group whose literals make {size} bytes (1 byte ... 64 MiB, §9.2)")
            frame = r.take(r.varint("a zstd length", compress_bound(size)), "a zstd group")
            refs = b"".join(base["files"][base_files[op - 2]["path"]] for op in ops if op >= 2)
            if len(refs) > MAX_LITERAL:
                raise Violation("PROTOCOL_ERROR", f"a zstd group with a dictionary of {len(refs)} bytes (at most 64 MiB, §9.2)")
            d = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(b"PCDZDICT" + refs, dict_type=zstandard.DICT_TYPE_RAWCONTENT)) \
                if refs else zstandard.ZstdDecompressor()
            try:
                dec = d.decompressobj()
                literal = dec.decompress(frame)
            except zstandard.ZstdError as e:
                raise Violation("PROTOCOL_ERROR", f"the zstd group of files {nxt}..{nxt + count - 1} does not decompress: {e} (§9.2)")
            if not dec.eof or dec.unused_data or len(literal) != size:
                raise Violation("PROTOCOL_ERROR", f"the zstd group of files {nxt}..{nxt + count - 1} is not one frame of exactly {size} bytes (§9.2)")
        else:
            raise Violation("PROTOCOL_ERROR", f"unknown group method {method} (§9.2)")
        at = 0
        for i, op in zip(group, ops):
            kinds[("copy", "literal")[op] if op < 2 else "literalRef"] += 1
            f = files[i]
            if op == 0:
                if f["sha256"] not in by_sha:
                    raise Violation("HASH_MISMATCH", f"{f['path']}: COPY, but no file of the base cut has its SHA-256 (§9.2)")
                out[f["path"]] = by_sha[f["sha256"]]
            else:
                out[f["path"]], at = literal[at:at + f["size"]], at + f["size"]
        nxt += count
    if r.take(1, "the end") != b"E" or r.at != len(stream):
        raise Violation("PROTOCOL_ERROR", "the stream does not end with 'E' and nothing after it (§9.2)")
    for f in files:
        data = out[f["path"]]
        if len(data) != f["size"]:
            raise Violation("SIZE_MISMATCH", f"{f['path']}: rebuilt with {len(data)} bytes, the manifest says {f['size']} (§9.2)")
        if hashlib.sha256(data).hexdigest() != f["sha256"]:
            raise Violation("HASH_MISMATCH", f"{f['path']}: the rebuilt file does not have the manifest's SHA-256 (§9.2)")
    return out, kinds
