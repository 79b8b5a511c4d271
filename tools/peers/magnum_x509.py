"""Magnum's real certificate code (magnum.common.x509 and the venv's `cryptography`), for the
Swift tests to compare against and to check our output with.

Reads one JSON request on stdin, {"ops": [{"op": ..., ...}, ...]}, and prints a JSON list with
one answer per op. An op that raises answers {"error": {"class": ..., "message": ...}}.
With --serve, reads one request per line and answers each with one line, until stdin closes
(the tests keep one process for the whole run: importing magnum costs ~1.7 s of CPU).

Ops:
  magnum_generate {name, ca_password, client_password}  Magnum's generate_ca_certificate and
      generate_client_certificate('admin', 'system:masters'), as cert_manager.py calls them,
      with describe_cert of both certificates
  describe_cert {pem}            every field of a certificate, as cryptography reads it
  verify_issued {pem, ca_pem}    cert.verify_directly_issued_by(ca)
  decrypt_key {key, password}    Magnum's decrypt_key (unencrypted PKCS#8 PEM)
  key_info {key, password}       size and public numbers of a private key
  public_key_of_cert {pem}       the certificate's public numbers
  encrypt_variants {key, password, key_password}  the key encrypted every way Python writes them
  generate_csr_and_key {cn}      Magnum's generate_csr_and_key
  csr {cn, extensions, bad_signature}  a CSR with the given extensions
  sign {csr, ca_key, ca_password, issuer, config}  Magnum's sign() under [x509] overrides,
      with describe_cert of the result
  short_id {uuids}               short_id.get_id for each UUID
"""
import base64
import datetime
import ipaddress
import json
import logging
import os
import sys
import warnings

warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402


def _magnum():
    """Magnum's modules, imported only by the ops that use them (the import costs ~1.5 s)."""
    from magnum.common import short_id
    from magnum.common.x509 import operations
    import magnum.conf
    return short_id, operations, magnum.conf.CONF


def _b(s):
    return s.encode("latin-1") if isinstance(s, str) else s


def _s(b):
    return b.decode() if isinstance(b, bytes) else b


# --- describing --------------------------------------------------------------------------------

def _name(name):
    rdns = []
    for rdn in name.rdns:
        rdns.append([{"oid": a.oid.dotted_string, "value": a.value,
                      "type": a._type.name} for a in rdn])
    return rdns


def _ext(ext):
    try:
        der = ext.value.public_bytes()
    except Exception:  # noqa: BLE001 - some types cannot re-encode
        der = b""
    return {"oid": ext.oid.dotted_string, "critical": ext.critical,
            "repr": repr(ext), "der": der.hex()}


def describe_cert(pem):
    cert = x509.load_pem_x509_certificate(_b(pem))
    pub = cert.public_key()
    ski = None
    try:
        ski_ext = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        ski = ski_ext.value.digest == x509.SubjectKeyIdentifier.from_public_key(pub).digest
    except x509.ExtensionNotFound:
        pass
    nb = cert.not_valid_before_utc
    na = cert.not_valid_after_utc
    return {
        "version": cert.version.name,
        "serial": str(cert.serial_number),
        "serial_bits": cert.serial_number.bit_length(),
        "subject": _name(cert.subject),
        "issuer": _name(cert.issuer),
        "not_before": nb.timestamp(),
        "not_after": na.timestamp(),
        "validity_seconds": (na - nb).total_seconds(),
        "signature_algorithm": cert.signature_algorithm_oid.dotted_string,
        "signature_hash": cert.signature_hash_algorithm.name,
        "key_type": type(pub).__name__.lstrip("_"),
        "key_size": getattr(pub, "key_size", None),
        "public_exponent": pub.public_numbers().e if isinstance(pub, rsa.RSAPublicKey) else None,
        "extensions": [_ext(e) for e in cert.extensions],
        "ski_matches_key": ski,
        "ends_with_newline": pem.endswith("\n"),
    }


def verify_issued(pem, ca_pem):
    cert = x509.load_pem_x509_certificate(_b(pem))
    ca = x509.load_pem_x509_certificate(_b(ca_pem))
    cert.verify_directly_issued_by(ca)
    ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                           padding.PKCS1v15(), cert.signature_hash_algorithm)
    return {"ok": True}


# --- keys --------------------------------------------------------------------------------------

