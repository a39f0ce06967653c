"""Onboarding pages: who gets in, the checklist read from the data, each step's form with
its errors and nothing half-saved, and queries that do not grow with the register."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Building, Committee, CommitteeMember, CommitteeRole
from portal.models import AuditEntry, Compound, Role, ServiceCompany
from tests.factories import PASSWORD, make_compound, make_member
from tests.households.roster_files import owner_row, xlsx_bytes


def login(client, user):
    client.login(username=user.username, password=PASSWORD)


def done_steps(response) -> dict[str, bool]:
    html = response.content.decode()
    return {key: flag == "1" for key, flag in re.findall(r'id="step-(\w+)" data-done="(\d)"', html)}


@pytest.fixture
def new_compound(cast):
    return Compound.objects.create(street_office=cast.office, code="xin", name="新小区")


def test_street_office_page_and_compound_page_link_to_onboarding(cast, client):
    login(client, cast.officer)
    office_page = client.get(reverse("street_office", args=[cast.office.code])).content.decode()
    assert reverse("onboarding_start", args=[cast.office.code]) in office_page
    compound_page = client.get(reverse("compound", args=["home"])).content.decode()
    assert reverse("onboarding", args=["home"]) in compound_page
    login(client, cast.committee)
    assert reverse("onboarding", args=["home"]) not in (
        client.get(reverse("compound", args=["home"])).content.decode()
    )


@pytest.mark.parametrize(
    "who", ["committee", "company_staff", "resident", "outsider_office", "outsider_compound"]
)
def test_only_the_compounds_street_officers_get_in(cast, client, who):
    login(client, getattr(cast, who))
    for url in (
        reverse("onboarding", args=["home"]),
        reverse("onboarding_company", args=["home"]),
        reverse("onboarding_buildings", args=["home"]),
        reverse("onboarding_committee", args=["home"]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "new", "new-name": "x"}).status_code == 404
    assert ServiceCompany.objects.filter(name="x").count() == 0


def test_outsider_office_cannot_start_a_compound_in_another_office(cast, client):
    login(client, cast.outsider_office)
    url = reverse("onboarding_start", args=[cast.office.code])
    assert client.get(url).status_code == 404
    assert client.post(url, {"code": "sneak", "name": "偷建"}).status_code == 404
    assert not Compound.objects.filter(code="sneak").exists()


def test_start_creates_the_compound_and_lands_on_its_checklist(cast, client):
    login(client, cast.officer)
    url = reverse("onboarding_start", args=[cast.office.code])
    response = client.post(url, {"code": "xin", "name": "新小区", "address": "某路1号"})
    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding", args=["xin"])
    compound = Compound.objects.get(code="xin")
    assert compound.street_office == cast.office
    checklist = client.get(response["Location"])
    assert done_steps(checklist) == {
        "compound": True,
        "company": False,
        "buildings": False,
        "property_right_units": False,  # optional: a compound may have none
        "roster": False,
        "committee": False,
    }
    assert "尚未选定物业服务企业" in checklist.content.decode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"code": "home", "name": "重复"}, "已被使用"),
        ({"code": "far", "name": "另一街道的代码"}, "已被使用"),
        ({"code": "Bad Code", "name": "x"}, "小写"),
        ({"code": "ok-code", "name": "名" * 101}, "100"),
    ],
)
def test_start_refusals_are_shown_and_nothing_is_saved(cast, client, data, reason):
    login(client, cast.officer)
    before = Compound.objects.count()
    response = client.post(reverse("onboarding_start", args=[cast.office.code]), data)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert Compound.objects.count() == before


def test_company_pick_from_the_office_then_set_bank_account(cast, client, new_compound):
    login(client, cast.officer)
    url = reverse("onboarding_company", args=["xin"])
    page = client.get(url).content.decode()
    assert "测试物业" in page and "别家物业" in page  # both serve compounds of the office
    response = client.post(url, {"action": "pick", "pick-service_company": cast.company.pk})
    assert response.status_code == 302
    new_compound.refresh_from_db()
    assert new_compound.service_company == cast.company
    response = client.post(
        url,
        {
            "action": "edit",
            "name": "测试物业",
            "legal_name": "北京测试物业管理有限公司",
            "credit_code": "91350100M000100Y43",
            "bank_account_name": "北京测试物业管理有限公司",
            "bank_name": "某银行",
            "bank_account_number": "0200 0000 0900",
        },
    )
    assert response.status_code == 302
    cast.company.refresh_from_db()
    assert cast.company.bank_account_number == "0200 0000 0900"
    assert done_steps(client.get(reverse("onboarding", args=["xin"])))["company"] is True


def test_company_a_stranger_company_cannot_be_picked(cast, client, new_compound):
    stranger = ServiceCompany.objects.create(name="陌生物业")
    login(client, cast.officer)
    response = client.post(
        reverse("onboarding_company", args=["xin"]),
        {"action": "pick", "pick-service_company": stranger.pk},
    )
    assert response.status_code == 400
    assert "只能选择本街道已合作的物业服务企业" in response.content.decode()
    new_compound.refresh_from_db()
    assert new_compound.service_company is None


def test_company_new_with_a_bad_credit_code_saves_nothing(cast, client, new_compound):
    login(client, cast.officer)
    response = client.post(
        reverse("onboarding_company", args=["xin"]),
        {"action": "new", "new-name": "新物业", "new-credit_code": "91350100M000100Y44"},
    )
    assert response.status_code == 400
    assert "校验位" in response.content.decode()
    assert not ServiceCompany.objects.filter(name="新物业").exists()
    response = client.post(
        reverse("onboarding_company", args=["xin"]),
        {"action": "new", "new-name": "新物业", "new-credit_code": "91350100M000100Y43"},
    )
    assert response.status_code == 302
    new_compound.refresh_from_db()
    assert new_compound.service_company.name == "新物业"


def test_buildings_from_a_roster_file_then_the_roster_import(cast, client, new_compound):
    login(client, cast.officer)
    rows = [owner_row("1", "301", "甲", 1), owner_row("2", "1802", "乙", 2)]
    upload = xlsx_bytes(rows)
    response = client.post(
        reverse("onboarding_buildings", args=["xin"]),
        {"action": "roster", "file": SimpleUploadedFile("r.xlsx", upload)},
    )
    assert response.status_code == 302
    assert set(new_compound.buildings.values_list("number", flat=True)) == {"1", "2"}
    response = client.post(
        reverse("roster_import", args=["xin"]), {"file": SimpleUploadedFile("r.xlsx", upload)}
    )
    assert response.status_code == 200
    steps = done_steps(client.get(reverse("onboarding", args=["xin"])))
    assert steps["buildings"] and steps["roster"]


def test_building_form_refusal(cast, client, new_compound):
    login(client, cast.officer)
    response = client.post(
        reverse("onboarding_buildings", args=["xin"]),
        {"number": "1/2", "kind": "low_rise", "floors": 6, "lifts": 0},
    )
    assert response.status_code == 400
    assert "只能包含汉字" in response.content.decode()
    assert not Building.objects.filter(compound=new_compound).exists()


def test_committee_steps_until_lawful(cast, client, new_compound):
    login(client, cast.officer)
    url = reverse("onboarding_committee", args=["xin"])
    response = client.post(
        url, {"action": "member", "member-name": "早到的委员", "member-role": CommitteeRole.MEMBER}
    )
    assert response.status_code == 400
    assert not CommitteeMember.objects.filter(compound=new_compound).exists()
    response = client.post(
        url, {"action": "committee", "formed_on": "2025-03-01", "term_end": "2029-01-01"}
    )
    assert response.status_code == 400
    assert "不超过3年" in response.content.decode()
    assert not Committee.objects.filter(compound=new_compound).exists()
    client.post(url, {"action": "committee", "formed_on": "2025-03-01", "term_end": "2028-02-29"})
    roles = [CommitteeRole.CHAIR] + [CommitteeRole.OWNER_REPRESENTATIVE] * 4
    for n, role in enumerate(roles):
        assert (
            client.post(
                url, {"action": "member", "member-name": f"委员{n}", "member-role": role}
            ).status_code
            == 302
        )
    page = client.get(url).content.decode()
    assert "委员不足7人" in page
    assert done_steps(client.get(reverse("onboarding", args=["xin"])))["committee"] is False
    for n in (5, 6):
        client.post(
            url,
            {"action": "member", "member-name": f"委员{n}", "member-role": CommitteeRole.MEMBER},
        )
    assert 'id="composition-ok"' in client.get(url).content.decode()
    assert done_steps(client.get(reverse("onboarding", args=["xin"])))["committee"] is True
    # A second chair is refused; removing a seat makes the committee unlawful again.
    response = client.post(
        url, {"action": "member", "member-name": "二号主任", "member-role": CommitteeRole.CHAIR}
    )
    assert response.status_code == 400 and "已有主任" in response.content.decode()
    member = CommitteeMember.objects.get(compound=new_compound, name="委员6")
    edit = reverse("onboarding_member", args=["xin", member.pk])
    assert client.post(edit, {"name": "委员六", "role": CommitteeRole.MEMBER}).status_code == 302
    member.refresh_from_db()
    assert member.name == "委员六"
    client.post(reverse("onboarding_member_remove", args=["xin", member.pk]))
    assert not CommitteeMember.objects.filter(pk=member.pk).exists()
    assert done_steps(client.get(reverse("onboarding", args=["xin"])))["committee"] is False
    assert AuditEntry.objects.filter(action="committee.member_remove").exists()


def test_a_seat_of_another_compound_is_404_even_by_its_own_code(cast, client):
    far_committee = Committee.objects.create(
        compound=cast.far_compound, formed_on=dt.date(2025, 1, 1), term_end=dt.date(2027, 1, 1)
    )
    far_seat = CommitteeMember.objects.create(
        compound=cast.far_compound,
        committee=far_committee,
        name="远方委员",
        role=CommitteeRole.CHAIR,
        term_start=far_committee.formed_on,
        term_end=far_committee.term_end,
    )
    login(client, cast.officer)
    assert client.get(reverse("onboarding_member", args=["home", far_seat.pk])).status_code == 404
    response = client.post(reverse("onboarding_member_remove", args=["home", far_seat.pk]))
    assert response.status_code == 404
    assert CommitteeMember.objects.filter(pk=far_seat.pk).exists()


def test_checklist_queries_do_not_grow_with_the_register(cast, client):
    officer = make_member("so2", Role.STREET_OFFICER, street_office=cast.office)
    login(client, officer)
    counts = []
    for size in (1, 12):
        make_compound(cast.office, f"size{size}", buildings=size, units_per_building=size)
        url = reverse("onboarding", args=[f"size{size}"])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
