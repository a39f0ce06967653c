"""Row locks take the rows they name and nothing else.

On PostgreSQL ``SELECT … FOR UPDATE`` locks a row of EVERY table in the FROM clause. A
locking query that joins (a default ordering through ``compound``, a ``select_related``)
therefore also locks the compound and its street office: every payment, decision step or
fee standard of a whole street office then waits for the others, and so does any insert
that references those rows. ``select_for_update(of=("self",))`` locks the model's own rows
only. This test finds every call in the project's code and requires ``of``; the SQL test
below shows what the call compiles to.
"""

import ast
from pathlib import Path

import pytest
from django.db import connection, transaction

from fees.models import Payment

ROOT = Path(__file__).resolve().parents[2]
APPS = ["portal", "households", "voting", "fees", "agreements", "board"]


def _calls_without_of() -> list[str]:
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "select_for_update"
                    and not any(k.arg == "of" for k in node.keywords)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_row_lock_names_its_own_rows():
    assert _calls_without_of() == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_lock_through_a_default_ordering_locks_only_its_table():
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL: SQLite has no row locks")
    with transaction.atomic():
        locking = Payment.objects.select_for_update(of=("self",)).select_related("compound")
        joined = str(locking.filter(pk=1)[:1].query)
    assert "JOIN" in joined
    assert joined.endswith('FOR UPDATE OF "fees_payment"')
