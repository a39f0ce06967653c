"""Demo of the committee lifecycle (issue 12 item 5), continuing the case where the report
is silent. Called by ``board.demo`` (before ``board.demo_board``, whose alert check then
sees it), as ``seed(compound)``; idempotent.

- 学院南路32号院: the committee formed 2021-06-18 for three years (the register's demo)
  gets its formation record: announced 2021-05-20, nominated 2021-06-01, confirmed on its
  formation day, posted 2021-06-21 for 10 working days (to 2021-07-02), filed 2021-07-05.
  The dates are illustrative (the report gives only the year) and marked so. Its term
  ended on 2024-06-17 and nothing here renews it: the board keeps the alert open.
- 明光北里 (illustrative): a second compound of 北太平庄街道 at an earlier stage, created
  through the services as the street office would (compound, roster file, committee
  formation step by step, eight candidates nominated of whom seven are confirmed): its
  committee is formed and filed in 2025 and in its term, its renovation is recorded, no
  joint decision is held yet, so the board shows "业主共同决定" as its next step.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.db import transaction

from households.id_numbers import id_check_character
from households.models import CandidateKind, CommitteeFormation, CommitteeRole, FormationStep
from households.roster import HEADERS
from households.services.committee import (
    committee_candidate_add,
    committee_formation_record,
    committee_formation_start,
    committee_formation_step,
)
from households.services.roster import roster_import
from households.services.roster_buildings import roster_buildings_create
from portal.models import Compound
from portal.services_compounds import compound_create

from . import services
from .models import Renovation

MAIN_FORMATION: dict[str, Any] = {
    "announced_on": dt.date(2021, 5, 20),
    "nominated_on": dt.date(2021, 6, 1),
    "publicity_start": dt.date(2021, 6, 21),
    "filed_on": dt.date(2021, 7, 5),
}

SECOND_COMPOUND: dict[str, Any] = {
    "code": "mgbl",
    "name": "明光北里",
    "address": "北京市海淀区明光北里（演示示意小区）",
    "built_years": "20世纪80年代",
}
#: The second compound's formation, step by step (after the 2025 National Day holiday).
SECOND_STEPS = (
    (FormationStep.NOMINATED, dt.date(2025, 9, 15)),
    (FormationStep.CONFIRMED, dt.date(2025, 10, 10)),
    (FormationStep.PUBLICITY, dt.date(2025, 10, 13)),
    (FormationStep.FILED, dt.date(2025, 10, 29)),
)
SECOND_ANNOUNCED = dt.date(2025, 9, 1)
SECOND_RENOVATION: dict[str, Any] = {
    "started_on": dt.date(2025, 4, 1),
    "finished_on": dt.date(2025, 8, 31),
    "money_invested": Decimal("800000.00"),
    "illegal_structures_removed": Decimal("1200.00"),
    "ground_locks_removed": 35,
    "buildings_renovated": 2,
    "note": "演示示意数据",
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙"
GIVEN = ("建国", "秀英", "志强", "桂兰", "海燕", "明", "丽", "伟", "淑珍", "国庆", "芳", "军")


def _id_number(index: int) -> str:
    """A well-formed, invented ID number (110108 = 海淀区), with its check character."""
    first17 = f"110108{1950 + index:04d}{1 + index % 12:02d}{1 + index % 28:02d}{100 + index:03d}"
    return first17 + id_check_character(first17)


def _second_roster() -> bytes:
    """Two five-storey buildings of six flats each, one owner per flat, as a CSV file."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    index = 0
    for building in ("1", "2"):
        for floor in (1, 2, 3):
            for door in (1, 2):
                name = SURNAMES[index] + GIVEN[index]
                area = Decimal("56.40") + Decimal(index * 2) + Decimal("0.35") * door
                writer.writerow(
                    [
                        building,
                        f"{floor}0{door}",
                        f"{area:.2f}",
                        "不动产登记",
                        "是",
                        "个人",
                        name,
                        _id_number(index),
                        f"1380000{index:04d}",
                        "1",
                        "是",
                        "",
                        "2003-06-01",
                    ]
                )
                index += 1
    return buffer.getvalue().encode()


def _main_formation(compound: Compound) -> None:
    committee = compound.committees.filter(formed_on__year=2021).order_by("formed_on").first()
    if committee is None or CommitteeFormation.objects.filter(committee=committee).exists():
        return
    committee_formation_record(committee=committee, illustrative=True, **MAIN_FORMATION)


def _second_compound(main: Compound) -> Compound:
    compound = Compound.objects.filter(code=SECOND_COMPOUND["code"]).first()
    if compound is None:
        compound = compound_create(street_office=main.street_office, **SECOND_COMPOUND)
    if not compound.units.exists():
        roster = _second_roster()
        roster_buildings_create(compound=compound, data=roster)
        report = roster_import(compound=compound, data=roster)
        if not report.ok:  # a programming error in the roster above
            raise AssertionError(f"demo roster refused: {report.errors[:3]}")
    if not Renovation.objects.filter(compound=compound).exists():
        services.renovation_record(
            compound=compound, actor=None, illustrative=True, **SECOND_RENOVATION
        )
    if not compound.committee_formations.exists():
        _form_second_committee(compound)
    return compound


def _form_second_committee(compound: Compound) -> None:
    """Formed step by step; the candidates nominated take their seats at 确定."""
    formation = committee_formation_start(
        compound=compound, announced_on=SECOND_ANNOUNCED, illustrative=True
    )
    seated: list[int] = []
    for step, day in SECOND_STEPS:
        formation = committee_formation_step(
            formation=formation,
            step=step,
            day=day,
            seat_candidates=seated if step == FormationStep.CONFIRMED else (),
        )
        if step == FormationStep.NOMINATED:
            seated = _nominate(formation)


def _nominate(formation: CommitteeFormation) -> list[int]:
    """The candidates nominated (推荐, illustrative like the formation): the seven seated
    at 确定, and an eighth not confirmed, an owner candidate whose name is on no flat of
    the roster (the warning the street office saw at 推荐). Returns the ids of the seven."""
    seven = [
        committee_candidate_add(
            formation=formation, name=name, kind=kind, role=role, affiliation=affiliation
        ).pk
        for name, role, affiliation, kind in _seats(formation.compound)
    ]
    committee_candidate_add(
        formation=formation, name="吴德明", kind=CandidateKind.OWNER, affiliation="自荐"
    )
    return seven


def _seats(compound: Compound) -> list[tuple[str, CommitteeRole, str, CandidateKind]]:
    """Seven members (BJ 54): a chair from the residents' committee, four owner
    representatives from the roster, two other members."""
    owners = list(
        compound.ownerships.current()
        .select_related("owner")
        .order_by("unit__building__number", "unit__number")[:4]
    )
    residents_committee = CandidateKind.RESIDENTS_COMMITTEE
    seats = [("孙立新", CommitteeRole.CHAIR, "明光村社区居委会", residents_committee)]
    seats += [
        (o.owner.name, CommitteeRole.OWNER_REPRESENTATIVE, "", CandidateKind.OWNER) for o in owners
    ]
    seats += [
        ("周文华", CommitteeRole.VICE_CHAIR, "北太平庄街道办事处", CandidateKind.STREET_OFFICE),
        ("郑小燕", CommitteeRole.MEMBER, "明光村社区居委会", residents_committee),
    ]
    return seats


@transaction.atomic
def seed(compound: Compound) -> None:
    _main_formation(compound)
    _second_compound(compound)
