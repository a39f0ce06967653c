"""Reads of the boards. The resident's first screen: open votes and what each of their flats owes.

Reads only, through the apps' models and selectors; a fixed number of queries whatever
the number of flats, decisions or items (the home page is the page residents open most).
"""

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import (
    DecimalField,
    Model,
    QuerySet,
)
from django.db.models.expressions import Col, RawSQL
from django.urls import reverse

from fees.models import Charge, Payment
from households.models import Building, Owner, Ownership, Unit
from portal.access import compound_ids_for, compounds_for
from portal.models import Compound
from voting.models import (
    Ballot,
    Decision,
    DecisionState,
    Item,
    ItemBuilding,
    Proxy,
    RollEntry,
    RollUnit,
)
from works.models import Contribution, FundDraw, FundDrawShare, FundEntry, Project, ProjectStatus
from works.receipt_selectors import OwnerContribution

ZERO = Decimal("0.00")


@dataclass
class OpenVote:
    """A decision open for voting in which the user may vote (as owner, co-owners'
    representative or proxy holder), and how many of their items they have voted on."""

    decision: Decision
    items: int
    voted: int

    @property
    def pending(self) -> int:
        return self.items - self.voted

    @property
    def done(self) -> bool:
        return not self.pending

    @property
    def ballot_url(self) -> str:
        return reverse("voting:ballot", args=[self.decision.compound.code, self.decision.pk])


@dataclass(frozen=True)
class FlatShare(OwnerContribution):
    """One of the resident's flats' share of a works project (works' home section), with
    the project's proposal date, by which the section lists projects, newest first."""

    proposed_on: dt.date


@dataclass
class UnitBalance:
    """欠费 of one flat: owner shares billed and not yet paid, and money paid in advance
    (预缴) not yet applied to a charge; the same figures as the resident's fee page."""

    unit: Unit
    owed: Decimal
    credit: Decimal
    # The flat's maintenance-fund balance and what a draw flagged as owed (None: the flat
    # has no ledger), and whether it has a share in a works project (works' home section).
    fund_balance: Decimal | None = None
    fund_owed: Decimal = ZERO
    has_works_shares: bool = False
    # The flat's shares in works projects, read with it (works' home section), newest
    # project first.
    works_shares: list["FlatShare"] = field(default_factory=list)
    # Whether a fund draw published to the flat awaits being made (works' home section).
    has_pending_draw: bool = False

    @property
    def fees_url(self) -> str:
        return reverse("fees:my", args=[self.unit.compound.code])


# One statement, written out: the ORM's version of these nested subqueries cost more CPU
# to build on every request than the database spent running it (issue 10, item 6).
# Per open decision: the user's roll rows (as owner or current proxy holder: from the user's
# owner records and proxies, never a scan of the roll), the items in
# each row's scope (whole compound, or a building of the row's units) and those voted on.
_OPEN_VOTES_SQL = """
WITH rows AS (
    SELECT e.id AS entry_id, e.decision_id, d.voting_closes_at
    FROM {entry} e
    JOIN {decision} d ON d.id = e.decision_id
    WHERE e.owner_id IN (SELECT o.id FROM {owner} o WHERE o.user_id = %s)
      AND e.compound_id IN ({compounds}) AND d.state = %s
    UNION
    SELECT e.id AS entry_id, e.decision_id, d.voting_closes_at
    FROM {entry} e
    JOIN {decision} d ON d.id = e.decision_id
    WHERE e.id IN (
          SELECT p.entry_id FROM {proxy} p
          WHERE p.holder_user_id = %s AND p.revoked_at IS NULL)
      AND e.compound_id IN ({compounds}) AND d.state = %s
), scoped AS (
    SELECT r.entry_id, r.decision_id, r.voting_closes_at, i.id AS item_id
    FROM rows r
    JOIN {item} i ON i.decision_id = r.decision_id
    WHERE NOT EXISTS (SELECT 1 FROM {scope} s WHERE s.item_id = i.id)
       OR EXISTS (
          SELECT 1 FROM {scope} s JOIN {unit} u ON u.building_id = s.building_id
          WHERE s.item_id = i.id AND u.entry_id = r.entry_id)
)
SELECT d.id, d.title, d.voting_closes_at, d.compound_id,
       COUNT(*) AS open_items, COUNT(b.id) AS voted_items,
       c.code AS compound_code, c.name AS compound_name
FROM scoped sc
JOIN {decision} d ON d.id = sc.decision_id
JOIN {compound} c ON c.id = d.compound_id
LEFT JOIN {ballot} b ON b.entry_id = sc.entry_id AND b.item_id = sc.item_id
GROUP BY d.id, d.title, d.voting_closes_at, d.compound_id, c.code, c.name
ORDER BY d.voting_closes_at, d.id
""".format(
    entry=RollEntry._meta.db_table,
    decision=Decision._meta.db_table,
    owner=Owner._meta.db_table,
    proxy=Proxy._meta.db_table,
    item=Item._meta.db_table,
    scope=ItemBuilding._meta.db_table,
    unit=RollUnit._meta.db_table,
    ballot=Ballot._meta.db_table,
    compound=Compound._meta.db_table,
    compounds="{compounds}",
)


