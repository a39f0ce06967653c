"""The demo register: 学院南路32号院 as the case report describes it, plus a small compound
of another street office for isolation demos.

Everything is drawn from ``random.Random`` streams with fixed seeds, so two databases
seeded from scratch are identical, and :func:`seed_register` is idempotent: a compound
whose register already exists is left as it is (the register is built in one
transaction, so a compound either has all of it or none).

The people are invented: names from common surnames and given names, ID numbers in the
mainland 18-digit format with a correct ISO 7064 MOD 11-2 check digit, and mobile
numbers. Any likeness to a real person is an accident.
"""

import csv
import datetime as dt
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from portal.models import Compound, District, StreetOffice
from portal.services_compounds import (
    compound_create,
    district_create,
    service_company_create,
    street_office_create,
    street_office_update,
)

from .id_numbers import id_check_character
from .models import (
    AreaSource,
    BuildingKind,
    CommitteeRole,
    Owner,
    OwnerKind,
    Ownership,
    TransferStatus,
)
from .roster import AREA_SOURCE_LABELS, HEADERS, OWNER_KIND_LABELS
from .services import building_create, property_right_unit_create, roster_import
from .services.committee import committee_form, committee_member_add
from .services.roster_buildings import roster_buildings_create

SEED = "compound-portal-demo-2021"
TOTAL_HOUSEHOLDS = 1412

DISTRICT = {"code": "hd", "name": "海淀区"}
MAIN_OFFICE = {"code": "btpz", "name": "北太平庄街道"}
OTHER_OFFICE = {"code": "hyl", "name": "花园路街道"}
MAIN_COMPANY: dict[str, Any] = {
    "name": "天岳恒物业",
    "contact_phone": "010-62010032",
    "address": "北京市海淀区学院南路32号院内",
    # The collection account printed on fee notices: invented for the demo.
    "bank_account_name": "北京天岳恒物业管理有限公司",
    "bank_name": "中国工商银行北京学院路支行",
    "bank_account_number": "0200 0000 0900 0000 032",
}
OTHER_COMPANY: dict[str, Any] = {
    "name": "嘉园物业",
    "legal_name": "北京嘉园物业服务有限公司",
    "contact_phone": "010-62020101",
    "address": "北京市海淀区牡丹园北里",
    # Invented for the demo, like the main company's.
    "bank_account_name": "北京嘉园物业服务有限公司",
    "bank_name": "中国建设银行北京花园路支行",
    "bank_account_number": "1100 0000 0000 0000 0101",
}
MAIN_COMPOUND: dict[str, Any] = {
    "code": "xynl32",
    "name": "学院南路32号院",
    "address": "北京市海淀区学院南路32号",
    "built_years": "20世纪50–80年代",
}
OTHER_COMPOUND: dict[str, Any] = {
    "code": "mdybl",
    "name": "牡丹园北里",
    "address": "北京市海淀区牡丹园北里",
    "built_years": "20世纪80年代",
}

# Low-rise buildings: number → (floors, entrances 门, flats per floor per entrance).
LOW_RISE = {
    "1": (5, 4, 3),
    "2": (4, 3, 2),
    "3": (5, 3, 3),
    "4": (6, 3, 3),
    "5": (4, 3, 2),
    "6": (5, 3, 2),
    "7": (6, 3, 3),
    "8": (6, 3, 3),
    "9": (6, 2, 3),
    "10": (5, 4, 2),
    "11": (5, 2, 3),
    "12": (6, 4, 3),
    "13": (4, 3, 3),
    "14": (6, 3, 2),
    "15": (4, 2, 3),
    "18": (5, 2, 3),
    "19": (5, 4, 2),
    "20": (5, 3, 3),
    "21": (6, 3, 2),
    "22": (4, 3, 2),
    "23": (4, 4, 3),
    "24": (5, 3, 2),
    "25": (5, 2, 2),
}
# High-rise towers: 18 floors, one entrance, 6 flats a floor, 2 lifts each (the lifts
# replaced in 2023).
HIGH_RISE = {"16": (18, 1, 6), "17": (18, 1, 6)}
HIGH_RISE_LIFTS = 2
BUNGALOW_NAMES = [f"平房{n}区" for n in "一二三四五六七八九十"] + ["平房十一区"]
BUNGALOW_HOUSEHOLDS = [22, 31, 27, 35, 18, 29, 33, 24, 30, 26, 29]

