"""The register's long lists: a building's units, the compound's units and owners
(issue 10 items 1 and 8). Constant queries whatever the size, pages and filters,
masking by role, export read back, refusals."""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from households.masking import mask_name
from households.models import AreaSource, Building, BuildingKind, Owner, Unit
from tests.households.helpers import big_building

pytestmark = pytest.mark.django_db


def queries(client, url: str, **params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, response.content.decode()[:500]
    return len(ctx), response.content.decode()


def units_url(cast) -> str:
    return reverse("register_units", args=[cast.compound.code])


def owners_url(cast) -> str:
    return reverse("register_owners", args=[cast.compound.code])


def test_building_page_queries_do_not_grow_with_the_building(cast, client):
    small = big_building(cast.compound, "108", 108)
    large = big_building(cast.compound, "1250", 1250)
    client.force_login(cast.committee)
    at_108, page_108 = queries(client, small.get_absolute_url())
    at_1250, page_1250 = queries(client, large.get_absolute_url())
    assert at_108 == at_1250
    # A page at a time: 50 of 1,250, grouped by entrance, the last page reachable.
    assert len(re.findall(r'href="/c/home/units/\d+/"', page_1250)) == 50
    assert "共 1,250 条，显示第 1–50 条" in page_1250
    assert "1单元" in page_1250 and "王1250-0" in page_1250
    last_queries, last = queries(client, large.get_absolute_url(), page="999999")
    assert last_queries == at_1250
    assert "第 25 / 25 页" in last and "已显示最后一页" in last
    assert "共 108 条" in page_108


def test_building_units_in_natural_order_and_by_entrance(cast, client):
    building = big_building(cast.compound, "7", 80)  # entrances 1, 2 (36 each) and 3 (8)
    client.force_login(cast.committee)
    _, page = queries(client, building.get_absolute_url(), entrance="2", per_page="50")
    assert "共 36 条" in page
    options = re.findall(r'<option value="(\d+)"( selected)?>(\d+)单元</option>', page)
    assert options == [("1", "", "1"), ("2", " selected", "2"), ("3", "", "3")]
    numbers = [n for n in ("2-101", "2-102", "2-201", "2-901", "2-1001", "2-1802") if n in page]
    assert numbers == ["2-101", "2-102", "2-201", "2-901", "2-1001", "2-1802"]
    assert page.index(">2-901<") < page.index(">2-1001<")
    assert ">1-101<" not in page
    _, searched = queries(client, building.get_absolute_url(), q="3-2")
    assert "共 2 条" in searched  # 3-201 and 3-202
    _, by_name = queries(client, building.get_absolute_url(), q="王7-3")
    assert ">1-202<" in by_name  # owner 3 holds the fourth flat


def test_bungalow_numbers_without_entrances_still_list(cast, client):
    area = Building.objects.create(
        compound=cast.compound, number="平房一区", kind=BuildingKind.BUNGALOW
    )
    for n in ("东12", "东2", "西1"):
        Unit.objects.create(compound=cast.compound, building=area, number=n)
    client.force_login(cast.committee)
    _, page = queries(client, area.get_absolute_url())
    assert page.index(">东2<") < page.index(">东12<")
    assert 'name="entrance"' not in page


def test_units_list_queries_are_constant_and_filters_work(cast, client):
    client.force_login(cast.officer)
    small, page = queries(client, units_url(cast))
    assert "共 6 条" in page and "业主-home-2-3" in page
    big_building(cast.compound, "9", 400)
    large, page = queries(client, units_url(cast))
    assert small == large
    assert "共 406 条，显示第 1–50 条" in page
    _, only_9 = queries(client, units_url(cast), building="9", per_page="200", page="2")
    assert "共 400 条，显示第 201–400 条" in only_9
    # Pages run across buildings in their natural order: 1, 2, then 9 (by entrance, floor).
    _, second = queries(client, units_url(cast), page="2")
    assert "显示第 51–100 条" in second
    assert ">1-1001<" not in second and second.index(">2-1101<") < second.index(">2-1102<")
    _, first = queries(client, units_url(cast))
    assert first.index("业主-home-1-3") < first.index("业主-home-2-1") < first.index("王9-0")
    # 3 + 3 units, then the first 44 of building 9: entrance 1 (36) and 2-101 to 2-402.
    assert ">1-1802<" in first and ">2-402<" in first and ">2-501<" not in first
    assert ">2-501<" in second and ">3-1102<" in second and ">3-1201<" not in second
    _, searched = queries(client, units_url(cast), q="2号楼 0301")
    assert "共 1 条" in searched and "业主-home-2-3" in searched
    _, kind = queries(client, units_url(cast), kind=BuildingKind.HIGH_RISE)
    assert "共 400 条" in kind
    Unit.objects.filter(building__number="1", number="0101").update(
        floor_area=None, area_source=AreaSource.UNKNOWN
    )
    _, unknown = queries(client, units_url(cast), area_source="unknown")
    assert "共 1 条" in unknown and "业主-home-1-1" in unknown


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": "abc"}, "页码须为正整数"),
        ({"page": "-1"}, "页码须为正整数"),
        ({"page": "9" * 10_000}, "页码须为正整数"),
        ({"per_page": "100000"}, "每页条数须为"),
        ({"q": "张" * 10_000}, "搜索词过长"),
        ({"building": "../../etc"}, "筛选条件“楼栋”的值无效"),
        ({"area_source": "x"}, "筛选条件“面积来源”的值无效"),
        ({"export": "pdf"}, "导出格式只能是 xlsx"),
    ],
)
def test_hostile_parameters_get_a_clear_400(cast, client, params, message):
    client.force_login(cast.committee)
    response = client.get(units_url(cast), params)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "业主-home-1-1" in page  # the list still shows, as if the parameter were absent


