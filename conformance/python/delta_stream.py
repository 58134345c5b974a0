"""The `delta-zstd@1` / `full-zstd@1` payload stream, written from docs/protocol.md §9.2 alone.

Needs Debian's python3-zstandard for the zstd frames (a raw-content dictionary: the 8 bytes
`PCDZDICT`, never sent, then the base versions of the group's files in op order).
"""
import hashlib
import struct

MAGIC = b"PCDZ"
OP_COPY, OP_LITERAL, OP_LITERAL_REF = 0, 1, 2
METHOD_STORED, METHOD_ZSTD = 0, 1
MAX_GROUP_FILES = 65536
DICT_PREAMBLE = b"PCDZDICT"


def varint(n):
    """Unsigned LEB128, minimal: 7 bits a byte, least significant group first."""
    if n < 0:
        raise ValueError(f"varint of a negative number {n}")
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def header(target_sha, target_count, base_sha, base_count):
    """78 bytes: magic, version 1, flags (bit 0 = has base), both manifest SHA-256s, both file counts."""
    has_base = base_sha is not None
    return (MAGIC + bytes([1, 1 if has_base else 0]) + bytes.fromhex(target_sha) + (bytes.fromhex(base_sha) if has_base else bytes(32))
            + struct.pack(">II", target_count, base_count if has_base else 0))


def plan(target_files, base_files):
    """One op per target file: COPY when a file of the base cut has its SHA-256 (the only objects a
    receiver is sure to hold), LITERAL against the base file of the same path when there is one
    (its bytes join the dictionary), else a plain LITERAL."""
    if base_files is None:
        return [OP_LITERAL for _ in target_files]
    held = {f["sha256"] for f in base_files}
    by_path = {f["path"]: i for i, f in enumerate(base_files)}
    return [OP_COPY if f["sha256"] in held else OP_LITERAL_REF + by_path[f["path"]] if f["path"] in by_path else OP_LITERAL for f in target_files]


def encode(target_manifest, target_sha, target_contents, base_manifest=None, base_sha=None, base_contents=None, level=3, ops=None, stored=False):
    """The stream from the base cut (None: `full-zstd@1`) to the target, its ops and each group's method.
    *_contents map a path to its bytes; ops (one per file) replaces plan()'s, stored forbids zstd (the
    §13.2 examples)."""
    files = target_manifest["files"]
    base_files = base_manifest["files"] if base_manifest is not None else None
    ops = plan(files, base_files) if ops is None else ops
    methods = []
    out = [header(target_sha, len(files), base_sha, len(base_files) if base_files is not None else 0)]
    for first in range(0, len(files), MAX_GROUP_FILES):
        group = list(range(first, min(len(files), first + MAX_GROUP_FILES)))
        out.append(b"G" + varint(first) + varint(len(group)) + b"".join(varint(ops[i]) for i in group))
        literal = b"".join(target_contents[files[i]["path"]] for i in group if ops[i] != OP_COPY)
        if len(literal) == 0:  # nothing to carry (every file COPY or empty): stored, length 0
            out.append(bytes([METHOD_STORED]) + varint(0))
            methods.append(METHOD_STORED)
            continue
        if stored:
            out.append(bytes([METHOD_STORED]) + varint(len(literal)) + literal)
            methods.append(METHOD_STORED)
            continue
        import zstandard  # python3-zstandard, only when a group is compressed

        refs = [base_contents[base_files[ops[i] - OP_LITERAL_REF]["path"]] for i in group if ops[i] >= OP_LITERAL_REF]
        params = zstandard.ZstdCompressionParameters.from_level(level, write_content_size=True)
        if refs:
            dictionary = zstandard.ZstdCompressionDict(DICT_PREAMBLE + b"".join(refs), dict_type=zstandard.DICT_TYPE_RAWCONTENT)
            frame = zstandard.ZstdCompressor(compression_params=params, dict_data=dictionary).compress(literal)
        else:
            frame = zstandard.ZstdCompressor(compression_params=params).compress(literal)
        if len(frame) >= len(literal) + 8:  # not worth it: stored
            out.append(bytes([METHOD_STORED]) + varint(len(literal)) + literal)
            methods.append(METHOD_STORED)
        else:
            out.append(bytes([METHOD_ZSTD]) + varint(len(frame)) + frame)
            methods.append(METHOD_ZSTD)
    out.append(b"E")
    return b"".join(out), ops, methods


def transfer_id(manifest_sha, encoding, base_sha):
    """The reference publisher's stable transfer id for (cut, encoding, base) (§8.3)."""
    return hashlib.sha256(f"{manifest_sha}\n{encoding}\n{base_sha or '-'}".encode()).hexdigest()[:32]
