"""The owners list's deep pages (issue 10 leftovers): a page reads its owners' ids first,
from the nearer end of the list (the later half in reverse order, so the last page skips
nothing), then their rows; every page holds what plain OFFSET paging gives, names that
tie are ordered by id, and a page runs the same queries at any length."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households import selectors
from households.models import Owner
from portal.lists import ListQuery, ListSpec, paginate, parse_search
from portal.models import StreetOffice
from tests.households.helpers import big_building

pytestmark = pytest.mark.django_db

SPEC = ListSpec(per_page=25)


def _pages(owners, params: dict, *, deferred: bool) -> list[tuple[int, list[int], bool]]:
    found = []
    for page in ("1", "2", "3", "4", "5", "999999"):
        listed = paginate(
            owners, ListQuery.from_params({**params, "page": page}, SPEC), deferred=deferred
        )
        found.append((listed.number, [owner.pk for owner in listed.rows], listed.clamped))
    return found


def test_deferred_pages_are_the_plain_pages(cast):
    big_building(cast.compound, "9", 90)
    # Names that tie: the order falls back to the id, from either end of the list.
    Owner.objects.bulk_create(Owner(compound=cast.compound, name="同名") for _ in range(30))
    for search, params in (
        ("", {}),
        ("", {"per_page": "50"}),
        ("王*", {}),
        ("9号楼", {}),
    ):
        owners = selectors.register_owners(cast.compound, search=parse_search(search))
        plain = _pages(owners, params, deferred=False)
        assert _pages(owners, params, deferred=True) == plain, search
        per_page = int(params.get("per_page", 25))
        assert len(plain[0][1]) == min(owners.count(), per_page) > 0
        assert plain[-1][2] and plain[-1][1] == [o.pk for o in owners][-len(plain[-1][1]) :]
    page = paginate(
        selectors.register_owners(cast.compound), ListQuery.from_params({}, SPEC), deferred=True
    )
    assert hasattr(page.rows[0], "current_ownerships")  # the prefetch ran on the rows


def test_an_empty_list_and_an_order_without_the_key(cast):
    none = Owner.objects.filter(compound=cast.compound, name="没有").order_by("name", "pk")
    page = paginate(none, ListQuery.from_params({"page": "7"}, SPEC), deferred=True)
    assert (page.rows, page.count, page.number, page.clamped) == ([], 0, 1, True)
    unordered = Owner.objects.filter(compound=cast.compound).order_by("name")
    with pytest.raises(ValueError, match="primary key"):
        paginate(unordered, ListQuery.from_params({}, SPEC), deferred=True)
    # Street offices were never deferred: the plain path is unchanged.
    plain = paginate(StreetOffice.objects.order_by("code"), ListQuery.from_params({}, SPEC))
    assert plain.count == StreetOffice.objects.count()


def _owners_page(client, cast, **params) -> list[str]:
    url = reverse("register_owners", args=[cast.compound.code])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content.decode()[:300]
    return [q["sql"] for q in queries.captured_queries]


def _offsets(queries: list[str]) -> list[int]:
    return [int(m[1]) for sql in queries if (m := re.search(r"OFFSET (\d+)", sql))]


def test_the_owners_last_page_skips_nothing_at_any_size(cast, client):
    client.force_login(cast.committee)
    sizes = []
    for number, units in (("8", 60), ("9", 600)):
        big_building(cast.compound, number, units)
        count = Owner.objects.filter(compound=cast.compound).count()
        found = {}
        for name, page in (("first", "1"), ("last", "999999"), ("middle", count // 100 + 1)):
            queries = _owners_page(client, cast, page=page)
            found[name] = len(queries)
            # From the nearer end: no more than half the list is ever skipped.
            assert all(offset <= count // 2 for offset in _offsets(queries)), (page, queries)
        assert _offsets(_owners_page(client, cast, page="999999")) == []  # read from the end
        sizes.append(found)
    assert sizes[0] == sizes[1]