def test_names_are_masked_for_roles_that_may_not_read_them(cast, client):
    client.force_login(cast.property_unit_rep)
    _, page = queries(client, units_url(cast))
    assert "业主-home-1-1" not in page and mask_name("业主-home-1-1") in page
    # A search cannot reveal more of a name than the mask shows.
    _, probe = queries(client, units_url(cast), q="业主-home-1-1")
    assert "没有符合条件的记录" in probe
    _, prefix = queries(client, units_url(cast), q="业主*")
    assert "共 6 条" in prefix
    _, owners = queries(client, owners_url(cast))
    assert "业主-home-1-1" not in owners and "110***" in owners
    for user in (cast.committee, cast.officer, cast.company_staff):
        client.force_login(user)
        assert "业主-home-1-1" in queries(client, units_url(cast))[1]


@pytest.mark.parametrize("who", ["resident", "outsider_compound", "outsider_office"])
def test_residents_and_outsiders_are_refused(cast, client, who):
    client.force_login(getattr(cast, who))
    for url in (units_url(cast), owners_url(cast), units_url(cast) + "?export=xlsx"):
        assert client.get(url).status_code == 404
    assert client.get(cast.compound.buildings.get(number="1").get_absolute_url()).status_code == (
        404
    )


def test_owners_list_masks_identifiers_and_finds_by_unit(cast, client):
    client.force_login(cast.committee)
    owner = Owner.objects.get(compound=cast.compound, name="业主-home-2-1")
    _, page = queries(client, owners_url(cast))
    assert "共 6 条" in page
    assert owner.masked_id_number in page and owner.id_number not in page
    assert owner.masked_phone in page and owner.phone not in page
    _, by_unit = queries(client, owners_url(cast), q="2号楼 0101")
    assert "共 1 条" in by_unit and "业主-home-2-1" in by_unit
    _, by_building = queries(client, owners_url(cast), building="1")
    assert "共 3 条" in by_building and "业主-home-2-1" not in by_building
    Owner.objects.create(compound=cast.compound, name="无房业主")
    _, none_held = queries(client, owners_url(cast), holding="no")
    assert "共 1 条" in none_held and "无房业主" in none_held


