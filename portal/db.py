"""Prepared statements for the requests people make most (issue 10, item 6).

PostgreSQL plans every statement it is sent. For the small, fixed reads of the pages and
APIs opened most (the resident's home: the user, the memberships, the flats with their
sums, the open votes; the tally API) planning cost several times what running them did:
the open votes' statement took about 2 ms of the database's CPU to plan and 0.2 ms to run.
Inside :func:`prepared_statements` psycopg binds the parameters on the server and prepares
each statement once per connection; after five runs PostgreSQL keeps one generic plan
and only runs it (the statements are the same text for every user, the values are
parameters).

Django sends statements unprepared by default so that a transaction-pooling PgBouncer
keeps working; ``DATABASE_PREPARED_STATEMENTS=0`` (``settings.PREPARED_STATEMENTS``)
turns this off for such a deployment. Other databases run the block unchanged.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.psycopg_any import is_psycopg3

_P = ParamSpec("_P")
_R = TypeVar("_R")

if is_psycopg3:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class _PreparingCursor(ServerBindingCursor):
        """Django's server-binding cursor, keeping the statement where Django's query log
        (``connection.queries``, CaptureQueriesContext) reads it, as its client-binding
        cursor does: the SQL with ``$1``, ``$2``… where the values go."""

        def _convert_query(self, query: Any, params: Any = None) -> Any:
            self._query = converted = super()._convert_query(query, params)  # type: ignore[misc]
            return converted


@contextmanager
def prepared_statements() -> Iterator[None]:
    """Run the queries made inside as prepared statements (PostgreSQL with psycopg 3 and
    ``settings.PREPARED_STATEMENTS``): only for simple reads whose SQL is the same for
    every request (server-side binding refuses a parameter in a GROUP BY expression)."""
    if not (is_psycopg3 and connection.vendor == "postgresql" and settings.PREPARED_STATEMENTS):
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    # A server-binding cursor, and psycopg preparing each statement the first time
    # (it keeps up to ``prepared_max`` per connection, dropping the oldest, and forgets
    # them all at a rollback); restored after the block, so nothing else changes.
    previous = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory, raw.prepare_threshold = _PreparingCursor, 0
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold = previous


def with_prepared_statements(view: Callable[_P, _R]) -> Callable[_P, _R]:
    """A view (or any function) whose queries run inside :func:`prepared_statements`."""

    @wraps(view)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with prepared_statements():
            return view(*args, **kwargs)

    return wrapped
