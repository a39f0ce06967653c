"""The demo: the case's standards, 2022 billed, collection a little above 80%."""

from decimal import Decimal

from fees import demo, selectors
from fees.models import Charge, ChargeSubsidyLine, FeeStandard, Payment
from fees.models import FenSum as Sum


def test_demo_fees_show_2022_above_80_percent_and_are_idempotent(demo_result, client):
    compound = demo_result.compound
    standards = {s.building_kind: s for s in FeeStandard.objects.filter(compound=compound)}
    assert (standards["low_rise"].appraised_rate, standards["low_rise"].charged_rate) == (
        Decimal("1.78"),
        Decimal("1.00"),
    )
    assert standards["high_rise"].subsidy_rate == Decimal("0.78")
    assert [s.share for s in standards["high_rise"].shares.all()] == [Decimal(50), Decimal(50)]
    report = selectors.collection_report(compound, 2022)
    assert report.compound.billed_households == 1412
    assert Decimal("80") < report.compound.rate_households < Decimal("85")
    assert Decimal("80") < report.compound.rate_amount < Decimal("86")
    # The README's figures, unchanged now that the standards carry their 2021 basis.
    assert (report.compound.rate_households, report.compound.rate_amount) == (
        Decimal("82.65"),
        Decimal("84.47"),
    )
    assert {s.basis_item.decision.title for s in standards.values()} == {
        "关于选聘天岳恒物业及执行新物业费标准的业主共同决定"
    }
    assert len(report.over_time) >= 6 and report.over_time[-1].rate == report.compound.rate_amount
    charges = Charge.objects.filter(compound=compound)
    lines = ChargeSubsidyLine.objects.filter(compound=compound).aggregate(s=Sum("amount"))["s"]
    totals = charges.aggregate(a=Sum("appraised_due"), o=Sum("owner_due"))
    assert totals["o"] + lines == totals["a"]
    before = Payment.objects.count()
    demo.seed(compound)
    assert Payment.objects.count() == before and FeeStandard.objects.count() == 3
    page = client.get(f"/public/{compound.code}/fees/").content.decode()
    assert "2.45" in page and "首开集团" in page and "2022年度收支" in page