# 产权单位: the first six handed their non-operating assets to 首开集团 in 2019.
RECEIVER = "首开集团"
PROPERTY_RIGHT_UNITS = [
    ("北京南郊机械学院", dt.date(2019, 3, 29)),
    ("华北城市规划设计院", dt.date(2019, 5, 31)),
    ("北京燕山材料研究院", dt.date(2019, 6, 28)),
    ("北京长城测绘设计院", dt.date(2019, 9, 30)),
    ("京西水利勘察设计院", dt.date(2019, 11, 29)),
    ("北京金台印刷厂", dt.date(2019, 12, 20)),
    ("北京国风艺术学院", None),
    ("北京科贸职工大学", None),
    ("华北电力设备研究所", None),
    ("北京轻工业研究院", None),
]
# The retained unit whose representative is the demo login ``chanquan``.
DEMO_PROPERTY_UNIT = "北京国风艺术学院"
# The flat of the demo login ``yezhu``: building 16, one sole owner, no other flat.
DEMO_RESIDENT_UNIT = ("16", "1门0802")

CO_OWNED_UNITS = 40
TWO_UNIT_OWNERS = 15
# Unsold flats still held by each retained property-right unit. With the two-flat owners
# they make the SPC 9 roll 1,412 + 4 − 65 − 15 = 1,336 owners: one of the few roll sizes
# near 1,412 on which the published 2021 ratios (77.84% and 74.13% of owners, to two
# decimals) are reachable at all (see voting.demo).
RETAINED_HOLDINGS = (14, 15, 17, 19)
COMMITTEE_FORMED = dt.date(2021, 6, 18)
COMMITTEE_TERM_END = dt.date(2024, 6, 17)  # three years
RESIDENTS_COMMITTEE = "学院南路32号院社区居委会"

SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程"
    "曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔"
    "白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
# Given names: common two-character names of several generations, and single characters.
_GIVEN_PAIRS = (
    "建国建华建军建平国庆国强秀英秀兰秀珍桂英桂兰桂芝玉兰玉梅淑珍淑华淑兰丽华丽娟丽萍"
    "志强志刚志明海燕海涛红梅红霞春梅春生文华文斌立新卫东卫国秋菊宝山长林永福树林跃进"
    "晓东晓燕晓明雪梅凤英金凤振华德明德胜少华美玲翠兰小红小军子涵雨欣浩然思远嘉怡欣怡"
    "一鸣俊杰佳琪宇航鹏飞亚楠婷婷文静明辉向东红旗胜利援朝爱华素芬慧敏"
)
GIVEN_DOUBLE = [_GIVEN_PAIRS[i : i + 2] for i in range(0, len(_GIVEN_PAIRS), 2)]
GIVEN_SINGLE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华慧红梅英兰玲斌鹏辉琳颖"
# Where ID numbers were issued: mostly Beijing districts, some other provinces.
ID_REGIONS = (
    ["110108"] * 6
    + ["110101", "110102", "110105", "110106", "110114"] * 2
    + [
        "120101",
        "130102",
        "210102",
        "320102",
        "370102",
        "410102",
        "420102",
        "510104",
        "610102",
    ]
)
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150"] + [
    "151",
    "152",
    "153",
    "155",
    "156",
    "158",
    "159",
    "180",
    "186",
    "188",
    "189",
]


def id_check_digit(first17: str) -> str:
    """The 18th character of a mainland ID number (GB 11643, ISO 7064 MOD 11-2)."""
    return id_check_character(first17)


def is_valid_id_number(value: str) -> bool:
    """18 characters, a real birth date, and the right check digit."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_check_digit(value[:17]) == value[17]


class People:
    """Invented persons: name, unique ID number and phone, from one seeded stream."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)
        self.id_numbers: set[str] = set()

    def name(self) -> str:
        if self.rng.random() < 0.75:
            given = self.rng.choice(GIVEN_DOUBLE)
        else:
            given = self.rng.choice(GIVEN_SINGLE)
        return self.rng.choice(SURNAMES) + given

    def id_number(self) -> str:
        while True:
            birth = dt.date(1935, 1, 1) + dt.timedelta(days=self.rng.randrange(57 * 365))
            body = f"{self.rng.choice(ID_REGIONS)}{birth:%Y%m%d}{self.rng.randrange(1, 1000):03d}"
            number = body + id_check_digit(body)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def phone(self) -> str:
        if self.rng.random() < 0.03:
            return ""  # some elderly owners gave no number
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"


@dataclass
class _UnitPlan:
    building_number: str
    number: str
    floor_area: Decimal | None
    area_source: str


