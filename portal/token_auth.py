"""API tokens read with their user and the user's memberships in one statement (issue 10,
item 6).

DRF's token check reads the token with its user (one ORM query), then every scoped view
reads the user's memberships (a second). Both compile their SQL again on every call, which
cost more CPU than the database spent answering. Here one fixed statement (the token JOIN
its user LEFT JOIN their memberships, written once, as :mod:`portal.session_user` does for
a session's user) is run through a plain cursor; the memberships are kept on the user for
that request only, so a revoked role is gone on the next call.

Only a token that is found, of an active user, and not expired is accepted this way;
anything else is handed to :class:`portal.auth.ExpiringTokenAuthentication`, which refuses
it as before (same messages, an expired token deleted).
"""

from functools import cache
from typing import Any

from django.db import connection
from rest_framework.authtoken.models import Token

from .auth import ExpiringTokenAuthentication, token_expired
from .session_user import _column, _columns, from_db, user_and_memberships, user_memberships_sql


@cache
def _statement() -> str:
    user_field = Token._meta.get_field("user")
    selected = "".join(f"t.{_column(f)}, " for f in _columns(Token))
    joins = (
        f"JOIN {connection.ops.quote_name(Token._meta.db_table)} t "
        f"ON t.{_column(user_field)} = u.{_column(user_field.target_field)} "
    )
    key = _column(Token._meta.get_field("key"))
    return user_memberships_sql(before=selected, joins=joins) + f"WHERE t.{key} = %s"


def token_with_user(key: str) -> tuple[Any, Token] | None:
    """The user of token ``key`` (their memberships kept for :mod:`portal.access`) and the
    token, or None when there is no such token."""
    with connection.cursor() as cursor:
        cursor.execute(_statement(), [key])
        rows = cursor.fetchall()
    if not rows:
        return None
    width = len(_columns(Token))
    token = from_db(Token, rows[0][:width])
    user = user_and_memberships([row[width:] for row in rows])
    token.user = user
    return user, token


class UserTokenAuthentication(ExpiringTokenAuthentication):
    """:class:`~portal.auth.ExpiringTokenAuthentication` whose accepted tokens are read
    with their user and memberships in one statement."""

    def authenticate_credentials(self, key):
        found = token_with_user(key)
        if found is None or not found[0].is_active or token_expired(found[1]):
            # Refused as before: unknown, inactive user, or expired (deleted).
            return super().authenticate_credentials(key)
        return found
