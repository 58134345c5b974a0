#!/usr/bin/python3
"""A PREPcast publisher written from docs/protocol.md alone (a second implementation).

It dials a receiver over gRPC with TLS, pins the receiver's certificate as the spec's §7.5
describes for clients without custom verification, runs the handshake of §8.2 (auth transcript
§5.5), offers one signed cut from a .prep package with the `full` encoding (§8.3, §9.1; or
`full-zstd@1`, §9.2, with --encoding),
resumes from the receiver's offset, streams the chunks (§8.4) and verifies the receipt (§5.3).

Debian packages: python3-grpcio python3-protobuf python3-cryptography. Prints one JSON object:
  {"status": "delivered", "receipt": {...}, "resumedFrom": N, "bytesSent": N}
  {"status": "refused", "code": "...", "message": "..."}             (exit 2)
  {"status": "failed", "code": "...", "message": "...", ...}         (exit 3)
  {"status": "interrupted", "bytesSent": N}                          (--stop-after-chunks; exit 4)
  {"status": "transcripts", "passed": N, "total": N, "results": [...]} (--transcripts; exit 5 if any failed)
  {"status": "golden", "scenario": ..., "ok": bool, "why": ..., "framesReceived": [...]}   (--golden; exit 5 if not ok)
  (--golden with --base needs python3-zstandard too, for the delta-zstd@1 payload)
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import queue
import socket
import ssl
import sys
import tarfile
import time

import grpc
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.exceptions import InvalidSignature

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import proto_loader  # noqa: E402

PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto", "prepcast", "v1", "push.proto")
M = proto_loader.load(PROTO)
SESSION_PATH = "/prepcast.v1.Push/Session"
MAX_SAFE = 2**53 - 1


class Refusal(Exception):
    def __init__(self, code, message, from_peer=False):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.from_peer = code, message, from_peer


def b64(b):
    return base64.b64encode(b).decode("ascii")


def canonical(obj):
    """Canonical JSON (§2.1) for the documents this publisher builds: ASCII/UTF-8 strings and safe integers."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def signed_message(kind, doc):
    return f"prepcast/v1/{kind}\n".encode("utf-8") + doc