def test_owners_list_queries_are_constant(cast, client):
    client.force_login(cast.committee)
    small, _ = queries(client, owners_url(cast))
    big_building(cast.compound, "9", 300)
    large, page = queries(client, owners_url(cast))
    assert small == large and "共 306 条" in page


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(book.active.iter_rows(values_only=True))


def test_exports_hold_the_whole_filtered_list(cast, client):
    big_building(cast.compound, "9", 130)
    client.force_login(cast.committee)
    rows = _sheet(client.get(units_url(cast), {"building": "9", "export": "xlsx", "page": "2"}))
    assert rows[0] == ("楼号", "房号", "单元", "建筑面积(m²)", "面积来源", "住宅", "业主")
    assert len(rows) == 131  # every filtered unit, not one page
    assert rows[1] == ("9", "1-101", "1", 88, "不动产登记面积", "是", "王9-0")
    building_rows = _sheet(
        client.get(
            Building.objects.get(number="9").get_absolute_url(), {"export": "xlsx", "entrance": "4"}
        )
    )
    assert len(building_rows) == 23  # entrance 4: the 22 flats after 3 full entrances
    assert [r[1] for r in building_rows[1:6]] == ["4-101", "4-102", "4-201", "4-202", "4-301"]
    assert building_rows[-1][1] == "4-1102"
    owners = _sheet(client.get(owners_url(cast), {"q": "业主-home", "export": "xlsx"}))
    assert len(owners) == 7
    header, first = owners[0], owners[1]
    assert header[:4] == ("姓名/名称", "类型", "证件号码", "电话")
    assert first[0] == "业主-home-1-1" and "*" in first[2] and first[4] == "1号楼 0101"


def test_exports_mask_names_for_roles_that_may_not_read_them(cast, client):
    client.force_login(cast.property_unit_rep)
    rows = _sheet(client.get(units_url(cast), {"export": "xlsx"}))
    owners = {r[6] for r in rows[1:]}
    assert owners == {mask_name(f"业主-home-{b}-{u}") for b in (1, 2) for u in (1, 2, 3)}


def test_an_export_beyond_the_bound_is_refused_with_the_reason(cast, client, monkeypatch):
    from portal import lists

    monkeypatch.setattr(lists, "EXPORT_MAX_ROWS", 5)
    client.force_login(cast.committee)
    response = client.get(units_url(cast), {"export": "xlsx"})
    assert response.status_code == 400
    assert "导出最多 5 行，当前筛选结果有 6 行" in response.content.decode()


def test_the_compound_and_building_pages_link_the_lists(cast, client):
    client.force_login(cast.committee)
    compound_page = client.get(cast.compound.get_absolute_url()).content.decode()
    assert units_url(cast) in compound_page and owners_url(cast) in compound_page
    building_page = client.get(cast.compound.buildings.get(number="2").get_absolute_url())
    assert f"{units_url(cast)}?building=2" in building_page.content.decode()


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("张", "*"),
        ("", ""),
        ("业主-home-1-1", "业" + "*" * 10),
    ],
)
def test_mask_name_keeps_only_the_first_character(name, masked):
    assert mask_name(name) == masked


def test_export_and_pager_links_keep_the_search_and_filters(cast, client):
    big_building(cast.compound, "9", 130)
    client.force_login(cast.committee)
    _, page = queries(client, units_url(cast), building="9", q="-1", page="2", per_page="25")
    export = re.search(r'id="list-export" href="([^"]+)"', page)[1].replace("&amp;", "&")
    assert export == "?building=9&q=-1&per_page=25&export=xlsx"
    pager = {
        h.replace("&amp;", "&")
        for h in re.findall(r'href="(\?[^"]+)"', page[page.index('class="pager"') :])
    }
    assert "?building=9&q=-1&page=1&per_page=25" in pager
    assert all("export" not in link for link in pager)
