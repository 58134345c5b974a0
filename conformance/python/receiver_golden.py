"""Golden sessions for receiver implementations: conformance/sessions/receiver-golden.json.

Run through prepcast_publisher.py --golden FILE --scenario NAME: the publisher plays one scenario
(one session, or several in turn) frame by frame and checks every frame the receiver sends, field
by field, against the values the scenario gives (docs/protocol.md §7.4, §7.6, §8.2-§8.5, §5.3,
§9). Format `prepcast/receiver-golden@1`; the README of conformance/ describes the steps and
matchers. The matchers and the reading of frames are in golden_match.py, the `delta-zstd@1`
stream in delta_stream.py.
"""
import hashlib
import json
import os
import time

import delta_stream
from golden_match import Mismatch, end_status, match, next_within

FORMAT = "prepcast/receiver-golden@1"


def package_values(pp, prefix, docs, manifest, payload, manifest_sha, chunk):
    """The values a scenario names for one package ("$keyset", "$base_keyset", …)."""
    return {f"{prefix}{k}": v for k, v in {
        "keyset": pp.b64(docs["keyset.json"]), "keyset_sig": pp.b64(docs["keyset.sig"]), "manifest": pp.b64(docs["manifest.json"]),
        "manifest_sig": pp.b64(docs["manifest.sig"]), "payload_size": str(len(payload)), "payload_sha256": pp.b64(hashlib.sha256(payload).digest()),
        "transfer_id": delta_stream.transfer_id(manifest_sha, "full", None), "chunk_size": str(chunk),
        "process": manifest["process"], "channel": manifest["channel"], "sequence": manifest["sequence"],
        "manifest_sha256": manifest_sha, "manifest_sha256_b64": pp.b64(bytes.fromhex(manifest_sha)), "not_before": manifest["notBefore"],
    }.items()}


def contents(manifest, payload):
    """The files of a `full` payload (§9.1), by path: the manifest's sizes in manifest order."""
    out, at = {}, 0
    for f in manifest["files"]:
        out[f["path"]] = payload[at:at + f["size"]]
        at += f["size"]
    return out


def packages(pp, args, docs, manifest, payload, manifest_sha, want_delta, want_zstd=False):
    """values and the payloads a scenario may offer, by their Base64 SHA-256 (the chunks step sends
    the one the last Offer named): the package, --base and --other, (want_delta: the scenario
    names a "$delta_" value) the `delta-zstd@1` stream from --base, and (want_zstd: it names a
    "$zstd_" value or "$manifest_zstd") the package's `full-zstd@1` stream and its manifest as one
    zstd frame (§8.7: no dictionary, level 1 as the reference publisher's)."""
    values = package_values(pp, "", docs, manifest, payload, manifest_sha, args.chunk_size)
    payloads = {values["payload_sha256"]: payload}
    info = {}
    if want_zstd:
        import zstandard  # python3-zstandard

        stream, ops, methods = delta_stream.encode(manifest, manifest_sha, contents(manifest, payload))
        frame = zstandard.ZstdCompressor(level=1).compress(docs["manifest.json"])
        values.update({"zstd_payload_size": str(len(stream)), "zstd_payload_sha256": pp.b64(hashlib.sha256(stream).digest()),
                       "zstd_transfer_id": delta_stream.transfer_id(manifest_sha, "full-zstd@1", None),
                       "manifest_zstd": pp.b64(frame), "manifest_size": str(len(docs["manifest.json"]))})
        payloads[values["zstd_payload_sha256"]] = stream
        info = {"zstdOps": ops, "zstdGroupMethods": methods, "zstdSize": len(stream), "fullSize": len(payload),
                "manifestZstdSize": len(frame), "manifestSize": len(docs["manifest.json"])}
    for prefix, path in (("base_", args.base), ("other_", args.other)):
        if not path:
            continue
        d, m, p = pp.read_package(path)
        sha = hashlib.sha256(d["manifest.json"]).hexdigest()
        values.update(package_values(pp, prefix, d, m, p, sha, args.chunk_size))
        payloads[values[f"{prefix}payload_sha256"]] = p
        if prefix == "base_" and want_delta:  # §9.2: the delta from the base cut to the package's cut
            stream, ops, methods = delta_stream.encode(manifest, manifest_sha, contents(manifest, payload), m, sha, contents(m, p))
            values.update({"delta_payload_size": str(len(stream)), "delta_payload_sha256": pp.b64(hashlib.sha256(stream).digest()),
                           "delta_transfer_id": delta_stream.transfer_id(manifest_sha, "delta-zstd@1", sha)})
            payloads[values["delta_payload_sha256"]] = stream
            info = {"deltaOps": ops, "deltaGroupMethods": methods, "deltaSize": len(stream), "fullSize": len(payload)}
    return values, payloads, info


