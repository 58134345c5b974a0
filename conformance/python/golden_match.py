"""Matching what a receiver sends against a golden scenario (conformance/sessions/receiver-golden.json):
the value matchers, a bounded wait for the next frame, and the end of the call (docs/protocol.md §7.6)."""
import base64
import datetime
import re
import threading
import time

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


def next_within(s, seconds, where, what, errors=False):
    """s.next(None) (Ping answered, Error raised; Pong returned when a Pong is expected) bounded in
    time: a receiver that stays silent fails."""
    box = {}

    def read():
        try:
            box["frame"] = s.next(None, errors=errors, pongs=what == "pong")
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
    """The rest of the call (after the half-close, or after the receiver's Error frame): frames other than
    Ping/Pong fail (a second Error too); then the gRPC status and the prepcast-error-code trailer."""
    import grpc
    try:
        for data in s.responses:
            f = pp.M["Frame"]()
            f.ParseFromString(data)
            if f.WhichOneof("body") not in ("ping", "pong"):
                raise Mismatch(f"{where}: the receiver sent {f.WhichOneof('body')} where nothing but Ping/Pong and the end of the call may come")
        return {"grpcStatus": "OK"}
    except grpc.RpcError as e:
        return {"grpcStatus": e.code().name, "trailerCode": dict(e.trailing_metadata() or ()).get("prepcast-error-code")}