def open_votes(user: AbstractBaseUser) -> list[OpenVote]:
    """Open decisions of the user's compounds with a roll row the user may vote for (the
    rows :func:`voting.selectors.roll_entries_for_user` gives, across decisions), with the
    items of each row's scope and how many of them the row has voted on (one query)."""
    compound_sql, compound_params = _compounds_sql(user)
    if not compound_sql:
        return []
    rows = _rows(
        _OPEN_VOTES_SQL.format(compounds=compound_sql),
        [user.pk, *compound_params, DecisionState.OPEN]
        + [user.pk, *compound_params, DecisionState.OPEN],
    )
    votes = []
    for row in rows:
        # Only the fields the card shows are loaded; the rest are deferred.
        decision = _from_db(
            Decision,
            id=row["id"],
            title=row["title"],
            voting_closes_at=row["voting_closes_at"],
            compound_id=row["compound_id"],
        )
        decision.compound = _from_db(
            Compound, id=row["compound_id"], code=row["compound_code"], name=row["compound_name"]
        )
        votes.append(OpenVote(decision, row["open_items"], row["voted_items"]))
    return votes


def _compounds_sql(user: AbstractBaseUser) -> tuple[str, Sequence[Any]]:
    """SQL for the ids of the compounds ``user`` may see (:func:`compounds_for`), and its
    parameters; empty when there are none. The ids the memberships name go in as
    parameters: compiling the compounds' queryset cost about half the CPU of the open
    votes (issue 10, item 6); a street officer's or a company's compounds need the query."""
    ids = compound_ids_for(user)
    if ids is not None:
        return ", ".join(["%s"] * len(ids)), ids
    compounds = compounds_for(user).order_by().values("id")
    if compounds.query.is_empty():
        return "", ()
    return compounds.query.sql_with_params()


def _rows(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows of one of this module's statements, by column name. A plain cursor: a raw
    queryset's column mapping and per-row model building cost more CPU than the query
    (issue 10, item 6); :func:`_from_db` builds what the page needs."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


_Model = TypeVar("_Model", bound=Model)


def _from_db(model: type[_Model], **values: Any) -> _Model:
    """An instance of ``model`` loaded from these column values (the other fields
    deferred), converted as the ORM converts them (dates and decimals on SQLite; nothing
    on PostgreSQL, whose driver returns them typed)."""
    names = _field_order(model, frozenset(values))
    # from_db takes the values in the model's field order
    converted = [_value(model, name, values[name]) for name in names]
    return model.from_db(connection.alias, names, converted)


def _value(model: type[Model], name: str, value: Any) -> Any:
    """One column's value as the ORM converts it (see :func:`_from_db`)."""
    col, converters = _converters(connection.vendor, model, name)
    for convert in converters:
        value = convert(value, col, connection)
    return value


@cache
def _field_order(model: type[Model], names: frozenset[str]) -> list[str]:
    ordered = [f.attname for f in model._meta.concrete_fields if f.attname in names]
    assert len(ordered) == len(names), f"not all columns of {model.__name__}: {names}"
    return ordered


@cache
def _converters(vendor: str, model: type[Model], name: str) -> tuple[Col, list[Callable[..., Any]]]:
    col = model._meta.get_field(name).get_col(model._meta.db_table)  # type: ignore[union-attr]
    return col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)


