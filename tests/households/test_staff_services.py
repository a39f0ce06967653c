"""Staff accounts and memberships (households.services.staff): who may create, grant,
revoke, deactivate and reactivate what, with hostile inputs; nothing half-saved."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from households.models import PropertyRightUnit
from households.services.staff import (
    OutsideScope,
    account_deactivate,
    account_reactivate,
    company_admin_set,
    staff_account_create,
    staff_membership_grant,
    staff_membership_revoke,
)
from portal.models import AccountState, AuditEntry, Membership, Role
from tests.factories import PASSWORD, make_member

User = get_user_model()
TOKEN = "/api/v1/auth/token/"


def codes(exc: pytest.ExceptionInfo) -> set[str]:
    error = exc.value
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def counts() -> tuple[int, int, int]:
    return User.objects.count(), Membership.objects.count(), AuditEntry.objects.count()


# --- creating accounts -------------------------------------------------------------------


def test_officer_creates_a_committee_member_with_a_one_time_password(cast):
    made = staff_account_create(
        actor=cast.officer,
        username="newcm",
        display_name="新委员",
        role="committee_member",
        compound=cast.compound,
    )
    user = User.objects.get(username="newcm")
    assert user.first_name == "新委员"
    assert user.check_password(made.one_time_password)
    assert len(made.one_time_password.replace("-", "")) == 12
    assert AccountState.objects.get(user=user).must_change_password
    assert AccountState.objects.get(user=user).created_by == cast.officer
    assert made.membership.role == Role.COMMITTEE_MEMBER
    assert made.membership.compound == cast.compound
    actions = list(AuditEntry.objects.filter(actor=cast.officer).values_list("action", flat=True))
    assert actions == ["user.create", "membership.create", "user.one_time_password"]
    # The password is never in the audit log.
    assert not AuditEntry.objects.filter(data__icontains=made.one_time_password).exists()


def test_company_staff_belongs_to_the_company_serving_the_compound(cast):
    made = staff_account_create(
        actor=cast.officer,
        username="newstaff",
        display_name="新员工",
        role=Role.COMPANY_STAFF,
        compound=cast.compound,
    )
    assert made.membership.service_company == cast.company
    assert made.membership.compound is None


def test_street_officer_of_the_compounds_office(cast):
    made = staff_account_create(
        actor=cast.officer,
        username="newso",
        display_name="新干部",
        role="street_officer",
        compound=cast.compound,
    )
    assert made.membership.street_office == cast.office


@pytest.mark.parametrize(
    ("who", "compound"),
    [
        ("officer", "far_compound"),  # another street office's compound
        ("committee", "compound"),  # a committee member grants nothing
        ("company_staff", "compound"),  # nor does plain company staff
        ("outsider_office", "compound"),
        ("resident", "compound"),
    ],
)
def test_a_role_outside_the_granters_scope_is_refused_and_nothing_saved(cast, who, compound):
    before = counts()
    with pytest.raises(OutsideScope) as exc:
        staff_account_create(
            actor=getattr(cast, who),
            username="intruder",
            display_name="X",
            role="committee_member",
            compound=getattr(cast, compound),
        )
    assert codes(exc) == {"outside_scope"}
    assert "只能在自己的管理范围内授予角色" in exc.value.messages[0]
    assert counts() == before


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("resident", "resident_not_here"),
        ("king", "unknown_role"),
        ("", "unknown_role"),
        ("street_officer'; DROP TABLE auth_user;--", "unknown_role"),
    ],
)
def test_unknown_roles_and_residents_are_refused(cast, role, code):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        staff_account_create(
            actor=cast.officer,
            username="x1",
            display_name="X",
            role=role,
            compound=cast.compound,
        )
    assert codes(exc) == {code}
    assert counts() == before


@pytest.mark.parametrize("username", ["committee", "COMMITTEE", " Committee "])
def test_a_duplicate_login_is_refused(cast, username):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        staff_account_create(
            actor=cast.officer,
            username=username,
            display_name="X",
            role="committee_member",
            compound=cast.compound,
        )
    assert codes(exc) == {"duplicate_username"}
    assert "已被使用" in exc.value.messages[0]
    assert counts() == before


@pytest.mark.parametrize(
    ("username", "name", "code"),
    [
        ("", "X", "username_required"),
        ("   ", "X", "username_required"),
        ("ok", "", "name_required"),
        ("has space", "X", "invalid"),
        ("x" * 151, "X", "max_length"),
    ],
)
def test_bad_login_or_name_is_refused(cast, username, name, code):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        staff_account_create(
            actor=cast.officer,
            username=username,
            display_name=name,
            role="committee_member",
            compound=cast.compound,
        )
    assert code in codes(exc)
    assert counts() == before


@pytest.mark.parametrize("password", ["123", "password123", "12345678901"])
def test_a_weak_chosen_password_is_refused(cast, password):
    before = counts()
    with pytest.raises(ValidationError):
        staff_account_create(
            actor=cast.officer,
            username="weakling",
            display_name="X",
            role="committee_member",
            compound=cast.compound,
            password=password,
        )
    assert counts() == before


def test_a_strong_chosen_password_is_the_password_and_must_still_change(cast):
    made = staff_account_create(
        actor=cast.officer,
        username="chosen",
        display_name="X",
        role="committee_member",
        compound=cast.compound,
        password="Lift-Repair-2023!",
    )
    assert made.one_time_password == "Lift-Repair-2023!"
    assert made.user.check_password("Lift-Repair-2023!")
    assert AccountState.objects.get(user=made.user).must_change_password


def test_property_unit_rep_named_representative_of_a_unit_of_that_compound_only(cast):
    home_pru = PropertyRightUnit.objects.create(compound=cast.compound, name="甲单位")
    far_pru = PropertyRightUnit.objects.create(compound=cast.far_compound, name="远单位")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        staff_account_create(
            actor=cast.officer,
            username="rep2",
            display_name="X",
            role="property_unit_rep",
            compound=cast.compound,
            property_unit=far_pru,
        )
    assert codes(exc) == {"property_unit_not_in_compound"}
    assert counts() == before
    made = staff_account_create(
        actor=cast.officer,
        username="rep2",
        display_name="X",
        role="property_unit_rep",
        compound=cast.compound,
        property_unit=home_pru,
    )
    home_pru.refresh_from_db()
    assert home_pru.representative == made.user


# --- company administrators --------------------------------------------------------------


@pytest.fixture
def company_admin(cast):
    Membership.objects.filter(user=cast.company_staff).update(can_manage_staff=True)
    return cast.company_staff


def test_company_admin_manages_only_that_companys_staff(cast, company_admin):
    made = staff_account_create(
        actor=company_admin,
        username="staff2",
        display_name="员工二",
        role="company_staff",
        service_company=cast.company,
    )
    assert made.membership.service_company == cast.company
    before = counts()
    for kwargs in [
        {"role": "company_staff", "compound": cast.other_compound},  # another company
        {"role": "committee_member", "compound": cast.compound},
        {"role": "street_officer", "compound": cast.compound},
    ]:
        with pytest.raises(OutsideScope):
            staff_account_create(actor=company_admin, username="nope", display_name="X", **kwargs)
    with pytest.raises(OutsideScope):  # only street officers name company admins
        staff_account_create(
            actor=company_admin,
            username="nope",
            display_name="X",
            role="company_staff",
            service_company=cast.company,
            company_admin=True,
        )
    assert counts() == before
    account_deactivate(actor=company_admin, user=made.user)
    assert not User.objects.get(pk=made.user.pk).is_active
    with pytest.raises(OutsideScope):  # the committee member is not the company's
        account_deactivate(actor=company_admin, user=cast.committee)


def test_street_officer_names_a_company_admin(cast):
    membership = Membership.objects.get(user=cast.company_staff)
    company_admin_set(actor=cast.officer, membership=membership, value=True)
    assert Membership.objects.get(pk=membership.pk).can_manage_staff
    assert AuditEntry.objects.filter(action="membership.company_admin").exists()
    with pytest.raises(OutsideScope):
        company_admin_set(actor=cast.outsider_office, membership=membership, value=False)
    with pytest.raises(ValidationError) as exc:
        company_admin_set(
            actor=cast.officer, membership=Membership.objects.get(user=cast.committee), value=True
        )
    assert codes(exc) == {"company_admin_not_for_role"}


# --- granting and revoking -----------------------------------------------------------------


def test_grant_inside_the_scope_only(cast):
    membership, created = staff_membership_grant(
        actor=cast.officer,
        user=cast.committee,
        role="committee_member",
        compound=cast.other_compound,
    )
    assert created and membership.compound == cast.other_compound
    assert staff_membership_grant(
        actor=cast.officer,
        user=cast.committee,
        role="committee_member",
        compound=cast.other_compound,
    ) == (membership, False)
    before = counts()
    with pytest.raises(OutsideScope):
        staff_membership_grant(
            actor=cast.officer,
            user=cast.committee,
            role="committee_member",
            compound=cast.far_compound,
        )
    with pytest.raises(OutsideScope):  # an account the officer does not manage
        staff_membership_grant(
            actor=cast.officer,
            user=cast.outsider_office,
            role="committee_member",
            compound=cast.compound,
        )
    assert counts() == before


def test_revoke_inside_the_scope_only(cast):
    far_officer = cast.outsider_office
    with pytest.raises(OutsideScope):
        staff_membership_revoke(
            actor=cast.officer, membership=Membership.objects.get(user=far_officer)
        )
    with pytest.raises(OutsideScope):  # residents are not revoked here
        staff_membership_revoke(
            actor=cast.officer, membership=Membership.objects.get(user=cast.resident)
        )
    staff_membership_revoke(
        actor=cast.officer, membership=Membership.objects.get(user=cast.committee)
    )
    assert not Membership.objects.filter(user=cast.committee).exists()
    entry = AuditEntry.objects.get(action="membership.revoke")
    assert entry.actor == cast.officer and entry.data["username"] == "committee"


def test_the_last_street_officer_stays(cast):
    root = User.objects.create_superuser("root", password=PASSWORD)
    only = Membership.objects.get(user=cast.officer)
    with pytest.raises(ValidationError) as exc:
        staff_membership_revoke(actor=root, membership=only)
    assert codes(exc) == {"last_street_officer"}
    with pytest.raises(ValidationError) as exc:
        account_deactivate(actor=root, user=cast.officer)
    assert codes(exc) == {"last_street_officer"}
    assert User.objects.get(pk=cast.officer.pk).is_active
    second = make_member("officer2", Role.STREET_OFFICER, street_office=cast.office)
    account_deactivate(actor=cast.officer, user=second)
    # An inactive second officer does not count: the first is still the last.
    with pytest.raises(ValidationError) as exc:
        account_deactivate(actor=root, user=cast.officer)
    assert codes(exc) == {"last_street_officer"}
    account_reactivate(actor=cast.officer, user=second)
    staff_membership_revoke(actor=second, membership=only)
    with pytest.raises(ValidationError) as exc:
        staff_membership_revoke(actor=root, membership=Membership.objects.get(user=second))
    assert codes(exc) == {"last_street_officer"}


def test_no_one_deactivates_themselves(cast):
    make_member("officer2", Role.STREET_OFFICER, street_office=cast.office)
    with pytest.raises(ValidationError) as exc:
        account_deactivate(actor=cast.officer, user=cast.officer)
    assert codes(exc) == {"own_account"}


def test_an_account_with_roles_elsewhere_is_not_deactivated_by_one_office(cast):
    Membership.objects.create(
        user=cast.committee, role=Role.COMMITTEE_MEMBER, compound=cast.far_compound
    )
    with pytest.raises(OutsideScope) as exc:
        account_deactivate(actor=cast.officer, user=cast.committee)
    assert "管理范围之外" in exc.value.messages[0]
    with pytest.raises(OutsideScope):
        account_deactivate(actor=cast.officer, user=cast.outsider_office)
    assert User.objects.get(pk=cast.committee.pk).is_active


# --- deactivation ends sessions and tokens at once ----------------------------------------


@pytest.mark.parametrize(
    "engine", ["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"]
)
def test_deactivation_ends_a_logged_in_session_and_token_at_once(cast, engine):
    with override_settings(SESSION_ENGINE=engine):
        browser = Client()
        assert browser.login(username="committee", password=PASSWORD)
        assert browser.get("/c/home/").status_code == 200
        api = Client()
        key = api.post(TOKEN, {"username": "committee", "password": PASSWORD}).json()["token"]
        auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
        assert api.get("/api/v1/compounds/", **auth).status_code == 200
        session_key = browser.session.session_key
        store = import_module(settings.SESSION_ENGINE).SessionStore
        if engine.endswith("cached_db"):
            assert cache.get(store.cache_key_prefix + session_key) is not None

        account_deactivate(actor=cast.officer, user=cast.committee)

        assert not Session.objects.filter(session_key=session_key).exists()
        if engine.endswith("cached_db"):
            assert cache.get(store.cache_key_prefix + session_key) is None
        response = browser.get("/c/home/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert api.get("/api/v1/compounds/", **auth).status_code == 401
        state = AccountState.objects.get(user=cast.committee)
        assert state.deactivated_at is not None and state.deactivated_by == cast.officer
        assert not Client().login(username="committee", password=PASSWORD)
        # Other users' sessions live on.
        other = Client()
        other.force_login(cast.resident)
        account_reactivate(actor=cast.officer, user=cast.committee)
        assert Client().login(username="committee", password=PASSWORD)
        assert other.get("/").status_code == 200
        assert AccountState.objects.get(user=cast.committee).deactivated_at is None
        assert set(
            AuditEntry.objects.filter(action__startswith="user.").values_list("action", flat=True)
        ) >= {"user.deactivate", "user.reactivate"}
