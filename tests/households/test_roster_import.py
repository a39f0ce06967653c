"""Roster import into the database: all or nothing, idempotent, history kept."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connections

from households.models import (
    AreaSource,
    Building,
    BuildingKind,
    Owner,
    OwnerKind,
    Ownership,
    PropertyRightUnit,
    Unit,
)
from households.services import building_create, roster_import
from households.services.register import building_sort_key
from portal.models import AuditEntry

from .roster_files import csv_bytes, make_id, owner_row, xlsx_bytes

TODAY = dt.date(2024, 6, 1)
PRU = "北京某研究所"


@pytest.fixture
def home(cast):
    PropertyRightUnit.objects.create(compound=cast.compound, name=PRU)
    return cast.compound


def good_rows() -> list[dict]:
    """Six units: four sole owners (one owning two units), one co-owned, one unsold."""
    return [
        owner_row("1", "101", "张三", 1),
        owner_row("1", "102", "张三", 1, **{"建筑面积(m²)": "80.25", "面积来源": "测绘"}),
        owner_row("1", "103", "李䶮", 2),
        owner_row("2", "201", "王五", 3, 份额="0.6", 共有人代表="是"),
        owner_row("2", "201", "赵六", 4, 份额="0.4", 共有人代表="否"),
        owner_row("2", "202", "", 0, 产权单位=PRU, 证件号码="", 业主类型="", 电话=""),
        owner_row("2", "203", "", 0, 产权单位=PRU, 证件号码="", 业主类型="", 电话=""),
        owner_row("2", "204", "孙七", 5, **{"建筑面积(m²)": "", "面积来源": "未知"}),
    ]


def register_snapshot(compound) -> tuple:
    """Everything an import could touch, as plain values."""
    return (
        sorted(
            compound.units.values_list(
                "id", "building__number", "number", "floor_area", "area_source", "is_residential"
            )
        ),
        sorted(compound.owners.values_list("id", "kind", "name", "id_number", "phone")),
        sorted(
            compound.ownerships.values_list(
                "id", "unit_id", "owner_id", "share", "is_representative", "valid_from", "valid_to"
            )
        ),
    )


def current_owners(compound, building: str, number: str) -> list[tuple]:
    unit = compound.units.get(building__number=building, number=number)
    return sorted(
        unit.ownerships.filter(valid_to__isnull=True).values_list(
            "owner__name", "share", "is_representative"
        )
    )


# --- all or nothing -----------------------------------------------------------------------


def broken_gbk_csv() -> bytes:
    rows = good_rows()
    rows[0]["建筑面积(m²)"] = "-65.5"  # row 2: negative area
    rows[2]["楼号"] = "99"  # row 4: unknown building
    rows[3]["份额"] = "0.5"  # rows 5, 6: shares 0.5 + 0.4
    rows.append(owner_row("1", "101", "张三", 1))  # row 10: duplicate unit
    rows.append(owner_row("1", "105", "周八", 6, 证件号码="110105198001010060"))  # 11: check digit
    rows.append(owner_row("1", "106", "张叁", 1))  # row 12: same ID, other name
    rows.append(owner_row("1", "107", "", 0, 产权单位="无此单位", 证件号码="", 业主类型=""))
    rows.append(owner_row("1", "108", "吴九", 7, 起始日期="2021/02/30"))  # row 14: bad date
    return csv_bytes(rows, encoding="gbk")


def test_broken_gbk_csv_names_every_bad_row_and_saves_nothing(home):
    before = register_snapshot(home)
    audits = AuditEntry.objects.count()
    report = roster_import(compound=home, data=broken_gbk_csv(), today=TODAY)
    assert not report.ok
    assert report.source == "CSV gb18030"
    # Excel's GBK has no '²': the header reads '建筑面积(m?)', and errors name it so.
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "建筑面积(m?)"),
        (4, "楼号"),
        (5, "份额"),
        (6, "份额"),
        (10, "房号"),
        (11, "证件号码"),
        (12, "业主姓名"),
        (13, "产权单位"),
        (14, "起始日期"),
    ]
    assert all(e.message for e in report.errors)
    assert register_snapshot(home) == before
    # The rejection is on record, by counts only.
    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == audits + 1
    assert (entry.action, entry.data) == ("roster.import_rejected", {"rows": 13, "bad_rows": 9})


def test_command_exits_non_zero_listing_every_bad_row(home, tmp_path, capsys, monkeypatch):
    # run_from_argv closes the connections at the end, the test's own included.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = tmp_path / "broken.csv"
    path.write_bytes(broken_gbk_csv())
    before = register_snapshot(home)
    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["manage.py", "import_roster", "home", str(path)]).execute()
    assert exit_.value.code != 0
    err = capsys.readouterr().err
    for row in (2, 4, 5, 6, 10, 11, 12, 13, 14):
        assert f"第{row}行" in err
    assert "未登记的楼号" in err
    assert "110105198001010060" not in err  # ID numbers never printed
    assert register_snapshot(home) == before


def test_command_reports_success(home, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes(good_rows()))
    call_command("import_roster", "home", str(path))
    out = capsys.readouterr().out
    assert "XLSX" in out and "8" in out
    assert home.units.filter(building__number="1", number="101").exists()


def test_command_refuses_unknown_compound_and_missing_file(home, tmp_path):
    with pytest.raises(CommandError, match="no-such"):
        call_command("import_roster", "no-such", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="x.csv"):
        call_command("import_roster", "home", str(tmp_path / "x.csv"))


def test_start_date_before_the_current_owners_start_is_refused(home):
    roster_import(compound=home, data=csv_bytes(good_rows()), today=TODAY)
    before = register_snapshot(home)
    rows = good_rows()
    rows[2] = owner_row("1", "103", "新业主", 8, 起始日期="2019-01-01")
    report = roster_import(compound=home, data=csv_bytes(rows), today=TODAY)
    assert [(e.row, e.column) for e in report.errors] == [(4, "起始日期")]
    assert "2020-05-01" in report.errors[0].message
    assert register_snapshot(home) == before


def test_conflict_with_an_owner_already_registered(home):
    Owner.objects.create(compound=home, name="王登记", id_number=make_id(1))
    report = roster_import(compound=home, data=csv_bytes(good_rows()), today=TODAY)
    assert [(e.row, e.column) for e in report.errors] == [(2, "业主姓名"), (3, "业主姓名")]
    assert "业主冲突" in report.errors[0].message


# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        ("utf-8", "CSV utf-8"),
        ("utf-8-sig", "CSV utf-8-sig"),
        ("gb18030", "CSV gb18030"),
        ("xlsx", "XLSX"),
    ],
)
def test_every_format_imports(home, kind, source):
    data = xlsx_bytes(good_rows()) if kind == "xlsx" else csv_bytes(good_rows(), encoding=kind)
    report = roster_import(compound=home, data=data, today=TODAY)
    assert report.ok, report.errors
    assert report.source == source
    assert (report.rows, report.units_created, report.owners_created) == (8, 7, 6)
    assert (report.ownerships_opened, report.units_not_in_file) == (8, 6)
    assert current_owners(home, "1", "103") == [("李䶮", Decimal("1.0000"), True)]


def test_what_the_import_writes(home):
    roster_import(compound=home, data=csv_bytes(good_rows()), today=TODAY)
    unit = home.units.get(building__number="1", number="102")
    assert (unit.floor_area, unit.area_source) == (Decimal("80.25"), AreaSource.SURVEYED)
    unknown = home.units.get(building__number="2", number="204")
    assert (unknown.floor_area, unknown.area_source) == (None, AreaSource.UNKNOWN)
    # SPC 9: one person with two units is one owner; one holder of unsold units is one owner.
    zhang = home.owners.get(id_number=make_id(1))
    assert zhang.ownerships.count() == 2
    pru_owner = home.owners.get(property_right_unit__name=PRU)
    assert (pru_owner.kind, pru_owner.name, pru_owner.ownerships.count()) == (
        OwnerKind.ORGANISATION,
        PRU,
        2,
    )
    assert current_owners(home, "2", "201") == [
        ("王五", Decimal("0.6000"), True),
        ("赵六", Decimal("0.4000"), False),
    ]
    imported = home.ownerships.filter(unit__number__regex=r"^\d{3}$")
    assert set(imported.values_list("valid_from", flat=True)) == {dt.date(2020, 5, 1)}


def test_audit_entry_holds_counts_only(home):
    roster_import(compound=home, data=csv_bytes(good_rows()), actor=None, today=TODAY)
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == "roster.import"
    assert entry.data["units_created"] == 7
    text = str(entry.data)
    assert "张三" not in text and make_id(1) not in text and "1380013" not in text


def test_dry_run_reports_and_writes_nothing(home):
    before = register_snapshot(home)
    report = roster_import(compound=home, data=csv_bytes(good_rows()), dry_run=True, today=TODAY)
    assert (report.ok, report.dry_run, report.units_created) == (True, True, 7)
    assert register_snapshot(home) == before


# --- idempotent; corrections in place with history ----------------------------------------


def test_importing_the_same_file_twice_changes_nothing(home):
    data = xlsx_bytes(good_rows())
    first = roster_import(compound=home, data=data, today=TODAY)
    assert first.changes > 0
    after_first = register_snapshot(home)
    second = roster_import(compound=home, data=data, today=TODAY + dt.timedelta(days=3))
    assert second.ok
    assert second.changes == 0
    assert (second.units_unchanged, second.units_created, second.units_updated) == (7, 0, 0)
    assert register_snapshot(home) == after_first


def test_dates_left_blank_do_not_make_a_second_import_change_anything(home):
    rows = [{**r, "起始日期": ""} for r in good_rows()]
    roster_import(compound=home, data=csv_bytes(rows), today=TODAY)
    before = register_snapshot(home)
    report = roster_import(compound=home, data=csv_bytes(rows), today=TODAY + dt.timedelta(9))
    assert report.changes == 0
    assert register_snapshot(home) == before


def test_corrected_file_updates_in_place_and_keeps_ownership_history(home):
    roster_import(compound=home, data=csv_bytes(good_rows()), today=TODAY)
    unit_ids = dict(home.units.values_list("number", "id"))
    rows = good_rows()
    rows[0]["建筑面积(m²)"] = "66.00"  # 1-101: area corrected
    rows[2] = owner_row("1", "103", "郑十", 9, 起始日期="2023-03-15")  # 1-103: sold
    rows[3]["共有人代表"] = "否"  # 2-201: representative changes hands
    rows[4]["共有人代表"] = "是"
    rows[1]["电话"] = rows[0]["电话"] = "13911112222"  # 张三's phone
    report = roster_import(compound=home, data=csv_bytes(rows), today=TODAY)
    assert report.ok, report.errors
    assert (report.units_created, report.units_updated, report.units_unchanged) == (0, 1, 6)
    assert (report.owners_created, report.owners_updated) == (1, 1)
    assert (report.ownerships_opened, report.ownerships_closed) == (1, 1)
    assert report.ownerships_updated == 2

    assert dict(home.units.values_list("number", "id")) == unit_ids  # same rows, updated
    assert home.units.get(number="101").floor_area == Decimal("66.00")
    assert home.owners.get(id_number=make_id(1)).phone == "13911112222"
    history = list(
        home.units.get(number="103")
        .ownerships.order_by("valid_from")
        .values_list("owner__name", "valid_from", "valid_to")
    )
    assert history == [
        ("李䶮", dt.date(2020, 5, 1), dt.date(2023, 3, 14)),
        ("郑十", dt.date(2023, 3, 15), None),
    ]
    assert current_owners(home, "2", "201") == [
        ("王五", Decimal("0.6000"), False),
        ("赵六", Decimal("0.4000"), True),
    ]
    # The former owner stays on record, with their closed ownership.
    assert home.owners.filter(name="李䶮").exists()
    # And the corrected file, imported again, changes nothing more.
    assert roster_import(compound=home, data=csv_bytes(rows), today=TODAY).changes == 0


def test_unit_sold_by_the_property_right_unit(home):
    roster_import(compound=home, data=csv_bytes(good_rows()), today=TODAY)
    rows = good_rows()
    rows[5] = owner_row("2", "202", "钱买家", 10, 起始日期="2024-01-02")
    report = roster_import(compound=home, data=csv_bytes(rows), today=TODAY)
    assert (report.ownerships_closed, report.ownerships_opened, report.owners_created) == (1, 1, 1)
    pru_owner = home.owners.get(property_right_unit__name=PRU)
    assert pru_owner.ownerships.filter(valid_to__isnull=True).count() == 1
    assert pru_owner.ownerships.get(valid_to__isnull=False).valid_to == dt.date(2024, 1, 1)


def test_units_not_in_the_file_are_left_alone(home):
    before = sorted(home.ownerships.values_list("id", "valid_to"))
    report = roster_import(compound=home, data=csv_bytes(good_rows()), today=TODAY)
    assert report.units_not_in_file == 6
    existing = sorted(
        home.ownerships.filter(id__in=[i for i, _ in before]).values_list("id", "valid_to")
    )
    assert existing == before


def test_existing_unit_gets_its_owner_replaced(home):
    """A unit created by the factories (owner since 2020-01-01) gets a roster owner."""
    report = roster_import(
        compound=home,
        data=csv_bytes([owner_row("1", "0101", "新主人", 11, 起始日期="2022-07-01")]),
        today=TODAY,
    )
    assert (report.units_updated, report.ownerships_closed, report.ownerships_opened) == (
        1,
        1,
        1,
    )
    unit = home.units.get(building__number="1", number="0101")
    assert list(unit.ownerships.order_by("valid_from").values_list("valid_to", flat=True)) == [
        dt.date(2022, 6, 30),
        None,
    ]


def test_query_count_does_not_grow_with_the_file(home, django_assert_max_num_queries):
    rows = [owner_row("1", f"{n:03d}", f"业主{n}", n) for n in range(1, 301)]
    with django_assert_max_num_queries(30):
        report = roster_import(compound=home, data=xlsx_bytes(rows), today=TODAY)
    assert (report.ok, report.units_created) == (True, 300)


# --- buildings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "key"),
    [
        ("16", 16),
        ("平房一区", 10_001),
        ("平房十区", 10_010),
        ("平房十一区", 10_011),
        ("平房二十二区", 10_022),
        ("平房3区", 10_003),
        ("东区平房", 10_000),
    ],
)
def test_bungalow_areas_named_in_numerals_sort_by_their_number(number, key):
    assert building_sort_key(number) == key


def test_building_create_registers_a_bungalow_area_once(home):
    building = building_create(
        compound=home, number="平房三区", kind=BuildingKind.BUNGALOW, floors=1, lifts=0
    )
    # After the numbered buildings, third among the bungalow areas named in numerals.
    assert building.sort_key == 10_003 > Building.natural_sort_key("25")
    assert AuditEntry.objects.order_by("-id").first().action == "building.create"
    with pytest.raises(ValidationError) as error:
        building_create(
            compound=home, number="平房三区", kind=BuildingKind.BUNGALOW, floors=1, lifts=0
        )
    assert "已存在" in str(error.value)
    with pytest.raises(ValidationError):
        building_create(compound=home, number="", kind="castle", floors=1, lifts=0)
    assert Unit.objects.filter(building=building).count() == 0
    assert Ownership.objects.filter(unit__building=building).count() == 0


def test_a_sale_imported_hands_over_with_exactly_one_owner_on_every_day(home):
    """The import closes the seller's row on the day before the buyer's start (终止日期 is the
    last day owned); on every day around the sale exactly one ownership is in force, so a
    roll frozen on the eve of a hand-over never finds the flat without an owner."""
    roster_import(compound=home, data=csv_bytes(good_rows()), today=TODAY)
    rows = good_rows()
    rows[2] = owner_row("1", "103", "郑十", 9, 起始日期="2023-03-15")
    assert roster_import(compound=home, data=csv_bytes(rows), today=TODAY).ok
    unit = home.units.get(building__number="1", number="103")
    for day, holder in [
        (dt.date(2023, 3, 13), "李䶮"),
        (dt.date(2023, 3, 14), "李䶮"),
        (dt.date(2023, 3, 15), "郑十"),
        (dt.date(2023, 3, 16), "郑十"),
    ]:
        assert [o.owner.name for o in unit.ownerships.current(day)] == [holder], day