def _sum(sql: str) -> RawSQL:
    """A sum over the unit's rows as a scalar subquery (NULL when none)."""
    return RawSQL(sql, (), output_field=DecimalField(max_digits=14, decimal_places=2))


_UNIT = Unit._meta.db_table
_CHARGES = (
    f"FROM {Charge._meta.db_table} c "
    f"WHERE c.compound_id = {_UNIT}.compound_id AND c.unit_id = {_UNIT}.id"
)


def units_with_balances(units: QuerySet[Unit]) -> list[UnitBalance]:
    """``units`` with what each owes and holds in advance, summed in the same query
    (subqueries on the unit's compound and id, which the charge and payment indexes
    answer)."""
    rows = units.annotate(
        owed=_sum(
            f"SELECT SUM(c.owner_due - c.owner_paid) {_CHARGES} AND c.owner_due > c.owner_paid"
        ),
        applied=_sum(f"SELECT SUM(c.owner_paid) {_CHARGES}"),
        received=_sum(
            f"SELECT SUM(p.amount) FROM {Payment._meta.db_table} p "
            # By unit alone: payments are indexed by unit, not by (compound, unit).
            f"WHERE p.unit_id = {_UNIT}.id"
        ),
    )
    return [
        UnitBalance(
            unit=unit,
            owed=_fen(unit.owed),
            credit=max(_fen(unit.received) - _fen(unit.applied), ZERO),
        )
        for unit in rows
    ]


# The resident's flats with their sums, written out for the same reason as open votes: the
# ORM's DISTINCT over the ownership join, two select_related and three annotations cost
# more CPU to compile on every request than the database spent running it. The flats are
# those of a current ownership of one of the user's owner records (``Unit.owned_by``), in
# the Unit model's order. A flat with shares in works projects comes once per share (the
# LEFT JOIN of its contributions and their projects): works' home section shows them, and
# reading them with the flats spares the page a query whose compilation cost more CPU
# than the rest of the page (issue 10, item 6).
_UNIT_CHARGES = (
    f"FROM {Charge._meta.db_table} c WHERE c.compound_id = u.compound_id AND c.unit_id = u.id"
)
_UNIT_FUND = (
    f"FROM {FundEntry._meta.db_table} f WHERE f.compound_id = u.compound_id AND f.unit_id = u.id"
)
_RESIDENT_UNITS_SQL = f"""
SELECT u.id, u.compound_id, u.building_id, u.number, u.floor_area,
       b.number AS building_number, b.kind AS building_kind,
       cp.code AS compound_code, cp.name AS compound_name,
       (SELECT SUM(c.owner_due - c.owner_paid) {_UNIT_CHARGES}
            AND c.owner_due > c.owner_paid) AS owed,
       (SELECT SUM(c.owner_paid) {_UNIT_CHARGES}) AS applied,
       (SELECT SUM(p.amount) FROM {Payment._meta.db_table} p WHERE p.unit_id = u.id)
           AS received,
       (SELECT SUM(f.amount) {_UNIT_FUND}) AS fund_balance,
       (SELECT SUM(f.owed) {_UNIT_FUND}) AS fund_owed,
       EXISTS (SELECT 1 FROM {FundDrawShare._meta.db_table} ds
               JOIN {FundDraw._meta.db_table} d ON d.id = ds.draw_id
               WHERE ds.compound_id = u.compound_id AND ds.unit_id = u.id
                 AND d.status = 'published') AS has_pending_draw,
       k.project_id AS share_project_id, k.share AS share_amount, k.paid AS share_paid,
       pj.title AS project_title, pj.status AS project_status,
       pj.proposed_on AS project_proposed_on
FROM {_UNIT} u
JOIN {Building._meta.db_table} b ON b.id = u.building_id
JOIN {Compound._meta.db_table} cp ON cp.id = u.compound_id
LEFT JOIN {Contribution._meta.db_table} k ON k.compound_id = u.compound_id AND k.unit_id = u.id
LEFT JOIN {Project._meta.db_table} pj ON pj.id = k.project_id
WHERE u.id IN (
    SELECT os.unit_id FROM {Ownership._meta.db_table} os
    JOIN {Owner._meta.db_table} o ON o.id = os.owner_id
    WHERE o.user_id = %s AND os.valid_to IS NULL)
ORDER BY b.sort_key, b.number, u.number, u.id, pj.proposed_on DESC, k.project_id, k.id
"""


