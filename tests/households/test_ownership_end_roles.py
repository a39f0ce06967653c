"""Ownership changes and roles (issue 11): when the roster ends an account's last ownership
in a compound, the account loses that compound's resident role in the same transaction
(audited; the ownership rows and the owner's account link stay as history); an owner who
still holds another unit keeps it; an owner who comes back gets it back."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Owner, Ownership, Unit
from households.services import roster_import
from households.services.activation import ActivationRefused, account_activate
from portal.landing import landing_url
from portal.models import AuditEntry, Compound, Membership, Role
from tests.households.activation_helpers import NEW_PASSWORD, give_id, issue_code, owner_of
from tests.households.roster_files import csv_bytes, make_id, owner_row
from tests.voting.helpers import make_decision
from voting.selectors import roll_entries_for_user

TODAY = dt.date(2025, 3, 1)
NO_FLATS = "您的账号尚未关联任何街道、小区或房屋"


def unit(compound: Compound, building: str, number: str) -> Unit:
    return compound.units.get(building__number=building, number=number)


def is_resident(user: User, compound: Compound) -> bool:
    return Membership.objects.filter(user=user, compound=compound, role=Role.RESIDENT).exists()


def row_of(owner: Owner, building: str, number: str, **extra) -> dict:
    """A roster row naming the registered ``owner`` (by its ID number) for a unit."""
    return owner_row(building, number, owner.name, 0, 证件号码=owner.id_number, **extra)


def sale(building: str, number: str, seq: int, start: str = "2025-02-01") -> dict:
    return owner_row(building, number, f"买受人{seq}", seq, 起始日期=start)


def do_import(cast, rows, **kwargs):
    report = roster_import(
        compound=cast.compound, data=csv_bytes(rows), actor=cast.committee, today=TODAY, **kwargs
    )
    assert report.ok, report.errors
    return report


@pytest.fixture
def resident_owner(cast) -> Owner:
    """The cast's resident's owner record (unit 1-0101), with a valid ID number."""
    owner = Owner.objects.get(user=cast.resident, compound=cast.compound)
    give_id(owner, 71)
    return owner


def test_ending_the_only_ownership_revokes_the_resident_role(cast, client, resident_owner):
    flat = unit(cast.compound, "1", "0101")
    report = do_import(cast, [sale("1", "0101", 81)])

    assert (report.ownerships_closed, report.resident_roles_revoked) == (1, 1)
    assert not is_resident(cast.resident, cast.compound)
    # history kept: the closed row, and whose account it was
    ended = Ownership.objects.get(unit=flat, owner=resident_owner)
    assert ended.valid_to == dt.date(2025, 1, 31)
    resident_owner.refresh_from_db()
    assert resident_owner.user_id == cast.resident.pk
    entry = AuditEntry.objects.filter(action="membership.revoke").get()
    assert entry.compound_id == cast.compound.pk and entry.actor_id == cast.committee.pk
    assert entry.data["reason"] == "ownership ended"
    assert entry.data["usernames"] == ["resident"] and entry.data["role"] == "resident"

    client.force_login(cast.resident)
    for url in (
        reverse("fees:my", args=["home"]),
        reverse("voting:decisions", args=["home"]),
        reverse("unit", args=["home", flat.pk]),
        "/api/v1/compounds/home/units/",
        f"/api/v1/compounds/home/units/{flat.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    # lands on a friendly page saying the account has nothing linked, not an error
    assert landing_url(cast.resident) == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    page = home.content.decode()
    assert NO_FLATS in page and "0101" not in page


def test_the_other_residents_keep_their_role(cast, resident_owner):
    neighbour = owner_of(unit(cast.compound, "1", "0201"))
    other = User.objects.create_user("neighbour")
    Owner.objects.filter(pk=neighbour.pk).update(user=other)
    Membership.objects.create(user=other, compound=cast.compound, role=Role.RESIDENT)
    do_import(cast, [sale("1", "0101", 82)])
    assert is_resident(other, cast.compound)
    # the resident of another compound is untouched too
    assert is_resident(cast.outsider_resident, cast.other_compound)


def test_an_owner_of_two_units_selling_one_keeps_the_role_and_sees_the_other(
    cast, client, resident_owner
):
    first, second = unit(cast.compound, "1", "0101"), unit(cast.compound, "1", "0201")
    give_id(owner_of(second), 72)
    report = do_import(cast, [row_of(resident_owner, "1", "0201", 起始日期="2024-06-01")])
    assert report.ownerships_opened == 1 and report.resident_roles_granted == 0
    assert set(Unit.objects.owned_by(cast.resident)) == {first, second}

    report = do_import(cast, [sale("1", "0101", 83)])
    assert (report.ownerships_closed, report.resident_roles_revoked) == (1, 0)
    assert is_resident(cast.resident, cast.compound)
    assert not AuditEntry.objects.filter(action="membership.revoke").exists()
    assert list(Unit.objects.owned_by(cast.resident)) == [second]
    client.force_login(cast.resident)
    assert client.get(reverse("unit", args=["home", first.pk])).status_code == 404
    assert client.get(reverse("unit", args=["home", second.pk])).status_code == 200
    api = client.get("/api/v1/compounds/home/units/").json()["results"]
    assert [u["id"] for u in api] == [second.pk]


def test_a_co_owner_who_is_not_the_representative_sees_the_unit_but_cannot_vote(
    cast, client, resident_owner
):
    first, second = unit(cast.compound, "1", "0101"), unit(cast.compound, "1", "0201")
    representative = owner_of(second)
    give_id(representative, 73)
    do_import(
        cast,
        [
            row_of(representative, "1", "0201", 份额="0.5", 共有人代表="是", 起始日期="2020-01-01"),
            row_of(resident_owner, "1", "0201", 份额="0.5", 共有人代表="否", 起始日期="2024-06-01"),
        ],
    )
    report = do_import(cast, [sale("1", "0101", 84)])
    # still a current (co-)owner of 1-0201: the role stays
    assert report.resident_roles_revoked == 0 and is_resident(cast.resident, cast.compound)
    client.force_login(cast.resident)
    assert client.get(reverse("unit", args=["home", second.pk])).status_code == 200
    assert client.get(reverse("unit", args=["home", first.pk])).status_code == 404
    decision = make_decision(cast)
    assert not roll_entries_for_user(decision, cast.resident).exists()


def test_an_owner_who_buys_back_into_the_compound_gets_the_role_back(cast, client, resident_owner):
    second = unit(cast.compound, "1", "0201")
    give_id(owner_of(second), 74)
    do_import(cast, [sale("1", "0101", 85)])
    assert not is_resident(cast.resident, cast.compound)

    report = do_import(cast, [row_of(resident_owner, "1", "0201", 起始日期="2025-02-15")])
    assert (report.ownerships_opened, report.ownerships_closed) == (1, 1)
    assert report.resident_roles_granted == 1
    assert is_resident(cast.resident, cast.compound)
    entry = AuditEntry.objects.filter(action="membership.create").order_by("-id").first()
    assert entry.data["reason"] == "ownership started"
    assert entry.data["usernames"] == ["resident"] and entry.actor_id == cast.committee.pk
    assert list(Unit.objects.owned_by(cast.resident)) == [second]
    client.force_login(cast.resident)
    assert client.get(reverse("unit", args=["home", second.pk])).status_code == 200
    assert client.get(reverse("fees:my", args=["home"])).status_code == 200


def test_a_dry_run_reports_the_role_changes_and_changes_nothing(cast, resident_owner):
    audit_before = AuditEntry.objects.count()
    report = do_import(cast, [sale("1", "0101", 86)], dry_run=True)
    assert report.resident_roles_revoked == 1
    assert is_resident(cast.resident, cast.compound)
    assert AuditEntry.objects.count() == audit_before


def test_a_rejected_import_keeps_the_role(cast, resident_owner):
    bad = sale("1", "0101", 87)
    bad["证件号码"] = "123"
    report = roster_import(
        compound=cast.compound, data=csv_bytes([bad]), actor=cast.committee, today=TODAY
    )
    assert not report.ok
    assert is_resident(cast.resident, cast.compound)
    assert Ownership.objects.get(unit__number="0101", owner=resident_owner).valid_to is None


def test_the_new_owner_activates_anew_and_the_former_owner_cannot(cast, resident_owner):
    flat = unit(cast.compound, "1", "0101")
    do_import(cast, [sale("1", "0101", 88)])
    code = issue_code(flat)
    with pytest.raises(ActivationRefused):
        account_activate(
            code=code,
            id_suffix=resident_owner.id_number[-6:],
            username="again",
            password=NEW_PASSWORD,
            ip="192.0.2.9",
        )
    buyer = account_activate(
        code=code,
        id_suffix=make_id(88)[-6:],
        username="buyer88",
        password=NEW_PASSWORD,
        ip="192.0.2.9",
    )
    assert buyer.units == (flat,) and is_resident(buyer.user, cast.compound)
    assert not is_resident(cast.resident, cast.compound)


def _link_owners(compound: Compound, count: int, first_seq: int) -> list[dict]:
    """Link ``count`` of ``compound``'s owners to resident accounts; the rows selling
    their units."""
    rows = []
    owned = (
        Ownership.objects.current()
        .filter(compound=compound)
        .select_related("owner", "unit__building")
    )
    for n, ownership in enumerate(owned.order_by("unit__building__number", "unit__number")):
        if n >= count:
            break
        user = User.objects.create_user(f"{compound.code}-owner-{n}")
        Owner.objects.filter(pk=ownership.owner_id).update(user=user)
        Membership.objects.create(user=user, compound=compound, role=Role.RESIDENT)
        u = ownership.unit
        rows.append(sale(u.building.number, u.number, first_seq + n))
    return rows


def _import_queries(compound: Compound, rows: list[dict]) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        report = roster_import(compound=compound, data=csv_bytes(rows), today=TODAY)
    assert report.ok, report.errors
    return len(queries), report.resident_roles_revoked


def test_the_import_costs_the_same_queries_however_many_roles_it_revokes(cast):
    small = _import_queries(cast.compound, _link_owners(cast.compound, 2, 100))
    large = _import_queries(cast.other_compound, _link_owners(cast.other_compound, 6, 200))
    assert small[1] == 2 and large[1] == 6
    assert small[0] == large[0]
    assert (
        Membership.objects.filter(role=Role.RESIDENT, user__username__contains="-owner-").count()
        == 0
    )


def test_the_role_changes_add_a_few_queries_to_an_import_not_one_per_account(cast):
    compound = cast.far_compound
    plain = [sale("1", "0101", 300)]
    without, _ = _import_queries(compound, plain)
    linked = _link_owners(cast.compound, 6, 310)
    with_roles, revoked = _import_queries(cast.compound, linked)
    assert revoked == 6
    # two reads, the delete, one audit entry, their savepoints: a fixed handful
    assert with_roles - without <= 12


def test_the_roster_page_says_which_roles_an_import_changes(cast, client, resident_owner):
    client.force_login(cast.committee)
    url = reverse("roster_import", args=["home"])
    data = csv_bytes([sale("1", "0101", 89)])
    page = client.post(url, {"file": SimpleUploadedFile("r.csv", data), "dry_run": "1"})
    text = page.content.decode()
    assert page.status_code == 200 and 'data-role="resident-roles-revoked"' in text
    assert "1 个业主账号在本小区已无房屋" in text
    assert is_resident(cast.resident, cast.compound)  # a dry run changes nothing
    page = client.post(url, {"file": SimpleUploadedFile("r.csv", data)})
    assert 'data-role="resident-roles-revoked"' in page.content.decode()
    assert not is_resident(cast.resident, cast.compound)
