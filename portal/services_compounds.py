"""Writes of onboarding a compound (接管新小区): the street office (and its district) that
takes it on, the compound itself and the service company (物业服务企业) that serves it,
with the details fee notices print.

Who may call these is the views' and API's business (``portal.access``): a street officer
of the compound's street office. The services check what holds whoever calls: the street
office only takes companies it already works with (or one made for it), and a company
that also serves another street office's compounds is not edited from here.
"""

import re

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .audit import audit_record
from .models import Compound, District, ServiceCompany, StreetOffice

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet (no I, O, S, V, Z); the
# 18th is a check character, weights 3^i mod 31.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PHONE = re.compile(r"^[0-9+\-() ]{5,32}$")
_ACCOUNT_NUMBER = re.compile(r"^[0-9 \-]{6,40}$")

# The fields of a company a street officer sets (the name is its key).
COMPANY_FIELDS = (
    "name",
    "legal_name",
    "credit_code",
    "contact_phone",
    "address",
    "bank_account_name",
    "bank_name",
    "bank_account_number",
)


def credit_code_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code over its first 17 (GB 32100)."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(ch) * weight
        for ch, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code_normalise(value: str) -> str:
    """Upper case without spaces, as printed on a business licence (营业执照)."""
    return re.sub(r"\s+", "", value).upper()


