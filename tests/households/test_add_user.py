"""`manage.py add_user` and the `user_add` service: each role, each error, idempotency."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from households.models import PropertyRightUnit
from households.selectors import units_of_user
from households.services.accounts import user_add
from portal.access import compounds_for, roles_in
from portal.models import AuditEntry, Membership, Role, StreetOffice
from tests.factories import make_compound

User = get_user_model()
PASSWORD = "Str0ng-pass-2021"
# Owners of the cast's home compound (tests/factories.py): 1号楼 0201's owner is free,
# 1号楼 0101's already stands for the cast's resident.
HOME_OWNER_ID = "110101198001010102"
LINKED_OWNER_ID = "110101198001010101"


def add_user(*args: str) -> str:
    out = StringIO()
    call_command("add_user", *args, stdout=out)
    return out.getvalue()


def error_of(*args: str) -> str:
    with pytest.raises(CommandError) as exc:
        add_user(*args)
    return str(exc.value)


# --- each role --------------------------------------------------------------------------


def test_street_officer_gets_the_street_office(cast):
    out = add_user(
        "li", "--password", PASSWORD, "--role", "street_officer", "--street-office", "home-office"
    )
    user = User.objects.get(username="li")
    assert user.check_password(PASSWORD)
    (m,) = user.memberships.all()
    assert (m.role, m.street_office, m.compound, m.service_company) == (
        Role.STREET_OFFICER,
        cast.office,
        None,
        None,
    )
    assert set(compounds_for(user).values_list("code", flat=True)) == {"home", "neighbour"}
    assert "已创建 / created: li" in out


def test_committee_member_gets_the_compound(cast):
    add_user("zhao", "--password", PASSWORD, "--role", "committee_member", "--compound", "home")
    user = User.objects.get(username="zhao")
    assert roles_in(user, cast.compound) == {Role.COMMITTEE_MEMBER}
    assert list(compounds_for(user).values_list("code", flat=True)) == ["home"]


def test_company_staff_joins_the_company_serving_the_compound(cast):
    add_user("qian", "--password", PASSWORD, "--role", "company_staff", "--compound", "home")
    (m,) = User.objects.get(username="qian").memberships.all()
    assert m.service_company == cast.company
    assert m.compound is None
    assert roles_in(m.user, cast.compound) == {Role.COMPANY_STAFF}


def test_property_unit_rep_without_a_named_unit(cast):
    add_user("sun", "--password", PASSWORD, "--role", "property_unit_rep", "--compound", "home")
    user = User.objects.get(username="sun")
    assert roles_in(user, cast.compound) == {Role.PROPERTY_UNIT_REP}
    assert not user.represented_property_units.exists()


def test_property_unit_rep_becomes_the_units_representative(cast):
    pru = PropertyRightUnit.objects.create(compound=cast.compound, name="北京某某设计院")
    out = add_user(
        "zhou",
        "--password",
        PASSWORD,
        "--role",
        "property_unit_rep",
        "--compound",
        "home",
        "--property-unit",
        "北京某某设计院",
    )
    pru.refresh_from_db()
    assert pru.representative.username == "zhou"
    assert "北京某某设计院" in out


def test_a_new_representative_replaces_the_old_one(cast):
    pru = PropertyRightUnit.objects.create(
        compound=cast.compound, name="北京某某研究院", representative=cast.property_unit_rep
    )
    result = user_add(
        username="wu",
        password=PASSWORD,
        role=Role.PROPERTY_UNIT_REP,
        compound_code="home",
        property_unit_name="北京某某研究院",
    )
    pru.refresh_from_db()
    assert pru.representative == result.user
    assert result.replaced_representative == "property_unit_rep"


def test_resident_is_linked_to_the_owner_with_that_id_number(cast):
    out = add_user(
        "zheng",
        "--password",
        PASSWORD,
        "--role",
        "resident",
        "--compound",
        "home",
        "--owner-id-number",
        HOME_OWNER_ID,
    )
    user = User.objects.get(username="zheng")
    assert [u.label for u in units_of_user(cast.compound, user)] == ["1号楼 0201"]
    assert roles_in(user, cast.compound) == {Role.RESIDENT}
    # The CLI names the owner but shows the ID number masked only.
    assert "110***********0102" in out
    assert HOME_OWNER_ID not in out


def test_resident_id_number_is_matched_case_insensitively_for_the_x(cast):
    owner = cast.compound.owners.get(id_number=HOME_OWNER_ID)
    owner.id_number = "11010119800101022X"
    owner.save()
    result = user_add(
        username="x",
        password=PASSWORD,
        role="resident",
        compound_code="home",
        owner_id_number=" 11010119800101022x ",
    )
    assert result.linked_owners == (owner,)


# --- idempotency ------------------------------------------------------------------------


def test_running_twice_adds_nothing_and_keeps_the_password_hash(cast):
    args = (
        "wang",
        "--password",
        PASSWORD,
        "--role",
        "resident",
        "--compound",
        "home",
        "--owner-id-number",
        HOME_OWNER_ID,
    )
    add_user(*args)
    hash_before = User.objects.get(username="wang").password
    audits = AuditEntry.objects.count()
    out = add_user(*args)
    user = User.objects.get(username="wang")
    assert user.memberships.count() == 1
    assert user.password == hash_before
    assert AuditEntry.objects.count() == audits
    assert "已更新 / updated" in out and "无变化 / nothing changed" in out


def test_running_again_with_a_new_password_updates_it(cast):
    add_user("feng", "--password", PASSWORD, "--role", "committee_member", "--compound", "home")
    add_user(
        "feng", "--password", "An0ther-pass-22", "--role", "committee_member", "--compound", "home"
    )
    user = User.objects.get(username="feng")
    assert user.check_password("An0ther-pass-22")
    assert not user.check_password(PASSWORD)
    assert Membership.objects.filter(user=user).count() == 1
    assert AuditEntry.objects.filter(action="user.set_password").count() == 1


def test_a_second_role_is_added_beside_the_first(cast):
    add_user("chen", "--password", PASSWORD, "--role", "committee_member", "--compound", "home")
    add_user(
        "chen",
        "--password",
        PASSWORD,
        "--role",
        "resident",
        "--compound",
        "home",
        "--owner-id-number",
        HOME_OWNER_ID,
    )
    user = User.objects.get(username="chen")
    assert roles_in(user, cast.compound) == {Role.COMMITTEE_MEMBER, Role.RESIDENT}


def test_changes_are_audited_without_the_id_number(cast):
    user_add(
        username="han",
        password=PASSWORD,
        role="resident",
        compound_code="home",
        owner_id_number=HOME_OWNER_ID,
    )
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["user.create", "membership.create", "owner.link_user"]
    assert HOME_OWNER_ID not in str(list(AuditEntry.objects.values_list("data", flat=True)))


# --- errors -----------------------------------------------------------------------------


def assert_nothing_saved(username: str) -> None:
    assert not User.objects.filter(username=username).exists()
    assert not AuditEntry.objects.exists()


def test_unknown_role_is_refused_by_the_cli(cast):
    assert "invalid choice" in error_of(
        "a", "--password", PASSWORD, "--role", "mayor", "--compound", "home"
    )


def test_unknown_role_is_refused_by_the_service(cast):
    with pytest.raises(ValidationError) as exc:
        user_add(username="a", password=PASSWORD, role="mayor", compound_code="home")
    assert exc.value.code == "unknown_role"
    assert_nothing_saved("a")


def test_a_scope_is_required(cast):
    assert "--street-office" in error_of("a", "--password", PASSWORD, "--role", "resident")


def test_street_officer_needs_a_street_office(cast):
    with pytest.raises(ValidationError) as exc:
        user_add(username="a", password=PASSWORD, role="street_officer")
    assert exc.value.code == "street_office_required"


def test_street_officer_with_a_compound_is_refused(cast):
    msg = error_of("a", "--password", PASSWORD, "--role", "street_officer", "--compound", "home")
    assert "街道工作人员的范围是街道，不能指定小区" in msg
    assert "use --street-office, not --compound" in msg
    assert_nothing_saved("a")


def test_compound_roles_with_a_street_office_are_refused(cast):
    msg = error_of(
        "a", "--password", PASSWORD, "--role", "committee_member", "--street-office", "home-office"
    )
    assert "物管会委员的范围是小区，不能指定街道" in msg
    assert "use --compound" in msg


def test_compound_roles_need_a_compound(cast):
    with pytest.raises(ValidationError) as exc:
        user_add(username="a", password=PASSWORD, role="committee_member")
    assert exc.value.code == "compound_required"


def test_unknown_street_office(cast):
    msg = error_of(
        "a", "--password", PASSWORD, "--role", "street_officer", "--street-office", "nowhere"
    )
    assert msg == "街道“nowhere”不存在 / no street office with code nowhere"
    assert_nothing_saved("a")


def test_unknown_compound(cast):
    msg = error_of("a", "--password", PASSWORD, "--role", "committee_member", "--compound", "nope")
    assert msg == "小区“nope”不存在 / no compound with code nope"


def test_company_staff_of_a_compound_without_a_company(db):
    office = StreetOffice.objects.create(code="o1", name="某街道")
    make_compound(office, "bare", name="无物业小区")
    msg = error_of("a", "--password", PASSWORD, "--role", "company_staff", "--compound", "bare")
    assert "小区“无物业小区”尚未登记物业服务企业" in msg
    assert "has no service company" in msg
    assert_nothing_saved("a")


def test_resident_needs_an_id_number(cast):
    msg = error_of("a", "--password", PASSWORD, "--role", "resident", "--compound", "home")
    assert "业主账号须提供证件号码" in msg and "needs --owner-id-number" in msg
    assert_nothing_saved("a")


def test_id_number_only_for_residents(cast):
    msg = error_of(
        "a",
        "--password",
        PASSWORD,
        "--role",
        "committee_member",
        "--compound",
        "home",
        "--owner-id-number",
        HOME_OWNER_ID,
    )
    assert "--owner-id-number is only for role resident" in msg
    assert_nothing_saved("a")


def test_resident_with_an_unknown_id_number_names_it_masked(cast):
    msg = error_of(
        "a",
        "--password",
        PASSWORD,
        "--role",
        "resident",
        "--compound",
        "home",
        "--owner-id-number",
        "110101199912319999",
    )
    assert "小区“小区home”中没有证件号码为 110***********9999 的业主" in msg
    assert "199912319999" not in msg
    assert_nothing_saved("a")


def test_owner_of_another_compound_is_not_found(cast):
    neighbour_owner = cast.other_compound.owners.get(name="业主-neighbour-1-2")
    neighbour_owner.id_number = "110101197001010013"
    neighbour_owner.save()
    msg = error_of(
        "a",
        "--password",
        PASSWORD,
        "--role",
        "resident",
        "--compound",
        "home",
        "--owner-id-number",
        "110101197001010013",
    )
    assert "no owner with ID number 110***********0013 in compound 小区home" in msg
    neighbour_owner.refresh_from_db()
    assert neighbour_owner.user is None


def test_owner_linked_to_another_account_is_refused(cast):
    # The cast's resident already stands for owner 业主-home-1-1.
    msg = error_of(
        "a",
        "--password",
        PASSWORD,
        "--role",
        "resident",
        "--compound",
        "home",
        "--owner-id-number",
        LINKED_OWNER_ID,
    )
    assert "业主“业主-home-1-1”已关联另一个账号“resident”" in msg
    assert "already linked to another account (resident)" in msg
    assert_nothing_saved("a")


def test_property_unit_only_for_representatives(cast):
    PropertyRightUnit.objects.create(compound=cast.compound, name="北京某某学院")
    msg = error_of(
        "a",
        "--password",
        PASSWORD,
        "--role",
        "committee_member",
        "--compound",
        "home",
        "--property-unit",
        "北京某某学院",
    )
    assert "--property-unit is only for role property_unit_rep" in msg
    assert_nothing_saved("a")


def test_unknown_property_unit(cast):
    msg = error_of(
        "a",
        "--password",
        PASSWORD,
        "--role",
        "property_unit_rep",
        "--compound",
        "home",
        "--property-unit",
        "不存在的学院",
    )
    assert "小区“小区home”中没有名为“不存在的学院”的产权单位" in msg
    assert_nothing_saved("a")


def test_property_unit_of_another_compound_is_not_found(cast):
    PropertyRightUnit.objects.create(compound=cast.other_compound, name="邻居研究院")
    msg = error_of(
        "a",
        "--password",
        PASSWORD,
        "--role",
        "property_unit_rep",
        "--compound",
        "home",
        "--property-unit",
        "邻居研究院",
    )
    assert "no property-right unit named 邻居研究院" in msg


def test_weak_password_is_refused_with_django_validators_messages(cast):
    msg = error_of("a", "--password", "123", "--role", "committee_member", "--compound", "home")
    assert "密码只包含数字" in msg  # Django's NumericPasswordValidator, in Chinese
    assert_nothing_saved("a")
    with pytest.raises(ValidationError) as exc:
        user_add(username="a", password="123", role="committee_member", compound_code="home")
    assert {"password_too_short", "password_entirely_numeric"} <= {
        e.code for e in exc.value.error_list
    }


def test_empty_password_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        user_add(username="a", password="", role="committee_member", compound_code="home")
    assert exc.value.code == "password_required"
    assert_nothing_saved("a")


def test_invalid_username_is_refused(cast):
    msg = error_of(
        "no spaces!", "--password", PASSWORD, "--role", "committee_member", "--compound", "home"
    )
    assert "Enter a valid username" in msg
    assert not User.objects.filter(username="no spaces!").exists()


def test_display_name_is_set_and_updated(cast):
    add_user(
        "li2",
        "--password",
        PASSWORD,
        "--role",
        "committee_member",
        "--compound",
        "home",
        "--name",
        "李明",
    )
    assert User.objects.get(username="li2").get_full_name() == "李明"
    out = add_user(
        "li2",
        "--password",
        PASSWORD,
        "--role",
        "committee_member",
        "--compound",
        "home",
        "--name",
        "李明",
    )
    assert "无变化 / nothing changed" in out


# --- --admin: the read-only admin for street officers ------------------------------------

OFFICER_ARGS = ("--role", "street_officer", "--street-office", "home-office")


def test_admin_flag_opens_the_read_only_admin_for_a_street_officer(cast, client):
    out = add_user("sun", "--password", PASSWORD, *OFFICER_ARGS, "--admin")
    user = User.objects.get(username="sun")
    assert user.is_staff and not user.is_superuser
    assert "read-only admin enabled" in out
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["user.create", "user.grant_admin", "membership.create"]
    assert AuditEntry.objects.get(action="user.grant_admin").data == {"username": "sun"}
    client.force_login(user)
    assert client.get("/admin/").status_code == 200


def test_without_the_flag_an_officer_gets_no_admin(cast, client):
    add_user("zhou", "--password", PASSWORD, *OFFICER_ARGS)
    user = User.objects.get(username="zhou")
    assert not user.is_staff
    assert not AuditEntry.objects.filter(action="user.grant_admin").exists()
    client.force_login(user)
    assert client.get("/admin/").status_code == 302  # to the admin login


def test_admin_flag_is_idempotent_and_can_be_added_later(cast):
    add_user("wu", "--password", PASSWORD, *OFFICER_ARGS)
    add_user("wu", "--password", PASSWORD, *OFFICER_ARGS, "--admin")
    assert User.objects.get(username="wu").is_staff
    grants = AuditEntry.objects.filter(action="user.grant_admin")
    assert grants.count() == 1
    assert not AuditEntry.objects.filter(action="user.set_password").exists()
    audits = AuditEntry.objects.count()
    out = add_user("wu", "--password", PASSWORD, *OFFICER_ARGS, "--admin")
    assert "无变化 / nothing changed" in out and "read-only admin" not in out
    assert AuditEntry.objects.count() == audits
    add_user("wu", "--password", PASSWORD, *OFFICER_ARGS)  # leaving it out keeps the flag
    assert User.objects.get(username="wu").is_staff


@pytest.mark.parametrize(
    "role, scope",
    [
        ("committee_member", ("--compound", "home")),
        ("company_staff", ("--compound", "home")),
        ("property_unit_rep", ("--compound", "home")),
        ("resident", ("--compound", "home", "--owner-id-number", HOME_OWNER_ID)),
    ],
)
def test_admin_flag_is_refused_for_other_roles(cast, role, scope):
    message = error_of("qian", "--password", PASSWORD, "--role", role, *scope, "--admin")
    assert "只有街道工作人员可以开通后台（只读）权限" in message
    assert "--admin is only for role street_officer" in message
    assert_nothing_saved("qian")


def test_admin_flag_refused_by_the_service_keeps_an_existing_account_unchanged(cast):
    with pytest.raises(ValidationError) as exc:
        user_add(
            username=cast.committee.username,
            password=PASSWORD,
            role="committee_member",
            compound_code="home",
            admin=True,
        )
    assert exc.value.code == "admin_not_for_role"
    cast.committee.refresh_from_db()
    assert not cast.committee.is_staff
    assert not AuditEntry.objects.exists()
