"""The district level of the board (issue 12 item 4): a district officer reads the boards
of their district's street offices and nothing else; the district's board page, XLSX and
API (exact shape, queries constant in street offices and compounds); ``add_user --role
district_officer --district CODE``; the landing page; the demo's district login."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from board.milestones import STAGES
from portal.access import (
    compounds_for,
    districts_for,
    get_district_for_user,
    get_street_office_for_user,
    is_staff_in,
    roles_in,
    street_offices_for,
)
from portal.landing import landing_url
from portal.models import District, Membership, Role, StreetOffice
from tests.board.helpers import open_alert, transition_compound
from tests.factories import PASSWORD, make_compound, make_member
from tests.portal.helpers import xlsx_rows

User = get_user_model()

DISTRICT_PAGE = reverse("board:district-board", args=["home-district"])
DISTRICT_API = reverse("api-district-board", args=["home-district"])
OFFICE_BOARD = reverse("board:office-board", args=["home-office"])

OFFICE_KEYS = {"code", "name", "figures", "compounds"}
FIGURE_KEYS = {
    "compounds",
    "households",
    "collection_target",
    "collection_this_year",
    "collection_last_year",
    "collection_latest",
    "stages",
    "open_alerts",
    "unresolved_alerts",
    "below_target",
    "agreements_expiring",
    "agreements_expired",
    "subsidies_ending",
    "subsidies_ended",
    "subsidy_months_left",
}
COLLECTION_KEYS = {
    "year",
    "rate_households",
    "rate_amount",
    "households",
    "paid_households",
    "owner_due",
    "collected",
}


def second_office(cast, code="second-office", name="第二街道(测试)") -> StreetOffice:
    return StreetOffice.objects.create(code=code, name=name, district=cast.district)


def _queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as q:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(q.captured_queries), response


# --- access ------------------------------------------------------------------------------


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "who",
    [
        "resident",
        "company_staff",
        "committee",
        "property_unit_rep",
        "officer",  # a street officer of the district's own street office
        "outsider_office",
        "outsider_compound",
        "outsider_resident",
        "outsider_district",
    ],
)
def test_the_district_board_is_404_for_all_but_its_officers(cast, client, who):
    client.force_login(getattr(cast, who))
    assert client.get(DISTRICT_PAGE).status_code == 404
    assert client.get(DISTRICT_PAGE, {"format": "xlsx"}).status_code == 404
    assert client.get(DISTRICT_API).status_code == 404


def test_anonymous_callers_are_sent_to_login_or_refused(cast, client):
    assert client.get(DISTRICT_PAGE).status_code == 302
    assert client.get(DISTRICT_API).status_code in (401, 403)


def test_a_missing_district_looks_like_a_forbidden_one(cast, client):
    client.force_login(cast.district_officer)
    assert client.get(reverse("board:district-board", args=["nowhere"])).status_code == 404
    assert client.get(reverse("api-district-board", args=["far-district"])).status_code == 404


def test_the_district_officer_reads_its_street_offices_boards_only(cast, client):
    client.force_login(cast.district_officer)
    page = client.get(OFFICE_BOARD)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="board-read-only"' in body
    # Nothing that acts: no alert check, no target, no link to compound pages.
    assert reverse("board:office-refresh", args=["home-office"]) not in body
    assert reverse("board:office-target", args=["home-office"]) not in body
    assert reverse("board:office-alerts", args=["home-office"]) not in body
    assert reverse("board:compound-milestones", args=["home"]) not in body
    assert DISTRICT_PAGE in body  # the breadcrumb leads back to the district
    assert client.get(OFFICE_BOARD, {"format": "xlsx"}).status_code == 200
    api = client.get(reverse("api-street-office-board", args=["home-office"]))
    assert api.status_code == 200 and {c["code"] for c in api.json()["compounds"]} == {
        "home",
        "neighbour",
    }
    # Another district's street office is absent.
    far = reverse("board:office-board", args=["far-office"])
    assert client.get(far).status_code == 404
    assert client.get(reverse("api-street-office-board", args=["far-office"])).status_code == 404
    # The street officer still acts on the same board.
    client.force_login(cast.officer)
    body = client.get(OFFICE_BOARD).content.decode()
    assert reverse("board:office-refresh", args=["home-office"]) in body
    assert 'id="board-read-only"' not in body


def test_the_district_officer_writes_nothing_and_opens_no_compound(cast, client):
    alert = open_alert(cast.compound)
    client.force_login(cast.district_officer)
    refused = [
        ("post", reverse("board:office-refresh", args=["home-office"]), {}),
        ("post", reverse("board:office-target", args=["home-office"]), {"collection_target": 50}),
        ("get", reverse("board:office-alerts", args=["home-office"]), {}),
        ("get", reverse("board:compound-milestones", args=["home"]), {}),
        ("get", reverse("board:renovation", args=["home"]), {}),
        ("post", reverse("board:alert-acknowledge", args=["home", alert.pk]), {"note": "x"}),
        ("post", reverse("api-alert-acknowledge", args=["home", alert.pk]), {"note": "x"}),
        ("get", reverse("api-compound-alerts", args=["home"]), {}),
        ("get", reverse("api-compound-milestones", args=["home"]), {}),
        ("get", reverse("street_office", args=["home-office"]), {}),
        ("get", reverse("compound", args=["home"]), {}),
        ("get", reverse("api-compound-detail", args=["home"]), {}),
    ]
    for method, url, data in refused:
        assert getattr(client, method)(url, data).status_code == 404, url
    alert.refresh_from_db()
    assert alert.state == "open"
    assert client.get(reverse("api-compound-list")).json()["results"] == []


def test_the_generic_helpers_give_a_district_officer_nothing(cast):
    user = cast.district_officer
    assert not compounds_for(user).exists()
    assert not street_offices_for(user).exists()
    assert roles_in(user, cast.compound) == set()
    assert not is_staff_in(user, cast.compound)
    with pytest.raises(Http404):
        get_street_office_for_user(user, "home-office")
    assert list(districts_for(user)) == [cast.district]
    assert get_district_for_user(user, "home-district") == cast.district
    assert list(districts_for(cast.officer)) == []


def test_a_superuser_reads_every_district(cast, client):
    root = User.objects.create_superuser("root", password=PASSWORD)
    client.force_login(root)
    assert client.get(reverse("board:district-board", args=["far-district"])).status_code == 200
    assert 'id="board-read-only"' not in client.get(OFFICE_BOARD).content.decode()


# --- the page, XLSX and API --------------------------------------------------------------


def test_the_district_board_sums_each_street_office(cast, client):
    transition_compound(cast.office, "c1", name="收费小区", paid=3)  # 6 households, 2022
    open_alert(cast.compound)
    other = second_office(cast)
    transition_compound(other, "c2", step="committee")
    client.force_login(cast.district_officer)
    response = client.get(DISTRICT_PAGE)
    body = response.content.decode()
    assert body.count('<tr data-code="') == 2
    assert OFFICE_BOARD in body
    assert reverse("board:office-board", args=["second-office"]) in body
    assert "far-office" not in body and "远方街道" not in body
    assert 'id="board-chart-data"' in body and "echarts.common.min.js" in body

    data = client.get(DISTRICT_API).json()
    assert set(data) == {"street_offices"}
    offices = {o["code"]: o for o in data["street_offices"]}
    assert set(offices) == {"home-office", "second-office"}
    home = offices["home-office"]
    assert set(home) == OFFICE_KEYS
    f = home["figures"]
    assert set(f) == FIGURE_KEYS
    assert set(f["stages"]) == set(STAGES)
    assert (f["compounds"], f["households"]) == (3, 18)
    assert f["stages"]["collecting"] == 1 and f["stages"]["renovation"] == 2
    latest = f["collection_latest"]
    assert set(latest) == COLLECTION_KEYS
    assert (latest["year"], latest["households"], latest["paid_households"]) == (2022, 6, 3)
    assert latest["rate_households"] == "50.00"
    assert f["open_alerts"] == 1 and f["unresolved_alerts"] == 1
    assert f["collection_target"] == "80.00" and f["below_target"] == 1
    second = offices["second-office"]["figures"]
    assert (second["compounds"], second["collection_latest"]) == (1, None)
    assert second["stages"]["committee"] == 1


def test_the_api_compounds_are_the_street_office_boards_own(cast, client):
    transition_compound(cast.office, "c1", paid=2)
    open_alert(cast.compound)
    client.force_login(cast.officer)
    office_api = client.get(reverse("api-street-office-board", args=["home-office"])).json()
    client.force_login(cast.district_officer)
    (home,) = client.get(DISTRICT_API).json()["street_offices"]
    assert home["compounds"] == office_api["compounds"]
    assert (home["code"], home["name"]) == ("home-office", cast.office.name)


def test_the_district_board_is_in_the_schema(cast, client):
    client.force_login(cast.officer)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/districts/{code}/board/"]["get"]
    assert operation["operationId"] == "district_board"
    components = schema["components"]["schemas"]
    assert "figures" in components["DistrictOffice"]["properties"]
    assert set(components["OfficeFigures"]["properties"]) == FIGURE_KEYS


def test_the_district_board_exports_offices_and_compounds(cast, client):
    transition_compound(cast.office, "c1", name="收费小区", paid=3)
    second_office(cast)
    client.force_login(cast.district_officer)
    response = client.get(DISTRICT_PAGE, {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxml")
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(response.content), read_only=True)
    offices_sheet, compounds_sheet = book.worksheets
    offices = list(offices_sheet.iter_rows(values_only=True))[1:]
    assert sorted((r[0], r[2], r[3]) for r in offices) == [
        ("home-office", 3, 18),
        ("second-office", 0, 0),
    ]
    compounds = list(compounds_sheet.iter_rows(values_only=True))[1:]
    assert {r[2] for r in compounds} == {"收费小区", "小区home", "小区neighbour"}
    assert xlsx_rows(response)[0][0] == "街道代码"


def _populate(district: District, offices: int, start: int) -> None:
    for i in range(start, start + offices):
        office = StreetOffice.objects.create(code=f"o{i}", name=f"街道{i:02d}", district=district)
        make_compound(office, f"o{i}-a", buildings=1, units_per_building=1)
        if i % 3 == 0:
            transition_compound(office, f"o{i}-b", paid=i % 6, buildings=1)
        if i % 4 == 0:
            open_alert(make_compound(office, f"o{i}-c", buildings=1, units_per_building=1))


def test_queries_are_constant_in_street_offices_and_compounds(cast, client):
    district = District.objects.create(code="big", name="大区")
    officer = make_member("big_officer", Role.DISTRICT_OFFICER, district=district)
    _populate(district, 2, 0)
    client.force_login(officer)
    page = reverse("board:district-board", args=["big"])
    api = reverse("api-district-board", args=["big"])
    small = (_queries(client, page)[0], _queries(client, api)[0])
    _populate(district, 18, 2)
    large_page, response = _queries(client, page)
    large_api, api_response = _queries(client, api)
    assert (large_page, large_api) == small
    assert response.content.decode().count('<tr data-code="') == 20
    assert len(api_response.json()["street_offices"]) == 20


def test_an_empty_district_shows_an_empty_board(cast, client):
    district = District.objects.create(code="empty", name="空区")
    officer = make_member("empty_officer", Role.DISTRICT_OFFICER, district=district)
    client.force_login(officer)
    assert client.get(reverse("api-district-board", args=["empty"])).json() == {
        "street_offices": []
    }
    assert (
        "本区尚无街道"
        in client.get(reverse("board:district-board", args=["empty"])).content.decode()
    )


# --- landing -----------------------------------------------------------------------------


def test_a_district_officer_lands_on_the_district_board(cast, client):
    assert landing_url(cast.district_officer) == DISTRICT_PAGE
    response = client.post(
        reverse("login"), {"username": "district_officer", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == DISTRICT_PAGE
    assert response.status_code == 200
    # With a second district there is a choice to make: the home page lists both.
    Membership.objects.create(
        user=cast.district_officer, role=Role.DISTRICT_OFFICER, district=cast.other_district
    )
    fresh = User.objects.get(pk=cast.district_officer.pk)
    assert landing_url(fresh) == reverse("home")
    client.force_login(fresh)
    home = client.get(reverse("home")).content.decode()
    assert DISTRICT_PAGE in home and reverse("board:district-board", args=["far-district"]) in home


# --- add_user ----------------------------------------------------------------------------


def add_user(*args: str) -> str:
    out = StringIO()
    call_command("add_user", *args, stdout=out)
    return out.getvalue()


def test_add_user_makes_a_district_officer(cast):
    args = ("qu", "--password", "Str0ng-pass-2021", "--role", "district_officer")
    out = add_user(*args, "--district", "home-district")
    assert "海淀区(测试)" in out
    (m,) = User.objects.get(username="qu").memberships.all()
    assert (m.role, m.district, m.street_office, m.compound, m.service_company) == (
        Role.DISTRICT_OFFICER,
        cast.district,
        None,
        None,
        None,
    )
    assert "无变化 / nothing changed" in add_user(*args, "--district", "home-district")


@pytest.mark.parametrize(
    "args, message",
    [
        (("--role", "district_officer", "--district", "nowhere"), "no district with code nowhere"),
        (("--role", "district_officer", "--street-office", "home-office"), "use --district"),
        (("--role", "district_officer", "--compound", "home"), "use --district"),
        (("--role", "street_officer", "--district", "home-district"), "leave out --district"),
        (("--role", "committee_member", "--district", "home-district"), "leave out --district"),
    ],
)
def test_add_user_refuses_a_district_scope_that_does_not_fit(cast, args, message):
    with pytest.raises(CommandError) as exc:
        add_user("qu", "--password", "Str0ng-pass-2021", *args)
    assert message in str(exc.value)
    assert "/" in str(exc.value)  # Chinese and English
    assert not User.objects.filter(username="qu").exists()


def test_add_user_needs_one_scope_option(cast):
    with pytest.raises(CommandError):
        add_user(
            "qu",
            "--password",
            "Str0ng-pass-2021",
            "--role",
            "district_officer",
            "--district",
            "home-district",
            "--street-office",
            "home-office",
        )


def test_the_account_page_names_the_district(cast, client):
    client.force_login(cast.district_officer)
    page = client.get(reverse("my_account")).content.decode()
    assert "区住建委工作人员 · 海淀区(测试)" in page
