"""What a fee notice (缴费通知单) carries, and who gets none: read back from the PDFs."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from fees import selectors, services
from fees.models import NoticeStatus
from tests.fees.helpers import enqueue_chunks, home_fees

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def _pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def _url(name, cast, *args):
    return reverse(f"fees:{name}", args=[cast.compound.code, *args])


def _with_account(cast):
    company = cast.compound.service_company
    company.legal_name = "北京测试物业管理有限公司"
    company.bank_account_name = "北京测试物业管理有限公司"
    company.bank_name = "中国工商银行北京学院路支行"
    company.bank_account_number = "0200 0000 0900 0000 032"
    company.save()


def _pay_in_full(cast, unit, key: str) -> None:
    charge = cast.compound.charges.get(unit=unit)
    services.payment_record(
        compound=cast.compound,
        unit=unit,
        amount=charge.owner_due - charge.owner_paid,
        method="cash",
        received_on=dt.date(2022, 3, 1),
        idempotency_key=key,
    )


def test_a_notice_carries_its_number_due_date_payee_account_and_stamp_area(cast, client):
    data = home_fees(cast)
    _with_account(cast)
    client.force_login(cast.company_staff)
    text = _text(client.get(_url("unit-notice", cast, data["unit"].pk)).content)
    charge = cast.compound.charges.get(unit=data["unit"])
    number = f"HOME-202201-{charge.pk:07d}"
    assert f"通知单编号 {number}" in text
    due = timezone.localdate() + dt.timedelta(days=30)  # the 2022 period started long ago
    assert f"请于 {due:%Y-%m-%d} 前缴纳" in text
    for expected in (
        "收款单位 北京测试物业管理有限公司",
        "开户银行 中国工商银行北京学院路支行",
        "账号 0200 0000 0900 0000 032",
        "（盖章处）",
    ):
        assert expected in text, expected
    # The same charge prints the same number again; another household has another.
    again = _text(client.get(_url("unit-notice", cast, data["unit"].pk)).content)
    assert number in again
    numbers = re.findall(r"HOME-202201-\d{7}", _building_text(cast, data["run"]))
    assert len(numbers) == len(set(numbers)) == 3  # building 1: three households


def _building_text(cast, run) -> str:
    services.notices_start(compound=cast.compound, run=run)
    enqueue_chunks(run)
    chunk = run.chunks.get(building__number="1")
    with default_storage.open(chunk.file, "rb") as f:
        return _text(f.read())


def test_the_due_date_of_a_future_period_counts_from_its_start(cast):
    run = home_fees(cast)["run"]
    with override_settings(FEES_NOTICE_DUE_DAYS=15):
        assert selectors.notice_due_date(run, dt.date(2021, 12, 1)) == dt.date(2022, 1, 16)
        assert selectors.notice_due_date(run, dt.date(2022, 3, 1)) == dt.date(2022, 3, 16)


def test_fully_paid_households_get_no_notice_and_the_run_page_counts_them(cast, client):
    data = home_fees(cast)
    run = data["run"]
    paid = cast.compound.units.filter(building__number="1").exclude(pk=data["unit"].pk).first()
    _pay_in_full(cast, paid, "full-1")
    for unit in cast.compound.units.filter(building__number="2"):  # a whole building paid
        _pay_in_full(cast, unit, f"full-{unit.pk}")
    services.notices_start(compound=cast.compound, run=run)
    enqueue_chunks(run)
    run.refresh_from_db()
    assert run.notice_status == NoticeStatus.DONE
    assert run.notices_done == run.notices_total == 6  # every household handled
    first = run.chunks.get(building__number="1")
    second = run.chunks.get(building__number="2")
    assert first.notices == 2 and second.notices == 0 and second.file == ""
    with default_storage.open(first.file, "rb") as f:
        content = f.read()
    text = _text(content)
    assert _pages(content) == 2
    assert f"1号楼 {paid.number}" not in text and "本次应缴合计 0.00" not in text
    client.force_login(cast.company_staff)
    page = client.get(_url("run", cast, run.pk)).content.decode()
    assert "1 户已缴清，不发通知单" in page and "3 户已缴清，不发通知单" in page
    assert _url("building-file", cast, run.pk, "1") in page
    assert _url("building-file", cast, run.pk, "2") not in page
    assert client.get(_url("building-file", cast, run.pk, "2")).status_code == 404


def test_the_single_notice_of_a_paid_household_says_there_is_none(cast, client):
    data = home_fees(cast)
    _pay_in_full(cast, data["unit"], "full-resident")
    client.force_login(cast.resident)
    response = client.get(_url("unit-notice", cast, data["unit"].pk))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "本期物业费已缴清且无欠费，无需缴费通知单" in response.content.decode()
    api = client.get(f"/api/v1/compounds/{cast.compound.code}/units/{data['unit'].pk}/notice/")
    assert api.status_code == 400
    assert "无需缴费通知单" in api.content.decode()


def test_arrears_alone_still_get_a_notice(cast):
    data = home_fees(cast)
    charge = cast.compound.charges.get(unit=data["unit"])
    [notice] = selectors.build_notices(cast.compound, [charge])
    notice.charge.owner_paid = notice.charge.owner_due  # this period paid ...
    notice.arrears = Decimal("12.00")  # ... an older one not
    assert notice.needs_sending and notice.total_due == Decimal("12.00")


def test_a_compound_served_by_no_company_still_gets_its_notices(cast, client):
    """Before a company is hired the payee and the stamp area fall back to the compound's
    name; a missing company must not stop a building's print file."""
    data = home_fees(cast)
    cast.compound.service_company = None
    cast.compound.save()
    text = _building_text(cast, data["run"])
    assert f"收款单位 {cast.compound.name}" in text
    assert "（盖章处）" in text
