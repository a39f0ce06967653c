"""The parties of an agreement (协议方): who they are, under which names, and who may sign
for each."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from households.models import PropertyRightUnit
from portal.access import roles_in
from portal.models import Compound

from .. import facts as facts_mod
from ..models import PARTY_ROLE, PartyKind

PARTY_LABELS = {
    PartyKind.COMMITTEE: "甲方",
    PartyKind.SERVICE_COMPANY: "乙方",
    PartyKind.STREET_OFFICE: "丙方",
    PartyKind.PROPERTY_RIGHT_UNIT: "丁方",
}
PARTY_ORDER = [
    PartyKind.COMMITTEE,
    PartyKind.SERVICE_COMPANY,
    PartyKind.STREET_OFFICE,
    PartyKind.PROPERTY_RIGHT_UNIT,
]


def representative_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


@dataclass(frozen=True)
class PartySpec:
    """One party of a new agreement and the user who will sign for it."""

    kind: PartyKind
    organisation: str
    representative: User
    property_right_unit: PropertyRightUnit | None = None


def party_specs_for(
    *,
    compound: Compound,
    committee_rep: User,
    company_rep: User,
    office_rep: User,
    property_units: list[PropertyRightUnit],
) -> list[PartySpec]:
    """The four parties of ``compound`` under their full legal names (法定全称), each with
    the user who signs for it; a property-right unit signs through its representative."""
    company = compound.service_company
    return [
        PartySpec(
            kind=PartyKind.COMMITTEE,
            organisation=facts_mod.committee_name(compound),
            representative=committee_rep,
        ),
        PartySpec(
            kind=PartyKind.SERVICE_COMPANY,
            organisation=facts_mod.legal_name(company) if company else "",
            representative=company_rep,
        ),
        PartySpec(
            kind=PartyKind.STREET_OFFICE,
            organisation=facts_mod.legal_name(compound.street_office),
            representative=office_rep,
        ),
        *(_property_right_unit_party(unit) for unit in property_units),
    ]


def _property_right_unit_party(unit: PropertyRightUnit) -> PartySpec:
    """A property-right unit signs through its representative, so it needs one."""
    if unit.representative is None:
        raise ValidationError(
            _("产权单位“%(unit)s”没有授权代表，不能作为签署方") % {"unit": unit.name}
        )
    return PartySpec(
        kind=PartyKind.PROPERTY_RIGHT_UNIT,
        organisation=facts_mod.legal_name(unit),
        representative=unit.representative,
        property_right_unit=unit,
    )


def missing_legal_names(compound: Compound) -> list[str]:
    """The short names the agreement would fall back to because the street office or the
    service company has no full legal name (法定全称) on record."""
    orgs = [compound.street_office, compound.service_company]
    return [org.name for org in orgs if org is not None and not org.legal_name.strip()]


def _check_parties(compound: Compound, parties: list[PartySpec]) -> None:
    kinds = [p.kind for p in parties]
    for kind in PARTY_ORDER:
        if kind not in kinds:
            raise ValidationError(_("协议缺少一方：%(kind)s") % {"kind": PartyKind(kind).label})
    for kind in (PartyKind.COMMITTEE, PartyKind.STREET_OFFICE, PartyKind.SERVICE_COMPANY):
        if kinds.count(kind) > 1:
            raise ValidationError(_("%(kind)s只能有一方") % {"kind": PartyKind(kind).label})
    seen = set()
    for party in parties:
        if not party.organisation.strip():
            raise ValidationError(
                _("%(kind)s的单位名称不能为空") % {"kind": PartyKind(party.kind).label}
            )
        role = PARTY_ROLE[PartyKind(party.kind)]
        if role not in roles_in(party.representative, compound):
            raise ValidationError(
                _("%(user)s不能代表%(org)s签署：须为本小区的%(role)s")
                % {
                    "user": representative_name(party.representative),
                    "org": party.organisation,
                    "role": role.label,
                }
            )
        if party.representative.pk in seen:
            raise ValidationError(
                _("%(user)s不能同时代表两方签署")
                % {"user": representative_name(party.representative)}
            )
        seen.add(party.representative.pk)
        if (
            party.property_right_unit is not None
            and party.property_right_unit.compound_id != compound.id
        ):
            raise ValidationError(_("产权单位不属于本小区"))
