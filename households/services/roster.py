"""Roster import (业主名册导入): a checked roster file into the compound register, all rows
or none, as a plan worked out in memory and then written in bulk."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Compound, Membership, Role
from portal.services import compound_memberships_grant, compound_memberships_revoke

from ..models import Owner, OwnerKind, Ownership, Unit
from ..roster import (
    Roster,
    RosterContext,
    RosterFileError,
    RosterOwner,
    RowError,
    read_table,
    validate_roster,
)
from .locks import register_lock

BATCH = 500


@dataclass
class ImportReport:
    """What an import did (or would do, or why it did nothing): counts, never names."""

    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    source: str = ""
    dry_run: bool = False
    units_created: int = 0
    units_updated: int = 0
    units_unchanged: int = 0
    units_not_in_file: int = 0
    owners_created: int = 0
    owners_updated: int = 0
    ownerships_opened: int = 0
    ownerships_closed: int = 0
    ownerships_updated: int = 0
    # Accounts (linked to owners) whose resident role the import takes away (their last
    # current ownership in the compound ended) or gives (back) (an ownership opened).
    resident_roles_revoked: int = 0
    resident_roles_granted: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> int:
        """Rows of the register written; 0 when the file matches the register."""
        return (
            self.units_created
            + self.units_updated
            + self.owners_created
            + self.owners_updated
            + self.ownerships_opened
            + self.ownerships_closed
            + self.ownerships_updated
        )

    def counts(self) -> dict[str, int]:
        return {
            name: getattr(self, name)
            for name in (
                "rows",
                "units_created",
                "units_updated",
                "units_unchanged",
                "units_not_in_file",
                "owners_created",
                "owners_updated",
                "ownerships_opened",
                "ownerships_closed",
                "ownerships_updated",
                "resident_roles_revoked",
                "resident_roles_granted",
            )
        }


@dataclass
class _Plan:
    """The writes an import needs, worked out in memory before anything is written."""

    new_owners: list[Owner] = field(default_factory=list)
    changed_owners: list[Owner] = field(default_factory=list)
    new_units: list[Unit] = field(default_factory=list)
    changed_units: list[Unit] = field(default_factory=list)
    closed: list[Ownership] = field(default_factory=list)
    changed: list[Ownership] = field(default_factory=list)
    opened: list[Ownership] = field(default_factory=list)
    unchanged_units: int = 0
    registered_units: int = 0
    # owner id -> the account linked to it, for the owners of the register that have one
    owner_users: dict[int, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


def roster_context(compound: Compound, *, today: dt.date) -> RosterContext:
    """What the pure checks need to know about ``compound``'s register (three queries)."""
    return RosterContext(
        buildings=frozenset(compound.buildings.values_list("number", flat=True)),
        property_right_units=frozenset(
            compound.property_right_units.values_list("name", flat=True)
        ),
        registered_names=dict(
            compound.owners.exclude(id_number="").values_list("id_number", "name")
        ),
        today=today,
    )


