"""The scripted receiver's identity and TLS certificate (§7.5), kept in its keys directory."""

import datetime
import hashlib
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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
