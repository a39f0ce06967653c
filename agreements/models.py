"""Agreements: the four-party agreement (四方协议), its parties, revisions and signatures,
and the certificate authority each street office runs for the signers.

Private keys live only in ``encrypted_key`` columns, encrypted by :mod:`agreements.ca`;
no ``__str__``, ``__repr__``, serializer or admin page ever shows them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import StreetOffice


class SigningAuthority(models.Model):
    """The root certificate authority (签章根证书) of one street office.

    Created on first use. It certifies the signers of the agreements of the office's
    compounds, so a verifier can say which street office vouches for a signature.
    """

    street_office = models.OneToOneField(
        StreetOffice,
        on_delete=models.PROTECT,
        related_name="signing_authority",
        verbose_name=_("街道办事处"),
    )
    certificate_pem = models.TextField(_("根证书"))
    fingerprint_sha256 = models.CharField(_("证书指纹 (SHA-256)"), max_length=64, unique=True)
    encrypted_key = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("签章根证书")
        verbose_name_plural = _("签章根证书")

    def __str__(self) -> str:
        return f"CA · {self.street_office}"


class SignerCertificate(models.Model):
    """A signer's certificate issued by the office's CA, with the signer's key.

    One per (authority, user, organisation): the subject carries the signer's name and the
    organisation they sign for, so the stamp and the verifier show both.
    """

    street_office = models.ForeignKey(
        StreetOffice,
        on_delete=models.PROTECT,
        related_name="signer_certificates",
        verbose_name=_("街道办事处"),
    )
    authority = models.ForeignKey(
        SigningAuthority, on_delete=models.PROTECT, related_name="certificates"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="signer_certificates",
        verbose_name=_("签署人"),
    )
    common_name = models.CharField(_("姓名"), max_length=100)
    organisation = models.CharField(_("单位"), max_length=200)
    serial = models.CharField(_("证书序列号"), max_length=64, unique=True)
    certificate_pem = models.TextField(_("证书"))
    encrypted_key = models.BinaryField(editable=False)
    not_before = models.DateTimeField(_("生效时间"))
    not_after = models.DateTimeField(_("失效时间"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("签署人证书")
        verbose_name_plural = _("签署人证书")
        indexes = [models.Index(fields=["street_office", "user", "organisation"])]

    def __str__(self) -> str:
        return f"{self.common_name} · {self.organisation} · {self.serial}"
