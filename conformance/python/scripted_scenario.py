"""The scenario engine of the scripted receiver (scripted_receiver.py): plays one scenario's sessions
and checks every frame the publisher sends against docs/protocol.md."""

import base64
import datetime
import hashlib
import json
import os
import queue
import re
import sys
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.protobuf import json_format

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prepcast_publisher as pp  # noqa: E402  (frames, canonical JSON, signed messages, 64-bit checks)
from scripted_grpc import CANCELLED, EOF, FRAME_LIMIT, Violation  # noqa: E402
import scripted_payload  # noqa: E402  (§8.7 manifest_zstd, §9.2 streams)
from strict_ed25519 import strict_verify  # noqa: E402

M = pp.M
TRANSFER_ID = re.compile(r"^[0-9a-f]{16,64}$")


def b64d(s):
    return base64.b64decode(s, validate=True)


def iso_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Scenario:
    """Plays one scenario's sessions; `values` carries $placeholders across its sessions."""

    def __init__(self, spec, opts, identity, server):
        self.spec, self.opts, self.identity, self.server = spec, opts, identity, server
        self.receiver_key = identity.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.values = {"receiver_id": opts.receiver_id, "receiver_key": pp.b64(self.receiver_key), "publisher_id": opts.publisher_id}
        self.payload = bytearray()  # the verified prefix the receiver holds (survives the session, §8.4)
        self.cuts = {}  # the cuts it installed, by manifest SHA-256 (hex): the bases a delta may name
        self.log = []

    # -- $placeholders
    def fill(self, v):
        if isinstance(v, dict):
            return {k: self.fill(x) for k, x in v.items()}
        if isinstance(v, list):
            return [self.fill(x) for x in v]
        if isinstance(v, str) and v.startswith("$"):
            name = v[1:]
            if name not in self.values:
                raise Violation("SCENARIO", f"the scenario uses ${name} before it is known")
            return self.values[name]
        return v

    def run(self):
        for n, session in enumerate(self.spec["sessions"], 1):
            try:
                call = self.server.calls.get(timeout=self.opts.connect_timeout)
            except queue.Empty:
                raise Violation("TIMEOUT", f"session {n}: the publisher did not connect within {self.opts.connect_timeout:g} s")
            try:
                self.play(call, session["steps"], n)
            except Exception as e:  # noqa: BLE001
                if not isinstance(e, Violation):  # e.g. a document that is not even JSON: the publisher's fault, reported as such
                    e = Violation("PROTOCOL_ERROR", f"{type(e).__name__}: {e}")
                # end the session as a receiver would (§7.6): one Error frame, then the status
                if not call.ended:
                    call.send(M["Frame"](error=M["Error"](code=e.code if e.code != "SCENARIO" else "PROTOCOL_ERROR", message=e.why[:300])))
                    call.end("ABORTED", e.code, e.why[:300])
                raise Violation(e.code, f"session {n}: {e.why}")
            finally:
                self.log.append({"session": n, "framesReceived": call.received, "payloads": self.rebuilt})
                call.end()

    def play(self, call, steps, n):
        self.rebuilt = []  # each payload verified this session: encoding, manifest form, ops of a §9.2 stream
        self.values["receiver_nonce"] = pp.b64(os.urandom(32))  # fresh per session (§5.5)
        self.values["short_nonce"] = pp.b64(os.urandom(16))  # for scenarios: a nonce of the wrong length
        self.values["other_key"] = pp.b64(Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        self.values["now_ms"] = str(int(time.time() * 1000))
        for step in steps:
            if "send" in step:
                self.send(call, step["send"])
            elif "expect" in step:
                ((what, want),) = step["expect"].items()
                getattr(self, "expect_" + what)(call, self.fill(want))
            elif "end" in step:
                want = step["end"]
                call.end(want["grpcStatus"], want.get("code"), want.get("message", ""))
            else:
                raise Violation("SCENARIO", f"unknown step {step}")

    def next_frame(self, call, want, timeout=None):
        f = call.recv(timeout or self.opts.frame_timeout)
        if f is None:
            raise Violation("TIMEOUT", f"no {want} within {timeout or self.opts.frame_timeout:g} s")
        if f in (EOF, CANCELLED):
            raise Violation("PROTOCOL_ERROR", f"expected {want}, the publisher ended the call ({f})")
        body = f.WhichOneof("body")
        if body == "error":
            raise Violation("PEER_ERROR", f"expected {want}, the publisher sent Error {f.error.code[:40]}: {f.error.message[:300]}")
        if body != want:
            raise Violation("PROTOCOL_ERROR", f"expected {want}, got {body} (§8.8)")
        return getattr(f, body)

    # -- the receiver's frames
    def send(self, call, frame_json):
        frame_json = self.fill(frame_json)
        if "hello" in frame_json:
            self.hello = frame_json["hello"]
        if "receipt" in frame_json:
            if not hasattr(self, "manifest"):
                raise Violation("SCENARIO", "the scenario sends a receipt before any Offer")
            r = dict(frame_json["receipt"])
            frame_json = {"receipt": self.receipt(r.pop("state"), r.pop("corrupt", None), r)}
        frame = json_format.ParseDict(frame_json, M["Frame"]())
        call.send(frame)

    def receipt(self, state, corrupt=None, override=None):
        """§5.3: canonical JSON signed by the receiver identity key under `prepcast/v1/receipt`.
        corrupt = "signature" flips a bit of the signature (a receipt the publisher must refuse);
        `override` replaces fields of the document before it is signed (receiverId, manifestSha256...:
        a receipt for another receiver or another cut, correctly signed)."""
        m = self.manifest
        doc = {"format": "prepcast/receipt@1", "receiverId": self.opts.receiver_id, "publisherId": self.opts.publisher_id,
               "process": m["process"], "channel": m["channel"], "sequence": m["sequence"], "manifestSha256": self.values["manifest_sha256"],
               "state": state, "receivedAt": iso_now(), "activatedAt": iso_now() if state == "active" else None, "notBefore": m["notBefore"]}
        for field, value in (override or {}).items():
            if field not in doc or field == "format":
                raise Violation("SCENARIO", f"a receipt has no field {field!r} to override (§5.3)")
            doc[field] = value
        data = pp.canonical(doc)
        sig = bytearray(self.identity.sign(pp.signed_message("receipt", data)))
        if corrupt == "signature":
            sig[0] ^= 1
        return {"receipt": pp.b64(data), "signature": pp.b64(bytes(sig))}

    # -- expectations: the publisher's frames
    def expect_publisherAuth(self, call, want):
        """§8.2 step 3 and §5.5, from the registered id and key, never from what the frame claims."""
        a = self.next_frame(call, "publisher_auth")
        if len(a.publisher_id.encode()) + len(a.identity_public_key) + len(a.nonce) + len(a.signature) > 1024:
            raise Violation("MESSAGE_TOO_LARGE", "PublisherAuth over 1024 bytes of id, key, nonce and signature (§7.4)")
        if a.publisher_id != self.opts.publisher_id or a.identity_public_key != self.opts.publisher_key:
            raise Violation("AUTH_FAILED", f"PublisherAuth names {a.publisher_id!r} with another key than the registered one")
        if len(a.nonce) != 32:
            raise Violation("AUTH_FAILED", f"PublisherAuth nonce of {len(a.nonce)} bytes (§7.4: exactly 32)")
        transcript = pp.canonical({
            "format": "prepcast/auth@1", "protocolVersion": 1,
            "publisherId": self.opts.publisher_id, "publisherKey": pp.b64(self.opts.publisher_key), "publisherNonce": pp.b64(a.nonce),
            "receiverId": self.opts.receiver_id, "receiverKey": pp.b64(self.receiver_key), "receiverNonce": self.values["receiver_nonce"],
        })
        if not strict_verify(self.opts.publisher_key, a.signature, pp.signed_message("auth-publisher", transcript)):
            raise Violation("AUTH_FAILED", "PublisherAuth signature does not verify strictly over the §5.5 transcript")
        if a.clock_unix_ms == 0:
            raise Violation("PROTOCOL_ERROR", "PublisherAuth.clock_unix_ms is missing (§8.2 step 2)")
        self.values["receiver_auth_signature"] = pp.b64(self.identity.sign(pp.signed_message("auth-receiver", transcript)))
        # for scenarios: the right key over the right transcript, but under the publisher's domain (§4)
        self.values["wrong_domain_signature"] = pp.b64(self.identity.sign(pp.signed_message("auth-publisher", transcript)))

    def expect_offer(self, call, want):
        """§8.3 and §7.4 on every offer, §8.7 on its manifest, §6 steps 1-5 on its documents; `want`
        pins fields (JSON names) and "manifestForm": "plain" or "zstd"."""
        o = self.next_frame(call, "offer")
        got = json_format.MessageToDict(o)
        want = dict(want)
        form = want.pop("manifestForm", None)
        for field, value in want.items():
            if str(got.get(field, "")) != str(value):
                raise Violation("PROTOCOL_ERROR", f"Offer.{field} is {got.get(field)!r}, the scenario expects {value!r}")
        if not TRANSFER_ID.match(o.transfer_id):
            raise Violation("PROTOCOL_ERROR", f"transfer_id {o.transfer_id!r} does not match ^[0-9a-f]{{16,64}}$")
        accepted = self.hello.get("acceptedEncodings", [])
        if o.encoding not in accepted:
            raise Violation("PROTOCOL_ERROR", f"encoding {o.encoding!r} is not one of the Hello's accepted_encodings {accepted} (§8.7)")
        raw = scripted_payload.manifest_bytes(o, self.hello.get("features", []))
        if form is not None and form != ("plain" if o.manifest else "zstd"):
            raise Violation("PROTOCOL_ERROR", f"the Offer carries the manifest {'plain' if o.manifest else 'as manifest_zstd'}, the scenario expects {form}")
        self.base = self.check_base(o)
        if not 1024 <= o.chunk_size <= FRAME_LIMIT:
            raise Violation("PROTOCOL_ERROR", f"chunk_size {o.chunk_size} outside 1024 ... 8 MiB (§7.4)")
        if len(o.payload_sha256) != 32:
            raise Violation("PROTOCOL_ERROR", f"payload_sha256 of {len(o.payload_sha256)} bytes (§7.4)")
        manifest = self.verify_documents(o, raw)
        if o.encoding == "full" and o.payload_size != manifest["totalSize"]:
            raise Violation("TOO_LARGE", f"full payload_size {o.payload_size} is not the manifest's totalSize {manifest['totalSize']} (§8.3 step 7)")
        bound = manifest["totalSize"] + 1024 * len(manifest["files"]) + (1 << 20)
        if o.payload_size > bound:
            raise Violation("TOO_LARGE", f"{o.encoding} payload_size {o.payload_size} above totalSize + 1024 x files + 1 MiB = {bound} (§8.3 step 7)")
        self.offer, self.manifest, self.manifest_raw = o, manifest, raw
        v = self.values
        v.update({"transfer_id": o.transfer_id, "payload_size": str(o.payload_size), "payload_sha256": pp.b64(o.payload_sha256),
                  "chunk_size": str(o.chunk_size), "process": manifest["process"], "channel": manifest["channel"],
                  "sequence": str(manifest["sequence"]), "manifest_sha256": hashlib.sha256(raw).hexdigest(),
                  "manifest_sha256_b64": pp.b64(hashlib.sha256(raw).digest()),
                  "other_manifest_sha256": hashlib.sha256(raw + b"\nanother cut").hexdigest()})
        if v.get("held_transfer") != (o.transfer_id, o.payload_sha256, o.chunk_size):
            self.payload = bytearray()  # a prefix counts only for the same transfer, hash and chunk size (§8.3)
        v["held_bytes"] = str(len(self.payload))

    def check_base(self, o):
        """§8.3, §9.2: `base` only for delta-zstd@1, and then the receiver's live cut (Hello.live),
        one this runner installed; returns that cut."""
        if o.encoding != "delta-zstd@1":
            if o.HasField("base"):
                raise Violation("PROTOCOL_ERROR", f"Offer.base is set for the {o.encoding} encoding (§8.3, §9.2)")
            return None
        live = self.hello.get("live")
        if not o.HasField("base") or not live:
            raise Violation("PROTOCOL_ERROR", "a delta-zstd@1 Offer without base, or to a receiver whose Hello names no live cut (§9.2)")
        b = json_format.MessageToDict(o.base)
        if any(str(b.get(k)) != str(live.get(k)) for k in ("process", "channel", "sequence", "manifestSha256")):
            raise Violation("PROTOCOL_ERROR", f"Offer.base {b} is not the receiver's live cut {live} (§9.2: the base is the cut it holds)")
        cut = self.cuts.get(o.base.manifest_sha256.hex())
        if cut is None:
            raise Violation("SCENARIO", "the Hello names a live cut this runner did not install in an earlier session: it has no files to apply a delta to")
        return cut

    def verify_documents(self, o, raw):
        """§6 steps 1, 2, 4, 5: the keyset by the given root key, the manifest by a key it lists."""
        def sig_file(data, what):
            try:
                s = json.loads(data)
                if pp.canonical(s) != data or set(s) != {"keyid", "sig"}:
                    raise ValueError
                return s["keyid"], b64d(s["sig"])
            except (ValueError, TypeError):
                raise Violation("SIGNATURE_MALFORMED", f"{what} is not a canonical {{keyid, sig}} document (§4)")
        keyid, sig = sig_file(o.keyset_sig, "keyset_sig")
        if keyid != hashlib.sha256(self.opts.root_key).hexdigest():
            raise Violation("KEY_UNKNOWN", f"keyset.sig names key {keyid}, not the root key it was given")
        if not strict_verify(self.opts.root_key, sig, pp.signed_message("keyset", o.keyset)):
            raise Violation("SIGNATURE_INVALID", "the keyset signature does not verify strictly with the root key (§6 step 2)")
        keyset = json.loads(o.keyset)
        if pp.canonical(keyset) != o.keyset or keyset.get("format") != "prepcast/keyset@1":
            raise Violation("KEYSET_INVALID", "the keyset is not a canonical prepcast/keyset@1 document")
        keyid, sig = sig_file(o.manifest_sig, "manifest_sig")
        keys = {k["keyid"]: b64d(k["public"]) for k in keyset["keys"] if k.get("role") == "signing"}
        if keyid not in keys:
            raise Violation("KEY_UNKNOWN", f"manifest.sig names key {keyid}, which the keyset does not list (§6 step 4)")
        if not strict_verify(keys[keyid], sig, pp.signed_message("manifest", raw)):
            raise Violation("SIGNATURE_INVALID", "the manifest signature does not verify strictly (§6 step 5)")
        manifest = json.loads(raw)
        if pp.canonical(manifest) != raw or manifest.get("format") != "prepcast/manifest@1":
            raise Violation("MANIFEST_INVALID", "the manifest is not a canonical prepcast/manifest@1 document")
        if sum(f["size"] for f in manifest["files"]) != manifest["totalSize"]:
            raise Violation("MANIFEST_INVALID", "totalSize is not the sum of the files' sizes")
        return manifest

    def expect_chunks(self, call, want):
        """§8.4: Chunk frames from `from` on, contiguous, chunk_size bytes each but the last, each
        sha256 right, never past payload_size; until `to` bytes are held (or `bytes` more came)."""
        o = self.offer
        offset = int(want["from"])
        if offset != len(self.payload):
            raise Violation("SCENARIO", f"the scenario expects chunks from {offset} but the receiver holds {len(self.payload)} bytes")
        stop = int(want["to"]) if "to" in want else min(o.payload_size, offset + int(want["bytes"]))
        while offset < stop:
            c = self.next_frame(call, "chunk")
            if c.offset != offset:
                raise Violation("PROTOCOL_ERROR", f"chunk at offset {c.offset}, expected {offset} (§8.4)")
            if hashlib.sha256(c.data).digest() != c.sha256:
                raise Violation("HASH_MISMATCH", f"chunk at {c.offset}: sha256 is not the SHA-256 of its data (§8.4)")
            if c.offset + len(c.data) > o.payload_size:
                raise Violation("TOO_LARGE", f"chunk at {c.offset} of {len(c.data)} bytes goes past payload_size {o.payload_size}")
            last = c.offset + len(c.data) == o.payload_size
            if len(c.data) > o.chunk_size or (len(c.data) != o.chunk_size and not last) or not c.data:
                raise Violation("PROTOCOL_ERROR", f"chunk at {c.offset} has {len(c.data)} bytes; chunk_size is {o.chunk_size} (§8.4)")
            self.payload += c.data
            offset += len(c.data)
        self.values["held_transfer"] = (o.transfer_id, o.payload_sha256, o.chunk_size)
        self.values["held_bytes"] = str(len(self.payload))

    def expect_payloadEnd(self, call, want):
        """§8.4 after PayloadEnd: the whole payload's SHA-256, then (§9.1) every file of the manifest."""
        self.next_frame(call, "payload_end")
        o, data = self.offer, bytes(self.payload)
        if len(data) != o.payload_size:
            raise Violation("TRUNCATED", f"PayloadEnd after {len(data)} of {o.payload_size} bytes")
        if hashlib.sha256(data).digest() != o.payload_sha256:
            raise Violation("HASH_MISMATCH", "the payload's SHA-256 is not payload_sha256")
        sha = self.values["manifest_sha256"]
        self.rebuilt.append({"encoding": o.encoding, "manifest": "plain" if o.manifest else "zstd"})
        if o.encoding == "full":
            at, files = 0, {}
            for f in self.manifest["files"]:
                files[f["path"]] = data[at:at + f["size"]]
                if hashlib.sha256(files[f["path"]]).hexdigest() != f["sha256"]:
                    raise Violation("HASH_MISMATCH", f"{f['path']}: the full payload does not hold the manifest's bytes (§9.1)")
                at += f["size"]
        elif o.encoding in ("full-zstd@1", "delta-zstd@1"):
            files, ops = scripted_payload.rebuild(data, self.manifest, sha, self.base)
            self.rebuilt[-1]["ops"] = ops
        else:
            raise Violation("SCENARIO", f"this runner cannot rebuild the {o.encoding} encoding")
        self.cuts[sha] = {"sha": sha, "manifest": self.manifest, "files": files}
        self.payload = bytearray()
        self.values.pop("held_transfer", None)

    def expect_stopped(self, call, want):
        """After the receiver's Error (§8.4: the publisher SHOULD stop at once; §8.8 SENDING/AWAIT_*):
        for `ms`, nothing but Ping/Pong or the end of its side."""
        deadline = time.monotonic() + int(want.get("ms", 1000)) / 1000
        while (left := deadline - time.monotonic()) > 0:
            f = call.recv(left)
            if f is None or f in (EOF, CANCELLED):
                return
            raise Violation("PROTOCOL_ERROR", f"the publisher sent {f.WhichOneof('body')} after the receiver's Error frame")

    def expect_quiet(self, call, want):
        """While the receiver holds the cut staged (§8.5, §8.6): for `ms`, nothing but Ping/Pong, no
        new Offer of the cut; the publisher may end its side cleanly meanwhile (a one-shot publisher
        is done once the cut is staged), but not cancel the call. With "allowEnd": false it must
        not end it either (it still waits for the receipt of the cut it offered)."""
        deadline = time.monotonic() + int(want.get("ms", 1000)) / 1000
        while (left := deadline - time.monotonic()) > 0:
            f = call.recv(left)
            if f == EOF and want.get("allowEnd") is False:
                raise Violation("PROTOCOL_ERROR", "the publisher ended the session before the receipt of the cut it offered (§8.5: a receipt for another cut is kept, it does not end the transfer)")
            if f is None or f == EOF:
                return
            if f == CANCELLED:
                raise Violation("PROTOCOL_ERROR", "the publisher cancelled the call instead of half-closing it (§7.6 clean end)")
            raise Violation("PROTOCOL_ERROR", f"the publisher sent {f.WhichOneof('body')} while the receiver holds the cut staged (§8.5: nothing to offer)")

    def expect_error(self, call, want):
        """The publisher ends the session itself (§7.6, client side): exactly one Error frame with
        the expected code and retryable false, sent before anything else, then it half-closes or
        cancels the call and sends nothing more."""
        f = self.next_frame_or_end(call, "error")
        if f.WhichOneof("body") != "error":
            raise Violation("PROTOCOL_ERROR", f"expected an Error frame {want.get('code')}, the publisher sent {f.WhichOneof('body')}")
        if f.error.code != want["code"] or f.error.retryable:
            raise Violation("PROTOCOL_ERROR", f"expected Error {want['code']} (retryable false), got {f.error.code[:40]} (retryable {f.error.retryable})")
        g = call.recv(float(want.get("withinMs", self.opts.frame_timeout * 1000)) / 1000)
        if g is None:
            raise Violation("TIMEOUT", "after its Error frame the publisher did not end the call (§7.6: half-close or cancel)")
        if g not in (EOF, CANCELLED):
            raise Violation("PROTOCOL_ERROR", f"after its Error frame the publisher sent {g.WhichOneof('body')} (exactly one Error, §7.6)")

    def next_frame_or_end(self, call, want):
        f = call.recv(self.opts.frame_timeout)
        if f is None:
            raise Violation("TIMEOUT", f"no {want} within {self.opts.frame_timeout:g} s")
        if f in (EOF, CANCELLED):
            raise Violation("PROTOCOL_ERROR", f"expected {want}, the publisher ended the call without it ({f})")
        return f

    def expect_end(self, call, want):
        """A clean end (§7.6): the publisher half-closes, sending nothing but Ping/Pong meanwhile."""
        f = call.recv(float(want.get("withinMs", self.opts.frame_timeout * 1000)) / 1000)
        if f is None:
            raise Violation("TIMEOUT", "the publisher did not close its side")
        if f == CANCELLED:
            raise Violation("PROTOCOL_ERROR", "the publisher cancelled the call instead of half-closing it (§7.6 clean end)")
        if f != EOF:
            raise Violation("PROTOCOL_ERROR", f"expected the end of the session, the publisher sent {f.WhichOneof('body')}")
