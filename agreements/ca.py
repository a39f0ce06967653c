"""The certificate authority each street office runs for the agreements' signers.

Every street office gets a root key and a self-signed root certificate on first use; each
signer gets a key and a certificate whose subject carries their name and the organisation
they sign for. Keys never leave the server: they are stored encrypted with Fernet under a
key derived from ``settings.KEY_ENCRYPTION_SECRET`` (HKDF-SHA256), decrypted only in the
signing process, and never logged, exported or shown (ESL 13: the key is controlled by the
portal on the signer's behalf, unlocked only by the signer's password at signing time).
"""

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.models import StreetOffice

from .models import SignerCertificate, SigningAuthority

ROOT_VALIDITY = dt.timedelta(days=365 * 30)
SIGNER_VALIDITY = dt.timedelta(days=365 * 20)
# Certificates start a little before the moment they are needed, so clock skew between
# the web and worker machines cannot make a fresh certificate "not yet valid".
BACKDATE = dt.timedelta(hours=1)
_HKDF_SALT = b"compound-portal/agreements/private-keys"


class KeyDecryptionError(Exception):
    """The stored key cannot be decrypted with the configured secret."""


def _fernet_for(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=b"fernet-v1")
    return Fernet(base64.urlsafe_b64encode(derived.derive(secret.encode())))


def _fernet() -> MultiFernet:
    """The current secret encrypts; older ones (KEY_ENCRYPTION_SECRET_FALLBACKS) still
    decrypt, so the secret can be rotated without losing keys."""
    secrets = [
        settings.KEY_ENCRYPTION_SECRET,
        *getattr(settings, "KEY_ENCRYPTION_SECRET_FALLBACKS", []),
    ]
    return MultiFernet([_fernet_for(s) for s in secrets if s])


def encrypt_private_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return _fernet().encrypt(der)


def decrypt_private_key(token: bytes | memoryview) -> ec.EllipticCurvePrivateKey:
    try:
        der = _fernet().decrypt(bytes(token))
    except InvalidToken:
        raise KeyDecryptionError(
            "private key cannot be decrypted: KEY_ENCRYPTION_SECRET changed without a fallback"
        ) from None
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - we only store EC
        raise KeyDecryptionError("unexpected key type")
    return key


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def load_certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,  # non-repudiation: what pyHanko asks of a signer
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def _root_name(office: StreetOffice) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, office.name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"compound-portal:{office.code}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{office.name} 协议签章根证书"),
        ]
    )


def authority_for(office: StreetOffice, *, at: dt.datetime | None = None) -> SigningAuthority:
    """The office's CA, created with a fresh root key on first use (race-safe)."""
    existing = SigningAuthority.objects.filter(street_office=office).first()
    if existing is not None:
        return existing
    now = at or timezone.now()
    key = _new_key()
    name = _root_name(office)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    try:
        with transaction.atomic():
            return SigningAuthority.objects.create(
                street_office=office,
                certificate_pem=_pem(cert),
                fingerprint_sha256=fingerprint(cert),
                encrypted_key=encrypt_private_key(key),
            )
    except IntegrityError:  # another process created it first: use theirs
        return SigningAuthority.objects.get(street_office=office)


def issue_signer_certificate(
    *,
    office: StreetOffice,
    user: User,
    common_name: str,
    organisation: str,
    at: dt.datetime | None = None,
) -> SignerCertificate:
    """A new key and certificate for ``user`` signing for ``organisation``."""
    authority = authority_for(office, at=at)
    ca_cert = load_certificate(authority.certificate_pem)
    ca_key = decrypt_private_key(authority.encrypted_key)
    now = at or timezone.now()
    key = _new_key()
    serial = x509.random_serial_number()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            x509.NameAttribute(NameOID.USER_ID, str(user.pk)),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + SIGNER_VALIDITY, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return SignerCertificate.objects.create(
        street_office=office,
        authority=authority,
        user=user,
        common_name=common_name,
        organisation=organisation,
        serial=format(serial, "x"),
        certificate_pem=_pem(cert),
        encrypted_key=encrypt_private_key(key),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def signer_certificate_for(
    *,
    office: StreetOffice,
    user: User,
    common_name: str,
    organisation: str,
    at: dt.datetime | None = None,
) -> SignerCertificate:
    """The signer's current certificate for this organisation, issued when missing, expired
    or carrying an outdated name."""
    moment = at or timezone.now()
    current = (
        SignerCertificate.objects.filter(
            street_office=office,
            user=user,
            organisation=organisation,
            common_name=common_name,
            not_before__lte=moment,
            not_after__gt=moment,
        )
        .order_by("-created_at")
        .first()
    )
    if current is not None:
        return current
    return issue_signer_certificate(
        office=office, user=user, common_name=common_name, organisation=organisation, at=at
    )


@dataclass(frozen=True)
class SigningCredentials:
    """What one signature needs: the signer's certificate, key and the CA chain.

    ``repr`` never shows the key.
    """

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    chain: tuple[x509.Certificate, ...]
    serial: str


def credentials(cert_row: SignerCertificate) -> SigningCredentials:
    """Decrypt one signer's key for the duration of a signature."""
    return SigningCredentials(
        certificate=load_certificate(cert_row.certificate_pem),
        private_key=decrypt_private_key(cert_row.encrypted_key),
        chain=(load_certificate(cert_row.authority.certificate_pem),),
        serial=cert_row.serial,
    )


def trust_roots() -> dict[str, tuple[x509.Certificate, StreetOffice]]:
    """Every street office's root certificate, by SHA-256 fingerprint."""
    return {
        a.fingerprint_sha256: (load_certificate(a.certificate_pem), a.street_office)
        for a in SigningAuthority.objects.select_related("street_office")
    }
