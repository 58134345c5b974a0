#!/usr/bin/python3
"""Recomputes the session test vectors of docs/protocol.md §13.2 in Python, from the text alone.

A second implementation's check that the specification is enough to reproduce the bytes: the
auth transcript from the keys and nonces, both signatures (Ed25519 is deterministic), the Hello,
PublisherAuth, ReceiverAuth, OfferReply, Chunk, PayloadEnd and Error frames, the receipt
signature, the full payload's SHA-256, the `full-zstd@1` and `delta-zstd@1` streams (§9.2, with
delta_stream.py) and the audit-log hashes. Prints a JSON object
{"ok": bool, "checks": {name: bool}} and exits 1 when a check fails.
"""
import base64
import hashlib
import json
import os
import re
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import delta_stream  # noqa: E402
import proto_loader  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
M = proto_loader.load(os.path.join(HERE, "..", "..", "proto", "prepcast", "v1", "push.proto"))


def canonical(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def main():
    doc = open(os.path.join(HERE, "..", "..", "docs", "protocol.md"), encoding="utf-8").read()
    section = doc[doc.index("<!-- BEGIN SESSION TEST VECTORS"):doc.index("<!-- END SESSION TEST VECTORS -->")]
    table = dict(re.findall(r"^\| ([^|]+?) \| `([0-9a-f]+)` \|$", section, re.M))
    blocks = re.findall(r"```(json|text)\n(.*?)\n```", section, re.S)
    jsons = [b for lang, b in blocks if lang == "json"]
    texts = [b for lang, b in blocks if lang == "text"]
    hexes = lambda b: re.sub(r"\s", "", b)  # noqa: E731

    pub_seed = bytes.fromhex(table["publisher identity seed (id `ople-ver`)"])
    rcv_seed = bytes.fromhex(table["receiver identity seed (id `uv-xalapa`)"])
    p_nonce = bytes.fromhex(table["publisher nonce (in PublisherAuth)"])
    r_nonce = bytes.fromhex(table["receiver nonce (in Hello)"])
    pub, rcv = Ed25519PrivateKey.from_private_bytes(pub_seed), Ed25519PrivateKey.from_private_bytes(rcv_seed)
    raw = lambda k: k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)  # noqa: E731
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    checks = {}
    checks["public keys derive from the seeds"] = raw(pub).hex() == table["publisher identity public key"] and raw(rcv).hex() == table["receiver identity public key"]

    transcript = canonical({
        "format": "prepcast/auth@1", "protocolVersion": 1,
        "publisherId": "ople-ver", "publisherKey": b64(raw(pub)), "publisherNonce": b64(p_nonce),
        "receiverId": "uv-xalapa", "receiverKey": b64(raw(rcv)), "receiverNonce": b64(r_nonce),
    })
    checks["auth transcript"] = transcript == jsons[0].encode("utf-8")
    p_sig = pub.sign(b"prepcast/v1/auth-publisher\n" + transcript)
    r_sig = rcv.sign(b"prepcast/v1/auth-receiver\n" + transcript)
    sig_lines = re.findall(r"[0-9a-f]{64}", texts[0])
    checks["auth signatures"] = p_sig.hex() == sig_lines[0] + sig_lines[1] and r_sig.hex() == sig_lines[2] + sig_lines[3]

    F = M["Frame"]
    hello = F(hello=M["Hello"](protocol_version=1, receiver_id="uv-xalapa", identity_public_key=raw(rcv), nonce=r_nonce, free_disk_bytes=2**34,
                               clock_unix_ms=1717381200000, agent_version="0.1.0", keyset_version=1,
                               accepted_encodings=["full", "delta-zstd@1", "full-zstd@1"], features=["offer-manifest-zstd@1"]))
    checks["Hello frame"] = hello.SerializeToString().hex() == hexes(texts[1])
    pa = F(publisher_auth=M["PublisherAuth"](publisher_id="ople-ver", identity_public_key=raw(pub), nonce=p_nonce, signature=p_sig, clock_unix_ms=1717381200250))
    checks["PublisherAuth frame"] = pa.SerializeToString().hex() == hexes(texts[2])
    checks["ReceiverAuth frame"] = F(receiver_auth=M["ReceiverAuth"](signature=r_sig)).SerializeToString().hex() == hexes(texts[3])

    files = ["SECCION|CASILLA|VOTOS\n0001|B1|42\n", "<!doctype html><title>PREP 2024</title>\n"]
    payload = "".join(files).encode("utf-8")
    sha = re.search(r"SHA-256 `([0-9a-f]{64})` \(Offer.payload_sha256\)", section).group(1)
    checks["full payload SHA-256"] = hashlib.sha256(payload).hexdigest() == sha
    transfer = re.search(r"transfer id for it is `([0-9a-f]+)`", section).group(1)
    checks["transfer id"] = hashlib.sha256(f"a2ad473be2201f87dd541039030fc2ccb66e6cf70672b1a2a30ef6d0fc2a2d51\nfull\n-".encode()).hexdigest()[:32] == transfer
    reply_hex, chunk_hex, end_hex = [hexes(p) for p in texts[4].split("\n\n")]
    checks["OfferReply frame"] = F(offer_reply=M["OfferReply"](accept=True, resume_offset=0)).SerializeToString().hex() == reply_hex
    checks["Chunk frame"] = F(chunk=M["Chunk"](offset=0, data=payload, sha256=hashlib.sha256(payload).digest())).SerializeToString().hex() == chunk_hex
    checks["PayloadEnd frame"] = F(payload_end=M["PayloadEnd"]()).SerializeToString().hex() == end_hex
    checks["Error frame"] = F(error=M["Error"](code="AUTH_FAILED", message="bad key", retryable=False)).SerializeToString().hex() == hexes(texts[5])

    receipt = jsons[1].encode("utf-8")
    checks["receipt is canonical"] = canonical(json.loads(receipt)) == receipt
    checks["receipt signature"] = rcv.sign(b"prepcast/v1/receipt\n" + receipt).hex() == hexes(texts[6])
    try:
        Ed25519PublicKey.from_public_bytes(raw(rcv)).verify(bytes.fromhex(hexes(texts[6])), b"prepcast/v1/receipt\n" + receipt)
    except Exception:  # noqa: BLE001
        checks["receipt signature"] = False

    # §9.2: the same cut as a full-zstd@1 stream (one stored group), then the delta to cut 2 (a stored literal, a COPY)
    paths = ["datos/presidencia.csv", "index.html"]
    cut1_sha = "a2ad473be2201f87dd541039030fc2ccb66e6cf70672b1a2a30ef6d0fc2a2d51"
    cut1 = {"files": [{"path": p, "sha256": hashlib.sha256(f.encode()).hexdigest(), "size": len(f.encode())} for p, f in zip(paths, files)]}
    stream = delta_stream.encode(cut1, cut1_sha, dict(zip(paths, (f.encode() for f in files))), stored=True)[0]
    checks["full-zstd@1 stream"] = stream.hex() == hexes(texts[7])
    cut2_bytes = jsons[2].encode("utf-8")
    cut2 = json.loads(cut2_bytes)
    cut2_sha = hashlib.sha256(cut2_bytes).hexdigest()
    csv2 = b"SECCION|CASILLA|VOTOS\n0001|B1|43\n"
    checks["cut 2 manifest"] = re.search(r"its manifest \(SHA-256 `([0-9a-f]{64})`\)", section).group(1) == cut2_sha and cut2["files"][0]["sha256"] == hashlib.sha256(csv2).hexdigest()
    delta = delta_stream.encode(cut2, cut2_sha, {"datos/presidencia.csv": csv2, "index.html": files[1].encode()}, cut1, cut1_sha, {}, ops=[1, 0], stored=True)[0]
    checks["delta-zstd@1 stream"] = delta.hex() == hexes(texts[8]) and delta_stream.plan(cut2["files"], cut1["files"])[1] == delta_stream.OP_COPY

    prev = "0" * 64
    ok = True
    for hashed, line in zip(texts[-2:], jsons[-2:]):
        entry = json.loads(line)
        text = prev + "\n" + canonical({k: entry[k] for k in ("data", "event", "prev", "seq", "time")}).decode("utf-8")
        ok = ok and text == hashed and hashlib.sha256(text.encode("utf-8")).hexdigest() == entry["hash"] and canonical(entry).decode("utf-8") == line
        prev = entry["hash"]
    checks["audit-log hashes"] = ok

    result = {"ok": all(checks.values()), "checks": checks}
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
