"""Receipt refunds (退款): the service's checks, idempotency (a replay, a 409 for a key
reused), the cap of a receipt's refunds under its lock, the contribution's ``paid`` and
every progress figure net of refunds; the refund API and the receipt page; the receipts
list's filters and its XLSX export (inline and in the background). Constant query counts.
"""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from portal.models import AuditEntry, ExportFile, ExportState
from tests.works.lift_project import make_lift_project
from works import receipt_selectors, selectors
from works.models import Contribution, FundingKind, Receipt, ReceiptRefund
from works.services.receipts import RefundKeyConflict, receipt_record, receipt_refund

pytestmark = pytest.mark.django_db

DAY = dt.date(2022, 3, 1)


@pytest.fixture
def project(cast):
    return make_lift_project(cast.compound)


def _units(cast):
    return list(
        cast.compound.units.select_related("building").order_by("building__number", "number")
    )


def _receipt(cast, project, *, unit=None, amount="100.00", key="r-1", line="owners", **kw):
    line_row = project.funding.get(kind=line)
    if line == FundingKind.OWNERS and unit is None:
        unit = _units(cast)[0]
    return receipt_record(
        compound=cast.compound,
        project=project,
        line=line_row,
        unit=unit if line == FundingKind.OWNERS else None,
        amount=amount,
        received_on=DAY,
        idempotency_key=key,
        actor=cast.company_staff,
        **kw,
    )


def _refund(cast, project, receipt, **kw):
    values = {
        "compound": cast.compound,
        "project": project,
        "receipt": receipt,
        "amount": "30.00",
        "refunded_on": DAY + dt.timedelta(days=5),
        "reason": "多缴退回",
        "idempotency_key": "f-1",
        "actor": cast.committee,
    }
    values.update(kw)
    return receipt_refund(**values)


# ---------------------------------------------------------------- the service


def test_refund_lowers_paid_and_every_progress_figure(cast, project):
    receipt = _receipt(cast, project)
    government = _receipt(cast, project, line="government", amount="3000.00", key="g")
    refund = _refund(cast, project, receipt)
    _refund(cast, project, government, amount="500.00", idempotency_key="f-g")
    assert not refund.was_replayed
    assert Contribution.objects.get(pk=receipt.contribution_id).paid == Decimal("70.00")
    progress = receipt_selectors.project_progress(cast.compound, project)
    by_kind = {line.kind: line for line in progress.lines}
    assert by_kind["owners"].raised == Decimal("70.00")
    assert by_kind["government"].raised == Decimal("2500.00")
    assert by_kind["government"].refunded == Decimal("500.00")
    assert progress.raised == Decimal("2570.00") and progress.refunded == Decimal("530.00")
    # The funding plan's checks and the funding API read the same figures.
    assert selectors.raised_by_line(project) == {
        by_kind["owners"].line_id: Decimal("70.00"),
        by_kind["government"].line_id: Decimal("2500.00"),
    }
    entry = AuditEntry.objects.filter(action="works.receipt_refund", object_id=str(refund.pk))
    assert entry.get().data["reason"] == "多缴退回"


def test_a_line_refunded_takes_money_again_up_to_its_target(cast, project):
    government = _receipt(cast, project, line="government", amount="3000.00", key="g")
    with pytest.raises(ValidationError):
        _receipt(cast, project, line="government", amount="0.01", key="g2")
    _refund(cast, project, government, amount="200.00")
    _receipt(cast, project, line="government", amount="200.00", key="g3")
    with pytest.raises(ValidationError) as exc:
        _receipt(cast, project, line="government", amount="0.01", key="g4")
    assert "0.00" in exc.value.message_dict["amount"][0]


def test_same_key_replays_and_another_request_under_it_conflicts(cast, project):
    receipt = _receipt(cast, project)
    first = _refund(cast, project, receipt)
    again = _refund(cast, project, receipt)
    assert again.pk == first.pk and again.was_replayed
    with pytest.raises(RefundKeyConflict) as exc:
        _refund(cast, project, receipt, amount="31.00")
    assert "f-1" in exc.value.message_dict["idempotency_key"][0]
    assert ReceiptRefund.objects.count() == 1
    assert Contribution.objects.get(pk=receipt.contribution_id).paid == Decimal("70.00")


