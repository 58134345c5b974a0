#!/usr/bin/python3
"""A scripted PREPcast receiver: the conformance runner for publisher implementations.

It listens for gRPC with TLS (a self-signed P-256 certificate whose subjectAltName lists
<receiver-id>.prepcast and 127.0.0.1, §7.5), plays the receiver's side of the sessions of one or
more golden scenarios from a `prepcast/publisher-scenarios@1` file (conformance/sessions/
publisher-scenarios.json) and checks every frame the publisher sends against docs/protocol.md:
the PublisherAuth (§8.2, the transcript of §5.5 signed by the registered publisher key, strict
Ed25519 §4.1), the Offer (§7.4, §8.3: transfer_id, encoding, chunk_size, the keyset signed by
the given root key and the manifest by a key of that keyset, payload_size = totalSize for
`full`), the chunks (§8.4: contiguous from the offset the receiver named, each chunk_size bytes
but the last, sha256 of data), the whole payload (payload_sha256 and every file of the manifest,
§9.1; full-zstd@1 and delta-zstd@1 rebuilt from §9.2 by scripted_payload.py, which also reads an
Offer's manifest_zstd, §8.7), and how the session ends (§7.6). It signs the receipts it sends (§5.3).

Debian packages: python3-grpcio python3-protobuf python3-cryptography (python3-zstandard for the
zstd scenarios). Output, one JSON object a
line on stdout:
  {"status": "listening", "address": "127.0.0.1:PORT", "receiverId": ..., "tlsFingerprint": ...,
   "identityPublicKey": ..., "certificate": PATH}                      (as soon as it listens)
  {"status": "passed"|"failed", "passed": N, "total": N, "results": [{"name", "ok", "why", "sessions"}]}
Exit 0 when every scenario passed, 5 when one failed, 2 on a usage error.
"""

import argparse
import json
import os
import sys
import time

from cryptography.hazmat.primitives import serialization

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prepcast_publisher as pp  # noqa: E402  (frames, canonical JSON, signed messages, 64-bit checks)
from scripted_grpc import Server, Violation  # noqa: E402
from scripted_identity import load_or_make_keys  # noqa: E402
from scripted_scenario import Scenario, b64d  # noqa: E402

FORMAT = "prepcast/publisher-scenarios@1"


def key_from_arg(value):
    """A raw 32-byte Ed25519 public key from Base64 or from a key file of §3 ({"public": ...})."""
    if os.path.exists(value):
        return b64d(json.load(open(value, encoding="utf-8"))["public"])
    return b64d(value)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenarios", required=True, help="a prepcast/publisher-scenarios@1 file (conformance/sessions/publisher-scenarios.json)")
    p.add_argument("--scenario", action="append", help="run this scenario (repeatable; default: all, in order). One per run is safest: "
                   "a publisher that redials after an ending would otherwise open the next scenario's session")
    p.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT to listen on (port 0: any free port)")
    p.add_argument("--keys-dir", required=True, help="where the identity and TLS certificate are kept (made on the first run)")
    p.add_argument("--receiver-id", default="scripted-receiver")
    p.add_argument("--publisher-id", required=True, help="the publisher id registered for this receiver")
    p.add_argument("--publisher-key", required=True, help="the publisher's identity public key: Base64, or its identity.pub")
    p.add_argument("--root-key", required=True, help="the root public key that signs keysets: Base64, or root.pub")
    p.add_argument("--connect-timeout", type=float, default=60, help="seconds to wait for each session to be opened")
    p.add_argument("--frame-timeout", type=float, default=30, help="seconds to wait for each expected frame")
    opts = p.parse_args()
    spec = json.load(open(opts.scenarios, encoding="utf-8"))
    if spec.get("format") != FORMAT:
        print(json.dumps({"status": "error", "message": f"{opts.scenarios} is not {FORMAT}"}))
        sys.exit(2)
    chosen = [s for s in spec["scenarios"] if not opts.scenario or s["name"] in opts.scenario]
    if opts.scenario and len(chosen) != len(opts.scenario):
        print(json.dumps({"status": "error", "message": f"unknown scenario among {opts.scenario}", "known": [s["name"] for s in spec["scenarios"]]}))
        sys.exit(2)
    opts.publisher_key, opts.root_key = key_from_arg(opts.publisher_key), key_from_arg(opts.root_key)

    identity, cert_pem, key_pem, fingerprint, cert_path = load_or_make_keys(opts.keys_dir, opts.receiver_id)
    server = Server(opts.listen, cert_pem, key_pem)
    public = identity.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    print(json.dumps({"status": "listening", "address": f"{server.host}:{server.port}", "receiverId": opts.receiver_id,
                      "tlsFingerprint": fingerprint, "identityPublicKey": pp.b64(public), "certificate": cert_path}), flush=True)

    results = []
    for s in chosen:
        sc = Scenario(s, opts, identity, server)
        try:
            sc.run()
            results.append({"name": s["name"], "ok": True, "why": None, "sessions": sc.log})
        except Violation as e:
            results.append({"name": s["name"], "ok": False, "why": f"{e.code}: {e.why}", "sessions": sc.log})
        print(json.dumps({"status": "scenario", **results[-1]}), file=sys.stderr, flush=True)
    time.sleep(0.3)  # let the last status reach the publisher
    server.stop()
    passed = sum(r["ok"] for r in results)
    print(json.dumps({"status": "passed" if passed == len(results) else "failed", "passed": passed, "total": len(results), "results": results}), flush=True)
    sys.exit(0 if passed == len(results) else 5)


if __name__ == "__main__":
    main()
