"""Tenancy: street offices, compounds, the companies that serve them, and who may see what.

This module imports no other app of the project, so every app can build on it and the
import arrow never runs back up.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{1,31}$",
    _("代码须为2–32位小写字母、数字或连字符"),
)


class District(models.Model):
    """区: the district above street offices. Its housing commission (住房和城乡建设委员会)
    sees the boards of all its street offices, read-only."""

    code = models.CharField(_("代码"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("区")
        verbose_name_plural = _("区")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StreetOffice(models.Model):
    """街道办事处: the tenant at the top; its staff see all of its compounds."""

    code = models.CharField(_("代码"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)
    # The name contracts carry, e.g. 北京市海淀区人民政府北太平庄街道办事处; blank: use ``name``.
    legal_name = models.CharField(_("法定全称"), max_length=200, blank=True)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="street_offices",
        verbose_name=_("所属区"),
    )

    class Meta:
        verbose_name = _("街道办事处")
        verbose_name_plural = _("街道办事处")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("street_office", args=[self.code])


class ServiceCompany(models.Model):
    """物业服务企业. Not a tenant itself: its staff see the compounds it serves."""

    name = models.CharField(_("名称"), max_length=200, unique=True)
    # The registered name (营业执照上的名称) contracts carry; blank: use ``name``.
    legal_name = models.CharField(_("法定全称"), max_length=200, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    contact_phone = models.CharField(_("服务电话"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    # The account owners pay fees into, printed on every fee notice (收款账户).
    bank_account_name = models.CharField(_("收款户名"), max_length=200, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=200, blank=True)
    bank_account_number = models.CharField(_("收款账号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("物业服务企业")
        verbose_name_plural = _("物业服务企业")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Compound(models.Model):
    """小区 (院): the row-level tenant key of every compound table."""

    street_office = models.ForeignKey(
        StreetOffice,
        on_delete=models.PROTECT,
        related_name="compounds",
        verbose_name=_("街道办事处"),
    )
    code = models.CharField(_("代码"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    built_years = models.CharField(_("建成年代"), max_length=50, blank=True)
    service_company = models.ForeignKey(
        ServiceCompany,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="compounds",
        verbose_name=_("物业服务企业"),
    )

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ["street_office", "name"]
        indexes = [models.Index(fields=["street_office", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("compound", args=[self.code])


class Role(models.TextChoices):
    DISTRICT_OFFICER = "district_officer", _("区住建委工作人员")
    STREET_OFFICER = "street_officer", _("街道工作人员")
    COMMITTEE_MEMBER = "committee_member", _("物管会委员")
    COMPANY_STAFF = "company_staff", _("物业企业人员")
    PROPERTY_UNIT_REP = "property_unit_rep", _("产权单位代表")
    RESIDENT = "resident", _("业主")


# Roles that manage a compound, as opposed to residents who only see their own units. (A
# district officer manages nothing: it reads its street offices' boards.)
STAFF_ROLES = frozenset(
    {Role.STREET_OFFICER, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.PROPERTY_UNIT_REP}
)


class Membership(models.Model):
    """One role of one user in one scope.

    The scope matches the role: a district officer holds a district, a street officer holds
    a street office, a service-company employee holds a company, everyone else holds a
    compound.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    district = models.ForeignKey(
        District, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    service_company = models.ForeignKey(
        ServiceCompany,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    # A company's staff member who may also manage that company's staff accounts
    # (企业管理员); only ever set on a company_staff membership.
    can_manage_staff = models.BooleanField(_("企业管理员"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("成员身份")
        verbose_name_plural = _("成员身份")
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    models.Q(
                        role="district_officer",
                        district__isnull=False,
                        street_office__isnull=True,
                        compound__isnull=True,
                        service_company__isnull=True,
                    )
                    | models.Q(
                        role="street_officer",
                        district__isnull=True,
                        street_office__isnull=False,
                        compound__isnull=True,
                        service_company__isnull=True,
                    )
                    | models.Q(
                        role="company_staff",
                        district__isnull=True,
                        service_company__isnull=False,
                        street_office__isnull=True,
                        compound__isnull=True,
                    )
                    | models.Q(
                        role__in=["committee_member", "property_unit_rep", "resident"],
                        district__isnull=True,
                        compound__isnull=False,
                        street_office__isnull=True,
                        service_company__isnull=True,
                    )
                ),
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", "role", scope],
                    condition=models.Q(**{f"{scope}__isnull": False}),
                    name=f"membership_unique_{scope}",
                )
                for scope in ("district", "street_office", "compound", "service_company")
            ),
            models.CheckConstraint(
                name="membership_staff_admin_is_company_staff",
                condition=models.Q(can_manage_staff=False) | models.Q(role="company_staff"),
            ),
        ]

    def __str__(self) -> str:
        scope = self.district or self.street_office or self.compound or self.service_company
        return f"{self.user} · {self.get_role_display()} · {scope}"


class AccountState(models.Model):
    """What the portal keeps about an account beyond Django's user: whether its password is
    a one-time password that must be changed before anything else, and who made it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="account_state",
    )
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deactivated_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("账号状态")
        verbose_name_plural = _("账号状态")

    def __str__(self) -> str:
        return str(self.user)


class SignIn(models.Model):
    """登录记录: one successful sign-in, shown to its user (recent sign-ins)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_ins"
    )
    created_at = models.DateTimeField(_("时间"))
    ip = models.GenericIPAddressField(_("地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=200, blank=True)
    method = models.CharField(_("方式"), max_length=16, default="password")

    class Meta:
        verbose_name = _("登录记录")
        verbose_name_plural = _("登录记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"


class ResetCode(models.Model):
    """重置码: a one-time password-reset code that a committee member or street officer
    issued after checking the person's identity (portal.codes: the secret is stored
    hashed). Single use, expiring, locked after a few wrong tries."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reset_codes"
    )
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    selector = models.CharField(max_length=8, unique=True)
    secret_hash = models.CharField(max_length=128)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("密码重置码")
        verbose_name_plural = _("密码重置码")
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.selector}"


class AuditEntry(models.Model):
    """审计日志: an append-only, hash-chained record of every consequential action.

    Each row stores the SHA-256 of its predecessor's hash and its own content, so altering
    or removing any row breaks the chain at that point (``manage.py verify_audit``), and
    an HMAC of that hash under ``AUDIT_HMAC_KEY`` (kept out of the database), so the chain
    cannot be rewritten forward from an altered row without the key.
    """

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["id"]
        indexes = [models.Index(fields=["compound", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}"


class AuditCheckpoint(models.Model):
    """审计检查点: the audit log's length and head hash at one moment, signed with
    ``AUDIT_HMAC_KEY``. A log shorter than a checkpoint, or with another head, was cut."""

    entry_count = models.PositiveBigIntegerField()
    head_id = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.head_id} ({self.entry_count})"


class ExportState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ExportFile(models.Model):
    """A whole filtered list written as XLSX in the background (see ``portal.exports``):
    who asked, which list with which filters, how far the worker is, and the file, kept
    under a name nobody can guess until it expires."""

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="exports", verbose_name=_("小区")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    list_name = models.CharField(max_length=64)
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=ExportState.choices, default=ExportState.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    filename = models.CharField(max_length=200, blank=True)
    file = models.FileField(upload_to="exports/", blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("导出文件")
        verbose_name_plural = _("导出文件")

    def __str__(self) -> str:
        return f"{self.list_name} #{self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        if self.state == ExportState.DONE:
            return 100
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0

    @property
    def in_progress(self) -> bool:
        return self.state in (ExportState.QUEUED, ExportState.RUNNING)
