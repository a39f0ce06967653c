"""Fee pages: what insiders see, what outsiders cannot, and PDFs/XLSX read back."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from fees.models import FeeStandard, Payment
from portal.models import Role
from tests.factories import make_compound, make_member
from tests.fees.helpers import bill, fee_basis_item, home_fees, home_notices, low_rise_standard

pytestmark = pytest.mark.django_db


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"%PDF")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def url(name, cast, *args):
    return reverse(f"fees:{name}", args=[cast.compound.code, *args])


STAFF_PAGES = [
    ("overview", ()),
    ("standards", ()),
    ("runs", ()),
    ("payments", ()),
    ("arrears", ()),
    ("collection", ()),
    ("subsidies", ()),
    ("subsidy-ending", ()),
]


@pytest.mark.parametrize(("name", "args"), STAFF_PAGES)
def test_staff_pages_render_for_insiders_and_404_for_outsiders(cast, client, name, args):
    home_fees(cast)
    client.force_login(cast.committee)
    assert client.get(url(name, cast, *args)).status_code == 200
    for outsider in cast.outsiders.values():
        client.force_login(outsider)
        assert client.get(url(name, cast, *args)).status_code == 404
        assert client.post(url(name, cast, *args), {}).status_code == 404
    client.force_login(cast.resident)
    assert client.get(url(name, cast, *args)).status_code == 404


def test_run_pages_show_buildings_charges_and_blocked_units(cast, client):
    data = home_fees(cast)
    client.force_login(cast.company_staff)
    page = client.get(url("run", cast, data["run"].pk)).content.decode()
    assert "1号楼" in page and "2,178.00" in page  # grouped by three
    page = client.get(url("run-building", cast, data["run"].pk, "1")).content.decode()
    assert "283.14" in page and "0101" in page


def test_officer_creates_a_standard_and_company_staff_cannot(cast, client):
    form = {
        "building_kind": "high_rise",
        "appraised_rate": "2.45",
        "charged_rate": "1.67",
        "valid_from": "2022-01",
        "valid_to": "2024-12-31",
        "payer1": "北太平庄街道",
        "share1": "50",
        "payer2": "首开集团",
        "share2": "40",
        "non_residential_mode": "same",
    }
    client.force_login(cast.officer)
    response = client.post(url("standards", cast), form)
    assert response.status_code == 200
    assert "补贴方份额合计须为100%（现为90.00%）" in response.content.decode()
    assert not FeeStandard.objects.exists()
    form["share2"] = "50"
    form["basis_item_id"] = fee_basis_item(cast.compound).pk
    assert client.post(url("standards", cast), form).status_code == 302
    assert FeeStandard.objects.get().charged_rate == Decimal("1.67")
    client.force_login(cast.company_staff)
    assert client.post(url("standards", cast), form).status_code == 404


def test_run_create_page_reports_specific_errors(cast, client):
    low_rise_standard(cast.compound)
    client.force_login(cast.company_staff)
    response = client.post(url("runs", cast), {"period_start": "2099-01", "months": "12"})
    assert "最多提前12个月" in response.content.decode()
    response = client.post(url("runs", cast), {"period_start": "2022-01", "months": "12"})
    assert response.status_code == 302


def test_payment_form_records_once_even_when_submitted_twice(cast, client):
    home_fees(cast)
    client.force_login(cast.company_staff)
    form = {
        "idempotency_key": "form-key-1",
        "building": "1",
        "unit_number": "0201",
        "amount": "726.00",
        "method": "alipay",
        "reference": "ali-9",
        "received_on": "2022-04-01",
    }
    assert client.post(url("payments", cast), form).status_code == 302
    assert client.post(url("payments", cast), form).status_code == 302
    assert Payment.objects.filter(idempotency_key="form-key-1").count() == 1
    form["amount"] = "1.00"
    response = client.post(url("payments", cast), form)
    assert "已用于另一笔内容不同的收款" in response.content.decode()
    form.update(idempotency_key="form-key-2", amount="9999")
    response = client.post(url("payments", cast), form)
    assert "如确为预缴" in response.content.decode()
    client.force_login(cast.committee)  # may look, may not take money
    assert client.post(url("payments", cast), form).status_code == 404


def test_unit_notice_pdf_reads_back_with_the_figures(cast, client):
    data = home_fees(cast)
    client.force_login(cast.resident)
    text = pdf_text(client.get(url("unit-notice", cast, data["unit"].pk)))
    for expected in (
        "物业服务费缴费通知单",
        "1号楼 0101",
        "110***********0101",
        "60.50 m²",
        "1.78",
        "1.00",
        "1292.28",
        "北太平庄街道（50%） 283.14",
        "首开集团（50%） 283.14",
        "726.00",
        "626.00",  # due after the 100.00 paid
        "扫码查看我的物业费",
    ):
        assert expected in text, expected
    assert "110101198001010101" not in text  # the raw ID number never
    # Another household's notice is not the resident's to read.
    other = cast.compound.units.exclude(pk=data["unit"].pk).first()
    assert client.get(url("unit-notice", cast, other.pk)).status_code == 404


def test_receipt_demand_letter_and_statement_read_back(cast, client):
    data = home_fees(cast)
    client.force_login(cast.company_staff)
    receipt = pdf_text(client.get(url("receipt", cast, data["payment"].pk)))
    assert "物业服务费收据" in receipt and "100.00" in receipt and "现金" in receipt
    letter = pdf_text(client.get(url("demand-letter", cast, data["demand"].pk)))
    assert "书面催告函" in letter and "726.00" in letter and "第九百四十四条" in letter
    for word in ("停水", "停电", "停暖", "停气"):
        assert word not in letter
    payer = data["payer"]
    statement = pdf_text(client.get(url("reconciliation-pdf", cast, data["run"].pk, payer.pk)))
    # 6 units × 283.14 = 1698.84 for each of the two payers; 6 × 60.50 = 363.00 m².
    assert payer.name in statement and "1698.84" in statement and "363.00" in statement
    xlsx = client.get(url("reconciliation-xlsx", cast, data["run"].pk, payer.pk))
    book = load_workbook(io.BytesIO(xlsx.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[-1][-1] == 1698.84 and len(rows) == 8  # header, 6 units, total


def test_the_resident_sees_only_their_own_receipts(cast, client):
    data = home_fees(cast)
    other = cast.compound.units.exclude(pk=data["unit"].pk).order_by("id").last()
    from fees import services

    theirs = services.payment_record(
        compound=cast.compound,
        unit=other,
        amount=Decimal("10.00"),
        method="cash",
        received_on=dt.date(2022, 3, 1),
        idempotency_key="other",
    )
    client.force_login(cast.resident)
    assert client.get(url("receipt", cast, data["payment"].pk)).status_code == 200
    assert client.get(url("receipt", cast, theirs.pk)).status_code == 404


def test_building_print_files_hold_each_notice_once(cast, client):
    data = home_notices(cast)
    run = data["run"]
    assert run.notice_status == "done" and run.notices_done == run.notices_total == 6
    client.force_login(cast.company_staff)
    text = pdf_text(client.get(url("building-file", cast, run.pk, "1")))
    assert [text.count(f"1号楼 0{n}01") for n in (1, 2, 3)] == [1, 1, 1]
    assert "2号楼" not in text


def test_collection_page_chart_and_xlsx(cast, client):
    home_fees(cast)
    client.force_login(cast.officer)
    page = client.get(url("collection", cast) + "?year=2022").content.decode()
    assert "<svg" in page and "2.30%" in page  # 100.00 of 4356.00
    xlsx = client.get(url("collection-xlsx", cast) + "?year=2022")
    book = load_workbook(io.BytesIO(xlsx.content))
    first = list(book.worksheets[0].iter_rows(values_only=True))[1]
    assert first[1:3] == (6, 0) and first[4] == 4356 and first[5] == 100


def _count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_resident_page_queries_do_not_grow_with_rows(cast, client):
    home_fees(cast)
    client.force_login(cast.resident)
    small = _count_queries(client, url("my", cast))
    # More units, runs and payments for the same resident.
    from households.models import Owner, Ownership

    owner = Owner.objects.get(user=cast.resident)
    for unit in cast.compound.units.exclude(ownerships__owner=owner)[:4]:
        Ownership.objects.create(
            compound=cast.compound, unit=unit, owner=owner, valid_from=dt.date(2020, 1, 1)
        )
    FeeStandard.objects.filter(compound=cast.compound).update(valid_to=None)
    bill(cast.compound, start=dt.date(2023, 1, 1), months=6)
    assert _count_queries(client, url("my", cast)) == small


def test_collection_page_queries_do_not_grow_with_rows(cast, client):
    home_fees(cast)
    client.force_login(cast.officer)
    small = _count_queries(client, url("collection", cast) + "?year=2022")
    big = make_compound(cast.office, "bigger", buildings=5, units_per_building=10)
    low_rise_standard(big)
    bill(big)
    path = reverse("fees:collection", args=["bigger"]) + "?year=2022"
    assert _count_queries(client, path) == small


def test_public_disclosure_has_standards_and_no_personal_data(cast, client):
    home_fees(cast)
    page = client.get(reverse("fees_public:disclosure", args=["home"])).content.decode()
    assert "1.78" in page and "北太平庄街道" in page and "首开集团" in page
    assert "业主-home" not in page and "110" not in page.replace("1.10", "")


def test_street_office_page_warns_six_months_before_the_subsidy_ends(cast, client):
    low_rise_standard(cast.compound, valid_to=dt.date.today() + dt.timedelta(days=90))
    client.force_login(cast.officer)
    page = client.get(reverse("street_office", args=[cast.office.code])).content.decode()
    assert "补贴即将到期" in page and "107.69" in page
    far = make_member("far-officer", Role.STREET_OFFICER, street_office=cast.other_office)
    client.force_login(far)
    page = client.get(reverse("street_office", args=[cast.other_office.code])).content.decode()
    assert "补贴即将到期" not in page


def test_notice_generation_from_the_run_page(cast, client, django_capture_on_commit_callbacks):
    data = home_fees(cast)
    run = data["run"]
    client.force_login(cast.committee)  # may look, may not start the print job
    assert client.post(url("run-notices", cast, run.pk)).status_code == 404
    client.force_login(cast.company_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("run-notices", cast, run.pk))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.notices_done == run.notices_total == 6 and run.notice_status == "done"
    page = client.get(url("run", cast, run.pk)).content.decode()
    assert url("building-file", cast, run.pk, "1") in page


def test_reminder_ladder_page_records_steps_in_order(cast, client):
    data = home_fees(cast)
    other = cast.compound.units.exclude(pk__in=[data["unit"].pk, data["debtor"].pk]).first()
    client.force_login(cast.company_staff)
    page = url("unit-reminders", cast, other.pk)
    response = client.post(page, {"kind": "written_demand"})
    assert "须先发出催缴提醒" in response.content.decode()
    assert client.post(page, {"kind": "reminder"}).status_code == 302
    listing = client.get(url("arrears", cast)).content.decode()
    assert "催缴提醒" in listing and "726.00" in listing
    client.force_login(cast.officer)  # the street office watches, the company acts
    assert client.post(page, {"kind": "reminder"}).status_code == 404