def validate_credit_code(value: str) -> None:
    """18 characters of the GB 32100 alphabet whose last one is the right check character."""
    if len(value) != 18:
        raise ValidationError(
            _("统一社会信用代码须为18位（现为%(n)d位）"),
            code="credit_code_length",
            params={"n": len(value)},
        )
    bad = sorted({ch for ch in value if ch not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）"),
            code="credit_code_characters",
            params={"chars": " ".join(bad)},
        )
    if credit_code_check_character(value[:17]) != value[17]:
        raise ValidationError(
            _("统一社会信用代码校验位不正确，请核对营业执照"), code="credit_code_check"
        )


def street_office_companies(street_office: StreetOffice) -> QuerySet[ServiceCompany]:
    """The companies the street office already works with: those serving its compounds."""
    return ServiceCompany.objects.filter(compounds__street_office=street_office).distinct()


def _clean_text(values: dict[str, str]) -> dict[str, str]:
    return {key: (value or "").strip() for key, value in values.items()}


def _errors_of(obj: District | StreetOffice | Compound) -> dict[str, list[str]]:
    """Field errors of ``obj`` (lengths, the code's pattern), uniqueness left to the caller."""
    try:
        obj.full_clean(validate_unique=False)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def _create_coded(obj: District | StreetOffice | Compound, *, taken: str) -> None:
    """Save a new district, street office or compound whose ``code`` is unique: every
    field error and a code already in use in one ValidationError, nothing saved; ``taken``
    is the message for a code in use (with ``%(code)s``)."""
    errors = _errors_of(obj)
    if "code" not in errors and type(obj)._default_manager.filter(code=obj.code).exists():
        errors["code"] = [taken % {"code": obj.code}]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:  # the same code taken by a request in between
        raise ValidationError({"code": [taken % {"code": obj.code}]}) from None


@transaction.atomic
def district_create(*, code: str, name: str, actor: AbstractBaseUser | None = None) -> District:
    """Register a district (区) above street offices; its code names it in the portal."""
    district = District(code=(code or "").strip(), name=(name or "").strip())
    _create_coded(district, taken=_("区代码“%(code)s”已被使用，请换一个"))
    audit_record(
        action="district.create",
        actor=actor,
        obj=district,
        data={"code": district.code, "name": district.name},
    )
    return district


@transaction.atomic
def street_office_create(
    *,
    code: str,
    name: str,
    legal_name: str = "",
    district: District | None = None,
    actor: AbstractBaseUser | None = None,
) -> StreetOffice:
    """Register a street office (街道办事处), the tenant its compounds and staff belong to;
    its code is its address in the portal (``/s/<code>/``) and in the API. The district
    may be left out and set later."""
    code, name, legal_name = ((value or "").strip() for value in (code, name, legal_name))
    office = StreetOffice(code=code, name=name, legal_name=legal_name, district=district)
    _create_coded(office, taken=_("街道代码“%(code)s”已被使用，请换一个"))
    audit_record(
        action="street_office.create",
        actor=actor,
        obj=office,
        data={"code": office.code, "name": office.name, "district": _district_code(office)},
    )
    return office


def _district_code(office: StreetOffice) -> str:
    return office.district.code if office.district else ""


@transaction.atomic
def street_office_update(
    *,
    street_office: StreetOffice,
    name: str,
    legal_name: str = "",
    district: District | None = None,
    actor: AbstractBaseUser | None = None,
) -> StreetOffice:
    """Change a street office's name, legal name (the one contracts carry) or district.
    Its code stays: links, API clients and print files name the office by it."""
    office = StreetOffice.objects.select_for_update(of=("self",)).get(pk=street_office.pk)
    before = {
        "name": office.name,
        "legal_name": office.legal_name,
        "district": _district_code(office),
    }
    office.name, office.legal_name = ((value or "").strip() for value in (name, legal_name))
    office.district = district
    errors = _errors_of(office)
    if errors:
        raise ValidationError(errors)
    office.save(update_fields=["name", "legal_name", "district"])
    after = {
        "name": office.name,
        "legal_name": office.legal_name,
        "district": _district_code(office),
    }
    audit_record(
        action="street_office.update",
        actor=actor,
        obj=office,
        data={"changed": sorted(key for key in before if before[key] != after[key])},
    )
    street_office.name, street_office.legal_name = office.name, office.legal_name
    street_office.district = district
    return office


@transaction.atomic
def compound_create(
    *,
    street_office: StreetOffice,
    code: str,
    name: str,
    address: str = "",
    built_years: str = "",
    actor: AbstractBaseUser | None = None,
) -> Compound:
    """Create a compound (小区) of ``street_office``: its code is its address in the portal
    (``/c/<code>/``) and in the API, unique across all street offices."""
    code, name, address, built_years = (
        (value or "").strip() for value in (code, name, address, built_years)
    )
    compound = Compound(
        street_office=street_office,
        code=code,
        name=name,
        address=address,
        built_years=built_years,
    )
    _create_coded(compound, taken=_("小区代码“%(code)s”已被使用，请换一个"))
    audit_record(
        action="compound.create",
        actor=actor,
        compound=compound,
        obj=compound,
        data={"code": compound.code, "name": compound.name, "street_office": street_office.code},
    )
    return compound


def _company_errors(values: dict[str, str]) -> dict[str, list[str]]:
    """What is wrong with a company's details beyond lengths (checked by full_clean)."""
    errors: dict[str, list[str]] = {}
    if values["credit_code"]:
        try:
            validate_credit_code(values["credit_code"])
        except ValidationError as exc:
            errors["credit_code"] = exc.messages
    if values["contact_phone"] and not _PHONE.fullmatch(values["contact_phone"]):
        errors["contact_phone"] = [_("服务电话只能包含数字、空格和 + - ( )，如 010-62010032")]
    number = values["bank_account_number"]
    if number and not _ACCOUNT_NUMBER.fullmatch(number):
        errors["bank_account_number"] = [_("收款账号只能包含数字、空格和 -（6–40位）")]
    bank = [values[k] for k in ("bank_account_name", "bank_name", "bank_account_number")]
    if any(bank) and not all(bank):
        errors.setdefault("bank_account_number", []).append(
            _("收款户名、开户银行、收款账号须一并填写（收费通知单上打印）")
        )
    return errors


def _company_save(company: ServiceCompany, values: dict[str, str]) -> ServiceCompany:
    for key, value in values.items():
        setattr(company, key, value)
    errors: dict[str, list[str]] = {}
    try:
        company.full_clean(validate_unique=False)
    except ValidationError as exc:
        errors = exc.message_dict
    for key, messages in _company_errors(values).items():
        if key not in errors:
            errors[key] = messages
    if "name" not in errors and (
        ServiceCompany.objects.filter(name=values["name"]).exclude(pk=company.pk).exists()
    ):
        errors["name"] = [
            _("已有名为“%(name)s”的物业服务企业：请从本街道合作的企业中选择") % values
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:
        raise ValidationError({"name": [_("已有名为“%(name)s”的物业服务企业") % values]}) from None
    return company


def _company_values(**fields: str) -> dict[str, str]:
    values = _clean_text({key: fields.get(key, "") for key in COMPANY_FIELDS})
    values["credit_code"] = credit_code_normalise(values["credit_code"])
    return values


@transaction.atomic
def service_company_create(
    *,
    compound: Compound,
    name: str,
    legal_name: str = "",
    credit_code: str = "",
    contact_phone: str = "",
    address: str = "",
    bank_account_name: str = "",
    bank_name: str = "",
    bank_account_number: str = "",
    actor: AbstractBaseUser | None = None,
) -> ServiceCompany:
    """Register a new service company and make it ``compound``'s, in one step (a company
    nobody serves would be nobody's to edit)."""
    values = _company_values(
        name=name,
        legal_name=legal_name,
        credit_code=credit_code,
        contact_phone=contact_phone,
        address=address,
        bank_account_name=bank_account_name,
        bank_name=bank_name,
        bank_account_number=bank_account_number,
    )
    company = _company_save(ServiceCompany(), values)
    audit_record(
        action="service_company.create",
        actor=actor,
        compound=compound,
        obj=company,
        data={k: v for k, v in values.items() if k != "bank_account_number"},
    )
    _assign(compound, company, actor)
    return company


@transaction.atomic
def service_company_update(
    *,
    compound: Compound,
    name: str,
    legal_name: str = "",
    credit_code: str = "",
    contact_phone: str = "",
    address: str = "",
    bank_account_name: str = "",
    bank_name: str = "",
    bank_account_number: str = "",
    actor: AbstractBaseUser | None = None,
) -> ServiceCompany:
    """Change the details of the company serving ``compound`` (the account its fee notices
    print, its legal name for contracts). Refused while the company also serves another
    street office's compounds: that office has a say in them too."""
    if compound.service_company_id is None:
        raise ValidationError(_("该小区尚未选定物业服务企业"), code="no_service_company")
    company = ServiceCompany.objects.select_for_update(of=("self",)).get(
        pk=compound.service_company_id
    )
    if company.compounds.exclude(street_office_id=compound.street_office_id).exists():
        raise ValidationError(
            _("“%(name)s”也服务其他街道的小区，其信息须由各街道共同核对后在后台修改"),
            code="company_shared",
            params={"name": company.name},
        )
    values = _company_values(
        name=name,
        legal_name=legal_name,
        credit_code=credit_code,
        contact_phone=contact_phone,
        address=address,
        bank_account_name=bank_account_name,
        bank_name=bank_name,
        bank_account_number=bank_account_number,
    )
    before = {key: getattr(company, key) for key in COMPANY_FIELDS}
    _company_save(company, values)
    changed = sorted(key for key in COMPANY_FIELDS if before[key] != values[key])
    audit_record(
        action="service_company.update",
        actor=actor,
        compound=compound,
        obj=company,
        data={"changed": changed},
    )
    return company


def _assign(compound: Compound, company: ServiceCompany, actor: AbstractBaseUser | None) -> None:
    previous = compound.service_company.name if compound.service_company else ""
    Compound.objects.filter(pk=compound.pk).update(service_company=company)
    compound.service_company = company
    audit_record(
        action="compound.service_company_set",
        actor=actor,
        compound=compound,
        obj=compound,
        data={"service_company": company.name, "previous": previous},
    )


@transaction.atomic
def compound_service_company_set(
    *,
    compound: Compound,
    service_company: ServiceCompany,
    actor: AbstractBaseUser | None = None,
) -> Compound:
    """Make ``service_company`` the company serving ``compound``: one the street office
    already works with (it serves another of its compounds); a new one comes through
    :func:`service_company_create`."""
    if not street_office_companies(compound.street_office).filter(pk=service_company.pk).exists():
        raise ValidationError(
            {"service_company": [_("只能选择本街道已合作的物业服务企业，或新增一家")]}
        )
    Compound.objects.select_for_update(of=("self",)).filter(pk=compound.pk).first()
    if compound.service_company_id != service_company.pk:
        _assign(compound, service_company, actor)
    return compound
