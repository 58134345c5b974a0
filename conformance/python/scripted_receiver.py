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
§9.1), and how the session ends (§7.6). It signs the receipts it sends (§5.3).

Debian packages: python3-grpcio python3-protobuf python3-cryptography. Output, one JSON object a
line on stdout:
  {"status": "listening", "address": "127.0.0.1:PORT", "receiverId": ..., "tlsFingerprint": ...,
   "identityPublicKey": ..., "certificate": PATH}                      (as soon as it listens)
  {"status": "passed"|"failed", "passed": N, "total": N, "results": [{"name", "ok", "why", "sessions"}]}
Exit 0 when every scenario passed, 5 when one failed, 2 on a usage error.
"""
import argparse
import base64
import datetime
import hashlib
import ipaddress
import json
import os
import queue
import re
import sys
import threading
import time
from concurrent import futures

import grpc
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from google.protobuf import json_format

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prepcast_publisher as pp  # noqa: E402  (frames, canonical JSON, signed messages, 64-bit checks)

M = pp.M
FORMAT = "prepcast/publisher-scenarios@1"
FRAME_LIMIT = 8 << 20  # §7.4
TRANSFER_ID = re.compile(r"^[0-9a-f]{16,64}$")

# §4.1 strict Ed25519 -------------------------------------------------------------------------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
_T = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826
SMALL_ORDER_Y = {0, 1, P - 1, _T, P - _T}


def _point_ok(b):
    """A canonical encoding (y < p) that is not one of the 8 torsion points."""
    y = int.from_bytes(b, "little") & ((1 << 255) - 1)
    return y < P and y not in SMALL_ORDER_Y


def strict_verify(public, signature, message):
    """§4.1 checks 1-3 here, then the cofactorless equation in OpenSSL (check 4). True/False."""
    if len(public) != 32 or len(signature) != 64:
        return False
    if int.from_bytes(signature[32:], "little") >= L or not _point_ok(public) or not _point_ok(signature[:32]):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


class Violation(Exception):
    """The publisher did something the specification forbids (or the scenario did not expect)."""

    def __init__(self, code, why):
        super().__init__(why)
        self.code, self.why = code, why


def b64d(s):
    return base64.b64decode(s, validate=True)


def key_from_arg(value):
    """A raw 32-byte Ed25519 public key from Base64 or from a key file of §3 ({"public": ...})."""
    if os.path.exists(value):
        return b64d(json.load(open(value, encoding="utf-8"))["public"])
    return b64d(value)


def iso_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Identity and TLS certificate ------------------------------------------------------------------

def load_or_make_keys(keys_dir, receiver_id):
    """The receiver's Ed25519 identity and its TLS certificate, kept in keys_dir so that a
    publisher's registry entry (fingerprint, identity key) stays valid from one run to the next."""
    os.makedirs(keys_dir, exist_ok=True)
    id_path, cert_path, tls_key_path = (os.path.join(keys_dir, n) for n in ("identity.seed", "push.crt", "push.key"))
    if not os.path.exists(id_path):
        fd = os.open(id_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, os.urandom(32).hex().encode())
        os.close(fd)
    identity = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(open(id_path).read().strip()))
    if not os.path.exists(cert_path):
        # §7.5: self-signed, P-256, CN=<id>.prepcast, that name and 127.0.0.1 in the subjectAltName
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{receiver_id}.prepcast")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"{receiver_id}.prepcast"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256())
        )
        fd = os.open(tls_key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        os.close(fd)
        open(cert_path, "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    cert_pem, key_pem = open(cert_path, "rb").read(), open(tls_key_path, "rb").read()
    der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
    return identity, cert_pem, key_pem, hashlib.sha256(der).hexdigest(), cert_path


# One gRPC call ---------------------------------------------------------------------------------

EOF, CANCELLED = "end-of-stream", "cancelled"


class Call:
    """One Push/Session call seen from the scenario engine: frames in, frames out, an ending.

    The gRPC handler thread only moves bytes: a reader thread puts the publisher's frames on
    `inbox`, the handler yields what the engine puts on `outbox`, and an ("end", ...) item makes
    it set the status (and the prepcast-error-code trailer) and return."""

    def __init__(self, request_iterator, context):
        self.context = context
        self.inbox, self.outbox = queue.Queue(), queue.Queue()
        self.received = []  # names of the publisher's frames, for the report
        self.ended = False
        self.finished = None  # EOF or CANCELLED once the publisher's side ended

        def pump():
            try:
                for data in request_iterator:
                    self.inbox.put(data)
                self.inbox.put(EOF)
            except Exception:  # noqa: BLE001  (the client cancelled, or the call was ended)
                self.inbox.put(CANCELLED)
        threading.Thread(target=pump, daemon=True).start()

    def send(self, frame):
        self.outbox.put(frame.SerializeToString())

    def end(self, status="OK", code=None, details=""):
        if not self.ended:
            self.ended = True
            self.outbox.put(("end", status, code, details))

    def recv(self, timeout):
        """The next frame other than Ping/Pong (Ping answered, §8.6), EOF, CANCELLED, or None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if self.finished:  # nothing more can come: say so again rather than wait
                return self.finished
            try:
                data = self.inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return None
            if data in (EOF, CANCELLED):
                self.received.append(data)
                self.finished = data
                return data
            if len(data) > FRAME_LIMIT:
                raise Violation("MESSAGE_TOO_LARGE", f"a frame of {len(data)} bytes exceeds the frame limit of §7.4")
            frame = M["Frame"]()
            try:
                frame.ParseFromString(data)
            except Exception:  # noqa: BLE001
                raise Violation("PROTOCOL_ERROR", "bytes that are not a Frame (§7.1)")
            body = frame.WhichOneof("body")
            if body is None:
                raise Violation("PROTOCOL_ERROR", "a frame with no body (§7.1)")
            try:
                pp.check_64bit(frame)
            except pp.Refusal as e:
                raise Violation("INTEGER_OUT_OF_RANGE", e.message)
            self.received.append(body)
            if body == "ping":
                self.send(M["Frame"](pong=M["Pong"](unix_ms=frame.ping.unix_ms)))
                continue
            if body == "pong":
                continue
            return frame


class Server:
    """The gRPC server; every call opened on it is handed to the engine, in order."""

    def __init__(self, listen, cert_pem, key_pem):
        self.calls = queue.Queue()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[
            ("grpc.max_receive_message_length", FRAME_LIMIT), ("grpc.max_send_message_length", FRAME_LIMIT)])
        handler = grpc.stream_stream_rpc_method_handler(self._session)  # no (de)serializers: raw Frame bytes
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("prepcast.v1.Push", {"Session": handler}),))
        creds = grpc.ssl_server_credentials([(key_pem, cert_pem)])
        self.port = self.server.add_secure_port(listen, creds)
        if self.port == 0:
            raise SystemExit(f"cannot listen on {listen}")
        self.host = listen.rsplit(":", 1)[0]
        self.server.start()

    def _session(self, request_iterator, context):
        call = Call(request_iterator, context)
        self.calls.put(call)
        while True:
            try:
                item = call.outbox.get(timeout=0.5)
            except queue.Empty:
                if not context.is_active():  # cancelled, or the server stopped: free the thread
                    return
                continue
            if isinstance(item, tuple):  # the ending
                _, status, code, details = item
                if code:
                    context.set_trailing_metadata((("prepcast-error-code", code),))
                if status != "OK":
                    context.set_code(getattr(grpc.StatusCode, status))
                    context.set_details(details)
                return
            yield item

    def stop(self):
        self.server.stop(grace=1).wait()


# The scenario engine ---------------------------------------------------------------------------

class Scenario:
    """Plays one scenario's sessions; `values` carries $placeholders across its sessions."""

    def __init__(self, spec, opts, identity, server):
        self.spec, self.opts, self.identity, self.server = spec, opts, identity, server
        self.receiver_key = identity.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.values = {"receiver_id": opts.receiver_id, "receiver_key": pp.b64(self.receiver_key), "publisher_id": opts.publisher_id}
        self.payload = bytearray()  # the verified prefix the receiver holds (survives the session, §8.4)
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
                self.log.append({"session": n, "framesReceived": call.received})
                call.end()

    def play(self, call, steps, n):
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
        """§8.3 and §7.4 on every offer, §6 steps 1-5 on its documents; `want` pins fields."""
        o = self.next_frame(call, "offer")
        got = json_format.MessageToDict(o)
        for field, value in want.items():
            if str(got.get(field, "")) != str(value):
                raise Violation("PROTOCOL_ERROR", f"Offer.{field} is {got.get(field)!r}, the scenario expects {value!r}")
        if not TRANSFER_ID.match(o.transfer_id):
            raise Violation("PROTOCOL_ERROR", f"transfer_id {o.transfer_id!r} does not match ^[0-9a-f]{{16,64}}$")
        accepted = self.hello.get("acceptedEncodings", [])
        if o.encoding not in accepted:
            raise Violation("PROTOCOL_ERROR", f"encoding {o.encoding!r} is not one of the Hello's accepted_encodings {accepted} (§8.7)")
        if o.manifest_zstd or o.manifest_size or not o.manifest:
            raise Violation("PROTOCOL_ERROR", "the Offer must carry the plain manifest: this receiver did not list offer-manifest-zstd@1 (§8.7)")
        if o.encoding == "full" and o.HasField("base"):
            raise Violation("PROTOCOL_ERROR", "Offer.base is set for the full encoding (§8.3)")
        if not 1024 <= o.chunk_size <= FRAME_LIMIT:
            raise Violation("PROTOCOL_ERROR", f"chunk_size {o.chunk_size} outside 1024 ... 8 MiB (§7.4)")
        if len(o.payload_sha256) != 32:
            raise Violation("PROTOCOL_ERROR", f"payload_sha256 of {len(o.payload_sha256)} bytes (§7.4)")
        manifest = self.verify_documents(o)
        if o.encoding == "full" and o.payload_size != manifest["totalSize"]:
            raise Violation("TOO_LARGE", f"full payload_size {o.payload_size} is not the manifest's totalSize {manifest['totalSize']} (§8.3 step 7)")
        self.offer, self.manifest = o, manifest
        v = self.values
        v.update({"transfer_id": o.transfer_id, "payload_size": str(o.payload_size), "payload_sha256": pp.b64(o.payload_sha256),
                  "chunk_size": str(o.chunk_size), "process": manifest["process"], "channel": manifest["channel"],
                  "sequence": str(manifest["sequence"]), "manifest_sha256": hashlib.sha256(o.manifest).hexdigest(),
                  "manifest_sha256_b64": pp.b64(hashlib.sha256(o.manifest).digest()),
                  "other_manifest_sha256": hashlib.sha256(o.manifest + b"\nanother cut").hexdigest()})
        if v.get("held_transfer") != (o.transfer_id, o.payload_sha256, o.chunk_size):
            self.payload = bytearray()  # a prefix counts only for the same transfer, hash and chunk size (§8.3)
        v["held_bytes"] = str(len(self.payload))

    def verify_documents(self, o):
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
        if not strict_verify(keys[keyid], sig, pp.signed_message("manifest", o.manifest)):
            raise Violation("SIGNATURE_INVALID", "the manifest signature does not verify strictly (§6 step 5)")
        manifest = json.loads(o.manifest)
        if pp.canonical(manifest) != o.manifest or manifest.get("format") != "prepcast/manifest@1":
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
        if o.encoding == "full":
            at = 0
            for f in self.manifest["files"]:
                if hashlib.sha256(data[at:at + f["size"]]).hexdigest() != f["sha256"]:
                    raise Violation("HASH_MISMATCH", f"{f['path']}: the full payload does not hold the manifest's bytes (§9.1)")
                at += f["size"]
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