def decrypt_key(key, password):
    _, operations, _ = _magnum()
    return {"pem": _s(operations.decrypt_key(_b(key), password))}


def key_info(key, password):
    k = serialization.load_pem_private_key(_b(key), password=_b(password) if password else None)
    n = k.private_numbers()
    return {"key_size": k.key_size, "n": hex(n.public_numbers.n), "e": n.public_numbers.e,
            "pkcs8": _s(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))}


def public_key_of_cert(pem):
    pub = x509.load_pem_x509_certificate(_b(pem)).public_key()
    return {"n": hex(pub.public_numbers().n), "e": pub.public_numbers().e}


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    out = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(out)]) + out


def _tlv(tag, body):
    return bytes([tag]) + _der_len(len(body)) + body


def _seq(*items):
    return _tlv(0x30, b"".join(items))


def _oid(dotted):
    parts = [int(p) for p in dotted.split(".")]
    body = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, body)


def _int(i):
    return _tlv(0x02, i.to_bytes(i.bit_length() // 8 + 1, "big"))


_PRF = {"sha1": ("1.2.840.113549.2.7", hashes.SHA1()), "sha224": ("1.2.840.113549.2.8", hashes.SHA224()),
        "sha256": ("1.2.840.113549.2.9", hashes.SHA256()), "sha384": ("1.2.840.113549.2.10", hashes.SHA384()),
        "sha512": ("1.2.840.113549.2.11", hashes.SHA512())}
_AES = {128: "2.16.840.1.101.3.4.1.2", 192: "2.16.840.1.101.3.4.1.22", 256: "2.16.840.1.101.3.4.1.42"}


def _pbes2(pkcs8_der, password, prf, bits, iterations, with_key_length):
    """An EncryptedPrivateKeyInfo built by hand from cryptography's primitives (RFC 8018)."""
    salt, iv = os.urandom(16), os.urandom(16)
    prf_oid, prf_hash = _PRF[prf]
    key = PBKDF2HMAC(algorithm=prf_hash, length=bits // 8, salt=salt, iterations=iterations).derive(password)
    padlen = 16 - len(pkcs8_der) % 16
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ct = enc.update(pkcs8_der + bytes([padlen]) * padlen) + enc.finalize()
    kdf_params = _tlv(0x04, salt) + _int(iterations)
    if with_key_length:
        kdf_params += _int(bits // 8)
    if prf != "sha1":  # hmacWithSHA1 is the DEFAULT: DER omits it
        kdf_params += _seq(_oid(prf_oid), b"\x05\x00")
    algo = _seq(_oid("1.2.840.113549.1.5.13"),
                _seq(_seq(_oid("1.2.840.113549.1.5.12"), _seq(kdf_params)),
                     _seq(_oid(_AES[bits]), _tlv(0x04, iv))))
    der = _seq(algo, _tlv(0x04, ct))
    b64 = base64.encodebytes(der).decode().replace("\n", "")
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END ENCRYPTED PRIVATE KEY-----\n"


def encrypt_variants(key, password, key_password=None):
    k = serialization.load_pem_private_key(_b(key), password=_b(key_password) if key_password else None)
    pw = _b(password)
    pkcs8 = k.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    out = {
        "best_available_pkcs8": _s(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.BestAvailableEncryption(pw))),
        "traditional_openssl_encrypted": _s(k.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(pw))),
        "pkcs8_unencrypted": _s(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption())),
        "pkcs1_unencrypted": _s(k.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.TraditionalOpenSSL,
                                                serialization.NoEncryption())),
    }
    for prf, bits, iterations, key_length in [
            ("sha1", 128, 2048, False), ("sha1", 256, 1000, True), ("sha256", 128, 10000, False),
            ("sha256", 192, 2048, True), ("sha512", 256, 4096, False), ("sha224", 128, 1, False),
            ("sha384", 256, 2048, False)]:
        name = "pbes2_%s_aes%d_%d%s" % (prf, bits, iterations, "_keylen" if key_length else "")
        pem = _pbes2(pkcs8, pw, prf, bits, iterations, key_length)
        # Only hand over what OpenSSL itself reads back to the same key.
        back = serialization.load_pem_private_key(pem.encode(), password=pw)
        assert back.private_numbers() == k.private_numbers()
        out[name] = pem
    return out


# --- CSRs --------------------------------------------------------------------------------------

_KU = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
       "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"]
_CSR_KEY = None


