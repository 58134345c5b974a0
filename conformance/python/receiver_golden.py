"""Golden sessions for receiver implementations: conformance/sessions/receiver-golden.json.

Run through prepcast_publisher.py --golden FILE --scenario NAME: the publisher plays one whole
session frame by frame and checks every frame the receiver sends, field by field, against the
values the scenario gives (docs/protocol.md §7.4, §8.2-§8.5, §5.3). Format
`prepcast/receiver-golden@1`; the README of conformance/ describes the steps and matchers.
"""
import base64
import datetime
import hashlib
import json
import os
import re
import threading
import time

FORMAT = "prepcast/receiver-golden@1"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


class Mismatch(Exception):
    pass


def _iso_ms(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000


def match(where, want, got, values):
    """One expected value against what the receiver sent (protobuf JSON mapping, defaults included).
    A "$name" is a value of the session; "~..." a matcher; null means absent (or the default)."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            raise Mismatch(f"{where} is {got!r}, expected an object")
        for k, w in want.items():
            match(f"{where}.{k}", w, got.get(k), values)
        return
    if want is None:
        if got not in (None, "", "0", 0, False, [], {}):
            raise Mismatch(f"{where} is {got!r}, expected it absent")
        return
    if isinstance(want, str) and want.startswith("$"):
        want = values[want[1:]]
    if isinstance(want, str) and want.startswith("~"):
        kind, _, arg = want[1:].partition(" ")
        ok = {
            "bytes32": lambda: isinstance(got, str) and len(base64.b64decode(got)) == 32,
            "uint": lambda: got is not None and re.fullmatch(r"\d+", str(got)) is not None,
            "nonempty": lambda: isinstance(got, str) and got != "",
            "clock": lambda: got is not None and abs(int(got) - time.time() * 1000) < 5 * 60_000,
            "iso": lambda: isinstance(got, str) and ISO.match(got) is not None,
            "includes": lambda: isinstance(got, list) and arg in got,
            "not-before": lambda: isinstance(got, str) and ISO.match(got) is not None and _iso_ms(got) >= _iso_ms(values["not_before"]),
        }.get(kind)
        if ok is None:
            raise Mismatch(f"{where}: unknown matcher {want!r}")
        if not ok():
            raise Mismatch(f"{where} is {got!r}, expected {want}")
        return
    if str(got) != str(want):
        raise Mismatch(f"{where} is {got!r}, expected {want!r}")


def next_within(s, seconds, where, what):
    """s.next(None) (Ping answered, Error raised) bounded in time: a receiver that stays silent fails."""
    box = {}

    def read():
        try:
            box["frame"] = s.next(None)
        except BaseException as e:  # noqa: BLE001  (handed to the caller)
            box["error"] = e
    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        raise Mismatch(f"{where}: no {what} within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["frame"]


def end_status(pp, s, where):
    """The rest of the call after the half-close: frames other than Ping/Pong fail; then the gRPC status."""
    import grpc
    try:
        for data in s.responses:
            f = pp.M["Frame"]()
            f.ParseFromString(data)
            if f.WhichOneof("body") not in ("ping", "pong"):
                raise Mismatch(f"{where}: after the half-close the receiver sent {f.WhichOneof('body')}")
        return {"grpcStatus": "OK"}
    except grpc.RpcError as e:
        return {"grpcStatus": e.code().name, "trailerCode": dict(e.trailing_metadata() or ()).get("prepcast-error-code")}


def run(pp, args, identity, my_public, receiver_key, docs, manifest, payload, manifest_sha):
    """Plays scenario args.scenario of args.golden; returns (result, exit code)."""
    from google.protobuf import json_format

    spec = json.load(open(args.golden, encoding="utf-8"))
    if spec.get("format") != FORMAT:
        return {"status": "error", "message": f"{args.golden} is not {FORMAT}"}, 2
    chosen = [s for s in spec["scenarios"] if s["name"] == args.scenario]
    if not chosen:
        return {"status": "error", "message": f"no scenario {args.scenario!r}", "known": [s["name"] for s in spec["scenarios"]]}, 2
    chunk = args.chunk_size
    values = {
        "receiver_id": args.receiver_id, "receiver_key": pp.b64(receiver_key), "publisher_id": args.publisher_id,
        "keyset": pp.b64(docs["keyset.json"]), "keyset_sig": pp.b64(docs["keyset.sig"]), "manifest": pp.b64(docs["manifest.json"]),
        "manifest_sig": pp.b64(docs["manifest.sig"]), "payload_size": str(len(payload)), "payload_sha256": pp.b64(hashlib.sha256(payload).digest()),
        "transfer_id": hashlib.sha256(f"{manifest_sha}\nfull\n-".encode()).hexdigest()[:32], "chunk_size": str(chunk),
        "process": manifest["process"], "channel": manifest["channel"], "sequence": manifest["sequence"],
        "manifest_sha256": manifest_sha, "not_before": manifest["notBefore"], "resume_offset": "0",
    }

    def fill(v):
        if isinstance(v, dict):
            return {k: fill(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fill(x) for x in v]
        if isinstance(v, str) and v.startswith("$"):
            return values[v[1:]]
        return v

    channel, s = pp.connect(args)
    seen, why = [], None
    try:
        for n, step in enumerate(chosen[0]["steps"], 1):
            where = f"step {n}"
            if "send" in step:
                ((what, body),) = step["send"].items()
                if what == "publisherAuth":  # built here: §8.2 step 3 over the §5.5 transcript
                    nonce = os.urandom(32)
                    values["transcript"] = pp.canonical({
                        "format": "prepcast/auth@1", "protocolVersion": 1, "publisherId": args.publisher_id,
                        "publisherKey": pp.b64(my_public), "publisherNonce": pp.b64(nonce), "receiverId": args.receiver_id,
                        "receiverKey": pp.b64(receiver_key), "receiverNonce": values["receiver_nonce"]})
                    sig = identity.sign(pp.signed_message("auth-publisher", values["transcript"]))
                    s.send(publisher_auth=pp.M["PublisherAuth"](publisher_id=args.publisher_id, identity_public_key=my_public, nonce=nonce,
                                                                signature=sig, clock_unix_ms=int(time.time() * 1000)))
                elif what == "chunks":  # every chunk from the receiver's resume_offset (§8.4)
                    for offset in range(int(values["resume_offset"]), len(payload), chunk):
                        data = payload[offset:offset + chunk]
                        s.send(chunk=pp.M["Chunk"](offset=offset, data=data, sha256=hashlib.sha256(data).digest()))
                else:
                    frame = json_format.ParseDict(fill({what: body}), pp.M["Frame"]())
                    s.sent.append(what)
                    s.out.put(frame.SerializeToString())
            elif "close" in step:  # the publisher's clean end (§7.6): half-close
                s.close()
            elif "expect" in step:
                ((what, want),) = step["expect"].items()
                if what == "end":  # after the half-close: nothing but Ping/Pong, then the status
                    match(f"{where} end", want, end_status(pp, s, where), values)
                    seen.append("end")
                    continue
                f = next_within(s, float(step.get("withinMs", args.timeout * 1000)) / 1000, where, what)
                body = f.WhichOneof("body")
                seen.append(body)
                name = re.sub(r"_(\w)", lambda m: m.group(1).upper(), body)
                if name != what:
                    raise Mismatch(f"{where}: expected {what}, the receiver sent {name}")
                msg = getattr(f, body)
                got = json_format.MessageToDict(msg, including_default_value_fields=True)
                if what == "hello":
                    values["receiver_nonce"] = pp.b64(msg.nonce)
                if what == "receiverAuth":  # §8.2 step 4: the receiver's key over the same transcript
                    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
                    try:
                        Ed25519PublicKey.from_public_bytes(receiver_key).verify(msg.signature, pp.signed_message("auth-receiver", values["transcript"]))
                    except Exception:  # noqa: BLE001
                        raise Mismatch(f"{where}: ReceiverAuth.signature does not verify over the §5.5 transcript")
                    got = {}
                if what == "offerReply":
                    values["resume_offset"] = str(msg.resume_offset)
                if what == "receipt":  # §5.3: signed by the receiver identity key, canonical, then field by field
                    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
                    try:
                        Ed25519PublicKey.from_public_bytes(receiver_key).verify(msg.signature, pp.signed_message("receipt", msg.receipt))
                    except Exception:  # noqa: BLE001
                        raise Mismatch(f"{where}: the receipt signature does not verify with the receiver's identity key")
                    got = json.loads(msg.receipt)
                    if pp.canonical(got) != msg.receipt:
                        raise Mismatch(f"{where}: the receipt is not canonical JSON (§2.1)")
                    for k in got:
                        if k not in want:
                            raise Mismatch(f"{where}: the receipt has a field {k!r} the scenario does not name (§5.3)")
                match(f"{where} {what}", want, got, values)
            else:
                raise Mismatch(f"{where}: unknown step {step}")
    except Mismatch as e:
        why = str(e)
    except pp.Refusal as e:
        why = f"step {len(seen) + 1}: the receiver sent Error {e.code}: {e.message}" if e.from_peer else f"{e.code}: {e.message}"
    except StopIteration:
        why = f"step {len(seen) + 1}: the receiver ended the call"
    except Exception as e:  # noqa: BLE001  (grpc.RpcError and the like)
        why = f"step {len(seen) + 1}: {type(e).__name__}: {e}"
    finally:
        s.close()
        channel.close()
    result = {"status": "golden", "scenario": args.scenario, "ok": why is None, "why": why, "framesReceived": seen, "framesSent": s.sent}
    return result, 0 if why is None else 5