def run(pp, args, identity, my_public, receiver_key, docs, manifest, payload, manifest_sha):
    """Plays scenario args.scenario of args.golden; returns (result, exit code)."""
    spec = json.load(open(args.golden, encoding="utf-8"))
    if spec.get("format") != FORMAT:
        return {"status": "error", "message": f"{args.golden} is not {FORMAT}"}, 2
    chosen = [s for s in spec["scenarios"] if s["name"] == args.scenario]
    if not chosen:
        return {"status": "error", "message": f"no scenario {args.scenario!r}", "known": [s["name"] for s in spec["scenarios"]]}, 2
    sessions = chosen[0]["sessions"] if "sessions" in chosen[0] else [chosen[0]["steps"]]
    want_delta = "$delta_" in json.dumps(sessions)
    if want_delta and not args.base:
        return {"status": "error", "message": f"scenario {args.scenario!r} offers a delta: give its base cut with --base"}, 2
    dumped = json.dumps(sessions)
    values, payloads, info = packages(pp, args, docs, manifest, payload, manifest_sha, want_delta, "$zstd_" in dumped or "$manifest_zstd" in dumped)
    values.update({"receiver_id": args.receiver_id, "receiver_key": pp.b64(receiver_key), "publisher_id": args.publisher_id,
                   "resume_offset": "0", "held_bytes": "0"})
    state = {"payload": payload, "chunk": args.chunk_size, "at": "session 1 step 1" if len(sessions) > 1 else "step 1"}
    seen, sent, why = [], [], None
    for k, steps in enumerate(sessions, 1):
        where = f"session {k} " if len(sessions) > 1 else ""
        channel, s = pp.connect(args)
        try:
            play(pp, args, s, channel, steps, where, values, payloads, state, seen, identity, my_public, receiver_key)
        except Mismatch as e:
            why = str(e)
        except pp.Refusal as e:
            why = f"{state['at']}: the receiver sent Error {e.code}: {e.message}" if e.from_peer else f"{state['at']}: {e.code}: {e.message}"
        except StopIteration:
            why = f"{state['at']}: the receiver ended the call"
        except Exception as e:  # noqa: BLE001  (grpc.RpcError and the like)
            why = f"{state['at']}: {type(e).__name__}: {e}"
        finally:
            s.close()
            channel.close()
            sent.extend(s.sent)
        if why is not None:
            break
    result = {"status": "golden", "scenario": args.scenario, "ok": why is None, "why": why, "framesReceived": seen, "framesSent": sent, **info}
    return result, 0 if why is None else 5