def resident_balances(user: AbstractBaseUser) -> list[UnitBalance]:
    """The flats ``user`` owns now (across compounds) with what each owes and holds in
    advance: :func:`units_with_balances` of ``units_of_user_everywhere`` in one raw query,
    which also reads each flat's maintenance-fund balance and its works shares (so the
    home page's works section costs no query for them). Each unit comes with the
    building and compound columns the home page shows."""
    if not user.is_authenticated:
        return []
    balances: list[UnitBalance] = []
    for row in _rows(_RESIDENT_UNITS_SQL, [user.pk]):
        if not balances or balances[-1].unit.pk != row["id"]:
            balances.append(_unit_balance(row))
        if row["share_project_id"] is not None:
            flat = balances[-1]
            flat.has_works_shares = True
            flat.works_shares.append(_flat_share(flat.unit, row))
    return balances


def _unit_balance(row: dict[str, Any]) -> UnitBalance:
    unit = _from_db(
        Unit,
        id=row["id"],
        compound_id=row["compound_id"],
        building_id=row["building_id"],
        number=row["number"],
        floor_area=row["floor_area"],
    )
    unit.compound = _from_db(
        Compound, id=row["compound_id"], code=row["compound_code"], name=row["compound_name"]
    )
    unit.building = _from_db(
        Building,
        id=row["building_id"],
        compound_id=row["compound_id"],
        number=row["building_number"],
        kind=row["building_kind"],
    )
    unit.building.compound = unit.compound
    return UnitBalance(
        unit=unit,
        owed=_fen(row["owed"]),
        credit=max(_fen(row["received"]) - _fen(row["applied"]), ZERO),
        fund_balance=None if row["fund_balance"] is None else _fen(row["fund_balance"]),
        fund_owed=_fen(row["fund_owed"]),
        has_pending_draw=bool(row["has_pending_draw"]),
    )


def _flat_share(unit: Unit, row: dict[str, Any]) -> FlatShare:
    """What works' ``owner_contributions_of_units`` makes of the contribution's row."""
    return FlatShare(
        compound_code=unit.compound.code,
        project_id=row["share_project_id"],
        project_title=row["project_title"],
        project_status=str(ProjectStatus(row["project_status"]).label),
        unit_label=unit.label,
        share=_fen(row["share_amount"]),
        paid=_fen(row["share_paid"]),
        proposed_on=_value(Project, "proposed_on", row["project_proposed_on"]),
    )


def works_shares(balances: Iterable[UnitBalance]) -> list[FlatShare]:
    """The works shares of ``balances`` (the resident's flats), as works' home section
    lists them: newest project first, then in the flats' order."""
    shares = [share for flat in balances for share in flat.works_shares]
    # Stable: within a project the flats keep their order (building, then unit).
    return sorted(shares, key=lambda s: (-s.proposed_on.toordinal(), s.project_id))


def _fen(value: Decimal | float | None) -> Decimal:
    """A sum as Decimal to the fen (SQLite hands sums of decimals back as floats)."""
    return ZERO if value is None else Decimal(str(value)).quantize(ZERO)


def unit_balances(units: Iterable[Unit]) -> list[UnitBalance]:
    """What each of ``units`` owes and holds in advance (one query); ``units`` come with
    their compound (``units_of_user_everywhere``)."""
    units = list(units)
    if not units:
        return []
    by_id = {u.pk: u for u in units}
    rows = {
        b.unit.pk: b
        for b in units_with_balances(
            Unit.objects.filter(pk__in=list(by_id)).select_related("compound", "building")
        )
    }
    return [UnitBalance(unit=u, owed=rows[u.pk].owed, credit=rows[u.pk].credit) for u in units]
