"""Roster pages: upload, template, masked export, new buildings; who may use them."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from households.models import Building, Owner, Ownership, Unit
from households.roster import HEADERS

from .roster_files import csv_bytes, make_id, owner_row, xlsx_bytes

URL_NAMES = ["roster_import", "roster_template", "roster_export", "building_add"]


def url(name: str, code: str = "home") -> str:
    return reverse(name, args=[code])


def upload(client, data: bytes, name: str = "roster.xlsx", **extra):
    return client.post(url("roster_import"), {"file": SimpleUploadedFile(name, data), **extra})


def workbook_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def counts() -> tuple[int, int, int]:
    return Unit.objects.count(), Owner.objects.count(), Ownership.objects.count()


# --- upload -------------------------------------------------------------------------------


def test_committee_member_imports_a_file_and_sees_the_summary(cast, client):
    client.force_login(cast.committee)
    rows = [owner_row("1", "101", "张三", 1), owner_row("2", "201", "李四", 2)]
    response = upload(client, xlsx_bytes(rows))
    assert response.status_code == 200
    page = response.content.decode()
    assert "导入完成" in page and 'id="roster-report"' in page
    assert cast.compound.units.filter(number__in=["101", "201"]).count() == 2
    # The same file again: the page says nothing changed.
    again = upload(client, xlsx_bytes(rows)).content.decode()
    assert "文件与名册一致，没有任何改动" in again


def test_street_officer_gets_every_bad_row_and_nothing_is_saved(cast, client):
    client.force_login(cast.officer)
    before = counts()
    rows = [
        owner_row("1", "101", "张三", 1, **{"建筑面积(m²)": "-3"}),
        owner_row("1", "102", "李四", 2),
        owner_row("9", "103", "王五", 3),
        owner_row("1", "104", "赵六", 4, 证件号码="110105198001010010"),
    ]
    response = upload(client, csv_bytes(rows, encoding="gbk"), name="名册.csv")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="roster-errors"' in page
    assert "发现 3 行有错误" in page
    for words in ("面积不能为负数", "未登记的楼号：9", "校验位错误"):
        assert words in page
    assert counts() == before


def test_check_only_writes_nothing(cast, client):
    client.force_login(cast.committee)
    before = counts()
    response = upload(client, xlsx_bytes([owner_row("1", "101", "张三", 1)]), dry_run="1")
    assert response.status_code == 200
    assert "仅检查" in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("roster.pdf", b"%PDF-1.7", "只接受"),
        ("roster.xlsx", b"PK\x03\x04broken", "无法读取该 XLSX"),
    ],
)
def test_unreadable_uploads_are_refused_plainly(cast, client, name, data, words):
    client.force_login(cast.committee)
    response = upload(client, data, name=name)
    assert response.status_code == 400
    assert words in response.content.decode()


def test_oversized_upload_is_refused(cast, client, settings):
    settings.ROSTER_MAX_UPLOAD_BYTES = 100
    client.force_login(cast.committee)
    response = upload(client, xlsx_bytes([owner_row("1", "101", "张三", 1)]))
    assert response.status_code == 400
    assert "文件过大" in response.content.decode()


# --- template and export --------------------------------------------------------------------


def test_template_has_the_columns_two_examples_and_a_guide(cast, client):
    client.force_login(cast.committee)
    response = client.get(url("roster_template"))
    workbook = workbook_of(response)
    sheet, guide = workbook.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert len(rows) == 3
    assert {r[HEADERS.index("房号")] for r in rows[1:]} == {"3-201"}
    assert [r[HEADERS.index("份额")] for r in rows[1:]] == ["0.5", "0.5"]
    assert [r[0] for r in guide.iter_rows(min_row=2, values_only=True)] == list(HEADERS)
    assert "filename*=utf-8''" in response["Content-Disposition"]


def test_template_uploaded_unchanged_is_refused_not_imported(cast, client):
    client.force_login(cast.committee)
    template = client.get(url("roster_template")).content
    before = counts()
    response = upload(client, template)
    assert response.status_code == 400
    assert "未登记的楼号：示例" in response.content.decode()
    assert counts() == before


def test_export_masks_identifiers_and_neutralises_formulas(
    cast, client, django_assert_max_num_queries
):
    owner = Owner.objects.get(compound=cast.compound, name="业主-home-1-1")
    owner.name = '=HYPERLINK("http://evil.example","点我")'
    owner.phone = "+8613912345678"
    owner.save()
    Owner.objects.filter(compound=cast.compound, name="业主-home-1-2").update(name="@SUM(A1)")
    Owner.objects.filter(compound=cast.compound, name="业主-home-1-3").update(name="-1+2")
    client.force_login(cast.officer)
    with django_assert_max_num_queries(8):
        response = client.get(url("roster_export"))
    workbook = workbook_of(response)
    sheet = workbook.active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = [c.value for c in cells]
    assert '\'=HYPERLINK("http://evil.example","点我")' in values
    assert "'@SUM(A1)" in values and "'-1+2" in values
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert len(rows) == 1 + 6  # six units of the home compound, one owner each
    id_column, phone_column = HEADERS.index("证件号码"), HEADERS.index("电话")
    assert {r[id_column] for r in rows[1:]} >= {"110***********0101"}
    assert "'+86*******5678" in {r[phone_column] for r in rows[1:]}
    # No raw identifier anywhere in the file, not even in shared strings.
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))
    raw = Owner.objects.filter(compound=cast.compound).values_list("id_number", "phone")
    for id_number, phone in raw:
        assert id_number not in xml and phone not in xml
    # Nothing from another compound.
    assert "neighbour" not in xml and "业主-far" not in xml


def test_export_lists_co_owners_and_unowned_units(cast, client):
    client.force_login(cast.committee)
    rows = [
        owner_row("1", "101", "张三", 1, 份额="0.5", 共有人代表="是"),
        owner_row("1", "101", "李四", 2, 份额="0.5", 共有人代表="否"),
        owner_row(
            "1", "102", "", 0, 证件号码="", 业主类型="", 电话="",
            **{"建筑面积(m²)": "", "面积来源": "未知"},
        ),
    ]  # fmt: skip
    assert upload(client, xlsx_bytes(rows)).status_code == 200
    exported = list(
        workbook_of(client.get(url("roster_export"))).active.iter_rows(values_only=True)
    )
    mine = [r for r in exported if r[1] in ("101", "102")]
    share, rep, name = HEADERS.index("份额"), HEADERS.index("共有人代表"), HEADERS.index("业主姓名")
    assert [(r[1], r[name], r[share], r[rep]) for r in mine] == [
        ("101", "张三", 0.5, "是"),
        ("101", "李四", 0.5, "否"),
        ("102", None, None, None),
    ]
    assert make_id(1) not in str(exported)


# --- buildings ------------------------------------------------------------------------------


def test_add_building_from_the_roster_page(cast, client):
    client.force_login(cast.committee)
    data = {"number": "16", "kind": "high_rise", "floors": "18", "lifts": "2"}
    response = client.post(url("building_add"), data)
    assert response.status_code == 302
    assert response["Location"].endswith("/roster/#buildings")
    building = cast.compound.buildings.get(number="16")
    assert (building.kind, building.floors, building.lifts) == ("high_rise", 18, 2)
    again = client.post(url("building_add"), data)
    assert again.status_code == 400
    assert "楼号“16”已存在" in again.content.decode()
    assert cast.compound.buildings.filter(number="16").count() == 1


def test_add_building_rejects_bad_input(cast, client):
    client.force_login(cast.officer)
    response = client.post(url("building_add"), {"number": "", "kind": "castle", "floors": "0"})
    assert response.status_code == 400
    assert not cast.compound.buildings.filter(kind="castle").exists()


def test_compound_page_links_the_roster_for_those_who_keep_it(cast, client):
    client.force_login(cast.committee)
    assert url("roster_import") in client.get(reverse("compound", args=["home"])).content.decode()
    client.force_login(cast.company_staff)
    assert (
        url("roster_import") not in client.get(reverse("compound", args=["home"])).content.decode()
    )


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who",
    [
        "outsider_compound",
        "outsider_office",
        "outsider_resident",
        "resident",
        "company_staff",
        "property_unit_rep",
    ],
)
@pytest.mark.parametrize("name", URL_NAMES)
def test_everyone_else_gets_404_and_changes_nothing(cast, client, who, name):
    client.force_login(getattr(cast, who))
    before = counts(), Building.objects.count()
    assert client.get(url(name)).status_code == 404
    post = {
        "file": SimpleUploadedFile("r.xlsx", xlsx_bytes([owner_row("1", "101", "张三", 1)])),
        "number": "99",
        "kind": "low_rise",
        "floors": "6",
        "lifts": "0",
    }
    assert client.post(url(name), post).status_code == 404
    assert (counts(), Building.objects.count()) == before


def test_anonymous_is_sent_to_login(cast, client):
    for name in URL_NAMES:
        response = client.get(url(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
