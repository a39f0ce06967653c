"""Small builders for test data: a compound with buildings, units and owners."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model

from households.models import AreaSource, Building, BuildingKind, Owner, Ownership, Unit
from portal.models import Compound, District, Membership, Role, ServiceCompany, StreetOffice

User = get_user_model()
PASSWORD = "pw-for-tests-9"


def make_user(username: str, **extra) -> "User":
    return User.objects.create_user(username=username, password=PASSWORD, **extra)


def make_member(
    username: str,
    role: Role,
    *,
    street_office: StreetOffice | None = None,
    compound: Compound | None = None,
    service_company: ServiceCompany | None = None,
    district: District | None = None,
):
    user = make_user(username)
    Membership.objects.create(
        user=user,
        role=role,
        district=district,
        street_office=street_office,
        compound=compound,
        service_company=service_company,
    )
    return user


# Per compound, in the order compounds are made: a county code (the ID number's first six
# digits) and a mobile prefix, so owners of different compounds have different ID numbers
# and phones, raw AND masked (masking keeps the first three characters: '110***', '120***').
# The first compound (the cast's home) keeps 110101… / 138…, which many tests quote.
# 139 is left out: tests/isolation.py's prepare_cast gives home phones 1391234….
ID_REGIONS = [
    "110101", "120101", "130102", "310101", "320102", "330102", "370102", "410102",
    "420102", "440103", "500101", "510104", "610102", "210102", "220102", "230102",
    "340102", "350102", "360102", "430102",
]  # fmt: skip
PHONE_PREFIXES = [
    "138", "137", "136", "135", "134", "150", "151", "152", "157", "158",
    "159", "182", "183", "187", "188", "130", "131", "132", "155", "156",
]  # fmt: skip


def owner_identifiers(index: int, building: int, unit: int) -> tuple[str, str]:
    """ID number (18 characters, check digit not computed) and phone of the owner of
    ``unit`` in ``building`` of the ``index``-th compound made (0 = the first).

    Beyond 20 compounds the prefixes repeat and the birth year moves on, so raw values
    stay distinct (masked ones may then repeat)."""
    region = ID_REGIONS[index % len(ID_REGIONS)]
    year = 1980 + index // len(ID_REGIONS)
    prefix = PHONE_PREFIXES[index % len(PHONE_PREFIXES)]
    cycle = index // len(PHONE_PREFIXES)
    return (
        f"{region}{year}0101{building:02d}{unit:02d}",
        f"{prefix}{cycle:04d}{building:02d}{unit:02d}",
    )


def make_compound(
    office: StreetOffice,
    code: str,
    *,
    name: str | None = None,
    buildings: int = 2,
    units_per_building: int = 3,
    area: Decimal = Decimal("60.50"),
    service_company: ServiceCompany | None = None,
) -> Compound:
    """A compound with ``buildings`` low-rise buildings, each with numbered units and one
    owner per unit (owner names carry the compound code, ID numbers and phones differ from
    every other compound's, so leaks are easy to spot)."""
    index = Compound.objects.count()
    compound = Compound.objects.create(
        street_office=office,
        code=code,
        name=name or f"小区{code}",
        address=f"{code} 路1号",
        service_company=service_company,
    )
    for b in range(1, buildings + 1):
        building = Building.objects.create(
            compound=compound,
            number=str(b),
            kind=BuildingKind.LOW_RISE,
            floors=6,
            sort_key=b,
        )
        for u in range(1, units_per_building + 1):
            unit = Unit.objects.create(
                compound=compound,
                building=building,
                number=f"{u:02d}01",
                floor_area=area,
                area_source=AreaSource.REGISTERED,
            )
            id_number, phone = owner_identifiers(index, b, u)
            owner = Owner.objects.create(
                compound=compound, name=f"业主-{code}-{b}-{u}", id_number=id_number, phone=phone
            )
            Ownership.objects.create(
                compound=compound, unit=unit, owner=owner, valid_from=dt.date(2020, 1, 1)
            )
    return compound


@dataclass
class Cast:
    """The named cast every isolation test uses.

    ``compound`` (in ``office``) is home; ``other_compound`` is in the same street office,
    ``far_compound`` in another one. Outsiders hold full staff roles in those.
    ``district`` holds ``office``, ``other_district`` holds ``other_office``: the home
    district's officer (``district_officer``) reads home's board and nothing else, the
    outsider district officer reads the other district's.
    """

    office: StreetOffice
    other_office: StreetOffice
    company: ServiceCompany
    compound: Compound
    other_compound: Compound
    far_compound: Compound
    officer: "User"
    committee: "User"
    company_staff: "User"
    property_unit_rep: "User"
    resident: "User"
    outsider_compound: "User"
    outsider_office: "User"
    outsider_resident: "User"
    district: District
    other_district: District
    district_officer: "User"
    outsider_district: "User"

    @property
    def outsiders(self) -> dict[str, "User"]:
        return {
            "outsider_compound": self.outsider_compound,
            "outsider_office": self.outsider_office,
            "outsider_resident": self.outsider_resident,
            "outsider_district": self.outsider_district,
        }

    @property
    def insiders(self) -> dict[str, "User"]:
        return {
            "officer": self.officer,
            "committee": self.committee,
            "company_staff": self.company_staff,
            "property_unit_rep": self.property_unit_rep,
            "resident": self.resident,
        }


def make_cast() -> Cast:
    district = District.objects.create(code="home-district", name="海淀区(测试)")
    other_district = District.objects.create(code="far-district", name="远方区(测试)")
    office = StreetOffice.objects.create(
        code="home-office", name="北太平庄街道(测试)", district=district
    )
    other_office = StreetOffice.objects.create(
        code="far-office", name="远方街道(测试)", district=other_district
    )
    company = ServiceCompany.objects.create(name="测试物业")
    other_company = ServiceCompany.objects.create(name="别家物业")
    compound = make_compound(office, "home", service_company=company)
    other_compound = make_compound(office, "neighbour", service_company=other_company)
    far_compound = make_compound(other_office, "far", service_company=other_company)
    resident = make_member("resident", Role.RESIDENT, compound=compound)
    Owner.objects.filter(compound=compound, name="业主-home-1-1").update(user=resident)
    outsider_resident = make_member("outsider_resident", Role.RESIDENT, compound=other_compound)
    Owner.objects.filter(compound=other_compound, name="业主-neighbour-1-1").update(
        user=outsider_resident
    )
    return Cast(
        office=office,
        other_office=other_office,
        company=company,
        compound=compound,
        other_compound=other_compound,
        far_compound=far_compound,
        officer=make_member("officer", Role.STREET_OFFICER, street_office=office),
        committee=make_member("committee", Role.COMMITTEE_MEMBER, compound=compound),
        company_staff=make_member("company_staff", Role.COMPANY_STAFF, service_company=company),
        property_unit_rep=make_member(
            "property_unit_rep", Role.PROPERTY_UNIT_REP, compound=compound
        ),
        resident=resident,
        outsider_compound=make_member(
            "outsider_compound", Role.COMMITTEE_MEMBER, compound=other_compound
        ),
        outsider_office=make_member(
            "outsider_office", Role.STREET_OFFICER, street_office=other_office
        ),
        outsider_resident=outsider_resident,
        district=district,
        other_district=other_district,
        district_officer=make_member("district_officer", Role.DISTRICT_OFFICER, district=district),
        outsider_district=make_member(
            "outsider_district", Role.DISTRICT_OFFICER, district=other_district
        ),
    )
