"""portal.db.prepared_statements (issue 10, item 6): inside the block, PostgreSQL keeps one
plan per statement and runs it; outside it, nothing changes. The pages using it (resident
home, tally API) are tested in tests/board and tests/portal/test_request_overhead.py, on
PostgreSQL when DATABASE_URL says so."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.db import prepared_statements
from portal.models import Membership

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def memberships_of(user_id: int) -> list[Membership]:
    return list(Membership.objects.filter(user_id=user_id))


@postgresql_only
def test_a_statement_is_prepared_once_and_gives_the_same_rows(cast):
    expected = memberships_of(cast.resident.pk)
    assert expected
    with prepared_statements():
        first = memberships_of(cast.resident.pk)
        # Another user: the same statement (the id is a parameter), not a second one.
        other = memberships_of(cast.committee.pk)
    assert first == expected and other == memberships_of(cast.committee.pk)
    statements = [s for s in prepared() if "portal_membership" in s]
    assert len(statements) == 1 and "$1" in statements[0]


@postgresql_only
def test_the_query_log_still_shows_the_statement(cast):
    with prepared_statements(), CaptureQueriesContext(connection) as queries:
        memberships_of(cast.resident.pk)
    (query,) = queries.captured_queries
    assert query["sql"].startswith('SELECT "portal_membership"."id"')


@postgresql_only
def test_outside_the_block_and_when_turned_off_nothing_is_prepared(cast, settings):
    with prepared_statements():
        pass
    raw = connection.connection
    assert raw.prepare_threshold is None  # Django's default, restored
    memberships_of(cast.resident.pk)
    settings.PREPARED_STATEMENTS = False
    with prepared_statements():
        memberships_of(cast.resident.pk)
    assert not [s for s in prepared() if "portal_membership" in s]


def test_the_block_runs_its_queries_on_any_database(cast):
    with prepared_statements():
        assert memberships_of(cast.resident.pk) == list(
            Membership.objects.filter(user=cast.resident)
        )