@transaction.atomic
def roster_import(
    *,
    compound: Compound,
    data: bytes,
    actor: AbstractBaseUser | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Import a roster file (XLSX or CSV) into ``compound``: all rows or none.

    Every row is checked first; one bad row and nothing is written, the report listing
    every bad row. A file equal to the register changes nothing. A corrected file updates
    units and owners in place; a unit whose owners changed has its old ownership rows
    closed (``valid_to``) and new ones opened, so the history stays; an account left with
    no current ownership in the compound loses its resident role in the same transaction,
    and an account whose owner gets an ownership has it (back). Units of the
    register that the file does not mention are left alone. With ``dry_run`` the report
    says what would change and nothing is written.
    """
    today = today or timezone.localdate()
    # One import per compound at a time: the plan below is worked out from a snapshot.
    register_lock(compound.pk)
    report = ImportReport(dry_run=dry_run)
    try:
        table = read_table(data)
    except RosterFileError as exc:
        report.errors = [RowError(None, "", str(exc))]
        return _rejected(compound, actor, report)
    report.source = table.source
    roster = validate_roster(table, roster_context(compound, today=today))
    report.rows = roster.row_count
    if not roster.ok:
        report.errors = roster.errors
        return _rejected(compound, actor, report)
    plan = _plan(compound, roster, today=today)
    if plan.errors:
        report.errors = plan.errors
        return _rejected(compound, actor, report)

    report.units_created = len(plan.new_units)
    report.units_updated = len(plan.changed_units)
    report.units_unchanged = plan.unchanged_units
    report.units_not_in_file = plan.registered_units - report.units_updated - plan.unchanged_units
    report.owners_created = len(plan.new_owners)
    report.owners_updated = len(plan.changed_owners)
    report.ownerships_opened = len(plan.opened)
    report.ownerships_closed = len(plan.closed)
    report.ownerships_updated = len(plan.changed)
    roles = _resident_roles(compound, plan)
    report.resident_roles_revoked = len(roles.revoke)
    report.resident_roles_granted = len(roles.grant)
    if dry_run:
        return report
    _apply(plan)
    audit_record(action="roster.import", actor=actor, compound=compound, data=report.counts())
    # In the same transaction: a former owner loses the compound's resident role the moment
    # the register says so; an account whose owner comes back gets it again.
    compound_memberships_revoke(
        compound=compound,
        role=Role.RESIDENT,
        user_ids=roles.revoke,
        reason=OWNERSHIP_ENDED,
        actor=actor,
    )
    compound_memberships_grant(
        compound=compound,
        role=Role.RESIDENT,
        user_ids=roles.grant,
        reason=OWNERSHIP_STARTED,
        actor=actor,
    )
    return report


OWNERSHIP_ENDED = "ownership ended"
OWNERSHIP_STARTED = "ownership started"


@dataclass(frozen=True)
class _ResidentRoles:
    revoke: frozenset[int]
    grant: frozenset[int]


def _resident_roles(compound: Compound, plan: _Plan) -> _ResidentRoles:
    """The accounts whose resident role in ``compound`` the plan changes: those linked
    to an owner whose ownership closes and who, once the plan is applied, hold no current
    ownership in the compound through any owner record (revoke), and those linked to an
    owner who gets an ownership and lack the role (grant). Worked out before the writes
    (so a dry run can report it) in at most two queries, whatever the size of the file.

    The owner records keep their account link, so the history shows whose account owned
    a unit, and an owner who buys back into the compound has their account back at once.
    """
    leaving = {plan.owner_users[o.owner_id] for o in plan.closed if o.owner_id in plan.owner_users}
    coming = {o.owner.user_id for o in plan.opened if o.owner.user_id is not None}
    leaving -= coming
    if leaving:
        closed = {o.pk for o in plan.closed}
        keeping = {
            user_id
            for pk, user_id in compound.ownerships.current()
            .filter(owner__user_id__in=leaving)
            .values_list("pk", "owner__user_id")
            if pk not in closed
        }
        leaving -= keeping
    if not leaving and not coming:
        return _ResidentRoles(frozenset(), frozenset())
    held = set(
        Membership.objects.filter(
            compound=compound, role=Role.RESIDENT, user_id__in=leaving | coming
        ).values_list("user_id", flat=True)
    )
    return _ResidentRoles(revoke=frozenset(leaving & held), grant=frozenset(coming - held))


def _rejected(
    compound: Compound, actor: AbstractBaseUser | None, report: ImportReport
) -> ImportReport:
    if not report.dry_run:
        audit_record(
            action="roster.import_rejected",
            actor=actor,
            compound=compound,
            data={"rows": report.rows, "bad_rows": len({e.row for e in report.errors})},
        )
    return report


def _plan(compound: Compound, roster: Roster, *, today: dt.date) -> _Plan:
    """Match the file's units and owners to the register and list the writes (six
    queries, whatever the size of the file)."""
    plan = _Plan()
    buildings = {b.number: b for b in compound.buildings.all()}
    building_numbers = {b.id: number for number, b in buildings.items()}
    units = {
        (building_numbers[u.building_id], u.number): u
        for u in compound.units.only(
            "id",
            "compound_id",
            "building_id",
            "number",
            "floor_area",
            "area_source",
            "is_residential",
        )
    }
    plan.registered_units = len(units)
    prus = {p.name: p for p in compound.property_right_units.all()}
    owners: dict[str, Owner] = {}
    for owner in compound.owners.all():
        if owner.user_id is not None:
            plan.owner_users[owner.pk] = owner.user_id
        if owner.property_right_unit_id:
            owners.setdefault(f"pru-id:{owner.property_right_unit_id}", owner)
        elif owner.id_number:
            owners[f"id:{owner.id_number}"] = owner
        elif owner.kind == OwnerKind.ORGANISATION:
            owners.setdefault(f"org:{owner.name}", owner)
    current: dict[int, list[Ownership]] = defaultdict(list)
    for ownership in compound.ownerships.current():
        current[ownership.unit_id].append(ownership)

    changed_owner_ids: set[int] = set()

    def owner_for(entry: RosterOwner) -> Owner:
        key = entry.key
        if entry.property_right_unit:
            pru = prus[entry.property_right_unit]
            key = f"pru-id:{pru.id}"
        owner = owners.get(key)
        if owner is None:
            owner = Owner(
                compound=compound,
                kind=entry.kind,
                name=entry.name,
                id_number=entry.id_number,
                phone=entry.phone,
                property_right_unit=prus[entry.property_right_unit]
                if entry.property_right_unit
                else None,
            )
            owners[key] = owner
            plan.new_owners.append(owner)
            return owner
        if owner.pk is None:
            return owner
        changed = False
        if entry.phone and owner.phone != entry.phone:
            owner.phone = entry.phone
            changed = True
        if not owner.property_right_unit_id and owner.kind != entry.kind:
            owner.kind = entry.kind
            changed = True
        if changed and owner.pk not in changed_owner_ids:
            changed_owner_ids.add(owner.pk)
            plan.changed_owners.append(owner)
        return owner

    for entry in roster.units:
        unit = units.get((entry.building, entry.number))
        if unit is None:
            unit = Unit(
                compound=compound,
                building=buildings[entry.building],
                number=entry.number,
                floor_area=entry.floor_area,
                area_source=entry.area_source,
                is_residential=entry.is_residential,
            )
            plan.new_units.append(unit)
        elif (unit.floor_area, unit.area_source, unit.is_residential) != (
            entry.floor_area,
            entry.area_source,
            entry.is_residential,
        ):
            unit.floor_area = entry.floor_area
            unit.area_source = entry.area_source
            unit.is_residential = entry.is_residential
            plan.changed_units.append(unit)
        else:
            plan.unchanged_units += 1
        wanted = [(e, owner_for(e)) for e in entry.owners]
        _plan_ownerships(
            plan,
            compound,
            unit,
            wanted,
            current.get(unit.pk, []),
            row=entry.rows[0],
            column=roster.headers.get("valid_from", "起始日期"),
            today=today,
        )
    return plan


def _plan_ownerships(
    plan: _Plan,
    compound: Compound,
    unit: Unit,
    wanted: list[tuple[RosterOwner, Owner]],
    held: list[Ownership],
    *,
    row: int,
    column: str,
    today: dt.date,
) -> None:
    """Keep the owners who stay (updating share, representative, start date in place),
    close the rows of those who left, open rows for those who came."""
    held_by_owner = {o.owner_id: o for o in held}
    kept = set()
    opened: list[tuple[int, Ownership]] = []
    for entry, owner in wanted:
        ownership = held_by_owner.get(owner.pk) if owner.pk else None
        if ownership is None:
            opened.append(
                (
                    entry.row,
                    Ownership(
                        compound=compound,
                        unit=unit,
                        owner=owner,
                        share=entry.share,
                        is_representative=entry.is_representative,
                        valid_from=entry.valid_from or today,
                    ),
                )
            )
            continue
        kept.add(ownership.pk)
        new_values = (
            entry.share,
            entry.is_representative,
            entry.valid_from or ownership.valid_from,
        )
        if (ownership.share, ownership.is_representative, ownership.valid_from) != new_values:
            ownership.share, ownership.is_representative, ownership.valid_from = new_values
            plan.changed.append(ownership)
    leaving = [o for o in held if o.pk not in kept]
    if leaving:
        new_start, row = min(
            ((o.valid_from, opened_row) for opened_row, o in opened), default=(today, row)
        )
        for ownership in leaving:
            if new_start < ownership.valid_from:
                plan.errors.append(
                    RowError(
                        row,
                        column,
                        _("起始日期早于原业主的起始日期（%(date)s），无法据此变更产权")
                        % {"date": ownership.valid_from.isoformat()},
                    )
                )
                continue
            ownership.valid_to = max(ownership.valid_from, new_start - dt.timedelta(days=1))
            plan.closed.append(ownership)
    plan.opened.extend(o for _row, o in opened)


def _clean(objects: Iterable[models.Model], *, exclude: list[str]) -> None:
    """Field validation of each object before writing. Foreign keys, uniqueness and
    constraints are left to the plan and the database: checking them here would cost a
    query per object, and the import must stay well under ten seconds for 1,412 units."""
    for obj in objects:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


def _apply(plan: _Plan) -> None:
    _clean(
        plan.new_owners + plan.changed_owners, exclude=["compound", "user", "property_right_unit"]
    )
    _clean(plan.new_units + plan.changed_units, exclude=["compound", "building"])
    _clean(plan.closed + plan.changed + plan.opened, exclude=["compound", "unit", "owner"])
    Owner.objects.bulk_create(plan.new_owners, batch_size=BATCH)
    Owner.objects.bulk_update(plan.changed_owners, ["phone", "kind"], batch_size=BATCH)
    Unit.objects.bulk_create(plan.new_units, batch_size=BATCH)
    Unit.objects.bulk_update(
        plan.changed_units, ["floor_area", "area_source", "is_residential"], batch_size=BATCH
    )
    # Close before opening: (unit, owner) may have one current row only.
    Ownership.objects.bulk_update(plan.closed, ["valid_to"], batch_size=BATCH)
    Ownership.objects.bulk_update(
        plan.changed, ["share", "is_representative", "valid_from"], batch_size=BATCH
    )
    Ownership.objects.bulk_create(plan.opened, batch_size=BATCH)