def test_refunds_never_exceed_the_receipt(cast, project):
    receipt = _receipt(cast, project)
    _refund(cast, project, receipt, amount="60.00")
    with pytest.raises(ValidationError) as exc:
        _refund(cast, project, receipt, amount="40.01", idempotency_key="f-2")
    assert "40.00" in exc.value.message_dict["amount"][0]
    _refund(cast, project, receipt, amount="40.00", idempotency_key="f-3")
    assert Contribution.objects.get(pk=receipt.contribution_id).paid == Decimal("0.00")
    with pytest.raises(ValidationError):
        _refund(cast, project, receipt, amount="0.01", idempotency_key="f-4")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("amount", "-5", "amount"),
        ("amount", "0", "amount"),
        ("amount", "100.01", "amount"),
        ("amount", "1.001", "amount"),
        ("refunded_on", timezone.localdate() + dt.timedelta(days=1), "refunded_on"),
        ("refunded_on", DAY - dt.timedelta(days=1), "refunded_on"),
        ("reason", "  ", "reason"),
        ("reason", "x" * 201, "reason"),
        ("idempotency_key", "", "idempotency_key"),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(cast, project, field, value, error):
    receipt = _receipt(cast, project)
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        _refund(cast, project, receipt, **{field: value})
    assert error in exc.value.message_dict
    assert not ReceiptRefund.objects.exists()
    assert Contribution.objects.get(pk=receipt.contribution_id).paid == Decimal("100.00")
    assert AuditEntry.objects.count() == audits


def test_another_projects_receipt_and_a_settled_project_are_refused(cast, project):
    receipt = _receipt(cast, project)
    other = make_lift_project(cast.compound, title="另一工程")
    with pytest.raises(ValidationError) as exc:
        _refund(cast, other, receipt)
    assert "receipt" in exc.value.message_dict
    project.status = "settled"
    with pytest.raises(ValidationError) as exc:
        _refund(cast, project, receipt)
    assert "project" in exc.value.message_dict
    assert not ReceiptRefund.objects.exists()


# ---------------------------------------------------------------- API


def _refunds_api(cast, project, receipt):
    return reverse("api-works-receipt-refunds", args=[cast.compound.code, project.pk, receipt.pk])


