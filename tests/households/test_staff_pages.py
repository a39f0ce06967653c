"""The staff-account pages: a street office's /so/<code>/accounts/ and a company
administrator's /company/<id>/staff/: list, create (the one-time password shown once),
grant, revoke, company admins, deactivate/reactivate with confirmation, and outsiders."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import AccountState, Membership, Role
from tests.factories import PASSWORD, make_member

User = get_user_model()
LIST = "/so/home-office/accounts/"


def otp_of(response) -> str:
    match = re.search(r'id="one-time-password"[^>]*>([^<]+)<', response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(1).strip()


@pytest.fixture
def officer_client(cast, client):
    client.force_login(cast.officer)
    return client


def test_the_list_shows_the_offices_accounts_only(cast, officer_client):
    response = officer_client.get(LIST)
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("officer", "committee", "company_staff", "property_unit_rep", "resident"):
        assert f">{name}</a>" in text
    # The far office's officer is not ours; the neighbour's committee member is (same office).
    assert ">outsider_office</a>" not in text
    assert ">outsider_compound</a>" in text
    assert (
        'href="/so/home-office/accounts/"'
        in officer_client.get("/so/home-office/").content.decode()
    )


def test_search_and_filters(cast, officer_client):
    text = officer_client.get(LIST, {"q": "commit"}).content.decode()
    assert ">committee</a>" in text and ">officer</a>" not in text
    text = officer_client.get(LIST, {"role": "company_staff"}).content.decode()
    assert ">company_staff</a>" in text and ">committee</a>" not in text
    response = officer_client.get(LIST, {"role": "king", "page": "x" * 1000})
    assert response.status_code == 400
    assert "筛选条件" in response.content.decode()


def test_officer_creates_an_account_and_sees_the_password_once(cast, officer_client, client):
    response = officer_client.post(
        LIST,
        {"username": "zhang.li", "name": "张丽", "role": "committee_member", "compound": "home"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    otp = otp_of(response)
    user = User.objects.get(username="zhang.li")
    assert user.check_password(otp)
    assert otp not in user.password
    assert AccountState.objects.get(user=user).must_change_password
    # Not on the account page, not in the list.
    assert otp not in officer_client.get(f"{LIST}{user.pk}/").content.decode()
    assert otp not in officer_client.get(LIST).content.decode()
    officer_client.logout()
    assert client.login(username="zhang.li", password=otp)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (
            {"username": "committee", "name": "X", "role": "committee_member", "compound": "home"},
            "已被使用",
        ),
        ({"username": "x", "name": "X", "role": "committee_member", "compound": "far"}, "有效选项"),
        ({"username": "x", "name": "X", "role": "committee_member", "compound": ""}, "须指定小区"),
        ({"username": "x", "name": "X", "role": "resident", "compound": "home"}, "有效选项"),
        ({"username": "a b", "name": "X", "role": "street_officer"}, "username"),
        (
            {
                "username": "x",
                "name": "X",
                "role": "committee_member",
                "compound": "home",
                "company_admin": "on",
            },
            "企业管理员",
        ),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_created(cast, officer_client, data, fragment):
    users = User.objects.count()
    response = officer_client.post(LIST, data)
    assert response.status_code == 400
    text = response.content.decode()
    assert fragment in text or 'class="errorlist' in text
    assert 'id="one-time-password"' not in text
    assert User.objects.count() == users


def test_grant_revoke_and_company_admin(cast, officer_client):
    url = f"{LIST}{cast.committee.pk}/"
    response = officer_client.post(
        url, {"action": "grant", "role": "committee_member", "compound": "neighbour"}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=cast.committee, compound=cast.other_compound).exists()
    # Revoke asks first, then does it.
    membership = Membership.objects.get(user=cast.committee, compound=cast.other_compound)
    confirm = officer_client.post(url, {"action": "revoke", "membership": membership.pk})
    assert confirm.status_code == 200 and 'id="confirm-button"' in confirm.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    done = officer_client.post(
        url, {"action": "revoke", "membership": membership.pk, "confirmed": "1"}
    )
    assert done.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    # Someone else's membership id: 404.
    far = Membership.objects.get(user=cast.outsider_office)
    assert (
        officer_client.post(
            url, {"action": "revoke", "membership": far.pk, "confirmed": "1"}
        ).status_code
        == 404
    )
    assert officer_client.post(url, {"action": "fly"}).status_code == 404
    # Company admin.
    staff = Membership.objects.get(user=cast.company_staff)
    response = officer_client.post(
        f"{LIST}{cast.company_staff.pk}/", {"action": "admin_on", "membership": staff.pk}
    )
    assert response.status_code == 302
    assert Membership.objects.get(pk=staff.pk).can_manage_staff


def test_deactivate_with_confirmation_ends_the_session(cast, officer_client, client):
    from django.test import Client

    victim = Client()
    assert victim.login(username="committee", password=PASSWORD)
    assert victim.get("/c/home/").status_code == 200
    url = f"{LIST}{cast.committee.pk}/"
    assert officer_client.post(url, {"action": "deactivate"}).status_code == 200
    assert User.objects.get(pk=cast.committee.pk).is_active
    assert officer_client.post(url, {"action": "deactivate", "confirmed": "1"}).status_code == 302
    assert not User.objects.get(pk=cast.committee.pk).is_active
    assert victim.get("/c/home/").status_code == 302
    assert officer_client.post(url, {"action": "reactivate", "confirmed": "1"}).status_code == 302
    assert User.objects.get(pk=cast.committee.pk).is_active


def test_the_last_street_officer_is_refused_with_the_reason(cast, officer_client):
    root = User.objects.create_superuser("root", password=PASSWORD)
    officer_client.force_login(root)
    response = officer_client.post(
        f"{LIST}{cast.officer.pk}/", {"action": "deactivate", "confirmed": "1"}
    )
    assert response.status_code == 400
    assert "最后一名" in response.content.decode()
    assert User.objects.get(pk=cast.officer.pk).is_active


@pytest.mark.parametrize(
    "who", ["committee", "company_staff", "resident", "outsider_office", "outsider_compound"]
)
def test_others_get_404(cast, client, who):
    client.force_login(getattr(cast, who))
    assert client.get(LIST).status_code == 404
    assert (
        client.post(LIST, {"username": "x", "name": "X", "role": "street_officer"}).status_code
        == 404
    )
    assert client.get(f"{LIST}{cast.committee.pk}/").status_code == 404
    assert not User.objects.filter(username="x").exists()


def test_an_account_of_another_office_is_404_under_ones_own(cast, client):
    client.force_login(cast.outsider_office)
    assert client.get(f"/so/far-office/accounts/{cast.committee.pk}/").status_code == 404
    response = client.post(
        f"/so/far-office/accounts/{cast.committee.pk}/", {"action": "deactivate", "confirmed": "1"}
    )
    assert response.status_code == 404
    assert User.objects.get(pk=cast.committee.pk).is_active


def test_company_admin_page(cast, client):
    company_url = f"/company/{cast.company.pk}/staff/"
    client.force_login(cast.company_staff)
    assert client.get(company_url).status_code == 404  # not an administrator yet
    Membership.objects.filter(user=cast.company_staff).update(can_manage_staff=True)
    response = client.get(company_url)
    assert response.status_code == 200
    assert ">company_staff</a>" in response.content.decode()
    assert ">committee</a>" not in response.content.decode()
    created = client.post(company_url, {"username": "wy2", "name": "员工二"})
    assert created.status_code == 200
    otp = otp_of(created)
    user = User.objects.get(username="wy2")
    assert Membership.objects.get(user=user).service_company == cast.company
    assert user.check_password(otp)
    detail = f"{company_url}{user.pk}/"
    assert client.post(detail, {"action": "deactivate", "confirmed": "1"}).status_code == 302
    assert not User.objects.get(pk=user.pk).is_active
    # Another company's page and accounts outside the company: 404.
    other = Membership.objects.get(user=cast.committee)
    assert client.get(f"{company_url}{cast.committee.pk}/").status_code == 404
    assert client.post(detail, {"action": "admin_on", "membership": other.pk}).status_code == 404
    from portal.models import ServiceCompany

    other_company = ServiceCompany.objects.get(name="别家物业")
    assert client.get(f"/company/{other_company.pk}/staff/").status_code == 404


def test_the_list_runs_the_same_number_of_queries_at_two_sizes(cast, officer_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert officer_client.get(LIST, {"per_page": 100}).status_code == 200
        return len(queries)

    small = count()
    for n in range(60):
        user = make_member(f"cm{n:03d}", Role.COMMITTEE_MEMBER, compound=cast.compound)
        Membership.objects.create(
            user=user, role=Role.COMMITTEE_MEMBER, compound=cast.other_compound
        )
    assert count() == small


def test_a_company_admin_finds_the_staff_page_from_my_account(cast, client):
    client.force_login(cast.company_staff)
    assert "company-staff-link" not in client.get("/accounts/").content.decode()
    Membership.objects.filter(user=cast.company_staff).update(can_manage_staff=True)
    text = client.get("/accounts/").content.decode()
    assert f'href="/company/{cast.company.pk}/staff/"' in text
