"""A local SMTP server for tests (Debian's python3-aiosmtpd): accepts every message on
127.0.0.1:PORT and writes each one, as received, to DIR/<n>.eml with its envelope in DIR/<n>.json.
Prints {"port": N} once it listens; SIGTERM stops it. Optional AUTH PLAIN/LOGIN with --user/--password (over a
loopback connection without TLS, as aiosmtpd allows with auth_require_tls=False)."""
import argparse, json, os, signal, sys, warnings
warnings.simplefilter("ignore")
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, out):
        self.out = out
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.out, f"{self.n:04d}")
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "authenticated": bool(getattr(session, "authenticated", False))}, f)
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    a = p.parse_args()
    kwargs = {}
    if a.user:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == a.user and auth_data.password.decode() == a.password
            return AuthResult(success=ok, handled=False)
        kwargs = {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True}
    c = Controller(Sink(a.dir), hostname="127.0.0.1", port=a.port, **kwargs)
    c.start()
    print(json.dumps({"port": a.port}), flush=True)
    stop = lambda *_: (c.stop(), sys.exit(0))
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