def test_api_refund_replay_conflict_and_refusals(client, cast, project):
    receipt = _receipt(cast, project)
    client.force_login(cast.committee)
    url = _refunds_api(cast, project, receipt)
    body = {
        "amount": "25.00",
        "refunded_on": "2022-03-05",
        "reason": "重复缴纳",
        "idempotency_key": "a1",
    }
    created = client.post(url, body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["amount"] == "25.00" and created.json()["reason"] == "重复缴纳"
    replay = client.post(url, body, content_type="application/json")
    assert replay.status_code == 200 and replay.json()["id"] == created.json()["id"]
    conflict = client.post(url, {**body, "amount": "26.00"}, content_type="application/json")
    assert conflict.status_code == 409 and "idempotency_key" in conflict.json()
    over = client.post(
        url, {**body, "amount": "75.01", "idempotency_key": "a2"}, content_type="application/json"
    )
    assert over.status_code == 400 and "75.00" in over.json()["amount"][0]
    no_reason = client.post(
        url, {**body, "reason": "", "idempotency_key": "a3"}, content_type="application/json"
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert [r["amount"] for r in client.get(url).json()] == ["25.00"]
    listed = client.get(reverse("api-works-receipts", args=[cast.compound.code, project.pk]))
    row = listed.json()["results"][0]
    assert (row["refunded"], row["refundable"]) == ("25.00", "75.00")
    funding = client.get(reverse("api-works-funding", args=[cast.compound.code, project.pk]))
    owners = next(line for line in funding.json() if line["kind"] == "owners")
    assert Decimal(owners["raised"]) == Decimal("75.00")


def test_api_refunds_scoping(client, cast, project):
    receipt = _receipt(cast, project)
    url = _refunds_api(cast, project, receipt)
    body = {"amount": "1.00", "refunded_on": "2022-03-05", "reason": "x", "idempotency_key": "s"}
    for user in (cast.outsider_compound, cast.outsider_office, cast.resident):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, body, content_type="application/json").status_code == 404
    client.force_login(cast.officer)  # reads, does not refund
    assert client.get(url).status_code == 200
    assert client.post(url, body, content_type="application/json").status_code == 404
    # A receipt of another project under this project's address is absent.
    other = make_lift_project(cast.compound, title="另一工程")
    client.force_login(cast.committee)
    assert client.get(_refunds_api(cast, other, receipt)).status_code == 404
    assert not ReceiptRefund.objects.exists()


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_receipts_api_and_pages_cost_the_same_for_more_receipts(client, cast, project):
    client.force_login(cast.committee)
    api = reverse("api-works-receipts", args=[cast.compound.code, project.pk])
    page = reverse("works:receipts", args=[cast.compound.code, project.pk])
    first = _receipt(cast, project)
    _refund(cast, project, first)
    detail = reverse("works:receipt", args=[cast.compound.code, project.pk, first.pk])
    client.get(page)  # warm the session
    before = (_count(client, api), _count(client, page), _count(client, detail))
    for index, unit in enumerate(_units(cast)[1:5]):
        receipt = _receipt(cast, project, unit=unit, amount="10.00", key=f"m{index}")
        _refund(cast, project, receipt, amount="1.00", idempotency_key=f"mf{index}")
        _refund(cast, project, first, amount="1.00", idempotency_key=f"ff{index}")
    after = (_count(client, api), _count(client, page), _count(client, detail))
    assert after == before
    assert before[1] <= 14


# ---------------------------------------------------------------- the receipt page


def test_receipt_page_refunds_and_refuses_bad_input(client, cast, project):
    receipt = _receipt(cast, project)
    client.force_login(cast.company_staff)
    url = reverse("works:receipt", args=[cast.compound.code, project.pk, receipt.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'id="refund-form"' in page.content.decode()
    good = {
        "amount": "40.00",
        "refunded_on": "2022-03-06",
        "reason": "业主申请退回",
        "idempotency_key": "p1",
    }
    bad = [
        {"amount": "-1"},
        {"amount": "0"},
        {"amount": "100.01"},
        {"refunded_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()},
        {"reason": ""},
    ]
    for index, change in enumerate(bad):
        response = client.post(url, {**good, "idempotency_key": f"b{index}", **change})
        assert response.status_code == 400, change
        assert 'class="errorlist' in response.content.decode()
    assert not ReceiptRefund.objects.exists()
    assert Contribution.objects.get(pk=receipt.contribution_id).paid == Decimal("100.00")
    assert client.post(url, good).status_code == 302
    html = client.get(url).content.decode()
    assert "业主申请退回" in html and "60.00" in html  # what is left to refund
    listing = client.get(reverse("works:receipts", args=[cast.compound.code, project.pk]))
    assert "40.00" in listing.content.decode()
    # The street office reads the receipt, with no form, and may not post.
    client.force_login(cast.officer)
    assert 'id="refund-form"' not in client.get(url).content.decode()
    assert client.post(url, {**good, "idempotency_key": "p2"}).status_code == 405
    for user in (cast.resident, cast.outsider_compound, cast.outsider_office):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert ReceiptRefund.objects.count() == 1


# ---------------------------------------------------------------- filters and export


def _sheets(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_filters_and_export_with_refunds(client, cast, project):
    units = _units(cast)
    early = _receipt(cast, project, unit=units[0], key="e", method="cash", reference="=1+1")
    _receipt(cast, project, unit=units[3], key="l", amount="50.00")
    Receipt.objects.filter(pk=early.pk).update(received_on=dt.date(2021, 12, 1))
    _receipt(cast, project, line="government", amount="3000.00", key="g")
    _refund(cast, project, early, refunded_on=DAY, reason="多缴退回")
    client.force_login(cast.committee)
    url = reverse("works:receipts", args=[cast.compound.code, project.pk])
    owners = project.funding.get(kind="owners")
    listed = client.get(url, {"line": owners.pk, "from": "2022-01-01"})
    assert listed.status_code == 200
    assert len(listed.context["list"].rows) == 1
    assert client.get(url, {"from": "2022-13-01"}).status_code == 400
    assert client.get(url, {"from": "2022-03-02", "to": "2022-03-01"}).status_code == 400
    sheets = _sheets(client.get(url, {"export": "xlsx", "building": units[0].building.number}))
    receipts, refunds = sheets["收款"], sheets["退款"]
    assert len(receipts) == 2  # header and building 1's one receipt
    row = dict(zip(receipts[0], receipts[1], strict=True))
    assert row["楼号"] == units[0].building.number and row["房号"] == units[0].number
    assert (row["金额（元）"], row["已退款（元）"], row["净额（元）"]) == (100, 30, 70)
    assert row["交易流水号"] == "'=1+1"  # never a formula
    assert refunds[1][-1] == "多缴退回" and refunds[1][-2] == 30
    flat = repr(sheets)
    assert "业主-" not in flat  # no owner names, as on the page
    everything = _sheets(client.get(url, {"export": "xlsx", "method": "bank"}))
    # Bank receipts only: the cash one and its refund are left out (a header alone).
    assert len(everything["收款"]) == 3 and len(everything["退款"]) == 1
    client.force_login(cast.resident)
    assert client.get(url, {"export": "xlsx"}).status_code == 404


def test_a_long_list_is_exported_in_the_background(
    client, cast, project, settings, django_capture_on_commit_callbacks
):
    for index, unit in enumerate(_units(cast)[:3]):
        receipt = _receipt(cast, project, unit=unit, amount="20.00", key=f"k{index}")
        _refund(cast, project, receipt, amount="5.00", idempotency_key=f"kf{index}")
    client.force_login(cast.company_staff)
    url = reverse("works:receipts", args=[cast.compound.code, project.pk])
    params = {"export": "xlsx", "from": "2022-01-01", "to": "2022-12-31"}
    inline = _sheets(client.get(url, params))
    settings.EXPORT_INLINE_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url, params)
    assert response.status_code == 302
    job = ExportFile.objects.get()
    assert job.list_name == "works.receipts" and job.params["from"] == "2022-01-01"
    job.refresh_from_db()
    assert job.state == ExportState.DONE
    download = client.get(reverse("export_download", args=[cast.compound.code, job.pk]))
    assert _sheets(download) == inline
    assert inline["收款"][0][0] == "收款日期" and len(inline["退款"]) == 4
