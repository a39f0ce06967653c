"""The arrears and payments lists (issue 10 item 8): a page at a time, searched by
building, unit or masked owner name, filtered, exported whole as XLSX, hostile parameters
refused plainly, and as many queries for a large compound as for a small one."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fees import selectors, services
from fees.models import ReminderKind
from tests.factories import make_compound
from tests.fees.helpers import bill, low_rise_standard
from tests.portal.helpers import xlsx_rows

pytestmark = pytest.mark.django_db

# 60.50 m² × 1.00 yuan × 6 months = 363.00 per unit and run.
RUN = Decimal("363.00")


def _compound(cast, code: str, buildings: int, units: int):
    """Two runs of 2022 billed; every third unit paid the first run, every third refunded
    part of it; the second unit got a reminder."""
    compound = make_compound(cast.office, code, buildings=buildings, units_per_building=units)
    low_rise_standard(compound)
    bill(compound, months=6)
    bill(compound, start=dt.date(2022, 7, 1), months=6)
    for n, unit in enumerate(compound.units.order_by("id")):
        if n % 3 == 0:
            payment = services.payment_record(
                compound=compound,
                unit=unit,
                amount=RUN,
                method="wechat" if n % 2 else "cash",
                reference="WX1" if n % 2 else "",
                received_on=dt.date(2022, 3, 5),
                idempotency_key=f"p{n}",
            )
            if n % 9 == 0:
                services.refund_record(
                    compound=compound,
                    payment=payment,
                    amount=Decimal("13.00"),
                    method="cash",
                    received_on=dt.date(2023, 2, 1),
                    idempotency_key=f"r{n}",
                )
    second = compound.units.order_by("id")[1]
    services.reminder_step_record(
        compound=compound, unit=second, kind=ReminderKind.REMINDER, note="电话"
    )
    return compound


def _url(name: str, compound, query: str = "") -> str:
    return reverse(f"fees:{name}", args=[compound.code]) + query


def test_arrears_list_pages_searches_filters_and_exports(cast, client):
    compound = _compound(cast, "arl", buildings=3, units=10)
    client.force_login(cast.officer)
    page = client.get(_url("arrears", compound, "?per_page=25"))
    text = page.content.decode()
    assert page.status_code == 200
    # 30 units owe: 20 both runs, 10 the second run (the refunded ones a little more).
    assert "共 30 条，显示第 1–25 条" in text and "第 1 / 2 页" in text
    last = client.get(_url("arrears", compound, "?per_page=25&page=999999999")).content.decode()
    assert "显示第 26–30 条" in last and "已显示最后一页" in last

    in_two = client.get(_url("arrears", compound, "?building=2")).content.decode()
    assert "共 10 条" in in_two and "3号楼" not in in_two.split('id="arrears"')[1]
    one = client.get(_url("arrears", compound, "?q=2号楼 0301")).content.decode()
    assert "共 1 条" in one and "2号楼 0301" in one
    named = client.get(_url("arrears", compound, "?q=业主*")).content.decode()
    assert "共 30 条" in named
    nobody = client.get(_url("arrears", compound, "?q=王*")).content.decode()
    assert "没有符合条件的欠费" in nobody

    big = client.get(_url("arrears", compound, "?amount=500-2000")).content.decode()
    assert "共 20 条" in big  # 726.00 owed
    small = client.get(_url("arrears", compound, "?amount=100-500")).content.decode()
    assert "共 10 条" in small
    assert "共 30 条" in client.get(_url("arrears", compound, "?age=3")).content.decode()
    assert text.count('<span class="badge warn">催缴提醒</span>') == 1

    rows = xlsx_rows(client.get(_url("arrears", compound, "?amount=500-2000&export=xlsx")))
    assert len(rows) == 1 + 20
    assert rows[0][0] == "楼号" and rows[1][:2] == ("1", "0201")
    assert sum(Decimal(str(r[6])) for r in rows[1:]) == 20 * 2 * RUN


def test_arrears_list_totals_match_the_age_report(cast, client):
    compound = _compound(cast, "art", buildings=2, units=4)
    today = dt.date(2023, 3, 1)
    rows, totals = selectors.arrears_by_age(compound, today)
    units = selectors.arrears_units(compound, today)
    assert selectors.arrears_totals(units) == totals
    listed = selectors.arrears_rows(compound, list(units))
    assert [(r.unit_id, r.buckets, r.total) for r in listed] == [
        (r.unit_id, r.buckets, r.total) for r in rows
    ]
    assert [r.unit_label for r in listed] == [r.unit_label for r in rows]


def test_payments_list_pages_searches_filters_and_exports(cast, client):
    compound = _compound(cast, "pyl", buildings=3, units=10)
    client.force_login(cast.officer)
    text = client.get(_url("payments", compound, "?per_page=25")).content.decode()
    # 10 payments and 4 refunds.
    assert "共 14 条，显示第 1–14 条" in text
    refunds = client.get(_url("payments", compound, "?kind=refund")).content.decode()
    assert "共 4 条" in refunds
    assert "共 4 条" in client.get(_url("payments", compound, "?year=2023")).content.decode()
    assert "共 5 条" in client.get(_url("payments", compound, "?method=wechat")).content.decode()
    assert "共 4 条" in client.get(_url("payments", compound, "?amount=lt100")).content.decode()
    one = client.get(_url("payments", compound, "?q=1号楼 0101")).content.decode()
    assert "共 2 条" in one  # the payment and its refund
    rows = xlsx_rows(client.get(_url("payments", compound, "?kind=payment&export=xlsx")))
    assert len(rows) == 1 + 10 and rows[0][0] == "收据号"
    assert {Decimal(str(r[5])) for r in rows[1:]} == {RUN}


@pytest.mark.parametrize("name", ["arrears", "payments"])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?page=-1", "页码须为正整数"),
        ("?page=abc", "页码须为正整数"),
        ("?page=" + "9" * 10_000, "页码须为正整数"),
        ("?per_page=100000", "每页条数须为"),
        ("?q=" + "楼" * 10_000, "搜索词过长"),
        ("?building=" + "x" * 10_000, "值无效"),
        ("?amount=-5", "值无效"),
        ("?export=csv", "导出格式只能是 xlsx"),
    ],
)
def test_hostile_list_parameters_are_refused_plainly(cast, client, name, query, message):
    compound = _compound(cast, "hst", buildings=1, units=2)
    client.force_login(cast.officer)
    response = client.get(_url(name, compound, query))
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("name", ["arrears", "payments"])
def test_outsiders_cannot_page_or_export(cast, client, name):
    compound = _compound(cast, "out", buildings=1, units=2)
    for outsider in cast.outsiders.values():
        client.force_login(outsider)
        assert client.get(_url(name, compound, "?export=xlsx")).status_code == 404
        assert client.get(_url(name, compound, "?q=1号楼")).status_code == 404


def _count(client, path) -> int:
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
        assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "query", ["", "?q=业主*&per_page=25", "?building=1&amount=500-2000", "?export=xlsx"]
)
def test_list_queries_do_not_grow_with_the_compound(cast, client, query):
    small = _compound(cast, "lsmall", buildings=1, units=3)
    large = _compound(cast, "llarge", buildings=4, units=9)
    client.force_login(cast.officer)
    for name in ("arrears", "payments"):
        assert _count(client, _url(name, small, query)) == _count(client, _url(name, large, query))
