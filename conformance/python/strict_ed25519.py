"""§4.1 strict Ed25519 for the scripted receiver (scripted_receiver.py): the checks OpenSSL does not make."""

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

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