def _csr_key():
    global _CSR_KEY
    if _CSR_KEY is None:
        _CSR_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _CSR_KEY


def _extension(spec, key):
    t = spec["type"]
    if t == "key_usage":
        return x509.KeyUsage(**{name: name in spec["usages"] for name in _KU})
    if t == "basic_constraints":
        return x509.BasicConstraints(ca=spec["ca"], path_length=spec.get("path_length"))
    if t == "eku":
        return x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in spec["oids"]])
    if t == "san":
        names = [x509.DNSName(d) for d in spec.get("dns", [])]
        names += [x509.IPAddress(ipaddress.ip_address(i)) for i in spec.get("ip", [])]
        names += [x509.RFC822Name(e) for e in spec.get("email", [])]
        names += [x509.UniformResourceIdentifier(u) for u in spec.get("uri", [])]
        return x509.SubjectAlternativeName(names)
    if t == "ski":
        return x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    if t == "aki":
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())
    if t == "ocsp_nocheck":
        return x509.OCSPNoCheck()
    if t == "inhibit_any_policy":
        return x509.InhibitAnyPolicy(spec["skip_certs"])
    if t == "unknown":
        return x509.UnrecognizedExtension(x509.ObjectIdentifier(spec["oid"]), bytes.fromhex(spec["value"]))
    raise ValueError("unknown extension spec %r" % t)


def csr(cn, extensions=(), bad_signature=False, organization=None):
    key = _csr_key()
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    for spec in extensions:
        builder = builder.add_extension(_extension(spec, key), critical=spec.get("critical", False))
    der = bytearray(builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    if bad_signature:
        der[-5] ^= 0x01  # inside the signature BIT STRING, the last element
    loaded = x509.load_der_x509_csr(bytes(der))
    return {"csr": _s(loaded.public_bytes(serialization.Encoding.PEM)),
            "signature_valid": loaded.is_signature_valid}


def generate_csr_and_key(cn):
    _, operations, _ = _magnum()
    return operations.generate_csr_and_key(cn)


def sign(csr, ca_key, ca_password, issuer, config=None):
    _, operations, CONF = _magnum()
    config = config or {}
    for name in ("allow_ca", "allowed_extensions", "allowed_key_usage", "term_of_validity"):
        if name in config:
            CONF.set_override(name, config[name], group="x509")
        else:
            CONF.clear_override(name, group="x509")
    pem = _s(operations.sign(csr, issuer, ca_key, ca_key_password=ca_password))
    return {"pem": pem, "description": describe_cert(pem)}


def short_id_op(uuids):
    short_id, _, _ = _magnum()
    return [short_id.get_id(u) for u in uuids]


def magnum_generate(name, ca_password, client_password):
    _, operations, _ = _magnum()
    ca = operations.generate_ca_certificate(name, encryption_password=ca_password)
    client = operations.generate_client_certificate(name, "admin", "system:masters", ca["private_key"],
                                                    encryption_password=client_password,
                                                    ca_key_password=ca_password)
    out = {"ca": {k: _s(v) for k, v in ca.items()}, "client": {k: _s(v) for k, v in client.items()}}
    out["ca"]["description"] = describe_cert(out["ca"]["certificate"])
    out["client"]["description"] = describe_cert(out["client"]["certificate"])
    return out


OPS = {
    "magnum_generate": magnum_generate, "describe_cert": describe_cert, "verify_issued": verify_issued,
    "decrypt_key": decrypt_key, "key_info": key_info, "public_key_of_cert": public_key_of_cert,
    "encrypt_variants": encrypt_variants, "generate_csr_and_key": generate_csr_and_key, "csr": csr,
    "sign": sign, "short_id": short_id_op,
}


def handle(req):
    out = []
    for op in req["ops"]:
        args = {k: v for k, v in op.items() if k != "op"}
        try:
            out.append(OPS[op["op"]](**args))
        except Exception as e:  # report, do not crash: the test compares error classes and texts
            out.append({"error": {"class": type(e).__name__, "message": str(e),
                                  "kwargs": {k: str(v) for k, v in getattr(e, "kwargs", {}).items()}}})
    return out


def main():
    if "--serve" in sys.argv[1:]:
        for line in sys.stdin:
            if line.strip():
                sys.stdout.write(json.dumps(handle(json.loads(line))) + "\n")
                sys.stdout.flush()
        return
    json.dump(handle(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()