def play(pp, args, s, channel, steps, where, values, payloads, state, seen, identity, my_public, receiver_key):
    """One session of a scenario, step by step; raises Mismatch naming the step and the field."""
    from google.protobuf import json_format
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    def fill(v):
        if isinstance(v, dict):
            return {k: fill(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fill(x) for x in v]
        if isinstance(v, str) and v.startswith("$"):
            return values[v[1:]]
        return v

    for n, step in enumerate(steps, 1):
        at = state["at"] = f"{where}step {n}"
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
            elif what == "chunks":  # the chunks of the offered payload from the receiver's resume_offset (§8.4)
                payload, chunk = state["payload"], state["chunk"]
                start = int(values["resume_offset"])
                offsets = list(range(start, len(payload), chunk))[: body.get("count")]
                for offset in offsets:
                    data = payload[offset:offset + chunk]
                    digest = bytearray(hashlib.sha256(data).digest())
                    if body.get("corrupt") == "sha256":
                        digest[0] ^= 1
                    s.send(chunk=pp.M["Chunk"](offset=offset, data=data, sha256=bytes(digest)))
                    if body.get("corrupt") is None:
                        values["held_bytes"] = str(offset + len(data))
            else:
                filled = fill({what: body})
                if what == "offer":  # the payload the chunks step sends: the one this Offer names
                    sha = filled["offer"].get("payloadSha256")
                    if sha not in payloads:
                        raise Mismatch(f"{at}: the Offer names a payload SHA-256 {sha!r} of no package given")
                    state["payload"], state["chunk"] = payloads[sha], int(filled["offer"].get("chunkSize", args.chunk_size))
                frame = json_format.ParseDict(filled, pp.M["Frame"]())
                s.sent.append(frame.WhichOneof("body"))
                s.out.put(frame.SerializeToString())
        elif "close" in step:  # the publisher's clean end (§7.6): half-close
            s.close()
        elif "drop" in step:  # the publisher vanishes mid-session (no Error, no half-close): the call is cancelled
            time.sleep(float(step["drop"].get("settleMs", 500)) / 1000)  # the chunks sent reach the receiver first
            channel.close()
            seen.append("drop")
            if n != len(steps):
                raise Mismatch(f"{at}: a drop ends the session; steps after it cannot run")
        elif "expect" in step:
            ((what, want),) = step["expect"].items()
            if what == "end":  # nothing more but Ping/Pong, then the status (and trailer)
                match(f"{at} end", want, end_status(pp, s, at), values)
                seen.append("end")
                continue
            f = next_within(s, float(step.get("withinMs", args.timeout * 1000)) / 1000, at, what, errors=what == "error")
            body = f.WhichOneof("body")
            seen.append(body)
            name = "".join(w.capitalize() if i else w for i, w in enumerate(body.split("_")))
            if name != what:
                detail = f" {f.error.code}: {f.error.message[:200]}" if body == "error" else ""
                raise Mismatch(f"{at}: expected {what}, the receiver sent {name}{detail}")
            msg = getattr(f, body)
            got = json_format.MessageToDict(msg, including_default_value_fields=True)
            if what == "hello":
                values["receiver_nonce"] = pp.b64(msg.nonce)
            if what == "receiverAuth":  # §8.2 step 4: the receiver's key over the same transcript
                try:
                    Ed25519PublicKey.from_public_bytes(receiver_key).verify(msg.signature, pp.signed_message("auth-receiver", values["transcript"]))
                except Exception:  # noqa: BLE001
                    raise Mismatch(f"{at}: ReceiverAuth.signature does not verify over the §5.5 transcript")
                got = {}
            if what == "offerReply":
                values["resume_offset"] = str(msg.resume_offset)
            if what == "receipt":  # §5.3: signed by the receiver identity key, canonical, then field by field
                try:
                    Ed25519PublicKey.from_public_bytes(receiver_key).verify(msg.signature, pp.signed_message("receipt", msg.receipt))
                except Exception:  # noqa: BLE001
                    raise Mismatch(f"{at}: the receipt signature does not verify with the receiver's identity key")
                got = json.loads(msg.receipt)
                if pp.canonical(got) != msg.receipt:
                    raise Mismatch(f"{at}: the receipt is not canonical JSON (§2.1)")
                for key in got:
                    if key not in want:
                        raise Mismatch(f"{at}: the receipt has a field {key!r} the scenario does not name (§5.3)")
            match(f"{at} {what}", want, got, values)
        else:
            raise Mismatch(f"{at}: unknown step {step}")
