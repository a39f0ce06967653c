"""The long-list mechanism (portal/lists.py): search forms, validated parameters, page
bounds, constant queries per page, and the export read back."""

import io

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from households.models import Unit
from portal import lists
from portal.lists import Filter, ListQuery, ListSpec, Search, paginate, parse_search
from portal.models import Compound, StreetOffice
from portal.xlsx import Sheet

SPEC = ListSpec(per_page=25)
KINDS = [("a", "甲"), ("b", "乙")]


@pytest.mark.parametrize(
    ("typed", "buildings", "unit", "name_prefix", "text"),
    [
        ("3号楼", ("3", "3号楼"), "", "", "3号楼"),
        ("3号", ("3", "3号"), "", "", "3号"),
        ("3栋", ("3", "3栋"), "", "", "3栋"),
        ("5#", ("5", "5#"), "", "", "5#"),
        ("16号楼 3-1802", ("16", "16号楼"), "3-1802", "", "16号楼 3-1802"),
        ("16号楼3-1802", ("16", "16号楼"), "3-1802", "", "16号楼3-1802"),
        ("16  3-1802", ("16",), "3-1802", "", "16 3-1802"),
        ("３号楼　３－１８０２", ("3", "3号楼"), "3-1802", "", "3号楼 3-1802"),
        ("张*", (), "", "张", "张*"),
        ("欧阳**", (), "", "欧阳", "欧阳**"),
        ("3-1802", (), "", "", "3-1802"),
        ("平房一区", (), "", "", "平房一区"),
        ("  ", (), "", "", ""),
        ("*", (), "", "", ""),
    ],
)
def test_search_forms(typed, buildings, unit, name_prefix, text):
    search = parse_search(typed)
    assert (search.buildings, search.unit, search.name_prefix, search.text) == (
        buildings,
        unit,
        name_prefix,
        text,
    )


def test_search_longer_than_the_bound_is_refused_by_name():
    with pytest.raises(lists.ListParamError, match="搜索词过长"):
        parse_search("3" * 10_000)
    query = ListQuery.from_params({"q": "张" * 10_000}, SPEC)
    assert query.errors and "搜索词过长" in query.errors[0]
    assert not query.search and query.status == 400


def test_masked_viewers_search_names_only_by_the_first_character():
    search = parse_search("欧阳*")
    visible = search.q(building=None, unit=None, name="owner__name", names_visible=True)
    masked = search.q(building=None, unit=None, name="owner__name", names_visible=False)
    assert visible == Q(owner__name__startswith="欧阳")
    assert masked == Q(owner__name__startswith="欧")
    # Free text never reaches names for those who see them masked.
    free = parse_search("张三").q(
        building="building__number", unit="number", name="owner__name", names_visible=False
    )
    assert "owner__name" not in str(free)


@pytest.mark.parametrize(
    ("params", "page", "per_page", "errors"),
    [
        ({}, 1, 25, 0),
        ({"page": "3", "per_page": "100"}, 3, 100, 0),
        ({"page": "0"}, 1, 25, 1),
        ({"page": "-2"}, 1, 25, 1),
        ({"page": "abc"}, 1, 25, 1),
        ({"page": "1e3"}, 1, 25, 1),
        ({"page": "9" * 10_000}, 1, 25, 1),
        ({"page": "٣"}, 1, 25, 1),  # an Arabic-Indic digit: isdigit(), but not ours
        ({"per_page": "100000"}, 1, 25, 1),
        ({"per_page": "7"}, 1, 25, 1),
        ({"export": "csv"}, 1, 25, 1),
    ],
)
def test_page_parameters_are_bounded(params, page, per_page, errors):
    query = ListQuery.from_params(params, SPEC)
    assert (query.page, query.per_page, len(query.errors)) == (page, per_page, errors)
    assert query.status == (400 if errors else 200)


def test_filters_accept_only_their_choices():
    query = ListQuery.from_params({"kind": "b"}, SPEC, [Filter("kind", "类型", KINDS)])
    assert query.filters == {"kind": "b"} and not query.errors
    assert query.filter_list[0].choice_label() == "乙"
    bad = ListQuery.from_params({"kind": "x" * 5000}, SPEC, [Filter("kind", "类型", KINDS)])
    assert bad.filters == {"kind": ""}
    assert bad.errors == ["筛选条件“类型”的值无效，已显示全部。"]


def _offices(n: int) -> None:
    StreetOffice.objects.bulk_create(
        StreetOffice(code=f"so-{i:05d}", name=f"街道{i}") for i in range(n)
    )


