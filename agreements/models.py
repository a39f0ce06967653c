"""Agreements: the four-party agreement (四方协议), its parties, revisions and signatures,
and the certificate authority each street office runs for the signers.

Private keys live only in ``encrypted_key`` columns, encrypted by :mod:`agreements.ca`;
no ``__str__``, ``__repr__``, serializer or admin page ever shows them.
"""

import calendar
import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.models import Compound, Role, StreetOffice


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


class AgreementTemplate(models.Model):
    """协议模板: the editable clauses of a compound's agreement, with placeholders.

    Each compound starts from the shipped default (``agreements/data/default_template.json``);
    an edit makes a new version, and every agreement keeps the version it was made from.
    Placeholders are ``{name}`` fields filled from data (see :mod:`agreements.facts`).
    """

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="agreement_templates"
    )
    name = models.CharField(_("模板名称"), max_length=100)
    version = models.PositiveIntegerField(_("版本"), default=1)
    title = models.CharField(_("协议标题"), max_length=200)
    preamble = models.TextField(_("序言"), blank=True)
    clauses = models.JSONField(_("条款"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("协议模板")
        verbose_name_plural = _("协议模板")
        ordering = ["compound_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "version"], name="agreement_template_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SIGNING = "signing", _("签署中")
    EFFECTIVE = "effective", _("已生效")
    FILED = "filed", _("已备案")
    EXPIRED = "expired", _("已到期")
    SUPERSEDED = "superseded", _("已被新版本取代")


class PdfStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RENDERING = "rendering", _("生成中")
    READY = "ready", _("已生成")
    FAILED = "failed", _("生成失败")


class Agreement(models.Model):
    """四方协议: one version of the agreement, from draft to filed.

    Its text is frozen when it is made: ``facts`` is the snapshot of the data it was
    generated from (compound, fees, subsidy, the authorising decision) and ``clauses`` the
    text with every placeholder filled in, so later data changes never alter a signed
    document. A new version supersedes an unsigned or partly signed draft; a renewal
    supersedes an agreement whose term is ending.
    """

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="agreements")
    template = models.ForeignKey(
        AgreementTemplate, on_delete=models.PROTECT, related_name="agreements"
    )
    number = models.CharField(_("协议编号"), max_length=40, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    version = models.PositiveIntegerField(_("版本"), default=1)
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name=_("取代"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    term_start = models.DateField(_("期限开始"))
    term_end = models.DateField(_("期限结束"))
    source_item = models.ForeignKey(
        "voting.Item",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("授权表决事项"),
        help_text=_("业主共同决定中授权本协议的表决事项"),
    )
    facts = models.JSONField(_("事实数据"), default=dict)
    preamble = models.TextField(_("序言"), blank=True)
    clauses = models.JSONField(_("条款正文"), default=list)
    pdf_status = models.CharField(
        _("PDF状态"), max_length=16, choices=PdfStatus.choices, default=PdfStatus.PENDING
    )
    pdf_error = models.CharField(max_length=300, blank=True)
    current_revision = models.PositiveIntegerField(_("当前修订号"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    filing_deadline = models.DateField(_("备案期限"), null=True, blank=True)
    filed_at = models.DateTimeField(_("备案时间"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("四方协议")
        verbose_name_plural = _("四方协议")
        ordering = ["compound_id", "-created_at"]
        indexes = [
            models.Index(fields=["compound", "status"]),
            models.Index(fields=["compound", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="agreement_term_order", condition=models.Q(term_end__gt=models.F("term_start"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.number})"

    def get_absolute_url(self) -> str:
        return reverse("agreement", args=[self.compound.code, self.pk])

    @property
    def is_signable(self) -> bool:
        """Parties sign a rendered draft or one being signed; never a superseded one."""
        return (
            self.status in (AgreementStatus.DRAFT, AgreementStatus.SIGNING)
            and self.pdf_status == PdfStatus.READY
        )

    def renewal_due_on(self) -> dt.date:
        """BJ 75: the renewal decision is prepared from six months before the term ends."""
        return shift_months(self.term_end, -6)


class AgreementNumberCounter(models.Model):
    """The last agreement number (协议编号) handed out per compound and year.

    A creation locks its row (``select_for_update``) and takes the next number, so two
    creations at once get two numbers, and a number is never handed out again, even once
    its agreement is gone.
    """

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField(_("年份"))
    last = models.PositiveIntegerField(_("已用到的序号"), default=0)

    class Meta:
        verbose_name = _("协议编号计数")
        verbose_name_plural = _("协议编号计数")
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "year"], name="agreement_number_counter_unique_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.compound_id}/{self.year}: {self.last}"


def shift_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months (back when negative); a day the target
    month lacks becomes its last day (2022-08-31 + 6 months = 2023-02-28)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


class AgreementRevision(models.Model):
    """One revision of the PDF: 0 is the rendered document with its empty signature fields,
    each signature adds the next. The SHA-256 lets anyone match a copy to the register."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("修订号"))
    file = models.FileField(_("文件"), upload_to="agreements/", max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("协议文件修订")
        verbose_name_plural = _("协议文件修订")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "number"], name="agreement_revision_unique_number"
            )
        ]
        indexes = [models.Index(fields=["compound", "agreement", "number"])]

    def __str__(self) -> str:
        return f"{self.agreement.number} r{self.number}"


class PartyKind(models.TextChoices):
    COMMITTEE = "committee", _("物业管理委员会")
    STREET_OFFICE = "street_office", _("街道办事处")
    PROPERTY_RIGHT_UNIT = "property_right_unit", _("产权单位")
    SERVICE_COMPANY = "service_company", _("物业服务企业")


# The role a representative must hold in the compound to sign for each kind of party.
PARTY_ROLE = {
    PartyKind.COMMITTEE: Role.COMMITTEE_MEMBER,
    PartyKind.STREET_OFFICE: Role.STREET_OFFICER,
    PartyKind.PROPERTY_RIGHT_UNIT: Role.PROPERTY_UNIT_REP,
    PartyKind.SERVICE_COMPANY: Role.COMPANY_STAFF,
}


class Party(models.Model):
    """协议方: one signing party and the user authorised to sign for it."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    position = models.PositiveSmallIntegerField(_("序号"))
    kind = models.CharField(_("类别"), max_length=24, choices=PartyKind.choices)
    label = models.CharField(_("称谓"), max_length=20, help_text=_("甲方、乙方、丙方……"))
    organisation = models.CharField(_("单位名称"), max_length=200)
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="agreement_parties",
        verbose_name=_("授权代表"),
    )
    property_right_unit = models.ForeignKey(
        "households.PropertyRightUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("协议方")
        verbose_name_plural = _("协议方")
        ordering = ["agreement", "position"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "position"], name="party_unique_position")
        ]
        indexes = [models.Index(fields=["compound", "representative"])]

    def __str__(self) -> str:
        return f"{self.label}：{self.organisation}"

    @property
    def field_name(self) -> str:
        """The PDF signature field of this party."""
        return f"sig-{self.position}"


class Signature(models.Model):
    """签署记录: one party's PAdES signature, which made revision ``revision_number``."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatures")
    party = models.OneToOneField(Party, on_delete=models.PROTECT, related_name="signature")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("签署时间"))
    certificate = models.ForeignKey(
        SignerCertificate, on_delete=models.PROTECT, related_name="signatures"
    )
    certificate_serial = models.CharField(_("证书序列号"), max_length=64)
    revision = models.OneToOneField(
        AgreementRevision, on_delete=models.PROTECT, related_name="signature"
    )
    revision_number = models.PositiveIntegerField(_("修订号"))

    class Meta:
        verbose_name = _("签署记录")
        verbose_name_plural = _("签署记录")
        ordering = ["agreement", "revision_number"]
        indexes = [models.Index(fields=["compound", "agreement"])]

    def __str__(self) -> str:
        return f"{self.party} · {self.signed_at:%Y-%m-%d}"