def _area(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(f"{rng.uniform(low, high):.2f}")


def _area_source(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.88:
        return AreaSource.REGISTERED
    if roll < 0.96:
        return AreaSource.SURVEYED
    return AreaSource.CONTRACT


def _flats(
    rng: random.Random, building: str, floors: int, entrances: int, per_floor: int, *, tall: bool
) -> list[_UnitPlan]:
    """Flats numbered as Beijing does ('2门301', towers '1门1806'); one stack shares a
    layout, so flats above each other have (almost) the same area."""
    plans = []
    for entrance in range(1, entrances + 1):
        stacks = [_area(rng, 45, 95) if tall else _area(rng, 35, 92) for _ in range(per_floor)]
        for floor in range(1, floors + 1):
            for k, base in enumerate(stacks, start=1):
                room = f"{floor:02d}{k:02d}" if tall else f"{floor}{k:02d}"
                wobble = Decimal(rng.choice(["0", "0", "0", "0.12", "-0.08", "0.35"]))
                plans.append(
                    _UnitPlan(building, f"{entrance}门{room}", base + wobble, _area_source(rng))
                )
    return plans


def _bungalows(rng: random.Random, name: str, households: int) -> list[_UnitPlan]:
    return [
        _UnitPlan(name, f"{n:02d}号", _area(rng, 15, 40), _area_source(rng))
        for n in range(1, households + 1)
    ]


def _purchase_date(rng: random.Random) -> dt.date:
    """Flats were sold to their tenants from the housing reform (房改, 1994) on."""
    return dt.date(1994, 1, 1) + dt.timedelta(days=rng.randrange(27 * 365))


@dataclass
class _OwnerPlan:
    """An owner as a roster row names it: a person, or a property-right unit's holding."""

    name: str
    id_number: str = ""
    phone: str = ""
    property_right_unit: str = ""


@dataclass
class _Holding:
    """One roster row: an owner's share of a unit, and since when."""

    owner: _OwnerPlan
    share: str
    representative: bool
    valid_from: dt.date


def _roster_csv(rows: Sequence[tuple[_UnitPlan, _Holding]]) -> bytes:
    """A roster file in the import's columns, one row per unit and owner, as a street
    office would upload it."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for plan, holding in rows:
        owner = holding.owner
        kind = OwnerKind.ORGANISATION if owner.property_right_unit else OwnerKind.PERSON
        writer.writerow(
            [
                plan.building_number,
                plan.number,
                plan.floor_area if plan.floor_area is not None else "",
                AREA_SOURCE_LABELS[plan.area_source],
                "是",
                OWNER_KIND_LABELS[kind],
                owner.name,
                owner.id_number,
                owner.phone,
                holding.share,
                "是" if holding.representative else "否",
                owner.property_right_unit,
                holding.valid_from.isoformat(),
            ]
        )
    return buffer.getvalue().encode()


def _main_plans() -> tuple[list[tuple[str, str, int, int]], list[_UnitPlan]]:
    """The buildings ((number, kind, floors, lifts) in the register's order) and the flats
    of 学院南路32号院."""
    rng = random.Random(f"{SEED}-areas")
    specs: list[tuple[str, str, int, int]] = []
    plans: list[_UnitPlan] = []
    for number in sorted({**LOW_RISE, **HIGH_RISE}, key=int):
        tall = number in HIGH_RISE
        floors, entrances, per_floor = HIGH_RISE[number] if tall else LOW_RISE[number]
        kind = BuildingKind.HIGH_RISE if tall else BuildingKind.LOW_RISE
        specs.append((number, kind, floors, HIGH_RISE_LIFTS if tall else 0))
        plans += _flats(rng, number, floors, entrances, per_floor, tall=tall)
    for name, households in zip(BUNGALOW_NAMES, BUNGALOW_HOUSEHOLDS, strict=True):
        specs.append((name, BuildingKind.BUNGALOW, 1, 0))
        plans += _bungalows(rng, name, households)
    if len(plans) != TOTAL_HOUSEHOLDS:  # a programming error in the tables above
        raise AssertionError(f"demo plan has {len(plans)} households, not {TOTAL_HOUSEHOLDS}")
    return specs, plans


def _build_main_register(compound: Compound) -> None:
    """学院南路32号院's register as its street office would build it on the pages: the
    buildings, the property-right units with their transfer records, then the roster file
    through the roster import, and the committee."""
    specs, plans = _main_plans()
    for number, kind, floors, lifts in specs:
        building_create(compound=compound, number=number, kind=kind, floors=floors, lifts=lifts)
    for name, date in PROPERTY_RIGHT_UNITS:
        property_right_unit_create(
            compound=compound,
            name=name,
            transfer_status=TransferStatus.TRANSFERRED if date else TransferStatus.RETAINED,
            transfer_date=date,
            receiver=RECEIVER if date else "",
        )
    retained = [name for name, date in PROPERTY_RIGHT_UNITS if date is None]
    report = roster_import(compound=compound, data=_main_roster(plans, retained))
    if not report.ok:  # a programming error in the roster above
        raise AssertionError(f"demo roster refused: {report.errors[:3]}")
    _form_committee(compound)


def _main_roster(plans: list[_UnitPlan], retained: list[str]) -> bytes:
    """SPC 9 in data: sole owners, persons with two flats, co-owned flats and the unsold
    flats of each retained property-right unit held by ONE organisation owner; as a
    roster file whose rows follow the register's order of flats."""
    rng = random.Random(f"{SEED}-owners")
    people = People(f"{SEED}-people")
    demo_unit = next(p for p in plans if (p.building_number, p.number) == DEMO_RESIDENT_UNIT)
    pool = [p for p in plans if p is not demo_unit]
    rng.shuffle(pool)

    holdings: list[tuple[_OwnerPlan, list[_UnitPlan], str, bool]] = []  # units, share, rep
    # Unsold or undelivered flats of the retained property-right units, in low-rise blocks.
    flats = [p for p in pool if p.building_number in LOW_RISE]
    taken: set[int] = set()
    for pru, count in zip(retained, RETAINED_HOLDINGS, strict=True):
        held = [p for p in flats if id(p) not in taken][:count]
        taken.update(id(p) for p in held)
        phone = f"010-6{rng.randrange(10**7):07d}"
        holdings.append((_OwnerPlan(pru, phone=phone, property_right_unit=pru), held, "", True))
    pool = [p for p in pool if id(p) not in taken]

    def person() -> _OwnerPlan:
        return _OwnerPlan(people.name(), people.id_number(), people.phone())

    for _ in range(TWO_UNIT_OWNERS):
        holdings.append((person(), [pool.pop(), pool.pop()], "", True))
    for _ in range(CO_OWNED_UNITS):
        unit = pool.pop()
        holdings.append((person(), [unit], "0.5", True))
        holdings.append((person(), [unit], "0.5", False))
    holdings.append((person(), [demo_unit], "", True))
    for unit in pool:
        holdings.append((person(), [unit], "", True))

    rows: dict[int, list[_Holding]] = {}
    for owner, held, share, representative in holdings:
        for unit in held:
            since = (
                dt.date(1990, 1, 1) + dt.timedelta(days=rng.randrange(3650))
                if owner.property_right_unit
                else _purchase_date(rng)
            )
            # Co-owners bought together: both rows of a unit carry the first one's date.
            first = rows.setdefault(id(unit), [])
            since = first[0].valid_from if first else since
            first.append(_Holding(owner, share, representative, since))
    return _roster_csv([(p, h) for p in plans for h in rows[id(p)]])


def _form_committee(compound: Compound) -> None:
    """A lawful 物管会 (BJ 52–54): nine members, chair from the residents' committee, five
    owner representatives, formed in 2021 for three years."""
    rng = random.Random(f"{SEED}-committee")
    people = People(f"{SEED}-committee-people")
    committee = committee_form(
        compound=compound, formed_on=COMMITTEE_FORMED, term_end=COMMITTEE_TERM_END
    )
    # Owner seats go to sole owners of buildings spread over the compound.
    candidates = list(
        compound.ownerships.current()
        .filter(share=1, owner__kind=OwnerKind.PERSON)
        .select_related("owner", "unit__building")
        .order_by("unit__building__sort_key", "unit__number")
    )
    by_building: dict[str, Ownership] = {}
    for row in candidates:
        by_building.setdefault(row.unit.building.number, row)
    owner_seats = [by_building[n] for n in ("3", "9", "16", "21", "平房三区", "12")]
    rng.shuffle(owner_seats)

    def seat(name: str, role: str, affiliation: str) -> None:
        committee_member_add(
            committee=committee,
            name=name,
            role=role,
            affiliation=affiliation,
            term_start=COMMITTEE_FORMED,
            term_end=COMMITTEE_TERM_END,
        )

    def owner_of(row: Ownership) -> str:
        return f"业主 · {row.unit.label}"

    vice, *reps = owner_seats
    seat(people.name(), CommitteeRole.CHAIR, RESIDENTS_COMMITTEE)
    seat(vice.owner.name, CommitteeRole.VICE_CHAIR, owner_of(vice))
    for r in reps:
        seat(r.owner.name, CommitteeRole.OWNER_REPRESENTATIVE, owner_of(r))
    seat(people.name(), CommitteeRole.MEMBER, "物业使用人代表")
    seat(people.name(), CommitteeRole.MEMBER, f"产权单位代表 · {DEMO_PROPERTY_UNIT}")


def _other_roster() -> bytes:
    """牡丹园北里's roster as the street office would upload it: three buildings, 24 flats
    (one without a known area), one owner each, as a CSV file in the import's columns."""
    rng = random.Random(f"{SEED}-mdybl")
    people = People(f"{SEED}-mdybl-people")
    plans = []
    for number in ("1", "2", "3"):
        plans += _flats(rng, number, 4, 1, 2, tall=False)
    plans[-1].floor_area, plans[-1].area_source = None, AreaSource.UNKNOWN
    # In the order People.person draws them, as the register used to be built.
    owners = [_OwnerPlan(people.name(), people.id_number(), people.phone()) for _ in plans]
    return _roster_csv(
        [
            (plan, _Holding(owner, "", True, _purchase_date(rng)))
            for plan, owner in zip(plans, owners, strict=True)
        ]
    )


def _onboard_other_compound(office: StreetOffice) -> Compound:
    """牡丹园北里 brought on board by 花园路街道 through the onboarding services, step by
    step as on the pages: compound, service company, buildings taken from the roster,
    the roster, and a lawful committee of seven. Each step is skipped once done."""
    compound = Compound.objects.filter(code=OTHER_COMPOUND["code"]).first()
    if compound is None:
        compound = compound_create(street_office=office, **OTHER_COMPOUND)
    if compound.service_company_id is None:
        service_company_create(compound=compound, **OTHER_COMPANY)
    if not compound.units.exists():
        roster = _other_roster()
        roster_buildings_create(compound=compound, data=roster)
        report = roster_import(compound=compound, data=roster)
        if not report.ok:  # a programming error in the roster above
            raise AssertionError(f"demo roster refused: {report.errors[:3]}")
    if not compound.committees.exists():
        _form_other_committee(compound)
    return compound


def _form_other_committee(compound: Compound) -> None:
    """Seven members (BJ 54): a chair from the residents' committee, four owner
    representatives (one per floor of building 1), two other members."""
    people = People(f"{SEED}-mdybl-committee-people")
    formed = dt.date(2025, 4, 1)
    committee = committee_form(compound=compound, formed_on=formed, term_end=dt.date(2028, 3, 31))
    committee_member_add(
        committee=committee,
        name=people.name(),
        role=CommitteeRole.CHAIR,
        affiliation="牡丹园北里社区居委会",
    )
    owners = (
        compound.ownerships.current()
        .select_related("owner", "unit__building")
        .order_by("unit__building__sort_key", "unit__number")[:4]
    )
    for row in owners:
        committee_member_add(
            committee=committee,
            name=row.owner.name,
            role=CommitteeRole.OWNER_REPRESENTATIVE,
            affiliation=f"业主 · {row.unit.label}",
        )
    for affiliation in ("物业使用人代表", "社区民警"):
        committee_member_add(
            committee=committee,
            name=people.name(),
            role=CommitteeRole.MEMBER,
            affiliation=affiliation,
        )


def _street_office(values: dict[str, str], district: District) -> StreetOffice:
    """The demo's street office of ``values['code']``, registered (or put under the demo's
    district) through the services like any other."""
    office = StreetOffice.objects.filter(code=values["code"]).select_related("district").first()
    if office is None:
        return street_office_create(code=values["code"], name=values["name"], district=district)
    if office.district_id != district.pk:
        street_office_update(
            street_office=office, name=office.name, legal_name=office.legal_name, district=district
        )
    return office


@transaction.atomic
def seed_register() -> Compound:
    """Street offices, service companies, both compounds and their registers; returns
    学院南路32号院. Idempotent: a register that exists is not touched again."""
    district = District.objects.filter(code=DISTRICT["code"]).first() or district_create(
        code=DISTRICT["code"], name=DISTRICT["name"]
    )
    main_office = _street_office(MAIN_OFFICE, district)
    other_office = _street_office(OTHER_OFFICE, district)
    main = Compound.objects.filter(code=MAIN_COMPOUND["code"]).first()
    if main is None:
        main = compound_create(street_office=main_office, **MAIN_COMPOUND)
    if main.service_company_id is None:
        service_company_create(compound=main, **MAIN_COMPANY)
    if not main.units.exists():
        _build_main_register(main)
    _onboard_other_compound(other_office)
    return main


def demo_resident_owner(compound: Compound) -> Owner:
    """The sole owner of :data:`DEMO_RESIDENT_UNIT`, whom the login ``yezhu`` stands for."""
    building, number = DEMO_RESIDENT_UNIT
    return (
        compound.ownerships.current()
        .select_related("owner")
        .get(unit__building__number=building, unit__number=number)
        .owner
    )
