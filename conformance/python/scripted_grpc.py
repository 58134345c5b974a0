"""The scripted receiver's gRPC side (scripted_receiver.py): one Push/Session call as frames in and
out, the server that hands each call to the scenario engine, and Violation, what a check raises."""

import os
import queue
import sys
import threading
import time
from concurrent import futures

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prepcast_publisher as pp  # noqa: E402  (frames, canonical JSON, signed messages, 64-bit checks)

M = pp.M
FRAME_LIMIT = 8 << 20  # §7.4


class Violation(Exception):
    """The publisher did something the specification forbids (or the scenario did not expect)."""

    def __init__(self, code, why):
        super().__init__(why)
        self.code, self.why = code, why


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
