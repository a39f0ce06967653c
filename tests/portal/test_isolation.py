"""The automatic isolation test: every route, every outsider, the home tenant's URLs.

How it works and how an app registers its URL kwargs: see the docstring of
tests/isolation.py.
"""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import translation

from tests import isolation
from tests.factories import PASSWORD, make_cast

ROUTES = isolation.walked_routes()
ROUTES_BY_NAME = {r.name: r for r in ROUTES if r.name}
CALLERS = [*isolation.OUTSIDERS, "anonymous"]


@pytest.fixture(scope="module")
def shared_home(django_db_setup, django_db_blocker):
    """One cast for the whole module (per xdist worker), with every row the resolvers and
    marker sources make, built once in a transaction that is rolled back after the module.

    Each test still runs in its own savepoint inside it (the ``db`` fixture), so whatever a
    request writes is undone before the next test; building the cast, a billed year, a
    published decision and an agreement for each of ~600 tests was most of the walk's time.
    """
    with isolation.shared_cast(django_db_blocker) as cast:
        yield cast


@pytest.fixture
def home(shared_home, db):
    """The cast, with home owners' identifiers that no other compound shares."""
    if shared_home is None:  # the shared build failed: each test builds (and reports) its own
        yield isolation.prepare_cast(make_cast())
        return
    with isolation.cast_for_one_test(shared_home) as cast:
        yield cast


def _login(client, cast, who: str) -> None:
    if who != "anonymous":
        client.force_login(getattr(cast, who))


def _as_fresh_caller() -> Client:
    """A new client in the state each test starts in (empty cache, default language), so
    one caller's throttles, lockouts and language do not decide the next caller's answer."""
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)
    return Client()


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_no_route_gives_an_outsider_the_home_tenants_data(home, route):
    """Every caller of :data:`CALLERS` (the four outsiders and anonymous) asks the route,
    each in its own savepoint and client; the failure lists each caller that got in."""
    if route.missing_resolvers():
        pytest.fail(route.missing_message())
    url = route.url(home)
    if route.is_public:
        markers = isolation.personal_markers_of_everyone()
    else:
        markers = isolation.home_markers(home)
    problems = []
    for caller in CALLERS:
        with transaction.atomic():
            client = _as_fresh_caller()
            _login(client, home, caller)
            problems += isolation.leaks(client, route, url, markers, caller)
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.names_home_objects_under_a_compound], ids=str
)
def test_home_objects_stay_out_of_reach_under_an_outsiders_own_compound(home, client, route):
    """outsider_compound may open its own compound: home ids under that code must not work."""
    if route.missing_resolvers():
        pytest.fail(route.missing_message())
    url = route.url(home, code=home.other_compound.code)
    client.force_login(home.outsider_compound)
    problems = isolation.leaks(
        client, route, url, isolation.home_markers(home), "outsider_compound", must_refuse=False
    )
    assert not problems, "\n".join(problems)


def test_every_url_kwarg_has_a_resolver():
    """All unfillable routes at once, so one run lists everything left to register."""
    messages = [route.missing_message() for route in ROUTES if route.missing_resolvers()]
    assert not messages, "\n\n".join(messages)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_answers_some_insider(home, client, route):
    """The walk proves nothing if its URLs 404 for everyone: some insider of home (or a
    superuser) must get an answer, so the resolvers point at real home objects."""
    if route.missing_resolvers():
        pytest.fail(route.missing_message())
    url = route.url(home)
    superuser = get_user_model().objects.create_superuser("root", password=PASSWORD)
    statuses = {}
    for who, user in [*home.insiders.items(), ("superuser", superuser)]:
        client.force_login(user)
        response = client.get(url)
        if isolation.reachable(response):
            return
        statuses[who] = response.status_code
    pytest.fail(
        f"No insider of home gets an answer from {url} ({statuses}). Make the resolvers of "
        f"'{route.pattern}' return objects that exist in the home compound "
        "(see tests/isolation.py)."
    )


def test_the_skip_list_names_only_admin_auth_and_i18n_routes():
    skipped = [r for r in isolation.all_routes() if r.skip_reason()]
    assert {r.name.split(":")[0] if ":" in (r.name or "") else r.name for r in skipped} <= {
        "admin",
        None,  # admin's unnamed catch-alls
        "login",
        "logout",
        "password_change",
        "password_change_done",
        "set_language",
    }
    assert all(r.pattern.startswith("admin/") for r in skipped if r.name is None)
    for key in set(isolation.SKIPPED) - isolation.OPTIONAL_SKIPS:
        assert any(
            (key.endswith(":") and r.namespace.startswith(key))
            or (key.endswith("/") and r.pattern.startswith(key))
            or r.name == key
            for r in skipped
        ), f"SKIPPED entry {key!r} matches no route any more: remove it"


def test_the_walk_covers_pages_api_and_everything_not_skipped():
    walked = {r.pattern for r in ROUTES}
    assert {
        "",
        "so/<slug:code>/",
        "c/<slug:code>/",
        "c/<slug:code>/buildings/<building:number>/",
        "c/<slug:code>/units/<int:unit_id>/",
        "api/v1/compounds/<slug:code>/owners/",
        "api/v1/compounds/<slug:code>/units/<int:unit_id>/",
        "api/schema/",
        "api/docs/",
    } <= walked
    assert len(ROUTES) + sum(1 for r in isolation.all_routes() if r.skip_reason()) == len(
        isolation.all_routes()
    )


