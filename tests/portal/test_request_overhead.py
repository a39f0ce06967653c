"""Per-request overhead (issue 10, item 6): the pages and APIs people open most run a
fixed, minimal number of queries, and what is kept between requests (the session in a
shared cache) is never served after it ended. Timings live in ``bench/http_load.py``."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Membership, Role
from tests.factories import PASSWORD
from tests.voting.helpers import make_decision, publish

pytestmark = pytest.mark.django_db

DB_SESSIONS = "django.contrib.sessions.backends.db"
CACHED_SESSIONS = "django.contrib.sessions.backends.cached_db"


def count(client, path: str, **headers) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **headers)
    assert response.status_code == 200, (path, response.status_code)
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def tally_url(decision) -> str:
    return f"/api/v1/compounds/{decision.compound.code}/decisions/{decision.pk}/tally/"


def token_for(client, username: str) -> str:
    response = client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def db_sessions(settings):
    settings.SESSION_ENGINE = DB_SESSIONS


def test_login_page_runs_no_query(client, db_sessions):
    assert count(client, "/accounts/login/")[0] == 0


def test_resident_home_runs_four_queries_with_an_open_vote(cast, client, db_sessions):
    """Session, the user with their memberships (one statement), flats with their
    balances, the open votes with their counts: nothing for roles the resident does not
    hold."""
    make_decision(cast, items=((4, None), (7, ["2"])))
    client.force_login(cast.resident)
    n, sql = count(client, "/")
    assert n == 4, "\n".join(sql)
    # No default ordering drags decision, compound or street office into a read.
    assert not any("portal_streetoffice" in q for q in sql)


def test_resident_home_without_open_votes_runs_as_many(cast, client, db_sessions):
    client.force_login(cast.resident)
    assert count(client, "/")[0] == 4


def test_a_shared_cache_takes_the_session_query_off_every_page(cast, client, settings):
    settings.SESSION_ENGINE = CACHED_SESSIONS
    make_decision(cast)
    client.force_login(cast.resident)
    client.get("/")  # the first read fills the cache
    n, sql = count(client, "/")
    assert n == 3 and not any("django_session" in q for q in sql)


def test_a_cached_session_ends_everywhere_at_logout(cast, client, settings):
    """Logging out deletes the cached copy as well as the row: the old cookie is refused
    on the next request (a page of any process reading the same shared cache)."""
    settings.SESSION_ENGINE = CACHED_SESSIONS
    client.force_login(cast.resident)
    cookie = client.cookies["sessionid"].value
    assert client.get("/").status_code == 200
    client.post("/accounts/logout/")
    client.cookies["sessionid"] = cookie
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert cache.get(CACHED_SESSIONS + cookie) is None


def test_tally_api_runs_two_queries_with_a_token(cast, client):
    """Token, user and memberships in one statement (portal/token_auth.py), then the
    decision with its compound (one query, not two)."""
    decision = make_decision(cast)
    publish(decision, cast)
    key = token_for(client, cast.resident.username)
    n, sql = count(client, tally_url(decision), HTTP_AUTHORIZATION=f"Token {key}")
    assert n == 2, "\n".join(sql)


def test_tally_api_runs_three_queries_with_a_session(cast, client, db_sessions):
    decision = make_decision(cast)
    publish(decision, cast)
    client.force_login(cast.resident)
    assert count(client, tally_url(decision))[0] == 3


def test_a_removed_role_takes_effect_on_the_next_request(cast, client):
    """Memberships are read once per request, never kept across requests."""
    decision = make_decision(cast)
    publish(decision, cast)
    key = token_for(client, cast.resident.username)
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert client.get(tally_url(decision), **auth).status_code == 200
    Membership.objects.filter(user=cast.resident, role=Role.RESIDENT).delete()
    assert client.get(tally_url(decision), **auth).status_code == 404


def test_a_draft_stays_hidden_from_residents_and_an_outsider_gets_404(cast, client):
    """The decision is now read with its compound in one query: the compound's role
    check and the draft rule still apply."""
    draft = make_decision(cast, state="draft")
    url = f"/c/{draft.compound.code}/decisions/{draft.pk}/"
    client.force_login(cast.resident)
    assert client.get(url).status_code == 404
    client.force_login(cast.committee)
    assert client.get(url).status_code == 200
    published = make_decision(cast)
    publish(published, cast)
    client.force_login(cast.outsider_resident)
    assert client.get(tally_url(published)).status_code == 404
    assert client.session[SESSION_KEY] == str(cast.outsider_resident.pk)


def test_a_removed_role_takes_effect_on_the_next_page_of_a_session(cast, client):
    """The memberships read with the session's user are that request's only."""
    decision = make_decision(cast)
    publish(decision, cast)
    client.force_login(cast.resident)
    assert client.get(tally_url(decision)).status_code == 200
    Membership.objects.filter(user=cast.resident, role=Role.RESIDENT).delete()
    assert client.get(tally_url(decision)).status_code == 404


def test_the_session_user_is_read_as_the_orm_reads_it(cast):
    """Every field converted as the ORM converts it (datetimes and booleans on SQLite),
    the memberships the same rows, nothing more read for them; no memberships is an empty
    list; a deactivated or missing user is nobody."""
    from django.contrib.auth import get_user_model

    from portal.access import _memberships
    from portal.session_user import UserBackend

    user_model = get_user_model()
    officer = cast.officer
    user_model.objects.filter(pk=officer.pk).update(last_login=officer.date_joined)
    expected = user_model.objects.get(pk=officer.pk)
    backend = UserBackend()
    with CaptureQueriesContext(connection) as ctx:
        loaded = backend.get_user(str(officer.pk))
        memberships = _memberships(loaded)
    assert len(ctx.captured_queries) == 1
    fields = [f.attname for f in user_model._meta.concrete_fields]
    assert [getattr(loaded, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert loaded.get_session_auth_hash() == expected.get_session_auth_hash()
    orm = list(Membership.objects.filter(user=officer).order_by("pk"))
    fields = [f.attname for f in Membership._meta.concrete_fields]
    assert orm and sorted(memberships, key=lambda m: m.pk) == orm
    assert [[getattr(m, f) for f in fields] for m in sorted(memberships, key=lambda m: m.pk)] == [
        [getattr(m, f) for f in fields] for m in orm
    ]

    lonely = user_model.objects.create_user("lonely-perfreq2", password=PASSWORD)
    assert _memberships(backend.get_user(lonely.pk)) == []
    user_model.objects.filter(pk=lonely.pk).update(is_active=False)
    assert backend.get_user(lonely.pk) is None
    assert backend.get_user(lonely.pk + 10_000) is None


def test_a_deactivated_user_is_signed_out_on_the_next_page(cast, client):
    client.force_login(cast.resident)
    assert client.get("/").status_code == 200
    type(cast.resident).objects.filter(pk=cast.resident.pk).update(is_active=False)
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_changed_password_signs_the_session_out(cast, client):
    """The session's auth hash is checked against the user read in one statement."""
    client.force_login(cast.resident)
    assert client.get("/").status_code == 200
    cast.resident.set_password("another-Passw0rd-perfreq2")
    type(cast.resident).objects.filter(pk=cast.resident.pk).update(password=cast.resident.password)
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_superuser_session_sees_every_compound(cast, client, admin_user):
    client.force_login(admin_user)
    assert client.get(f"/c/{cast.far_compound.code}/").status_code == 200


