"""Onboarding services: compound, service company, buildings from a roster, committee.
Hostile inputs each give a specific reason and leave nothing half-saved."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from households.models import Building, BuildingKind, Committee, CommitteeMember, CommitteeRole
from households.services.committee import (
    committee_form,
    committee_member_add,
    committee_member_remove,
    committee_member_update,
    committee_update,
)
from households.services.roster_buildings import roster_buildings_create, roster_buildings_missing
from portal.models import AuditEntry, Compound, District, ServiceCompany, StreetOffice
from portal.services_compounds import (
    compound_create,
    compound_service_company_set,
    credit_code_check_character,
    district_create,
    service_company_create,
    service_company_update,
    street_office_create,
    street_office_update,
    validate_credit_code,
)
from tests.households.roster_files import csv_bytes, owner_row, xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]
# The example of GB 32100-2015 itself.
GOOD_CREDIT_CODE = "91350100M000100Y43"


def messages_of(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return " ".join(exc.value.message_dict[field])


# --- district and street office ---------------------------------------------------------


def test_street_office_create_with_and_without_a_district(db):
    district = district_create(code="cy", name=" 朝阳区 ")
    assert district.name == "朝阳区"
    office = street_office_create(code="jsl", name="劲松街道", district=district)
    assert (office.code, office.name, office.district) == ("jsl", "劲松街道", district)
    alone = street_office_create(code="pjy", name="潘家园街道")
    assert alone.district is None
    entry = AuditEntry.objects.get(action="street_office.create", object_id=str(office.pk))
    assert entry.data == {"code": "jsl", "name": "劲松街道", "district": "cy"}
    assert AuditEntry.objects.filter(action="district.create").count() == 1


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("home-office", "已被使用"),  # the cast's street office: duplicate
        ("Jsl", "小写"),
        ("街道", "小写"),
        ("a", "2–32"),
        ("../x", "小写"),
        ("x" * 33, ""),
        ("", ""),
    ],
)
def test_street_office_create_refuses_bad_and_taken_codes(cast, code, reason):
    before = StreetOffice.objects.count()
    with pytest.raises(ValidationError) as exc:
        street_office_create(code=code, name="新街道")
    assert reason in messages_of(exc, "code")
    assert StreetOffice.objects.count() == before
    assert not AuditEntry.objects.filter(action="street_office.create").exists()


def test_street_office_refuses_an_empty_or_huge_name_and_a_taken_district_code(cast):
    with pytest.raises(ValidationError) as exc:
        street_office_create(code="new-office", name="  ")
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        street_office_create(code="new-office", name="名" * 1_000_000)
    assert "100" in messages_of(exc, "name")
    district_create(code="cy", name="朝阳区")
    with pytest.raises(ValidationError) as exc:
        district_create(code="cy", name="另一个区")
    assert "已被使用" in messages_of(exc, "code")
    assert District.objects.filter(code="cy").count() == 1
    assert not StreetOffice.objects.filter(code="new-office").exists()


def test_street_office_update_changes_name_and_district_not_the_code(cast):
    office = cast.office
    district = district_create(code="cy", name="朝阳区")
    street_office_update(
        street_office=office,
        name=" 新名称 ",
        legal_name="某区人民政府某街道办事处",
        district=district,
    )
    office.refresh_from_db()
    assert (office.name, office.legal_name, office.district) == (
        "新名称",
        "某区人民政府某街道办事处",
        district,
    )
    entry = AuditEntry.objects.get(action="street_office.update")
    assert entry.data == {"changed": ["district", "legal_name", "name"]}
    code = office.code
    with pytest.raises(ValidationError):
        street_office_update(street_office=office, name="")
    office.refresh_from_db()
    assert (office.code, office.name, office.district) == (code, "新名称", district)
    street_office_update(street_office=office, name="新名称")  # the district may go again
    office.refresh_from_db()
    assert office.district is None


# --- compound ---------------------------------------------------------------------------


def test_compound_create_makes_an_audited_compound_of_the_office(cast):
    compound = compound_create(
        street_office=cast.office,
        code="xin-1",
        name=" 新小区 ",
        address="某路1号",
        built_years="1980年代",
        actor=cast.officer,
    )
    compound.refresh_from_db()
    assert (compound.street_office, compound.name, compound.service_company) == (
        cast.office,
        "新小区",
        None,
    )
    entry = AuditEntry.objects.get(action="compound.create")
    assert (entry.compound, entry.actor, entry.data["code"]) == (compound, cast.officer, "xin-1")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("home", "已被使用"),  # the cast's compound: duplicate
        ("far", "已被使用"),  # another street office's compound: codes are global
        ("Home", "小写"),
        ("a", "2–32"),
        ("家园", "小写"),
        ("../x", "小写"),
        ("x" * 33, ""),
        ("", ""),
    ],
)
def test_compound_create_refuses_bad_and_taken_codes(cast, code, reason):
    before = Compound.objects.count()
    with pytest.raises(ValidationError) as exc:
        compound_create(street_office=cast.office, code=code, name="新小区")
    assert reason in messages_of(exc, "code")
    assert Compound.objects.count() == before
    assert not AuditEntry.objects.filter(action="compound.create").exists()


def test_compound_create_refuses_a_ten_megabyte_name(cast):
    with pytest.raises(ValidationError) as exc:
        compound_create(street_office=cast.office, code="big", name="名" * 10_000_000)
    assert "100" in messages_of(exc, "name")
    assert not Compound.objects.filter(code="big").exists()


def test_compound_errors_read_in_english_too(cast):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        compound_create(street_office=cast.office, code="home", name="x")
    assert "already in use" in messages_of(exc, "code")


# --- service company --------------------------------------------------------------------


def test_credit_code_check_character_follows_gb_32100():
    assert credit_code_check_character(GOOD_CREDIT_CODE[:17]) == "3"
    validate_credit_code(GOOD_CREDIT_CODE)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("91350100M000100Y44", "校验位"),
        ("91350100M000100Y4", "18位"),
        ("91350100M000I00Y43", "不允许的字符"),
        ("9135010OM000100Y43", "不允许的字符"),
    ],
)
def test_credit_code_refusals(value, reason):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(value)
    assert reason in " ".join(exc.value.messages)


def company(**extra) -> dict:
    return {
        "name": "新物业",
        "legal_name": "北京新物业管理有限公司",
        "credit_code": "91350100m000100y43",  # lower case as typed: normalised
        "contact_phone": "010-62000000",
        "address": "某路2号",
        "bank_account_name": "北京新物业管理有限公司",
        "bank_name": "某银行某支行",
        "bank_account_number": "6222 0000 0000 0000",
        **extra,
    }


def test_service_company_create_sets_it_for_the_compound_and_audits(cast):
    compound = compound_create(street_office=cast.office, code="xin", name="新小区")
    made = service_company_create(compound=compound, actor=cast.officer, **company())
    compound.refresh_from_db()
    assert compound.service_company == made
    assert made.credit_code == GOOD_CREDIT_CODE
    actions = list(AuditEntry.objects.filter(compound=compound).values_list("action", flat=True))
    assert actions[-2:] == ["service_company.create", "compound.service_company_set"]
    assert "6222" not in str(AuditEntry.objects.get(action="service_company.create").data)


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        ({"credit_code": "91350100M000100Y44"}, "credit_code", "校验位"),
        ({"name": "测试物业"}, "name", "已有名为"),
        ({"name": ""}, "name", ""),
        ({"name": "名" * 10_000_000}, "name", "200"),
        ({"contact_phone": "<script>"}, "contact_phone", "服务电话"),
        ({"bank_account_number": "abc"}, "bank_account_number", "收款账号"),
        ({"bank_name": ""}, "bank_account_number", "一并填写"),
    ],
)
def test_service_company_create_refusals_save_nothing(cast, extra, field, reason):
    compound = compound_create(street_office=cast.office, code="xin", name="新小区")
    companies = ServiceCompany.objects.count()
    with pytest.raises(ValidationError) as exc:
        service_company_create(compound=compound, **company(**extra))
    assert reason in messages_of(exc, field)
    compound.refresh_from_db()
    assert compound.service_company is None
    assert ServiceCompany.objects.count() == companies


def test_pick_only_a_company_the_office_works_with(cast):
    compound = compound_create(street_office=cast.office, code="xin", name="新小区")
    compound_service_company_set(compound=compound, service_company=cast.company)
    compound.refresh_from_db()
    assert compound.service_company == cast.company
    stranger = ServiceCompany.objects.create(name="外街道物业")
    with pytest.raises(ValidationError) as exc:
        compound_service_company_set(compound=compound, service_company=stranger)
    assert "本街道已合作" in messages_of(exc, "service_company")
    compound.refresh_from_db()
    assert compound.service_company == cast.company


def test_update_sets_bank_account_but_not_of_a_company_shared_with_another_office(cast):
    service_company_update(compound=cast.compound, actor=cast.officer, **company(name="测试物业"))
    cast.company.refresh_from_db()
    assert cast.company.bank_account_number == "6222 0000 0000 0000"
    assert AuditEntry.objects.get(action="service_company.update").data["changed"]
    # 别家物业 serves the far office's compound too.
    with pytest.raises(ValidationError) as exc:
        service_company_update(compound=cast.other_compound, **company(name="别家物业"))
    assert "其他街道" in " ".join(exc.value.messages)
    assert ServiceCompany.objects.get(name="别家物业").bank_account_number == ""


# --- buildings from a roster file -------------------------------------------------------


def roster() -> list[dict]:
    return [
        owner_row("1", "2门301", "甲", 1),
        owner_row("1号楼", "2门601", "乙", 2),
        owner_row("5", "1门1802", "丙", 3),
        owner_row("平房一区", "03号", "丁", 4),
        owner_row("2", "101", "戊", 5),  # registered in the cast already
    ]


def test_buildings_from_roster_guess_kind_and_floors(cast):
    guesses = roster_buildings_missing(cast.compound, xlsx_bytes(roster()))
    assert [(g.number, g.kind, g.floors) for g in guesses] == [
        ("5", BuildingKind.HIGH_RISE, 18),
        ("平房一区", BuildingKind.BUNGALOW, 1),
    ]
    compound = compound_create(street_office=cast.office, code="xin", name="新小区")
    made = roster_buildings_create(compound=compound, data=csv_bytes(roster()))
    assert {(b.number, b.floors) for b in made} == {("1", 6), ("2", 1), ("5", 18), ("平房一区", 1)}
    # Again: nothing more to register.
    assert roster_buildings_create(compound=compound, data=csv_bytes(roster())) == []


def test_buildings_from_roster_all_or_none(cast):
    compound = compound_create(street_office=cast.office, code="xin", name="新小区")
    rows = [*roster(), owner_row("9/9", "101", "己", 6)]
    with pytest.raises(ValidationError) as exc:
        roster_buildings_create(compound=compound, data=csv_bytes(rows))
    assert "9/9" in messages_of(exc, "file")
    assert not Building.objects.filter(compound=compound).exists()
    with pytest.raises(ValidationError) as exc:
        roster_buildings_create(compound=compound, data=b"")
    assert "空" in messages_of(exc, "file")


# --- committee --------------------------------------------------------------------------

FORMED = dt.date(2025, 3, 1)
END = dt.date(2028, 2, 29)  # three years less a day (2028 is a leap year)


def test_committee_term_is_at_most_three_years(cast):
    with pytest.raises(ValidationError) as exc:
        committee_form(compound=cast.compound, formed_on=FORMED, term_end=dt.date(2028, 3, 1))
    assert "2028-02-29" in messages_of(exc, "term_end")
    with pytest.raises(ValidationError):
        committee_form(compound=cast.compound, formed_on=FORMED, term_end=FORMED)
    assert not Committee.objects.filter(compound=cast.compound).exists()
    committee = committee_form(compound=cast.compound, formed_on=FORMED, term_end=END)
    assert AuditEntry.objects.filter(action="committee.form", object_id=str(committee.pk)).exists()


def seat(committee, name, role, **extra):
    return committee_member_add(committee=committee, name=name, role=role, **extra)


def test_a_committee_becomes_lawful_seat_by_seat(cast):
    committee = committee_form(compound=cast.compound, formed_on=FORMED, term_end=END)
    chair = seat(committee, "主任甲", CommitteeRole.CHAIR, affiliation="社区居委会")
    assert chair.term_start == FORMED and chair.term_end == END
    for n in range(5):
        seat(committee, f"业主{n}", CommitteeRole.OWNER_REPRESENTATIVE)
    problems = " ".join(committee.composition_problems())
    assert "不足7人" in problems and "单数" in problems
    last = seat(committee, "委员乙", CommitteeRole.MEMBER)
    assert committee.composition_problems() == []
    committee_member_update(member=last, name="委员乙", role=CommitteeRole.VICE_CHAIR)
    assert CommitteeMember.objects.get(pk=last.pk).role == CommitteeRole.VICE_CHAIR
    committee_member_remove(member=last)
    assert any("单数" in p for p in committee.composition_problems())
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"committee.member_add", "committee.member_update", "committee.member_remove"} <= (
        actions
    )


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        ({"name": "  "}, "name", "姓名"),
        ({"role": "king"}, "role", "职务"),
        ({"role": CommitteeRole.CHAIR}, "role", "已有主任"),
        ({"term_end": dt.date(2029, 1, 1)}, "term_end", "任期内"),
        (
            {"term_start": dt.date(2027, 1, 1), "term_end": dt.date(2026, 1, 1)},
            "term_end",
            "不早于",
        ),
        ({"name": "名" * 10_000_000}, "name", "100"),
    ],
)
def test_seat_refusals(cast, extra, field, reason):
    committee = committee_form(compound=cast.compound, formed_on=FORMED, term_end=END)
    seat(committee, "主任甲", CommitteeRole.CHAIR)
    values = {"name": "某人", "role": CommitteeRole.MEMBER, **extra}
    with pytest.raises(ValidationError) as exc:
        committee_member_add(committee=committee, **values)
    assert reason in messages_of(exc, field)
    assert committee.members.count() == 1


def test_committee_dates_cannot_shrink_below_a_seat(cast):
    committee = committee_form(compound=cast.compound, formed_on=FORMED, term_end=END)
    seat(committee, "主任甲", CommitteeRole.CHAIR)
    with pytest.raises(ValidationError) as exc:
        committee_update(committee=committee, formed_on=FORMED, term_end=dt.date(2027, 1, 1))
    assert "超出" in messages_of(exc, "term_end")
    committee.refresh_from_db()
    assert committee.term_end == END