# Pages each insider must open (200): the walk is not passing because everything 404s.
INSIDER_PAGES = {
    "officer": [
        "street_office",
        "compound",
        "building",
        "unit",
        "committee",
        "api-compound-detail",
        "api-building-list",
        "api-unit-list",
        "api-unit-detail",
        "api-owner-list",
    ],
    "committee": [
        "compound",
        "building",
        "unit",
        "committee",
        "api-compound-detail",
        "api-building-list",
        "api-unit-list",
        "api-unit-detail",
        "api-owner-list",
    ],
    "company_staff": ["compound", "building", "unit", "api-owner-list", "api-unit-list"],
    "property_unit_rep": ["compound", "building", "committee", "api-unit-detail"],
    "resident": ["unit", "api-compound-detail", "api-unit-list", "api-unit-detail"],
}
# Of those, the pages whose body carries home markers: the detector must see them there.
PAGES_WITH_HOME_DATA = {
    "compound",
    "building",
    "unit",
    "committee",
    "api-compound-detail",
    "api-unit-list",
    "api-unit-detail",
    "api-owner-list",
}


@pytest.mark.parametrize(
    "who, name", [(who, name) for who, names in INSIDER_PAGES.items() for name in names]
)
def test_insiders_open_their_pages_and_the_detector_sees_home_data(home, client, who, name):
    route = ROUTES_BY_NAME[name]
    url = route.url(home)
    client.force_login(getattr(home, who))
    response = client.get(url)
    assert response.status_code == 200, f"{who} GET {url}"
    seen = isolation.found_markers(isolation.response_text(response), isolation.home_markers(home))
    if name in PAGES_WITH_HOME_DATA:
        assert seen, f"{url} shows {who} no home marker: the leak detector would miss a leak"


def test_the_walk_reports_a_leaking_route(home, client):
    """Control: an insider IS shown home data; the same check run for them must say so."""
    route = ROUTES_BY_NAME["unit"]
    client.force_login(home.committee)
    problems = isolation.leaks(client, route, route.url(home), isolation.home_markers(home), "x")
    assert any("shows home data" in p and "业主-home-1-1" in p for p in problems)
    assert any("must refuse" in p for p in problems)


def test_masked_home_identifiers_are_home_only(home):
    """prepare_cast makes the masked forms distinguishable from the neighbour's."""
    home_masks = isolation.home_markers(home)
    from households.models import Owner

    neighbour = isolation._personal_markers(Owner.objects.filter(compound=home.other_compound))
    assert not home_masks & neighbour
    assert "110***********001X" in home_masks
    assert "139****0001" in home_masks


def test_a_route_without_a_resolver_fails_with_instructions(monkeypatch):
    route = isolation.Route(
        pattern="c/<slug:code>/decisions/<int:decision_id>/",
        name="voting:decision",
        namespace="voting:",
        url_format="c/%(code)s/decisions/%(decision_id)s/",
        kwargs=("code", "decision_id"),
        converters={},
    )
    monkeypatch.delitem(isolation.KWARG_RESOLVERS, "decision_id", raising=False)
    assert route.missing_resolvers() == ["decision_id"]
    message = route.missing_message()
    assert "register_kwarg('decision_id'" in message
    assert "tests/<app>/isolation.py" in message
    with pytest.raises(LookupError):
        route.url(None)


def test_pk_resolves_by_segment_or_per_route_only(home, monkeypatch):
    unit_pk = isolation.Route(
        pattern="api/v1/compounds/<slug:code>/units/<int:pk>/",
        name=None,
        namespace="",
        url_format="api/v1/compounds/%(code)s/units/%(pk)s/",
        kwargs=("code", "pk"),
        converters={},
    )
    assert unit_pk.url(home) == f"/api/v1/compounds/home/units/{isolation.home_unit(home).pk}/"
    run_pk = isolation.Route(
        pattern="c/<slug:code>/fees/runs/<int:pk>/",
        name="fee-run",
        namespace="",
        url_format="c/%(code)s/fees/runs/%(pk)s/",
        kwargs=("code", "pk"),
        converters={},
    )
    assert run_pk.missing_resolvers() == ["pk"]
    monkeypatch.setitem(isolation.ROUTE_KWARG_RESOLVERS, ("fee-run", "pk"), lambda cast: 7)
    assert run_pk.url(home) == "/c/home/fees/runs/7/"


def test_per_cast_makes_one_row_per_cast(home):
    calls = []
    made = isolation.per_cast(lambda c: calls.append(c) or len(calls))
    assert (made(home), made(home)) == (1, 1)
    assert len(calls) == 1


def test_code_after_so_is_the_home_street_office(home):
    route = isolation.Route(
        pattern="so/<slug:code>/reports/",
        name="office-reports",
        namespace="",
        url_format="so/%(code)s/reports/",
        kwargs=("code",),
        converters={},
    )
    assert route.url(home) == "/so/home-office/reports/"