def test_compound_ids_from_the_memberships_are_those_compounds_for_finds(cast):
    """The home's open votes take the compounds of compound-scoped roles from the
    memberships (no SQL compiled); the other roles still ask compounds_for's query."""
    from django.contrib.auth import get_user_model

    from portal.access import compound_ids_for, compounds_for

    for user in (cast.resident, cast.committee, cast.property_unit_rep, cast.district_officer):
        fresh = get_user_model().objects.get(pk=user.pk)
        ids = compound_ids_for(fresh)
        assert ids == sorted(compounds_for(fresh).values_list("id", flat=True)), user
    assert compound_ids_for(cast.resident) == [cast.compound.pk]
    assert compound_ids_for(cast.district_officer) == []
    for user in (cast.officer, cast.company_staff):
        assert compound_ids_for(get_user_model().objects.get(pk=user.pk)) is None
    Membership.objects.filter(user=cast.resident).delete()
    assert compound_ids_for(get_user_model().objects.get(pk=cast.resident.pk)) == []


def test_the_redis_cache_keeps_one_client_per_pool():
    """Django's Redis backend built a Redis client for every call (more CPU than the
    session's GET); portal.cache keeps one per connection pool (no server needed)."""
    from portal.cache import RedisCache

    cache = RedisCache("redis://127.0.0.1:6379/15", {"OPTIONS": {}})
    client = cache._cache.get_client("a")
    assert cache._cache.get_client("b") is client
    assert cache._cache.get_client("c", write=True) is client  # one server: one pool
    assert client.connection_pool is cache._cache._get_connection_pool(False)
