"""Activation with a letter's code (households.services.activation): hostile inputs."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from households.models import ActivationCode, ActivationFailure, Owner, Ownership, Unit
from households.services.activation import (
    REFUSED_MESSAGE,
    ActivationRefused,
    ActivationThrottled,
    account_activate,
)
from portal.models import AuditEntry, Membership, Role
from tests.concurrency import at_once, raised
from tests.conftest import needs_postgres
from tests.factories import make_cast, make_user
from tests.households.activation_helpers import (
    NEW_PASSWORD,
    give_id,
    issue_code,
    owner_of,
    unit_of,
)

IP = "203.0.113.7"


@pytest.fixture
def unit(cast) -> Unit:
    return unit_of(cast)


@pytest.fixture
def owner(unit) -> Owner:
    owner = owner_of(unit)
    give_id(owner, 21)
    return owner


def activate(code, suffix, username="zhangsan", password=NEW_PASSWORD, **kwargs):
    return account_activate(
        code=code, id_suffix=suffix, username=username, password=password, ip=IP, **kwargs
    )


def test_activation_makes_a_resident_linked_to_the_owner(cast, unit, owner):
    code = issue_code(unit)
    result = activate(code, owner.id_number[-6:])
    user = result.user
    assert result.account_created and user.username == "zhangsan"
    assert user.check_password(NEW_PASSWORD)
    owner.refresh_from_db()
    assert owner.user == user
    assert list(Unit.objects.owned_by(user)) == [unit]
    assert Membership.objects.filter(user=user, role=Role.RESIDENT, compound=cast.compound).exists()
    row = ActivationCode.objects.get(unit=unit)
    assert row.used_by == user and row.used_at is not None
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"user.create", "owner.link_user", "membership.create", "activation.complete"} <= actions


def test_code_as_typed_separators_and_case_ignored_and_lowercase_x(cast, unit, owner):
    owner.id_number = owner.id_number[:17] + "X"
    owner.save(update_fields=["id_number"])
    code = issue_code(unit)
    typed = " " + code.lower().replace("-", " ") + " "
    result = activate(typed, owner.id_number[-6:].lower())
    assert result.units == (unit,)


def test_one_person_with_several_units_is_linked_to_all(cast, unit, owner):
    other = unit_of(cast, "1", "0301")
    Ownership.objects.filter(unit=other).delete()
    Ownership.objects.create(
        compound=cast.compound, unit=other, owner=owner, valid_from=dt.date(2020, 1, 1)
    )
    result = activate(issue_code(unit), owner.id_number[-6:])
    assert set(result.units) == {unit, other}
    assert set(Unit.objects.owned_by(result.user)) == {unit, other}


def test_a_co_owner_activates_with_their_own_suffix_and_the_code_is_then_used(cast, unit, owner):
    co = Owner.objects.create(compound=cast.compound, name="共有人乙")
    give_id(co, 22)
    Ownership.objects.create(
        compound=cast.compound,
        unit=unit,
        owner=co,
        valid_from=dt.date(2020, 1, 1),
        is_representative=False,
    )
    code = issue_code(unit)
    result = activate(code, co.id_number[-6:], username="gongyouren")
    assert result.owner == co and result.units == (unit,)
    # the representative's suffix no longer works: the household's code is used
    with pytest.raises(ActivationRefused):
        activate(code, owner.id_number[-6:])
    owner.refresh_from_db()
    assert owner.user is None


def _refusal(code, suffix, **kwargs) -> str:
    with pytest.raises(ActivationRefused) as err:
        activate(code, suffix, **kwargs)
    return str(err.value.message)


def test_every_kind_of_wrong_or_unusable_code_gets_the_same_answer(cast, unit, owner):
    suffix = owner.id_number[-6:]
    now = timezone.now()
    units = list(cast.compound.units.exclude(pk=unit.pk))
    expired = issue_code(units[0], days=-1)
    revoked = issue_code(units[1], revoked_at=now)
    locked = issue_code(units[2], locked_at=now)
    used = issue_code(units[3], used_at=now)
    good = issue_code(unit)
    wrong_secret = good[:6] + ("2" if good[6] != "2" else "3") + good[7:]
    messages = {
        "unknown": _refusal("ABCDE-FGHJK-MNPQR", suffix),
        "malformed": _refusal("not a code at all <script>", suffix),
        "huge": _refusal("A" * 100_000, suffix),
        "wrong secret": _refusal(wrong_secret, suffix),
        "wrong suffix": _refusal(good, "000000"),
        "expired": _refusal(expired, suffix),
        "revoked": _refusal(revoked, suffix),
        "locked": _refusal(locked, suffix),
        "used": _refusal(used, suffix),
    }
    assert set(messages.values()) == {str(REFUSED_MESSAGE)}
    assert not User.objects.filter(username="zhangsan").exists()
    # each refusal counted against the address; the right code was never used
    assert ActivationFailure.objects.filter(ip=IP).count() == len(messages)
    assert ActivationCode.objects.get(unit=unit).used_at is None


def test_the_code_locks_after_five_wrong_suffixes(cast, unit, owner, settings):
    settings.ACTIVATION_ADDRESS_LIMIT = 100
    code = issue_code(unit)
    for n in range(1, 6):
        with pytest.raises(ActivationRefused):
            activate(code, f"00000{n}")
    row = ActivationCode.objects.get(unit=unit)
    assert row.failed_attempts == 5 and row.locked_at is not None
    assert AuditEntry.objects.filter(action="activation_code.lock").count() == 1
    with pytest.raises(ActivationRefused):
        activate(code, owner.id_number[-6:])  # even the right suffix now
    owner.refresh_from_db()
    assert owner.user is None


def test_wrong_secrets_of_a_known_selector_count_against_the_code(cast, unit, owner, settings):
    settings.ACTIVATION_ADDRESS_LIMIT = 100
    code = issue_code(unit)
    for n in range(5):
        wrong = code[:6] + "23456789AB"[n] * 5 + code[11:]
        if wrong == code:
            continue
        with pytest.raises(ActivationRefused):
            activate(wrong, owner.id_number[-6:])
    assert ActivationCode.objects.get(unit=unit).failed_attempts >= 4


def test_an_address_with_too_many_failures_is_refused_whatever_it_sends(
    cast, unit, owner, settings
):
    settings.ACTIVATION_ADDRESS_LIMIT = 3
    code = issue_code(unit)
    for _ in range(3):
        with pytest.raises(ActivationRefused):
            activate("ABCDE-FGHJK-MNPQR", "123456")
    with pytest.raises(ActivationThrottled):
        activate(code, owner.id_number[-6:])  # the right code, from the refused address
    assert ActivationCode.objects.get(unit=unit).used_at is None
    # another address is not held up
    result = account_activate(
        code=code,
        id_suffix=owner.id_number[-6:],
        username="zhangsan",
        password=NEW_PASSWORD,
        ip="198.51.100.1",
    )
    assert result.units == (unit,)


def test_old_failures_leave_the_window(cast, unit, owner, settings):
    settings.ACTIVATION_ADDRESS_LIMIT = 2
    long_ago = timezone.now() - dt.timedelta(hours=2)
    ActivationFailure.objects.bulk_create(
        [ActivationFailure(ip=IP, created_at=long_ago) for _ in range(5)]
    )
    assert activate(issue_code(unit), owner.id_number[-6:]).units == (unit,)


def test_a_weak_password_is_refused_before_the_code_is_read(cast, unit, owner):
    code = issue_code(unit)
    for c in (code, "ABCDE-FGHJK-MNPQR"):
        with pytest.raises(ValidationError) as err:
            activate(c, owner.id_number[-6:], password="12345678")
        assert "password" in err.value.message_dict
    assert ActivationFailure.objects.count() == 0
    assert ActivationCode.objects.get(unit=unit).failed_attempts == 0


@pytest.mark.parametrize("username", ["", "has space", "x" * 151, "名字/slash"])
def test_a_malformed_login_is_named(cast, unit, owner, username):
    with pytest.raises(ValidationError) as err:
        activate(issue_code(unit), owner.id_number[-6:], username=username)
    assert "username" in err.value.message_dict


@pytest.mark.parametrize("suffix", ["", "12345", "1234567", "12 34 5", "１２３４５６", "<b>12"])
def test_a_suffix_that_cannot_be_one_is_named(cast, unit, owner, suffix):
    with pytest.raises(ValidationError) as err:
        activate(issue_code(unit), suffix)
    assert "id_suffix" in err.value.message_dict


def test_a_taken_login_is_told_only_to_the_holder_of_a_right_code(cast, unit, owner):
    make_user("zhangsan")
    code = issue_code(unit)
    with pytest.raises(ActivationRefused):
        activate("ABCDE-FGHJK-MNPQR", owner.id_number[-6:])
    with pytest.raises(ValidationError) as err:
        activate(code, owner.id_number[-6:])
    assert "username" in err.value.message_dict
    # nothing half-saved: the code still open, the owner unlinked, no failure counted
    row = ActivationCode.objects.get(unit=unit)
    assert row.used_at is None and row.failed_attempts == 0
    owner.refresh_from_db()
    assert owner.user is None
    assert activate(code, owner.id_number[-6:], username="zhangsan2").units == (unit,)


def test_an_owner_with_an_account_is_told_to_log_in(cast, unit, owner):
    first = activate(issue_code(unit), owner.id_number[-6:])
    again = issue_code(unit)  # a reprint
    with pytest.raises(ValidationError) as err:
        activate(again, owner.id_number[-6:], username="second")
    assert err.value.code == "owner_has_account"
    assert not User.objects.filter(username="second").exists()
    # logged in as that account, the reprint simply links (and is used)
    result = activate(again, owner.id_number[-6:], username="", password="", user=first.user)
    assert not result.account_created and result.user == first.user


def test_logged_in_activation_links_to_the_account_in_use(cast, unit, owner):
    """A person who activated another compound, or holds a staff account, needs no second
    login: the units go to the account they are using."""
    result = activate(
        issue_code(unit), owner.id_number[-6:], username="", password="", user=cast.officer
    )
    assert result.user == cast.officer and not result.account_created
    assert list(Unit.objects.owned_by(cast.officer)) == [unit]
    assert User.objects.filter(username="zhangsan").count() == 0


def test_logged_in_activation_cannot_take_an_owner_linked_to_someone_else(cast, unit, owner):
    owner.user = cast.resident
    owner.save(update_fields=["user"])
    with pytest.raises(ValidationError):
        activate(issue_code(unit), owner.id_number[-6:], user=cast.committee)
    owner.refresh_from_db()
    assert owner.user == cast.resident


def test_a_former_owner_cannot_activate_the_unit(cast, unit, owner):
    Ownership.objects.filter(unit=unit).update(valid_to=dt.date(2024, 1, 1))
    with pytest.raises(ActivationRefused):
        activate(issue_code(unit), owner.id_number[-6:])


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_activations_of_one_code_one_wins():
    cast = make_cast()
    unit = unit_of(cast)
    owner = owner_of(unit)
    give_id(owner, 23)
    code = issue_code(unit)
    outcomes = at_once(
        [
            lambda name=name: activate(code, owner.id_number[-6:], username=name)
            for name in ("first", "second")
        ]
    )
    losses = raised(outcomes)
    wins = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(wins) == 1 and len(losses) == 1
    assert isinstance(losses[0], (ActivationRefused, ValidationError))
    assert User.objects.filter(username__in=["first", "second"]).count() == 1
    owner.refresh_from_db()
    assert owner.user == wins[0].user
