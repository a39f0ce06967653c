"""Issue 8.1: a unit with an area but no owner would drop out of the voter roll and shrink
the totals (SPC 8, 9(1)); the import refuses such a row instead."""

import datetime as dt

import pytest

from households.models import PropertyRightUnit
from households.services import roster_import

from .roster_files import csv_bytes, owner_row, xlsx_bytes
from .test_roster_import import register_snapshot

TODAY = dt.date(2024, 6, 1)


def unowned_row(**extra) -> dict:
    """A unit with a registered area and neither an owner nor a property-right unit."""
    values = {"证件号码": "", "业主类型": "", "电话": "", "产权单位": ""} | extra
    return owner_row("1", "909", "", 0, **values)


@pytest.mark.parametrize("make_file", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_a_unit_with_area_and_no_owner_is_refused_and_nothing_is_saved(cast, make_file):
    before = register_snapshot(cast.compound)
    rows = [owner_row("1", "908", "张三", 1), unowned_row()]
    report = roster_import(compound=cast.compound, data=make_file(rows), today=TODAY)
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(3, "业主姓名")]
    assert "业主姓名或产权单位" in report.errors[0].message
    assert register_snapshot(cast.compound) == before


def test_a_unit_held_by_a_property_right_unit_needs_no_owner_name(cast):
    PropertyRightUnit.objects.create(compound=cast.compound, name="北京某研究所")
    rows = [unowned_row(产权单位="北京某研究所", 业主类型="单位")]
    report = roster_import(compound=cast.compound, data=csv_bytes(rows), today=TODAY)
    assert report.ok, report.errors


def test_a_unit_of_unknown_area_may_still_be_listed_without_owner(cast):
    """Not weighed in any vote (its area is unknown, and the tally says it is incomplete),
    so the roster may list it while its ownership is being cleared up."""
    rows = [unowned_row(**{"建筑面积(m²)": "", "面积来源": "未知"})]
    report = roster_import(compound=cast.compound, data=csv_bytes(rows), today=TODAY)
    assert report.ok, report.errors
