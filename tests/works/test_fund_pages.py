"""The maintenance fund's pages and API: who sees what, forms that refuse bad input, the
import page, the statement, and query counts that do not grow with the compound."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from households.models import AreaSource, Unit
from tests.factories import make_cast
from works import fund_views
from works.models import DrawStatus, FundDraw, FundEntry, FundImport, OverdrawRule
from works.services.fund import fund_settings_update
from works.services.fund_draws import fund_draw_publish

from .fund_helpers import (
    PUBLISHED,
    balance_file,
    emergency_case,
    make_fund_project,
    open_balances,
    uneven_areas,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    cast = make_cast()
    uneven_areas(cast.compound)
    open_balances(cast.compound, Decimal("2000.00"))
    return cast


def url(name, cast, *args):
    return reverse(f"works:{name}", args=[cast.compound.code, *args])


@pytest.fixture
def draw(cast):
    project = make_fund_project(cast.compound, title="home 屋面防水")
    return fund_draw_publish(project=project, amount="900.00", published_on=PUBLISHED)


def add_units(compound, n):
    building = compound.buildings.get(number="2")
    Unit.objects.bulk_create(
        Unit(
            compound=compound,
            building=building,
            number=f"9-{i:04d}",
            floor_area=Decimal("50.00"),
            area_source=AreaSource.REGISTERED,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("who", ["committee", "officer", "company_staff"])
def test_fund_readers_see_the_overview(client, cast, draw, who):
    client.force_login(getattr(cast, who))
    page = client.get(url("fund", cast))
    assert page.status_code == 200
    text = page.content.decode()
    assert "12,000.00" in text or "12000.00" in text  # 6 units × 2000
    assert "home 屋面防水" in text
    assert ("fund-credit" in text) == (who != "company_staff")


@pytest.mark.parametrize(
    "who", ["resident", "outsider_compound", "outsider_office", "district_officer"]
)
def test_others_get_404_on_the_overview_and_the_keepers_forms(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(url("fund", cast)).status_code == 404
    assert client.get(url("fund-units", cast)).status_code == 404
    assert client.post(url("fund-credit", cast), {"kind": "top_up"}).status_code == 404


def test_company_staff_reads_but_does_not_write(client, cast):
    client.force_login(cast.company_staff)
    assert client.get(url("fund-units", cast)).status_code == 200
    for name in ("fund-import", "fund-draw-new", "fund-emergency"):
        assert client.get(url(name, cast)).status_code == 404
    response = client.post(
        url("fund-credit", cast), {"kind": "top_up", "target": "1", "amount": "10"}
    )
    assert response.status_code == 404
    assert FundEntry.objects.count() == 6


def test_credit_form_by_building_and_refusals(client, cast):
    client.force_login(cast.committee)
    ok = client.post(
        url("fund-credit", cast), {"kind": "top_up", "target": "2", "amount": "1000.00"}
    )
    assert ok.status_code == 302
    assert FundEntry.objects.filter(kind="top_up").count() == 3
    for bad in ({"amount": "-1", "target": "1"}, {"amount": "1", "target": "99"},
                {"amount": "1.234", "target": "1 0101"}):  # fmt: skip
        response = client.post(url("fund-credit", cast), {"kind": "interest", **bad})
        assert response.status_code == 400
    assert not FundEntry.objects.filter(kind="interest").exists()


def test_resident_sees_own_unit_ledger_and_own_share_only(client, cast, draw):
    client.force_login(cast.resident)
    mine = Unit.objects.get(compound=cast.compound, ownerships__owner__user=cast.resident)
    other = cast.compound.units.exclude(pk=mine.pk).first()
    assert client.get(url("fund-unit", cast, mine.pk)).status_code == 200
    assert client.get(url("fund-unit", cast, other.pk)).status_code == 404
    page = client.get(url("fund-draw", cast, draw.pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert mine.label in text and other.label not in text
    assert "draw-make" not in text


def test_outsider_resident_cannot_see_the_draw(client, cast, draw):
    client.force_login(cast.outsider_resident)
    assert client.get(url("fund-draw", cast, draw.pk)).status_code == 404


def test_publish_and_make_through_the_pages(client, cast):
    project = make_fund_project(cast.compound, buildings=("1", "2"))
    client.force_login(cast.committee)
    refused = client.post(
        url("fund-draw-new", cast), {"project": project.pk, "amount": "-5", "published_on": ""}
    )
    assert refused.status_code == 400 and not FundDraw.objects.exists()
    response = client.post(
        url("fund-draw-new", cast),
        {"project": project.pk, "amount": "6000.00", "published_on": "2023-05-01"},
    )
    assert response.status_code == 302
    draw = FundDraw.objects.get()
    page = client.get(url("fund-draw", cast, draw.pk))
    assert "draw-make" in page.content.decode()
    same_day = client.post(url("fund-draw-make", cast, draw.pk), {"made_on": "2023-05-01"})
    assert same_day.status_code == 400
    made = client.post(url("fund-draw-make", cast, draw.pk), {"made_on": "2023-05-20"})
    assert made.status_code == 302
    draw.refresh_from_db()
    assert draw.status == DrawStatus.MADE
    assert -sum(FundEntry.objects.filter(draw=draw).values_list("amount", flat=True)) == Decimal(
        "6000.00"
    )


def test_refuse_rule_names_the_units_on_the_page(client, cast):
    project = make_fund_project(cast.compound, buildings=("1", "2"))
    client.force_login(cast.committee)
    response = client.post(
        url("fund-draw-new", cast),
        {"project": project.pk, "amount": "20000.00", "published_on": "2023-05-01"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "余额不足" in text and "2号楼 0301" in text


def test_emergency_application_page(client, cast):
    from works.models import ProjectStatus

    project = make_fund_project(cast.compound, status=ProjectStatus.PROPOSED, fund_line=None)
    case = emergency_case("lift-over-age")
    client.force_login(cast.committee)
    form = client.get(url("fund-emergency", cast))
    assert case.title in form.content.decode()
    wrong = client.post(
        url("fund-emergency", cast),
        {
            "project": project.pk,
            "emergency_case": case.pk,
            "amount": "500.00",
            "published_on": "2023-05-01",
            "evidence": SimpleUploadedFile("report.pdf", b"MZ not a pdf"),
        },
    )
    assert wrong.status_code == 400 and "PDF" in wrong.content.decode()
    assert not FundDraw.objects.exists()
    ok = client.post(
        url("fund-emergency", cast),
        {
            "project": project.pk,
            "emergency_case": case.pk,
            "amount": "500.00",
            "published_on": "2023-05-01",
            "evidence": SimpleUploadedFile("report.pdf", b"%PDF-1.4\n%%EOF\n"),
        },
    )
    assert ok.status_code == 302
    assert FundDraw.objects.get().emergency_case == case


def test_import_page_all_or_nothing(client, cast, django_capture_on_commit_callbacks):
    FundEntry.objects.all().delete()  # the fixture's openings
    client.force_login(cast.committee)
    rows = [["1", "0101", "5"], ["1", "0201", "-1"]]
    with django_capture_on_commit_callbacks(execute=True):
        bad = client.post(
            url("fund-import", cast), {"file": SimpleUploadedFile("b.xlsx", balance_file(rows))}
        )
    assert bad.status_code == 302
    job = FundImport.objects.get()
    assert job.status == "failed" and job.errors == [[3, "余额", "余额不能为负数"]]
    assert not job.upload  # the kept file is gone once read
    page = client.get(bad["Location"]).content.decode()
    assert "fund-import-errors" in page and "负数" in page
    assert not FundEntry.objects.exists()
    wrong_type = client.post(
        url("fund-import", cast), {"file": SimpleUploadedFile("b.pdf", b"%PDF-1.4")}
    )
    assert wrong_type.status_code == 400 and "xlsx" in wrong_type.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(
            url("fund-import", cast),
            {"file": SimpleUploadedFile("ok.xlsx", balance_file([["1", "0101", "5.50"]]))},
        )
    page = client.get(ok["Location"]).content.decode()
    assert "fund-import-report" in page
    assert FundEntry.objects.get().amount == Decimal("5.50")
    assert FundEntry.objects.get().fund_import.status == "done"


def test_import_job_shows_progress_while_queued(client, cast):
    client.force_login(cast.committee)
    with_file = client.post(
        url("fund-import", cast),
        {"file": SimpleUploadedFile("ok.xlsx", balance_file([["1", "0101", "5.50"]]))},
    )  # no on_commit: the task is not sent, the job stays queued
    page = client.get(with_file["Location"]).content.decode()
    assert "fund-import-progress" in page and 'http-equiv="refresh"' in page
    client.force_login(cast.company_staff)
    assert client.get(with_file["Location"]).status_code == 404


def test_oversized_upload_is_refused_by_the_form(client, cast, monkeypatch):
    monkeypatch.setattr(fund_views, "MAX_UPLOAD_BYTES", 100)
    client.force_login(cast.committee)
    response = client.post(
        url("fund-import", cast),
        {"file": SimpleUploadedFile("big.xlsx", balance_file([["1", "0101", "5"]]))},
    )
    assert response.status_code == 400 and "过大" in response.content.decode()


def test_template_downloads(client, cast):
    client.force_login(cast.committee)
    response = client.get(url("fund-template", cast))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["楼号", "房号", "余额"]


def test_statement_is_the_ledger_per_unit(client, cast, draw):
    client.force_login(cast.company_staff)
    response = client.get(url("fund-statement", cast) + "?building=1")
    assert response.status_code == 200
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0].values
    )
    assert rows[0][:3] == ("楼号", "房号", "日期")
    assert len(rows) == 1 + 3 and {r[0] for r in rows[1:]} == {"1"}
    assert sum(Decimal(str(r[4])) for r in rows[1:]) == Decimal("6000.00")


def test_pages_run_constant_queries(client, cast, draw, django_assert_max_num_queries):
    client.force_login(cast.committee)
    pages = [url("fund", cast), url("fund-units", cast), url("fund-draw", cast, draw.pk)]
    counts = []
    for page in pages:
        with django_assert_max_num_queries(14) as small:
            assert client.get(page).status_code == 200
        counts.append(len(small.captured_queries))
    add_units(cast.compound, 120)
    FundEntry.objects.bulk_create(
        FundEntry(
            compound=cast.compound,
            unit=unit,
            building_id=unit.building_id,
            kind="opening",
            amount=Decimal("10.00"),
            entry_date=PUBLISHED,
        )
        for unit in cast.compound.units.filter(number__startswith="9-")
    )
    for page, before in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(before) as large:
            assert client.get(page).status_code == 200
        assert len(large.captured_queries) == before


# ------------------------------------------------------------------ API


def api_url(name, cast, *args):
    return reverse(name, args=[cast.compound.code, *args])


@pytest.fixture
def api():
    return APIClient()


def test_api_balances_are_scoped(api, cast, draw):
    api.force_authenticate(cast.committee)
    rows = api.get(api_url("api-works-fund-balances", cast)).json()["results"]
    assert len(rows) == 6 and {r["balance"] for r in rows} == {"2000.00"}
    api.force_authenticate(cast.resident)
    rows = api.get(api_url("api-works-fund-balances", cast)).json()["results"]
    assert [r["label"] for r in rows] == ["1号楼 0101"]
    entries = api.get(api_url("api-works-fund-entries", cast)).json()["results"]
    assert {e["label"] for e in entries} == {"1号楼 0101"}
    draws = api.get(api_url("api-works-fund-draws", cast)).json()["results"]
    assert [d["id"] for d in draws] == [draw.pk]
    for who in ("outsider_compound", "outsider_resident", "outsider_office"):
        api.force_authenticate(getattr(cast, who))
        assert api.get(api_url("api-works-fund-balances", cast)).status_code == 404
        assert api.get(api_url("api-works-fund-entries", cast)).status_code == 404


def test_api_publish_make_and_refusals(api, cast):
    project = make_fund_project(cast.compound)
    other = make_fund_project(cast.other_compound, title="neighbour 工程")
    api.force_authenticate(cast.resident)
    assert api.post(api_url("api-works-fund-draws", cast), {}).status_code == 404
    api.force_authenticate(cast.committee)
    foreign = api.post(
        api_url("api-works-fund-draws", cast), {"project": other.pk, "amount": "10.00"}
    )
    assert foreign.status_code == 400
    negative = api.post(
        api_url("api-works-fund-draws", cast), {"project": project.pk, "amount": "-10.00"}
    )
    assert negative.status_code == 400
    created = api.post(
        api_url("api-works-fund-draws", cast),
        {"project": project.pk, "amount": "300.00", "published_on": "2023-05-01"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    made = api.post(
        api_url("api-works-fund-draw-make", cast, created.json()["id"]),
        {"made_on": "2023-05-02"},
        format="json",
    )
    assert made.status_code == 200 and made.json()["status"] == "made"
    again = api.post(
        api_url("api-works-fund-draw-make", cast, created.json()["id"]), {}, format="json"
    )
    assert again.status_code == 400


def test_api_flag_rule_reports_the_shortfall(api, cast):
    fund_settings_update(compound=cast.compound, overdraw=OverdrawRule.FLAG)
    project = make_fund_project(cast.compound)
    api.force_authenticate(cast.officer)
    created = api.post(
        api_url("api-works-fund-draws", cast),
        {"project": project.pk, "amount": "9000.00", "published_on": "2023-05-01"},
        format="json",
    )
    made = api.post(
        api_url("api-works-fund-draw-make", cast, created.json()["id"]),
        {"made_on": "2023-05-02"},
        format="json",
    )
    assert made.status_code == 200
    assert Decimal(made.json()["shortfall"]) == Decimal("3000.00")


def test_api_credit(api, cast):
    api.force_authenticate(cast.committee)
    response = api.post(
        api_url("api-works-fund-credits", cast),
        {"kind": "interest", "amount": "30.01", "building": "1"},
        format="json",
    )
    assert response.status_code == 201
    assert sum(Decimal(e["amount"]) for e in response.json()) == Decimal("30.01")
    bad = api.post(
        api_url("api-works-fund-credits", cast),
        {"kind": "top_up", "amount": "5", "unit": cast.other_compound.units.first().pk},
        format="json",
    )
    assert bad.status_code == 400


def test_api_schema_lists_the_fund(api, cast):
    api.force_authenticate(cast.committee)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    if schema.status_code == 404:
        pytest.skip("schema served elsewhere")
    assert "/works/fund/balances/" in schema.content.decode()


def test_the_navigation_links_the_fund_for_its_readers_only(client, cast):
    client.force_login(cast.company_staff)
    assert 'id="nav-fund"' in client.get(url("fund-units", cast)).content.decode()
    client.force_login(cast.resident)
    mine = Unit.objects.get(compound=cast.compound, ownerships__owner__user=cast.resident)
    assert 'id="nav-fund"' not in client.get(url("fund-unit", cast, mine.pk)).content.decode()