@pytest.mark.django_db
def test_pages_and_hostile_page_numbers():
    _offices(60)
    offices = StreetOffice.objects.order_by("code")
    first = paginate(offices, ListQuery.from_params({}, SPEC))
    assert (first.count, first.num_pages, first.number) == (60, 3, 1)
    assert [o.code for o in first.rows][:2] == ["so-00000", "so-00001"]
    assert (first.start_index, first.end_index, first.has_next) == (1, 25, True)
    last = paginate(offices, ListQuery.from_params({"page": "999999"}, SPEC))
    assert (last.number, last.clamped, len(last.rows)) == (3, True, 10)
    assert (last.start_index, last.end_index, last.has_next) == (51, 60, False)
    empty = paginate(offices.none(), ListQuery.from_params({"page": "5"}, SPEC))
    assert (empty.count, empty.number, empty.rows, empty.start_index) == (0, 1, [], 0)


@pytest.mark.django_db
def test_a_page_costs_the_same_queries_at_any_length():
    def queries_for_a_page() -> int:
        with CaptureQueriesContext(connection) as ctx:
            page = paginate(
                StreetOffice.objects.prefetch_related("compounds").order_by("code"),
                ListQuery.from_params({"page": "2"}, SPEC),
            )
            assert len(page.rows) == 25
        return len(ctx)

    _offices(60)
    small = queries_for_a_page()
    StreetOffice.objects.bulk_create(
        StreetOffice(code=f"x-{i:05d}", name=f"街道{i}") for i in range(2000)
    )
    assert queries_for_a_page() == small == 3  # count, rows, one prefetch


@pytest.mark.django_db
def test_export_holds_the_whole_filtered_list_and_refuses_beyond_the_bound(monkeypatch):
    _offices(5)
    office = StreetOffice.objects.get(code="so-00000")
    Compound.objects.bulk_create(
        Compound(street_office=office, code=f"c{i:04d}", name=f"=小区{i}") for i in range(4500)
    )
    compounds = Compound.objects.filter(name__startswith="=").order_by("code")
    response = lists.export_response(
        "小区.xlsx",
        Sheet("小区", ["代码", "名称"], lists.export_rows(compounds, lambda c: [c.code, c.name])),
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("代码", "名称")
    assert len(rows) == 4501
    assert rows[1] == ("c0000", "'=小区0")  # the formula trigger neutralised
    assert rows[-1][0] == "c4499"
    assert not lists.export_too_large(compounds)
    monkeypatch.setattr(lists, "EXPORT_MAX_ROWS", 4000)
    assert "最多 4000 行" in lists.export_too_large(compounds)
    assert len(list(lists.export_rows(compounds, lambda c: [c.code]))) == 4000


@pytest.mark.django_db
def test_search_q_runs_on_a_real_queryset(cast):
    units = cast.compound.units.all()

    def found(typed: str, *, names_visible: bool = True) -> set[str]:
        q = parse_search(typed).q(
            building="building__number",
            unit="number",
            name="ownerships__owner__name",
            names_visible=names_visible,
        )
        return {f"{u.building.number}/{u.number}" for u in units.filter(q).distinct()}

    assert found("2号楼") == {"2/0101", "2/0201", "2/0301"}
    assert found("2号楼 03") == {"2/0301"}
    assert found("0201") == {"1/0201", "2/0201"}
    assert found("业主-home-1-2") == {"1/0201"}
    assert found("业主-home-1-2", names_visible=False) == set()
    assert found("业*") == {f"{b}/0{u}01" for b in (1, 2) for u in (1, 2, 3)}
    assert Search().q(building="x", unit="y", name=None, names_visible=True) == Q()
    assert Unit.objects.count() >= 6


@pytest.mark.parametrize("per_page", [25, 50])
def test_paginate_groups_gives_the_pages_of_the_whole_list(per_page):
    """Groups in order, with sizes that straddle pages, empty groups among them: every
    page holds exactly the rows a plain pagination of the whole list would."""
    sizes = {"a": 7, "b": 0, "c": 60, "d": 1, "e": 0, "f": 33}
    whole = [(group, i) for group, n in sizes.items() for i in range(n)]
    fetched: list[list[str]] = []

    def fetch(groups, skip, limit):
        fetched.append(groups)
        return [row for row in whole if row[0] in groups][skip : skip + limit]

    pages = -(-len(whole) // per_page)
    for number in range(1, pages + 2):
        query = ListQuery.from_params({"page": str(number), "per_page": str(per_page)}, SPEC)
        page = lists.paginate_groups(query, sizes.items(), fetch)
        expected = min(number, pages)
        assert (page.number, page.num_pages, page.count) == (expected, pages, 101)
        assert page.clamped == (number > pages)
        assert page.rows == whole[(expected - 1) * per_page : expected * per_page]
    assert all(groups and "b" not in groups and "e" not in groups for groups in fetched)
    empty = lists.paginate_groups(ListQuery.from_params({}, SPEC), [("a", 0)], fetch)
    assert (empty.rows, empty.count, empty.num_pages) == ([], 0, 1)
