"""Issue 8.21: the export "for correcting the roster" round-trips through the import
(unmasked ID numbers and phones), only for those who keep the register, audited and
formula-safe; the masked export stays as it is."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from households.models import PropertyRightUnit
from households.roster import HEADERS
from households.services import roster_import
from portal.models import AuditEntry, Role
from tests.factories import make_compound, make_member

from .roster_files import csv_bytes, make_id, owner_row
from .test_roster_import import PRU, good_rows, register_snapshot

TODAY = dt.date(2024, 6, 1)
FORMULA_NAME = '=HYPERLINK("http://x")'


@pytest.fixture
def imported(cast):
    """A compound whose register came from a roster file (valid IDs, co-owners, a
    property-right unit, a unit of unknown area, a name that looks like a formula)."""
    compound = make_compound(cast.office, "roundtrip", units_per_building=0)
    PropertyRightUnit.objects.create(compound=compound, name=PRU)
    rows = good_rows() + [
        owner_row("1", "104", FORMULA_NAME, 6, 电话="+8613800138000"),
        owner_row("1", "105", "-负号", 7, 起始日期="2001-02-03"),
    ]
    report = roster_import(compound=compound, data=csv_bytes(rows), today=TODAY)
    assert report.ok, report.errors
    keeper = make_member("roundtrip_committee", Role.COMMITTEE_MEMBER, compound=compound)
    return compound, keeper


def full_url(compound) -> str:
    return reverse("roster_export_full", args=[compound.code])


def test_exporting_then_importing_changes_nothing(client, imported):
    compound, keeper = imported
    before = register_snapshot(compound)
    client.force_login(keeper)
    response = client.get(full_url(compound))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    report = roster_import(compound=compound, data=response.content, today=TODAY)
    assert report.ok, report.errors
    assert report.changes == 0, report.counts()
    assert report.units_unchanged == compound.units.count()
    assert register_snapshot(compound) == before


def test_it_holds_raw_identifiers_with_formulas_neutralised(client, imported):
    compound, keeper = imported
    client.force_login(keeper)
    sheet = load_workbook(io.BytesIO(client.get(full_url(compound)).content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(HEADERS)
    name, id_col = HEADERS.index("业主姓名"), HEADERS.index("证件号码")
    by_name = {r[name]: r for r in rows[1:]}
    assert by_name["张三"][id_col] == make_id(1)
    assert "'" + FORMULA_NAME in by_name and "'-负号" in by_name
    assert by_name["'" + FORMULA_NAME][HEADERS.index("电话")] == "'+8613800138000"
    formulas = [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_each_download_is_audited_without_personal_data(client, imported):
    compound, keeper = imported
    client.force_login(keeper)
    client.get(full_url(compound))
    entry = AuditEntry.objects.get(action="roster.export_full")
    assert (entry.compound, entry.actor) == (compound, keeper)
    assert entry.data["units"] == compound.units.count()
    assert make_id(1) not in str(entry.data) and "张三" not in str(entry.data)


def test_the_masked_export_still_masks(client, imported):
    compound, keeper = imported
    client.force_login(keeper)
    response = client.get(reverse("roster_export", args=[compound.code]))
    assert make_id(1) not in str(
        list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    )
    assert not AuditEntry.objects.filter(action="roster.export_full").exists()


@pytest.mark.parametrize("who", ["company_staff", "property_unit_rep", "resident"])
def test_others_of_the_compound_get_404(cast, client, who):
    client.force_login(getattr(cast, who))
    assert client.get(full_url(cast.compound)).status_code == 404
    assert not AuditEntry.objects.filter(action="roster.export_full").exists()


@pytest.mark.parametrize("who", ["committee", "officer"])
def test_the_roster_page_links_it_with_a_warning(cast, client, who):
    client.force_login(getattr(cast, who))
    page = client.get(reverse("roster_import", args=[cast.compound.code])).content.decode()
    assert full_url(cast.compound) in page
    assert "含完整证件号码和电话" in page
    assert client.get(full_url(cast.compound)).status_code == 200