def pinned_credentials(host, port, fingerprint):
    """§7.5 steps 1-2: fetch the certificate, check its SHA-256 pin, then trust only it."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=10) as raw, ctx.wrap_socket(raw, server_hostname="prepcast-receiver") as s:
        der = s.getpeercert(binary_form=True)
    actual = hashlib.sha256(der).hexdigest()
    if not hmac.compare_digest(actual, fingerprint.replace(":", "").lower()):
        raise Refusal("AUTH_FAILED", f"TLS certificate of {host}:{port} has fingerprint {actual}, expected {fingerprint}")
    return grpc.ssl_channel_credentials(root_certificates=ssl.DER_cert_to_PEM_cert(der).encode("ascii"))


def read_package(path):
    """The signed documents and the `full` payload (§9.1) of a .prep package."""
    with tarfile.open(path) as tar:
        def entry(name):
            f = tar.extractfile(name)
            if f is None:
                raise Refusal("PACKAGE_INVALID", f"{path} has no {name}")
            return f.read()
        docs = {k: entry(f"prepcast/{k}") for k in ("keyset.json", "keyset.sig", "manifest.json", "manifest.sig")}
        manifest = json.loads(docs["manifest.json"])
        payload = b"".join(entry(f"site/{f['path']}") for f in manifest["files"])
    if len(payload) != manifest["totalSize"]:
        raise Refusal("SIZE_MISMATCH", f"payload of {len(payload)} bytes, manifest says {manifest['totalSize']}")
    return docs, manifest, payload


class Session:
    def __init__(self, channel, timeout):
        self.out = queue.Queue()
        self.timeout = timeout
        call = channel.stream_stream(SESSION_PATH, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        self.responses = call(self._requests())
        self.sent = []

    def _requests(self):
        while True:
            item = self.out.get()
            if item is None:
                return
            yield item

    def send(self, **body):
        frame = M["Frame"](**body)
        self.sent.append(frame.WhichOneof("body"))
        self.out.put(frame.SerializeToString())

    def close(self):
        self.out.put(None)

    def next(self, want, errors=False, pongs=False):
        """The next frame; Ping is answered, Pong dropped (with pongs, returned), Error raised (§7.6, §8.6) or, with errors, returned."""
        while True:
            data = next(self.responses)
            frame = M["Frame"]()
            frame.ParseFromString(data)
            body = frame.WhichOneof("body")
            check_64bit(frame)
            if body == "ping":
                self.send(pong=M["Pong"](unix_ms=frame.ping.unix_ms))
                continue
            if body == "pong" and not pongs:
                continue
            if body == "error" and not errors:
                raise Refusal(frame.error.code[:40] or "PROTOCOL_ERROR", frame.error.message[:300], from_peer=True)
            if want is not None and body not in want:
                raise Refusal("PROTOCOL_ERROR", f"expected {'/'.join(want)}, got {body}")
            return frame


def check_64bit(msg, path=""):
    """§2.2: every 64-bit field within ±(2^53 − 1), refused with its exact value otherwise."""
    for field, value in msg.ListFields():
        name = f"{path}{field.name}"
        if field.type == field.TYPE_MESSAGE:
            for v in (value if field.label == field.LABEL_REPEATED else [value]):
                check_64bit(v, name + ".")
        elif field.type in (field.TYPE_UINT64, field.TYPE_INT64, field.TYPE_SINT64, field.TYPE_FIXED64, field.TYPE_SFIXED64):
            if abs(value) > MAX_SAFE:
                raise Refusal("INTEGER_OUT_OF_RANGE", f"{name} = {value} is outside ±{MAX_SAFE}")


def connect(args):
    host, port = args.address.rsplit(":", 1)
    port = int(port)
    options = [("grpc.max_receive_message_length", 8 << 20), ("grpc.max_send_message_length", 8 << 20)]
    if args.fingerprint:
        # the certificate's subjectAltName holds <id>.prepcast (§7.5): the name grpcio checks
        creds = pinned_credentials(host, port, args.fingerprint)
        options.append(("grpc.ssl_target_name_override", args.tls_name or f"{args.receiver_id}.prepcast"))
        channel = grpc.secure_channel(f"{host}:{port}", creds, options=options)
    else:
        channel = grpc.insecure_channel(f"{host}:{port}", options=options)
    return channel, Session(channel, args.timeout)


def handshake(s, args, identity, my_public, receiver_key):
    """§8.2: Hello, PublisherAuth, ReceiverAuth; returns the Hello."""
    hello = s.next(["hello"]).hello
    if hello.protocol_version != 1:
        raise Refusal("PROTOCOL_ERROR", f"receiver speaks protocol version {hello.protocol_version}")
    if hello.receiver_id != args.receiver_id or hello.identity_public_key != receiver_key:
        raise Refusal("AUTH_FAILED", f"peer claims to be {hello.receiver_id!r} with another key")
    if len(hello.nonce) != 32:
        raise Refusal("AUTH_FAILED", "receiver nonce must be 32 bytes")
    nonce = os.urandom(32)
    transcript = canonical({
        "format": "prepcast/auth@1",
        "protocolVersion": 1,
        "publisherId": args.publisher_id,
        "publisherKey": b64(my_public),
        "publisherNonce": b64(nonce),
        "receiverId": args.receiver_id,
        "receiverKey": b64(receiver_key),
        "receiverNonce": b64(hello.nonce),
    })
    s.send(publisher_auth=M["PublisherAuth"](publisher_id=args.publisher_id, identity_public_key=my_public, nonce=nonce,
                                             signature=identity.sign(signed_message("auth-publisher", transcript)), clock_unix_ms=int(time.time() * 1000)))
    ra = s.next(["receiver_auth"]).receiver_auth
    try:
        Ed25519PublicKey.from_public_bytes(receiver_key).verify(ra.signature, signed_message("auth-receiver", transcript))
    except (InvalidSignature, ValueError):
        raise Refusal("AUTH_FAILED", "the receiver did not prove possession of its registered identity key")
    return hello


def run_transcripts(args, identity, my_public, receiver_key, docs, payload, manifest_sha):
    """Drives the receiver through conformance/sessions/*.json, one fresh session per case."""
    from google.protobuf import json_format
    spec = json.load(open(args.transcripts, encoding="utf-8"))
    chunk = args.chunk_size
    values = {
        "keyset": b64(docs["keyset.json"]), "keyset_sig": b64(docs["keyset.sig"]), "manifest": b64(docs["manifest.json"]),
        "manifest_sig": b64(docs["manifest.sig"]), "payload_size": str(len(payload)), "payload_sha256": b64(hashlib.sha256(payload).digest()),
        "transfer_id": hashlib.sha256(f"{manifest_sha}\nfull\n-".encode()).hexdigest()[:32], "chunk_size": chunk,
        "first_chunk": b64(payload[:chunk]), "first_chunk_sha256": b64(hashlib.sha256(payload[:chunk]).digest()),
    }

    def fill(v):
        if isinstance(v, dict):
            return {k: fill(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fill(x) for x in v]
        if isinstance(v, str) and v.startswith("$"):
            return values[v[1:]]
        return v

    results = []
    for case in spec["cases"]:
        channel, s = connect(args)
        got, ok = None, True
        try:
            handshake(s, args, identity, my_public, receiver_key)
            for step in case["steps"]:
                if "send" in step:
                    frame = json_format.ParseDict(fill(step["send"]), M["Frame"]())
                    s.sent.append(frame.WhichOneof("body"))
                    s.out.put(frame.SerializeToString())
                    continue
                want = step["expect"]
                if "offerReply" in want:
                    r = s.next(["offer_reply"]).offer_reply
                    values["resume_offset"] = str(r.resume_offset)
                    got = {"offerReply": {"accept": r.accept, "code": r.code}}
                    exp = want["offerReply"]
                    ok = ok and (r.accept if exp.get("accept") else (not r.accept and r.code == exp.get("code")))
                else:
                    exp = want["error"]
                    try:
                        f = s.next(None)
                        got = {"unexpected": f.WhichOneof("body")}
                        ok = False
                    except Refusal as e:
                        status = grpc_status(s)
                        got = {"error": {"code": e.code, **status}}
                        ok = ok and e.code == exp["code"] and status.get("grpcStatus") == exp["grpcStatus"] and status.get("trailerCode") == exp["code"]
                    except grpc.RpcError as e:
                        got = {"error": {"code": None, "grpcStatus": e.code().name, "note": "the call ended without an Error frame"}}
                        ok = False
        except (Refusal, grpc.RpcError, StopIteration) as e:
            got, ok = {"exception": str(e)}, False
        finally:
            s.close()
            channel.close()
        results.append({"name": case["name"], "ok": ok, "got": got})
    return {"status": "transcripts", "passed": sum(r["ok"] for r in results), "total": len(results), "results": results}, 0 if all(r["ok"] for r in results) else 5


def run(args):
    seed_doc = json.load(open(args.identity, encoding="utf-8"))
    secret = base64.b64decode(seed_doc["secret"])
    identity = Ed25519PrivateKey.from_private_bytes(secret[:32])
    my_public = identity.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    receiver_key = base64.b64decode(args.receiver_key)
    docs, manifest, payload = read_package(args.package)
    manifest_sha = hashlib.sha256(docs["manifest.json"]).hexdigest()
    if args.transcripts:
        return run_transcripts(args, identity, my_public, receiver_key, docs, payload, manifest_sha)
    if args.golden:
        import receiver_golden
        return receiver_golden.run(sys.modules[__name__], args, identity, my_public, receiver_key, docs, manifest, payload, manifest_sha)

    channel, s = connect(args)
    try:
        hello = handshake(s, args, identity, my_public, receiver_key)

        # §8.3 offer, `full` encoding (or --encoding full-zstd@1, §9.2, when the Hello lists it)
        if args.encoding not in hello.accepted_encodings:
            raise Refusal("PROTOCOL_ERROR", f"receiver does not accept the {args.encoding} encoding")
        if args.encoding == "full-zstd@1":
            import delta_stream
            at, contents = 0, {}
            for f in manifest["files"]:
                contents[f["path"]], at = payload[at:at + f["size"]], at + f["size"]
            payload = delta_stream.encode(manifest, manifest_sha, contents)[0]
        if args.flip_payload_byte is not None:  # a lying publisher, for negative runs: hashed after the flip
            payload = bytearray(payload)
            payload[args.flip_payload_byte] ^= 1
            payload = bytes(payload)
        transfer_id = hashlib.sha256(f"{manifest_sha}\n{args.encoding}\n-".encode()).hexdigest()[:32]
        payload_sha = hashlib.sha256(payload).digest()
        chunk = args.chunk_size
        s.send(offer=M["Offer"](transfer_id=transfer_id, keyset=docs["keyset.json"], keyset_sig=docs["keyset.sig"], manifest=docs["manifest.json"],
                                manifest_sig=docs["manifest.sig"], encoding=args.encoding, payload_size=len(payload), payload_sha256=payload_sha, chunk_size=chunk))
        reply = s.next(["offer_reply"]).offer_reply
        if not reply.accept:
            # a refusal is not an error of the session (§7.6): end it cleanly, half-close then status OK
            s.close()
            return {"status": "refused", "code": reply.code, "message": reply.message[:300], **grpc_status(s)}, 2
        resumed = reply.resume_offset
        if resumed > len(payload) or (resumed % chunk != 0 and resumed != len(payload)):
            raise Refusal("PROTOCOL_ERROR", f"receiver asked to resume at {resumed}")
        # §8.4 chunks from the resume offset
        sent = 0
        chunks = 0
        for offset in range(resumed, len(payload), chunk):
            data = payload[offset:offset + chunk]
            s.send(chunk=M["Chunk"](offset=offset, data=data, sha256=hashlib.sha256(data).digest()))
            sent += len(data)
            chunks += 1
            if args.stop_after_chunks is not None and chunks >= args.stop_after_chunks:
                time.sleep(0.5)  # let the chunks reach the receiver before the connection drops
                channel.close()
                return {"status": "interrupted", "bytesSent": sent, "resumedFrom": resumed}, 4
        s.send(payload_end=M["PayloadEnd"]())
        # §8.5 the receipt (receipts for other cuts may be volunteered meanwhile)
        while True:
            r = s.next(["receipt"]).receipt
            try:
                Ed25519PublicKey.from_public_bytes(receiver_key).verify(r.signature, signed_message("receipt", r.receipt))
            except (InvalidSignature, ValueError):
                raise Refusal("SIGNATURE_INVALID", "receipt signature does not verify against the receiver's identity key")
            doc = json.loads(r.receipt.decode("utf-8"))
            if canonical(doc) != r.receipt or doc.get("format") != "prepcast/receipt@1":
                raise Refusal("PROTOCOL_ERROR", "receipt is not canonical prepcast/receipt@1")
            if doc["manifestSha256"] == manifest_sha and doc["sequence"] == manifest["sequence"]:
                break
        if doc["receiverId"] != args.receiver_id:
            raise Refusal("PROTOCOL_ERROR", f"receipt names receiver {doc['receiverId']!r}")
        # a clean end: half-close, then the receiver's status OK (§7.6)
        s.close()
        for _ in s.responses:
            pass
        return {"status": "delivered", "receipt": doc, "resumedFrom": resumed, "bytesSent": sent, "framesSent": s.sent}, 0
    except Refusal as e:
        if not e.from_peer:
            # §7.6, client side: exactly one Error frame, then the half-close
            s.send(error=M["Error"](code=e.code, message=e.message[:300], retryable=False))
        s.close()
        return {"status": "failed", "code": e.code, "message": e.message, **grpc_status(s)}, 3
    except grpc.RpcError as e:
        trailer = dict(e.trailing_metadata() or ()).get("prepcast-error-code")
        return {"status": "failed", "code": trailer or "UNAVAILABLE", "message": e.details(), "grpcStatus": e.code().name}, 3
    finally:
        channel.close()


def grpc_status(s):
    try:
        for _ in s.responses:
            pass
        return {"grpcStatus": "OK"}
    except grpc.RpcError as e:
        return {"grpcStatus": e.code().name, "trailerCode": dict(e.trailing_metadata() or ()).get("prepcast-error-code")}
    except Exception:  # noqa: BLE001
        return {}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--address", required=True, help="HOST:PORT of the receiver's push port")
    p.add_argument("--fingerprint", help="SHA-256 of the receiver's TLS certificate (omit for plain TCP on loopback)")
    p.add_argument("--tls-name", help="name to check in the certificate (default <receiver-id>.prepcast)")
    p.add_argument("--receiver-id", required=True)
    p.add_argument("--receiver-key", required=True, help="the receiver's identity public key, Base64")
    p.add_argument("--publisher-id", required=True)
    p.add_argument("--identity", required=True, help="the publisher's identity.key (JSON key file)")
    p.add_argument("--package", required=True, help="a .prep package (prep-publisher pack)")
    p.add_argument("--chunk-size", type=int, default=512 * 1024)
    p.add_argument("--stop-after-chunks", type=int)
    p.add_argument("--encoding", default="full", choices=["full", "full-zstd@1"], help="the payload encoding to offer (full-zstd@1 needs python3-zstandard)")
    p.add_argument("--flip-payload-byte", type=int, help="flip a bit of this byte of the payload stream before hashing it (a negative run)")
    p.add_argument("--transcripts", help="run the hostile session cases of this JSON file (conformance/sessions/) instead of delivering")
    p.add_argument("--golden", help="play one whole golden session of this JSON file (conformance/sessions/receiver-golden.json), "
                   "checking every frame the receiver sends; needs --scenario")
    p.add_argument("--scenario", help="the --golden scenario to play, by name")
    p.add_argument("--base", help="--golden: an earlier cut's .prep, the base of the delta-zstd@1 payload ($base_*, $delta_* values)")
    p.add_argument("--other", help="--golden: another cut's .prep a scenario offers ($other_* values)")
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()
    if args.golden and not args.scenario:
        p.error("--golden needs --scenario NAME")
    result, code = run(args)
    print(json.dumps(result))
    sys.exit(code)


if __name__ == "__main__":
    main()
