"""The works pages: list, create and edit forms, the project page (basis link, progress,
chart data, blocked units, documents, events, the confirmed next step), the funding plan
form and the shares list with search and XLSX export. Constant query counts."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from households.models import AreaSource, Unit
from tests.factories import PASSWORD
from tests.works.project_helpers import add_lift_buildings, lift_project, passed_item
from works.models import Project, ProjectDocument
from works.services.projects import project_create

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def lift(cast):
    add_lift_buildings(cast.compound)
    return lift_project(cast)


def url(name, cast, *args):
    return reverse(f"works:{name}", args=[cast.compound.code, *args])


def test_list_and_nav_link(client, cast, lift):
    login(client, cast.committee)
    response = client.get(url("projects", cast))
    assert response.status_code == 200
    html = response.content.decode()
    assert "16、17号楼电梯更新" in html
    assert 'id="nav-works"' in html
    assert 'id="project-new"' in html
    # The company reads, without the button; a resident has no works page nor link.
    login(client, cast.company_staff)
    html = client.get(url("projects", cast)).content.decode()
    assert "16、17号楼电梯更新" in html and 'id="project-new"' not in html
    login(client, cast.resident)
    assert client.get(url("projects", cast)).status_code == 404
    home = client.get(reverse("compound", args=[cast.compound.code]))
    assert 'id="nav-works"' not in home.content.decode()


def test_list_queries_constant(client, cast, lift, django_assert_max_num_queries):
    login(client, cast.committee)
    client.get(url("projects", cast))
    connection.queries_log.clear()  # a full log would make the count 0
    with django_assert_max_num_queries(12) as first:
        client.get(url("projects", cast))
    baseline = len(first)
    assert baseline > 0
    for n in range(4):
        project_create(
            compound=cast.compound,
            actor=cast.committee,
            title=f"工程{n}",
            budget="1.00",
            building_numbers=["16"],
        )
    connection.queries_log.clear()  # a full log would make the count 0
    with django_assert_max_num_queries(baseline):
        client.get(url("projects", cast))


def test_create_form(client, cast):
    login(client, cast.committee)
    assert client.get(url("project-new", cast)).status_code == 200
    unit = cast.compound.units.filter(building__number="2").first()
    response = client.post(
        url("project-new", cast),
        {
            "title": "1号楼屋面防水",
            "budget": "20000.00",
            "proposed_on": "2022-05-01",
            "building_numbers": ["1"],
            "units_text": f"2 {unit.number}",
            "items_text": "屋面防水 |  | 1",
        },
    )
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("project", cast, project.pk)
    assert project.scope_units.get().unit == unit
    assert project.items.get().name == "屋面防水"


def test_create_form_errors_saved_nothing(client, cast):
    login(client, cast.committee)
    response = client.post(
        url("project-new", cast),
        {"title": "x", "budget": "-3", "building_numbers": ["1"]},
    )
    assert response.status_code == 400
    assert "必须大于零" in response.content.decode()
    response = client.post(
        url("project-new", cast),
        {"title": "x", "budget": "3", "units_text": "99 0101"},
    )
    assert response.status_code == 400
    assert "本小区没有这些房屋" in response.content.decode()
    assert not Project.objects.exists()
    # The company cannot create.
    login(client, cast.company_staff)
    assert client.get(url("project-new", cast)).status_code == 404


def test_edit_form(client, cast, lift):
    login(client, cast.committee)
    assert client.get(url("project-edit", cast, lift.pk)).status_code == 200
    response = client.post(
        url("project-edit", cast, lift.pk),
        {"title": "电梯更新（修订）", "budget": "1800000.00", "building_numbers": ["16", "17"]},
    )
    assert response.status_code == 302
    assert Project.objects.get(pk=lift.pk).title == "电梯更新（修订）"


def test_detail_page(client, cast, lift):
    item = passed_item(cast)
    Project.objects.filter(pk=lift.pk).update(status="approved", basis_item=item)
    Unit.objects.filter(building__number="17", number="1-0101").update(
        floor_area=None, area_source=AreaSource.UNKNOWN
    )
    login(client, cast.committee)
    response = client.get(url("project", cast, lift.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("voting:decision", args=[cast.compound.code, item.decision_id]) in html
    assert "3110-11-161" in html
    assert 'id="blocked-units"' in html and "17号楼 1-0101" in html
    assert 'id="works-chart-data"' in html and "vendor/echarts/echarts.common.min.js" in html
    assert "海淀区政府补贴" in html
    assert 'id="step-form"' in html and 'name="confirm"' in html
    # Read-only for the company.
    login(client, cast.company_staff)
    html = client.get(url("project", cast, lift.pk)).content.decode()
    assert 'id="step-form"' not in html and 'id="document-form"' in html


def test_detail_queries_constant(client, cast, lift, django_assert_max_num_queries):
    login(client, cast.committee)
    client.get(url("project", cast, lift.pk))
    connection.queries_log.clear()  # a full log would make the count 0
    with django_assert_max_num_queries(30) as first:
        client.get(url("project", cast, lift.pk))
    baseline = len(first)
    assert baseline > 0
    for n in range(3):
        client.post(
            url("document-new", cast, lift.pk),
            {
                "kind": "invoice",
                "title": f"发票{n}",
                "file": SimpleUploadedFile("a.pdf", b"%PDF-1.4"),
            },
        )
    Unit.objects.filter(building__number="16").update(
        floor_area=None, area_source=AreaSource.UNKNOWN
    )
    connection.queries_log.clear()  # a full log would make the count 0
    with django_assert_max_num_queries(baseline):
        client.get(url("project", cast, lift.pk))


def test_step_needs_confirmation_and_records(client, cast, lift):
    item = passed_item(cast)
    login(client, cast.committee)
    data = {"to_status": "approved", "on": "2021-10-25", "basis_item": str(item.pk)}
    response = client.post(url("project-step", cast, lift.pk), data, follow=True)
    assert "请勾选确认" in response.content.decode()
    assert Project.objects.get(pk=lift.pk).status == "proposed"
    client.post(url("project-step", cast, lift.pk), {**data, "confirm": "1"})
    project = Project.objects.get(pk=lift.pk)
    assert project.status == "approved" and project.approved_on == dt.date(2021, 10, 25)
    # A wrong step is refused with a message.
    response = client.post(
        url("project-step", cast, lift.pk),
        {"to_status": "contracted", "confirm": "1", "contract_sum": "5"},
        follow=True,
    )
    assert "签约须填写施工单位" in response.content.decode()
    assert Project.objects.get(pk=lift.pk).status == "approved"


def test_document_upload_page(client, cast, lift):
    login(client, cast.company_staff)
    response = client.post(
        url("document-new", cast, lift.pk),
        {"kind": "contract", "title": "合同", "file": SimpleUploadedFile("x.pdf", b"MZ\x90")},
        follow=True,
    )
    assert "只接受 PDF" in response.content.decode()
    assert not ProjectDocument.objects.exists()
    client.post(
        url("document-new", cast, lift.pk),
        {"kind": "contract", "title": "合同", "file": SimpleUploadedFile("x.png", b"%PDF-1.4")},
    )
    document = ProjectDocument.objects.get()
    response = client.get(url("document-file", cast, lift.pk, document.pk))
    assert response["Content-Type"] == "application/pdf"
    login(client, cast.resident)
    assert client.get(url("document-file", cast, lift.pk, document.pk)).status_code == 404


def test_funding_form(client, cast, lift):
    login(client, cast.committee)
    page = client.get(url("project-funding", cast, lift.pk))
    assert page.status_code == 200 and "海淀区政府补贴" in page.content.decode()
    response = client.post(
        url("project-funding", cast, lift.pk),
        {
            "budget": "1800000.00",
            "kind1": "government",
            "payer1": "区政府",
            "amount1": "1000000.00",
            "kind2": "owners",
            "amount2": "700000.00",
        },
    )
    assert response.status_code == 400
    assert "不等于预算" in response.content.decode()
    assert Project.objects.get(pk=lift.pk).funding.count() == 3
    response = client.post(
        url("project-funding", cast, lift.pk),
        {
            "budget": "1800000.00",
            "kind1": "government",
            "payer1": "区政府",
            "amount1": "1100000.00",
            "kind2": "owners",
            "amount2": "700000.00",
        },
    )
    assert response.status_code == 302
    assert sum(c.share for c in lift.contributions.all()) == Decimal("700000.00")


def test_shares_page_search_and_export(client, cast, lift, django_assert_max_num_queries):
    login(client, cast.committee)
    response = client.get(url("project-shares", cast, lift.pk))
    assert response.status_code == 200
    assert response.context["list"].count == 216
    found = client.get(url("project-shares", cast, lift.pk), {"q": "17号楼 1-0101"})
    assert [c.unit.label for c in found.context["list"].rows] == ["17号楼 1-0101"]
    connection.queries_log.clear()  # a full log would make the count 0
    with django_assert_max_num_queries(12):
        client.get(url("project-shares", cast, lift.pk), {"page": 3})
    export = client.get(url("project-shares", cast, lift.pk), {"export": "xlsx"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 216
    assert sum(Decimal(str(r[3])) for r in rows) == Decimal("400000.00")
