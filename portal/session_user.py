"""The signed-in user of a request and their memberships, read in one statement (issue 10,
item 6).

Every signed-in page reads the user (``AuthenticationMiddleware`` through the backend's
``get_user``) and then their memberships (:mod:`portal.access`). As two ORM queries that
cost about 1.5 ms of CPU a request, mostly compiling the SQL again each time. Here one
fixed statement (the user LEFT JOIN their memberships, written once at import) is run
through a plain cursor, and the rows become the user and their memberships as the ORM
would build them (``from_db`` with the ORM's value converters). The memberships are kept
on that user object only, so, as before, a request sees the memberships as they are at
its start and a revoked one is gone on the next request.
"""

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.db.models import Field, Model

from .access import memberships_keep
from .models import Membership


def _columns(model: type[Model]) -> list[Field]:
    return list(model._meta.concrete_fields)


def _column(field: Any) -> str:
    assert field.column is not None, field  # every concrete field has a column
    return connection.ops.quote_name(field.column)


def user_memberships_sql(before: str = "", joins: str = "") -> str:
    """SELECT ``before`` columns, then the user's and their memberships' columns (all of
    both models', in field order: :func:`user_and_memberships` reads them back), FROM the
    user table ``u`` ``joins`` LEFT JOIN their memberships ``m``; the caller adds WHERE."""
    user_model = get_user_model()
    user_table, membership_table = user_model._meta.db_table, Membership._meta.db_table
    quote = connection.ops.quote_name
    selected = [f"u.{_column(f)}" for f in _columns(user_model)] + [
        f"m.{_column(f)}" for f in _columns(Membership)
    ]
    user_id = _column(Membership._meta.get_field("user"))
    return (
        f"SELECT {before}{', '.join(selected)} FROM {quote(user_table)} u {joins}"
        f"LEFT JOIN {quote(membership_table)} m ON m.{user_id} = u.{_column(user_model._meta.pk)} "
    )


@cache
def _statement() -> str:
    pk = _column(get_user_model()._meta.pk)
    return user_memberships_sql() + f"WHERE u.{pk} = %s"


@cache
def _converters(vendor: str, model: type[Model]) -> list[tuple[Any, list[Any]]]:
    """Per column of ``model``: the ORM's converters from the database's value to Python
    (on SQLite: datetimes, booleans; none on PostgreSQL, whose driver returns them typed)."""
    found = []
    for field in _columns(model):
        col = field.get_col(model._meta.db_table)
        found.append(
            (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        )
    return found


def from_db(model: type[Model], values: tuple[Any, ...] | list[Any]) -> Any:
    """An instance of ``model`` from all its columns' values, converted as the ORM does."""
    converted = []
    for value, (col, converters) in zip(values, _converters(connection.vendor, model), strict=True):
        for convert in converters:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in _columns(model)], converted)


def user_and_memberships(rows: list[tuple[Any, ...]]) -> Any:
    """The user of ``rows`` (of :func:`user_memberships_sql`, at least one, the caller's
    own columns cut off) with their memberships kept for :mod:`portal.access`."""
    user_model = get_user_model()
    width = len(_columns(user_model))
    user = from_db(user_model, rows[0][:width])
    memberships_keep(
        user,
        # A user without memberships has one row whose membership columns are all NULL.
        [from_db(Membership, row[width:]) for row in rows if row[width] is not None],
    )
    return user


def user_with_memberships(user_id: Any) -> Any | None:
    """The user with ``user_id`` with their memberships kept for :mod:`portal.access`, or
    None when there is no such user."""
    with connection.cursor() as cursor:
        cursor.execute(_statement(), [get_user_model()._meta.pk.to_python(user_id)])
        rows = cursor.fetchall()
    return user_and_memberships(rows) if rows else None


class UserBackend(ModelBackend):
    """Django's ``ModelBackend`` (passwords, permissions, inactive users refused), whose
    ``get_user`` reads the session's user and their memberships in one statement."""

    def get_user(self, user_id):
        user = user_with_memberships(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
