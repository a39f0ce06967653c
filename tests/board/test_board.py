"""The street-office board (issue 12): milestones derived from the apps' data, alerts with
an explicit clock (raised, kept, acknowledged, resolved), validation of what the street
office types, the board page and API (queries constant in the number of compounds,
404 for residents, company staff and other street offices)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from board import services
from board.alerts import wanted_alerts
from board.milestones import compounds_progress, derive, load_facts
from board.models import Alert, AlertKind, AlertState, BoardSettings, Renovation
from portal.models import AuditEntry
from tests.board.helpers import add_committee, open_alert, transition_compound
from works.models import Project, ProjectStatus

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 1)


def kinds(compound, today=TODAY):
    (p,) = compounds_progress([compound], today)
    return {w.kind for w in wanted_alerts(p, today)}


# --- milestones --------------------------------------------------------------------------


def test_a_bare_compound_is_at_renovation_with_nothing_done(cast):
    (p,) = compounds_progress([cast.compound], TODAY)
    assert p.stage == "renovation"
    assert not any(m.reached for m in p.milestones)
    assert [m.key for m in p.milestones][:2] == ["renovation", "committee"]
    assert p.latest_collection is None


def test_milestones_follow_the_case_in_order(cast):
    compound = transition_compound(cast.office, "t1", paid=4)
    services.renovation_record(
        compound=compound,
        actor=cast.officer,
        started_on=dt.date(2021, 5, 1),
        money_invested="3000000",
        illegal_structures_removed="13000",
        ground_locks_removed=200,
        buildings_renovated=20,
        today=TODAY,
    )
    (p,) = compounds_progress([compound], TODAY)
    by_key = {m.key: m for m in p.milestones}
    assert by_key["renovation"].done_on == dt.date(2021, 5, 1)
    assert by_key["committee"].done_on == dt.date(2021, 6, 18)
    assert by_key["committee"].due == dt.date(2024, 6, 17)
    assert by_key["decision_published"].reached
    assert by_key["disclosure"].done_on == dt.date(2022, 1, 1)
    assert by_key["first_billing"].done_on == dt.date(2022, 1, 1)
    assert by_key["subsidy"].due == dt.date(2024, 12, 31)
    assert by_key["subsidy"].evidence == reverse("fees:subsidies", args=["t1"])
    assert not by_key["works"].reached
    # No agreement: the furthest step reached is collecting all the same.
    assert p.stage == "collecting"
    c = p.latest_collection
    assert c.year == 2022 and c.households == 6 and c.paid_households == 4
    assert c.rate_households == Decimal("66.67")
    assert p.subsidy_months_left == 0
    # A lapsed committee term is the next deadline until a new committee is formed.
    assert p.next_deadline == dt.date(2024, 6, 17)


def test_a_compound_with_only_a_committee_is_at_committee(cast):
    compound = transition_compound(cast.office, "t2", step="committee")
    (p,) = compounds_progress([compound], dt.date(2022, 1, 1))
    assert p.stage == "committee"
    assert p.next_deadline == dt.date(2024, 6, 17)


def test_facts_take_a_fixed_number_of_queries(cast):
    small = [transition_compound(cast.office, f"q{i}", paid=1) for i in range(2)]
    large = small + [transition_compound(cast.office, f"r{i}", paid=2) for i in range(5)]
    counts = []
    for compounds in (small, large):
        with CaptureQueriesContext(connection) as q:
            load_facts(compounds)
        counts.append(len(q.captured_queries))
    assert counts[0] == counts[1] == 11


def test_an_approved_works_project_is_the_last_step(cast):
    compound = transition_compound(cast.office, "w1", paid=1)
    project = {"compound": compound, "title": "电梯更新", "budget": Decimal("100.00")}
    Project.objects.create(**project, proposed_on=dt.date(2022, 1, 5))
    (p,) = compounds_progress([compound], TODAY)
    works = next(m for m in p.milestones if m.key == "works")
    assert not works.reached and p.stage == "collecting"  # a proposal is no basis yet

    Project.objects.create(
        **project,
        status=ProjectStatus.ACCEPTED,
        proposed_on=dt.date(2022, 1, 5),
        approved_on=dt.date(2022, 3, 1),
        accepted_on=dt.date(2023, 6, 28),
    )
    (p,) = compounds_progress([compound], TODAY)
    works = next(m for m in p.milestones if m.key == "works")
    assert works.reached and works.done_on == dt.date(2022, 3, 1)
    assert works.detail == "1 项工程，1 项已验收"
    assert works.evidence == reverse("works:projects", args=["w1"])
    assert p.stage == "works"


def test_the_hotline_trend_compares_the_first_and_the_last_full_year(cast):
    from tests.tickets.helpers import file_request
    from tickets.models import Channel

    received = [dt.datetime(2022, 5, 1, 9, tzinfo=dt.UTC)] * 5 + [
        dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC)
    ] * 2
    received.append(dt.datetime(2025, 2, 1, 9, tzinfo=dt.UTC))  # this year: not yet full
    for number, at in enumerate(received):
        file_request(
            cast,
            actor=cast.officer,
            channel=Channel.HOTLINE,
            hotline_case_number=f"H{number:04d}",
            received_at=at,
        )
    file_request(cast)  # online, not a hotline case
    (p,) = compounds_progress([cast.compound], TODAY)
    hotline = next(m for m in p.milestones if m.key == "hotline")
    assert hotline.detail == "2022 年 5 件 → 2024 年 2 件"
    assert hotline.reached  # fewer cases than in the first year
    assert hotline.evidence == reverse("tickets:rates", args=[cast.compound.code])


# --- alerts ------------------------------------------------------------------------------


def test_committee_term_alerts_move_from_ending_to_ended(cast):
    add_committee(cast.compound, term_end=dt.date(2025, 5, 1))
    assert kinds(cast.compound, dt.date(2025, 1, 1)) == set()
    assert kinds(cast.compound, dt.date(2025, 3, 1)) == {AlertKind.COMMITTEE_TERM_ENDING}
    assert kinds(cast.compound, dt.date(2025, 5, 2)) == {AlertKind.COMMITTEE_TERM_ENDED}


def test_subsidy_ending_says_what_households_face_after(cast):
    compound = transition_compound(cast.office, "s1", paid=6)
    (p,) = compounds_progress([compound], dt.date(2024, 9, 1))
    (w,) = [w for w in wanted_alerts(p, dt.date(2024, 9, 1)) if w.kind == "subsidy_ending"]
    # 60.50 m² × 1.78 after (no later standard: the appraised rate) vs × 1.00 now.
    assert w.params["average_now"] == "60.50"
    assert w.params["average_after"] == "107.69"
    assert w.params["needed_rate_now"] == "178.00"
    assert w.params["needed_rate_after"] == "100.00"
    assert w.due == dt.date(2024, 12, 31)
    assert {"subsidy_ended", "fee_standard_expired", "committee_term_ended"} <= kinds(
        compound, dt.date(2025, 1, 2)
    )


def test_collection_below_the_offices_target(cast):
    compound = transition_compound(cast.office, "c1", paid=3)  # 50 % of households
    assert AlertKind.COLLECTION_BELOW_TARGET in kinds(compound, dt.date(2023, 2, 1))
    services.collection_target_set(office=cast.office, actor=cast.officer, target="40")
    assert AlertKind.COLLECTION_BELOW_TARGET not in kinds(compound, dt.date(2023, 2, 1))


def test_refresh_raises_keeps_acknowledged_and_resolves(cast):
    add_committee(cast.compound, term_end=dt.date(2025, 5, 1))
    first = services.alerts_refresh(today=dt.date(2025, 3, 1))
    assert [k for _c, k, _s in first.opened] == [AlertKind.COMMITTEE_TERM_ENDING]
    # Idempotent: the same day again changes nothing.
    again = services.alerts_refresh(today=dt.date(2025, 3, 1))
    assert not again.opened and not again.resolved
    alert = Alert.objects.get()
    with pytest.raises(ValidationError):
        services.alert_acknowledge(alert=alert, actor=cast.officer, note="  ")
    alert = services.alert_acknowledge(alert=alert, actor=cast.officer, note="换届已安排")
    assert alert.state == AlertState.ACKNOWLEDGED
    assert AuditEntry.objects.filter(action="board.alert_acknowledge").exists()
    services.alerts_refresh(today=dt.date(2025, 3, 2))
    assert Alert.objects.get(pk=alert.pk).state == AlertState.ACKNOWLEDGED
    # The term ends: "ending" is resolved, "ended" opens.
    later = services.alerts_refresh(today=dt.date(2025, 5, 2))
    assert [k for _c, k, _s in later.resolved] == [AlertKind.COMMITTEE_TERM_ENDING]
    assert [k for _c, k, _s in later.opened] == [AlertKind.COMMITTEE_TERM_ENDED]
    assert Alert.objects.get(pk=alert.pk).state == AlertState.RESOLVED
    # A new committee is formed: the condition is gone.
    add_committee(cast.compound, formed=dt.date(2025, 5, 10), term_end=dt.date(2028, 5, 9))
    services.alerts_refresh(today=dt.date(2025, 5, 11))
    assert not Alert.objects.exclude(state=AlertState.RESOLVED).exists()


def test_the_beat_job_runs_the_check_daily(cast):
    entry = settings.CELERY_BEAT_SCHEDULE["board-alerts-daily"]
    assert entry["task"] == "board.tasks.refresh_alerts"
    assert entry["schedule"] == 24 * 60 * 60
    from board.tasks import refresh_alerts

    add_committee(cast.compound, term_end=dt.date(2000, 1, 1))
    assert refresh_alerts.delay().get()["opened"] == 1
    assert Alert.objects.filter(kind=AlertKind.COMMITTEE_TERM_ENDED).count() == 1


def test_the_command_checks_as_of_a_day(cast, capsys):
    add_committee(cast.compound, term_end=dt.date(2025, 5, 1))
    call_command("alerts_refresh", "--today", "2025-03-01", "--street-office", "home-office")
    assert "1 opened" in capsys.readouterr().out
    assert Alert.objects.get().kind == AlertKind.COMMITTEE_TERM_ENDING


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("started_on", dt.date(2099, 1, 1)),
        ("finished_on", dt.date(2099, 1, 1)),
        ("finished_on", dt.date(2020, 1, 1)),
        ("money_invested", "-1"),
        ("illegal_structures_removed", "-0.01"),
        ("ground_locks_removed", -3),
        ("money_invested", "NaN"),
        ("money_invested", "1e40"),
        ("buildings_renovated", "many"),
    ],
)
def test_renovation_rejects_impossible_values_and_saves_nothing(cast, field, value):
    data = {
        "started_on": dt.date(2021, 5, 1),
        "money_invested": "1000",
        "illegal_structures_removed": "10",
        "ground_locks_removed": 1,
        "buildings_renovated": 1,
        field: value,
    }
    with pytest.raises(ValidationError) as error:
        services.renovation_record(compound=cast.compound, actor=cast.officer, today=TODAY, **data)
    assert field in error.value.message_dict
    assert not Renovation.objects.exists()
    assert not AuditEntry.objects.filter(action="board.renovation_record").exists()


@pytest.mark.parametrize("target", ["-1", "100.01", "abc", "Infinity"])
def test_a_target_outside_0_to_100_is_refused(cast, target):
    with pytest.raises(ValidationError):
        services.collection_target_set(office=cast.office, actor=cast.officer, target=target)
    assert not BoardSettings.objects.exists()


def test_renovation_form_shows_the_error_and_saves_nothing(cast, client):
    client.force_login(cast.officer)
    url = reverse("board:renovation", args=["home"])
    response = client.post(
        url,
        {
            "started_on": "2099-01-01",
            "money_invested": "10",
            "illegal_structures_removed": "1",
            "ground_locks_removed": "0",
            "buildings_renovated": "0",
        },
    )
    assert response.status_code == 200
    assert "开始日期不能晚于今天" in response.content.decode()
    assert not Renovation.objects.exists()
    client.force_login(cast.committee)  # only the street office records it
    assert client.get(url).status_code == 404


# --- pages and API -----------------------------------------------------------------------


def _board_queries(client, url):
    with CaptureQueriesContext(connection) as q:
        response = client.get(url)
    assert response.status_code == 200
    return len(q.captured_queries), response


def test_board_page_and_api_queries_are_constant_in_compounds(cast, client):
    client.force_login(cast.officer)
    transition_compound(cast.office, "b1", paid=2)
    open_alert(cast.compound)
    page, api = (
        reverse("board:office-board", args=["home-office"]),
        reverse("api-street-office-board", args=["home-office"]),
    )
    small = (_board_queries(client, page)[0], _board_queries(client, api)[0])
    for i in range(4):
        c = transition_compound(cast.office, f"b{i + 2}", paid=i)
        open_alert(c)
    large_page, response = _board_queries(client, page)
    large_api, api_response = _board_queries(client, api)
    assert (large_page, large_api) == small
    assert response.content.decode().count('data-code="') == 7
    data = api_response.json()
    assert len(data["compounds"]) == 7
    row = next(c for c in data["compounds"] if c["code"] == "b3")
    assert row["stage"] == "collecting"
    assert row["collection"] == {"year": 2022, "rate_households": "16.67", "rate_amount": "16.67"}
    home = next(c for c in data["compounds"] if c["code"] == "home")
    assert home["collection"] is None
    assert home["alerts"][0]["kind"] == "committee_term_ended"
    assert home["alerts"][0]["due"] == "2024-06-17"


def test_board_sorts_filters_and_exports(cast, client):
    client.force_login(cast.officer)
    transition_compound(cast.office, "x1", name="甲小区", paid=6)
    transition_compound(cast.office, "x2", name="乙小区", step="committee")
    url = reverse("board:office-board", args=["home-office"])
    page = client.get(url, {"stage": "committee"}).content.decode()
    assert "乙小区" in page and "甲小区" not in page
    page = client.get(url, {"q": "甲"}).content.decode()
    assert "甲小区" in page and "乙小区" not in page
    page = client.get(url, {"sort": "stage", "dir": "desc"}).content.decode()
    assert page.index("甲小区") < page.index("乙小区")
    response = client.get(url, {"format": "xlsx", "sort": "bogus", "stage": "<script>"})
    assert response["Content-Type"].startswith("application/vnd.openxml")
    from tests.portal.helpers import xlsx_rows

    rows = xlsx_rows(response)
    assert {r[1] for r in rows[1:]} >= {"甲小区", "乙小区"}


@pytest.mark.parametrize("who", ["resident", "company_staff", "outsider_office", "committee"])
def test_the_board_is_404_for_all_but_its_street_office(cast, client, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("board:office-board", args=["home-office"])).status_code == 404
    assert client.get(reverse("api-street-office-board", args=["home-office"])).status_code == 404
    assert client.post(reverse("board:office-refresh", args=["home-office"])).status_code == 404


def test_acknowledge_needs_a_note_and_a_role_that_can_act(cast, client):
    alert = open_alert(cast.compound)  # committee term: street office and committee
    url = reverse("api-alert-acknowledge", args=["home", alert.pk])
    client.force_login(cast.company_staff)
    assert client.post(url, {"note": "x"}).status_code == 404
    client.force_login(cast.outsider_compound)
    assert client.post(url, {"note": "x"}).status_code == 404
    client.force_login(cast.committee)
    assert client.post(url, {"note": ""}).status_code == 400
    response = client.post(url, {"note": "已报街道"})
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    assert client.post(url, {"note": "again"}).status_code == 400


def test_alerts_show_on_the_landing_pages_of_who_can_act(cast, client):
    open_alert(cast.compound)
    open_alert(cast.compound, AlertKind.SUBSIDY_ENDED)
    client.force_login(cast.officer)
    page = client.get(reverse("street_office", args=["home-office"])).content.decode()
    assert 'data-kind="committee_term_ended"' in page and 'data-kind="subsidy_ended"' in page
    client.force_login(cast.company_staff)
    page = client.get(reverse("compound", args=["home"])).content.decode()
    assert 'data-kind="subsidy_ended"' in page
    assert 'data-kind="committee_term_ended"' not in page
    client.force_login(cast.committee)
    page = client.get(reverse("compound", args=["home"])).content.decode()
    assert 'data-kind="committee_term_ended"' in page


def test_acknowledge_page_form_redirects_only_inside_the_site(cast, client):
    alert = open_alert(cast.compound)
    client.force_login(cast.officer)
    url = reverse("board:alert-acknowledge", args=["home", alert.pk])
    response = client.post(url, {"note": "ok", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/c/home/"
    assert Alert.objects.get().acknowledge_note == "ok"


def test_derive_is_pure(cast):
    (facts,) = load_facts([cast.compound])
    with CaptureQueriesContext(connection) as q:
        derive(facts, TODAY)
    assert not q.captured_queries


def test_the_home_page_tag_shows_each_role_what_it_can_act_on(cast, rf):
    from django.template import Context, Template

    open_alert(cast.compound)  # committee term: street office and committee
    open_alert(cast.compound, AlertKind.SUBSIDY_ENDED)  # also the company
    template = Template("{% load board_tags %}{% board_alerts_home %}")

    def render(user):
        request = rf.get("/")
        request.user = user
        with CaptureQueriesContext(connection) as q:
            html = template.render(Context({"request": request}))
        return html, len(q.captured_queries)

    html, _queries = render(cast.company_staff)
    assert 'data-kind="subsidy_ended"' in html and "committee_term_ended" not in html
    html, _queries = render(cast.officer)
    assert 'data-kind="committee_term_ended"' in html and 'data-kind="subsidy_ended"' in html
    html, queries = render(cast.resident)
    assert "data-kind" not in html and queries <= 1  # the memberships only
    html, _queries = render(cast.outsider_office)
    assert "data-kind" not in html


def test_the_office_panel_shows_at_most_20_open_first_and_links_to_the_rest(cast, client):
    import datetime as _dt

    from board.models import Alert as A

    for i in range(25):
        A.objects.create(
            compound=cast.compound,
            kind=AlertKind.SUBSIDY_ENDED,
            subject=f"s{i}",
            due=_dt.date(2020, 1, 1) + _dt.timedelta(days=i),
            opened_at=_dt.datetime(2025, 1, 1, tzinfo=_dt.UTC),
            state=AlertState.ACKNOWLEDGED if i < 3 else AlertState.OPEN,
            acknowledge_note="x" if i < 3 else "",
        )
    client.force_login(cast.officer)
    page = client.get(reverse("street_office", args=["home-office"])).content.decode()
    assert page.count('data-kind="subsidy_ended"') == 20
    assert 'class="alert-item acknowledged"' not in page  # open ones come first
    assert reverse("board:office-alerts", args=["home-office"]) in page


def test_the_officer_records_the_renovation_and_checks_alerts_from_the_pages(cast, client):
    client.force_login(cast.officer)
    response = client.post(
        reverse("board:renovation", args=["home"]),
        {
            "started_on": "2021-05-01",
            "money_invested": "3000000.00",
            "illegal_structures_removed": "13000",
            "ground_locks_removed": "200",
            "buildings_renovated": "20",
        },
    )
    assert response.status_code == 302
    renovation = Renovation.objects.get(compound=cast.compound)
    assert renovation.money_invested == Decimal("3000000.00")
    assert AuditEntry.objects.filter(action="board.renovation_record").count() == 1
    page = client.get(reverse("board:compound-milestones", args=["home"])).content.decode()
    assert "3,000,000.00" in page
    add_committee(cast.compound, term_end=dt.date(2000, 1, 1))
    response = client.post(reverse("board:office-refresh", args=["home-office"]), follow=True)
    assert "新提醒 1 条" in response.content.decode()
    assert Alert.objects.get().kind == AlertKind.COMMITTEE_TERM_ENDED
    response = client.post(
        reverse("board:office-target", args=["home-office"]), {"collection_target": "120"}
    )
    assert response.status_code == 302 and not BoardSettings.objects.exists()


# --- the committee's formation record, the agreements panel, the home page ------------------


def test_the_committee_milestones_read_the_formation_record(cast):
    from households.services.committee import committee_formation_start, committee_formation_step

    f = committee_formation_start(
        compound=cast.compound, announced_on=dt.date(2025, 1, 2), today=TODAY
    )
    for step, day in [
        ("nominated_on", dt.date(2025, 1, 10)),
        ("confirmed_on", dt.date(2025, 1, 20)),
        ("publicity_start", dt.date(2025, 1, 20)),
    ]:
        f = committee_formation_step(formation=f, step=step, day=day, today=TODAY)
    (p,) = compounds_progress([cast.compound], TODAY)
    by_key = {m.key: m for m in p.milestones}
    assert by_key["committee"].done_on == dt.date(2025, 1, 20)
    assert "2025-01-02 组建公告" in by_key["committee"].detail
    filed = by_key["committee_filed"]
    assert not filed.reached and "公示 2025-01-20 至 2025-01-31" in filed.detail
    assert filed.evidence == reverse("committee", args=["home"]) + "#formation"
    assert p.stage == "committee" and p.next_step_label == "业主共同决定"
    committee_formation_step(formation=f, step="filed_on", day=dt.date(2025, 2, 3), today=TODAY)
    (p,) = compounds_progress([cast.compound], TODAY)
    assert {m.key: m for m in p.milestones}["committee_filed"].done_on == dt.date(2025, 2, 3)


def test_a_committee_without_a_record_says_so(cast):
    add_committee(cast.compound)
    (p,) = compounds_progress([cast.compound], TODAY)
    filed = {m.key: m for m in p.milestones}["committee_filed"]
    assert not filed.reached and "无组建记录" in filed.detail
    assert p.stage == "committee"  # the committee is formed all the same


def test_the_office_panel_and_board_show_an_ended_agreement_as_expired(
    cast, client, django_capture_on_commit_callbacks
):
    from agreements.models import AgreementStatus
    from agreements.selectors import office_attention
    from tests.agreements.helpers import make_agreement

    agreement = make_agreement(cast, django_capture_on_commit_callbacks)
    type(agreement).objects.filter(pk=agreement.pk).update(
        status=AgreementStatus.FILED,
        effective_on=dt.date(2021, 12, 10),
        term_start=dt.date(2021, 12, 10),
        term_end=dt.date(2024, 12, 9),
    )
    attention = office_attention(cast.office, today=TODAY)
    assert [r.agreement.pk for r in attention["expired"]] == [agreement.pk]
    assert not attention["renewals"] and not attention["to_file"]
    client.force_login(cast.officer)
    page = client.get(reverse("street_office", args=["home-office"])).content.decode()
    panel = page.split('id="agreements-panel"')[1].split("</section>")[0]
    assert "已于 2024-12-09 到期" in panel and agreement.number in panel
    board = client.get(reverse("board:office-board", args=["home-office"])).content.decode()
    row = board.split('data-code="home"')[1].split("</tr>")[0]
    assert "已到期（2024-12-09）" in row and "已备案" not in row


def test_the_home_page_shows_alerts_to_who_can_act_at_constant_queries(cast, client):
    from django.contrib.auth import get_user_model

    from portal.models import Membership, Role

    # An officer of two street offices lands on the home page (several scopes).
    Membership.objects.create(
        user=cast.officer, role=Role.STREET_OFFICER, street_office=cast.other_office
    )
    open_alert(cast.compound)
    client.force_login(cast.officer)
    url = reverse("home")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        page = client.get(url).content.decode()
    assert page.index('id="alerts"') < page.index("我的街道")
    assert 'data-kind="committee_term_ended"' in page
    for i, compound in enumerate([cast.other_compound, cast.far_compound]):
        alert = open_alert(compound)
        who = get_user_model().objects.create(username=f"ack{i}", first_name=f"确认人{i}")
        Alert.objects.filter(pk=alert.pk).update(
            state=AlertState.ACKNOWLEDGED, acknowledged_by=who, acknowledge_note="已安排"
        )
    with CaptureQueriesContext(connection) as three:
        page = client.get(url).content.decode()
    assert page.count('data-kind="committee_term_ended"') == 3 and "确认人1" in page
    assert len(three) == len(one)
    client.force_login(cast.resident)
    assert 'id="alerts"' not in client.get(url).content.decode()
