"""Issue 8.10: 楼号 and 房号 are checked in one place (forms, services, imports), and a bad
one left from before cannot break the compound, roster or billing pages."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from households.models import Building, BuildingKind, Unit
from households.services import building_create, roster_import
from households.validators import validate_register_number

from .roster_files import csv_bytes, owner_row

GOOD = ["16", "平房一区", "3-201", "5#", "甲1", "东·2", "3单元(东)", "A座", "二〇一", "0101"]
BAD = ["16/1", "   ", "..", "../etc", "1 2", "a\x00b", "a\nb", "x" * 33, "-", "<b>", "16%2F1"]


@pytest.mark.parametrize("value", GOOD)
def test_what_beijing_addresses_use_is_accepted(value):
    validate_register_number(value)


@pytest.mark.parametrize("value", BAD)
def test_path_breaking_or_absurd_numbers_are_refused(value):
    with pytest.raises(ValidationError):
        validate_register_number(value)


def test_the_service_refuses_a_slash_and_saves_nothing(cast):
    with pytest.raises(ValidationError) as caught:
        building_create(
            compound=cast.compound, number="16/1", kind=BuildingKind.LOW_RISE, floors=6, lifts=0
        )
    assert "只能包含汉字、字母、数字" in str(caught.value.message_dict["number"])
    assert not cast.compound.buildings.filter(number="16/1").exists()


def test_the_service_folds_full_width_forms(cast):
    building = building_create(
        compound=cast.compound, number="１６", kind=BuildingKind.HIGH_RISE, floors=18, lifts=2
    )
    assert building.number == "16"


def test_a_unit_saved_through_full_clean_is_checked_too(cast):
    building = cast.compound.buildings.first()
    unit = Unit(compound=cast.compound, building=building, number="3/201")
    with pytest.raises(ValidationError) as caught:
        unit.full_clean()
    assert "number" in caught.value.message_dict


@pytest.mark.parametrize("number", ["16/1", "..", " "])
def test_the_add_building_form_says_why(cast, client, number):
    client.force_login(cast.committee)
    response = client.post(
        f"/c/{cast.compound.code}/roster/buildings/",
        {"number": number, "kind": "low_rise", "floors": "6", "lifts": "0"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "只能包含汉字、字母、数字" in page or "该字段是必填项" in page
    assert cast.compound.buildings.count() == 2


def test_the_import_names_the_row_and_column_of_a_bad_unit_number(cast):
    rows = [owner_row("1", "3/201", "张三", 1), owner_row("1", "3-202", "李四", 2)]
    report = roster_import(compound=cast.compound, data=csv_bytes(rows), today=dt.date(2024, 6, 1))
    assert [(e.row, e.column) for e in report.errors] == [(2, "房号")]
    assert "只能包含汉字、字母、数字" in report.errors[0].message
    assert not cast.compound.units.filter(number__in=["3/201", "3-202"]).exists()


def test_the_import_folds_full_width_unit_numbers(cast):
    rows = [owner_row("1", "３－２０１", "张三", 1)]
    report = roster_import(compound=cast.compound, data=csv_bytes(rows), today=dt.date(2024, 6, 1))
    assert report.ok, report.errors
    assert cast.compound.units.filter(number="3-201").exists()


def test_an_address_outside_the_alphabet_is_a_404(cast, client):
    client.force_login(cast.committee)
    for number in ["..", "a%20b", "16%2F1", "x" * 40]:
        response = client.get(f"/c/{cast.compound.code}/buildings/{number}/")
        assert response.status_code == 404


def test_a_building_number_with_marks_has_a_working_page(cast, client):
    building_create(
        compound=cast.compound, number="5#", kind=BuildingKind.LOW_RISE, floors=6, lifts=0
    )
    client.force_login(cast.committee)
    building = cast.compound.buildings.get(number="5#")
    assert client.get(building.get_absolute_url()).status_code == 200
    assert client.get(f"/c/{cast.compound.code}/roster/").status_code == 200


def test_legacy_bad_numbers_are_repaired_and_the_pages_work_again(cast, client):
    """Numbers saved before the check (bypassing it, like old data) are rewritten by the
    data migration to the nearest allowed form, kept unique within the compound."""
    building = Building.objects.create(
        compound=cast.compound, number="16/1", kind=BuildingKind.LOW_RISE, floors=6
    )
    Building.objects.create(
        compound=cast.compound, number="16-1", kind=BuildingKind.LOW_RISE, floors=6
    )
    Unit.objects.create(compound=cast.compound, building=building, number="3/201 ")
    Unit.objects.create(compound=cast.compound, building=building, number="..")
    migration = importlib.import_module("households.migrations.0002_register_number_alphabet")
    migration.repair_register_numbers(apps, None)

    numbers = set(cast.compound.buildings.values_list("number", flat=True))
    assert {"16-1", f"16-1-{building.pk}"} <= numbers
    for number in numbers:
        validate_register_number(number)
    building.refresh_from_db()
    units = sorted(building.units.values_list("number", flat=True))
    assert units[0] == "3-201" and units[1].startswith("房屋")
    client.force_login(cast.committee)
    for path in ["", "roster/", f"buildings/{building.number}/"]:
        assert client.get(f"/c/{cast.compound.code}/{path}").status_code == 200
