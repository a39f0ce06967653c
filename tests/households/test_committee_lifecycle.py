"""The committee's formation record (公告 → 推荐 → 确定 → 公示 10 working days → 备案),
re-formation when a term ends (history kept) and the members' eligibility warnings."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from board.models import Alert, AlertKind, AlertState
from households.models import Committee, CommitteeFormation, CommitteeRole, FormationStep
from households.services.committee import (
    committee_form,
    committee_formation_record,
    committee_formation_start,
    committee_formation_step,
    committee_member_add,
    formation_errors,
)
from households.workdays import add_working_days
from portal.models import AuditEntry
from tests.board.helpers import add_committee
from tests.fees.helpers import bill, low_rise_standard

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 3)  # a Monday
STEP = {s.name: s.value for s in FormationStep}


# --- working days ----------------------------------------------------------------------------


def test_ten_working_days_skip_weekends():
    # Monday 2025-03-03: two working weeks end on Friday 2025-03-14.
    assert add_working_days(dt.date(2025, 3, 3), 10) == dt.date(2025, 3, 14)
    # Put up on a Saturday: counting starts on Monday.
    assert add_working_days(dt.date(2025, 3, 1), 10) == dt.date(2025, 3, 14)
    assert add_working_days(dt.date(2025, 3, 3), 1) == dt.date(2025, 3, 3)


def test_public_holidays_and_makeup_days_come_from_the_settings(settings):
    settings.PORTAL_PUBLIC_HOLIDAYS = ["2025-03-05", "2025-03-06"]
    assert add_working_days(dt.date(2025, 3, 3), 10) == dt.date(2025, 3, 18)
    settings.PORTAL_MAKEUP_WORKDAYS = ["2025-03-08"]  # a working Saturday (调休)
    assert add_working_days(dt.date(2025, 3, 3), 10) == dt.date(2025, 3, 17)


# --- the rules over dates (pure) -------------------------------------------------------------


def dates(**kwargs):
    return {STEP[k.upper()]: v for k, v in kwargs.items()}


def test_dates_in_order_and_not_in_the_future():
    ok = dates(
        announced=dt.date(2025, 1, 2),
        nominated=dt.date(2025, 1, 10),
        confirmed=dt.date(2025, 1, 20),
        publicity=dt.date(2025, 1, 20),
        filed=dt.date(2025, 2, 3),
    )
    assert formation_errors(ok, today=TODAY) == {}
    late = {**ok, "nominated_on": dt.date(2024, 12, 31)}
    assert "须不早于「公告」" in formation_errors(late, today=TODAY)["nominated_on"][0]
    future = {**ok, "filed_on": TODAY + dt.timedelta(days=1)}
    assert "不能晚于今天" in formation_errors(future, today=TODAY)["filed_on"][0]
    gap = {**ok, "nominated_on": None}
    assert "请先记录「推荐」" in formation_errors(gap, today=TODAY)["confirmed_on"][0]
    absurd = {**ok, "announced_on": dt.date(1, 1, 1)}
    assert "不合理" in formation_errors(absurd, today=TODAY)["announced_on"][0]


def test_filing_needs_ten_full_working_days_of_publicity():
    base = dates(
        announced=dt.date(2025, 1, 2),
        nominated=dt.date(2025, 1, 10),
        confirmed=dt.date(2025, 1, 20),
        publicity=dt.date(2025, 1, 20),  # Monday: ten working days end Friday 01-31
    )
    on_last_day = {**base, "filed_on": dt.date(2025, 1, 31)}
    error = formation_errors(on_last_day, today=TODAY)["filed_on"][0]
    assert "2025-01-31" in error and "最早为 2025-02-01" in error
    assert formation_errors({**base, "filed_on": dt.date(2025, 2, 1)}, today=TODAY) == {}


# --- the services ----------------------------------------------------------------------------


def test_a_committee_is_formed_step_by_step_and_audited(cast):
    f = committee_formation_start(
        compound=cast.compound, announced_on=dt.date(2025, 1, 2), today=TODAY, actor=cast.officer
    )
    assert f.next_step == FormationStep.NOMINATED
    f = committee_formation_step(
        formation=f, step="nominated_on", day=dt.date(2025, 1, 10), today=TODAY
    )
    f = committee_formation_step(
        formation=f, step="confirmed_on", day=dt.date(2025, 1, 20), today=TODAY
    )
    committee = f.committee
    assert committee.formed_on == dt.date(2025, 1, 20)
    assert committee.term_end == dt.date(2028, 1, 19)  # three years
    f = committee_formation_step(
        formation=f, step="publicity_start", day=dt.date(2025, 1, 20), today=TODAY
    )
    assert f.publicity_end == dt.date(2025, 1, 31)
    with pytest.raises(ValidationError) as exc:
        committee_formation_step(
            formation=f, step="filed_on", day=dt.date(2025, 1, 31), today=TODAY
        )
    assert "filed_on" in exc.value.message_dict
    f = committee_formation_step(formation=f, step="filed_on", day=dt.date(2025, 2, 3), today=TODAY)
    assert f.is_finished and f.next_step is None
    actions = list(
        AuditEntry.objects.filter(action__startswith="committee.formation").values_list(
            "action", flat=True
        )
    )
    assert actions.count("committee.formation_step") == 4 and "committee.formation_start" in actions
    with pytest.raises(ValidationError, match="已经完成"):
        committee_formation_step(formation=f, step="filed_on", day=dt.date(2025, 2, 4), today=TODAY)


def test_steps_are_recorded_in_order_and_a_refused_step_saves_nothing(cast):
    f = committee_formation_start(
        compound=cast.compound, announced_on=dt.date(2025, 1, 2), today=TODAY
    )
    with pytest.raises(ValidationError, match="下一步应记录「推荐」"):
        committee_formation_step(
            formation=f, step="confirmed_on", day=dt.date(2025, 1, 20), today=TODAY
        )
    with pytest.raises(ValidationError):
        committee_formation_step(
            formation=f, step="no-such-step", day=dt.date(2025, 1, 20), today=TODAY
        )
    f = committee_formation_step(
        formation=f, step="nominated_on", day=dt.date(2025, 1, 10), today=TODAY
    )
    # A term longer than three years: no committee, and the step is not recorded.
    with pytest.raises(ValidationError) as exc:
        committee_formation_step(
            formation=f,
            step="confirmed_on",
            day=dt.date(2025, 1, 20),
            term_end=dt.date(2028, 6, 1),
            today=TODAY,
        )
    assert "term_end" in exc.value.message_dict
    assert not Committee.objects.filter(compound=cast.compound).exists()
    f.refresh_from_db()
    assert f.confirmed_on is None
    with pytest.raises(ValidationError, match="不能晚于今天"):
        committee_formation_step(
            formation=f, step="confirmed_on", day=TODAY + dt.timedelta(days=1), today=TODAY
        )


def test_one_unfinished_formation_at_a_time_and_none_before_the_committee_in_office(cast):
    add_committee(cast.compound, formed=dt.date(2022, 1, 1), term_end=dt.date(2024, 12, 31))
    with pytest.raises(ValidationError, match="晚于现任物管会的成立日期"):
        committee_formation_start(
            compound=cast.compound, announced_on=dt.date(2021, 12, 1), today=TODAY
        )
    committee_formation_start(compound=cast.compound, announced_on=dt.date(2025, 1, 2), today=TODAY)
    with pytest.raises(ValidationError, match="未完成的组建"):
        committee_formation_start(
            compound=cast.compound, announced_on=dt.date(2025, 1, 3), today=TODAY
        )
    assert CommitteeFormation.objects.filter(compound=cast.compound).count() == 1


def test_re_formation_keeps_history_and_resolves_the_term_alert(
    cast, django_capture_on_commit_callbacks
):
    from board.services import alerts_refresh

    old = add_committee(cast.compound, formed=dt.date(2021, 6, 18), term_end=dt.date(2024, 6, 17))
    alerts_refresh(compounds=[cast.compound])
    alert = Alert.objects.get(compound=cast.compound, kind=AlertKind.COMMITTEE_TERM_ENDED)
    assert alert.subject == f"committee:{old.pk}"
    today = dt.date.today()
    with django_capture_on_commit_callbacks(execute=True):
        f = committee_formation_start(
            compound=cast.compound, announced_on=today - dt.timedelta(days=30)
        )
        f = committee_formation_step(
            formation=f, step="nominated_on", day=today - dt.timedelta(days=20)
        )
    # Announced is not formed: the alert stays until the new committee is confirmed.
    assert Alert.objects.get(pk=alert.pk).state == AlertState.OPEN
    with django_capture_on_commit_callbacks(execute=True):
        f = committee_formation_step(
            formation=f, step="confirmed_on", day=today - dt.timedelta(days=10)
        )
    assert Alert.objects.get(pk=alert.pk).state == AlertState.RESOLVED
    assert set(cast.compound.committees.values_list("pk", flat=True)) == {old.pk, f.committee_id}
    assert old.members.count() == 1  # the past committee keeps its members


def test_an_existing_committee_gets_its_formation_record_at_once(cast):
    committee = add_committee(
        cast.compound, formed=dt.date(2021, 6, 18), term_end=dt.date(2024, 6, 17)
    )
    with pytest.raises(ValidationError) as exc:
        committee_formation_record(
            committee=committee,
            announced_on=dt.date(2021, 5, 20),
            nominated_on=dt.date(2021, 6, 25),  # after the committee was confirmed
            publicity_start=dt.date(2021, 6, 21),
            filed_on=dt.date(2021, 7, 5),
        )
    assert "nominated_on" in exc.value.message_dict
    assert not CommitteeFormation.objects.exists()
    f = committee_formation_record(
        committee=committee,
        announced_on=dt.date(2021, 5, 20),
        nominated_on=dt.date(2021, 6, 1),
        publicity_start=dt.date(2021, 6, 21),
        filed_on=dt.date(2021, 7, 5),
        illustrative=True,
    )
    assert f.confirmed_on == committee.formed_on and f.publicity_end == dt.date(2021, 7, 2)
    with pytest.raises(ValidationError, match="已有组建记录"):
        committee_formation_record(
            committee=committee, announced_on=dt.date(2021, 5, 20), nominated_on=dt.date(2021, 6, 1)
        )


# --- the page --------------------------------------------------------------------------------


def seven(committee, *, owner_names=()):
    roles = (
        [CommitteeRole.CHAIR]
        + [CommitteeRole.OWNER_REPRESENTATIVE] * 4
        + [CommitteeRole.MEMBER] * 2
    )
    names = list(owner_names) + [f"候选{i}" for i in range(10)]
    for i, role in enumerate(roles):
        name = names[i - 1] if role == CommitteeRole.OWNER_REPRESENTATIVE else f"委员{i}"
        committee_member_add(committee=committee, name=name, role=role)


def test_warnings_owner_representative_not_on_roster_and_arrears(cast, client):
    low_rise_standard(cast.compound)
    bill(cast.compound)  # every unit owes 2022's fees
    committee = committee_form(
        compound=cast.compound, formed_on=dt.date(2025, 1, 20), term_end=dt.date(2028, 1, 19)
    )
    seven(committee, owner_names=["业主-home-1-1", "业主-home-1-2"])
    client.force_login(cast.officer)
    page = client.get(reverse("committee", args=["home"])).content.decode()
    table = page.split('id="committee-members"')[1].split("</table>")[0]
    rows = {r.split("<td>")[1].split("</td>")[0]: r for r in table.split("<tr>")[2:]}
    assert "欠缴物业费" in rows["业主-home-1-1"] and "按姓名" in rows["业主-home-1-1"]
    assert "花名册中没有" not in rows["业主-home-1-1"]
    assert "花名册中没有此人名下的房屋" in rows["候选0"]  # an owner rep who owns nothing
    assert "花名册中没有" not in rows["委员0"]  # the chair need not be an owner


def test_the_page_reads_a_fixed_number_of_queries(cast, client, django_assert_num_queries):
    old = committee_form(
        compound=cast.compound, formed_on=dt.date(2021, 6, 18), term_end=dt.date(2024, 6, 17)
    )
    seven(old, owner_names=["业主-home-1-1"])
    client.force_login(cast.officer)
    url = reverse("committee", args=["home"])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    new = committee_form(
        compound=cast.compound, formed_on=dt.date(2024, 6, 18), term_end=dt.date(2027, 6, 17)
    )
    seven(new, owner_names=["业主-home-1-1", "业主-home-2-1", "业主-home-2-2", "业主-home-2-3"])
    with django_assert_num_queries(len(one)):
        page = client.get(url).content.decode()
    assert "历届物管会" in page and page.count("committee-past") == 1


@pytest.mark.parametrize(
    "who", ["resident", "outsider_office", "outsider_compound", "district_officer"]
)
def test_the_page_is_404_to_everyone_outside_the_compounds_staff(cast, client, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("committee", args=["home"])).status_code == 404


def test_committee_members_read_officers_write(cast, client):
    add_committee(cast.compound, formed=dt.date(2021, 6, 18), term_end=dt.date(2024, 6, 17))
    url = reverse("committee", args=["home"])
    client.force_login(cast.committee)
    page = client.get(url).content.decode()
    assert 'data-state="ended"' in page and "formation-start" not in page
    assert client.post(url, {"action": "start", "announced_on": "2025-01-02"}).status_code == 404
    assert not CommitteeFormation.objects.exists()
    client.force_login(cast.officer)
    page = client.get(url).content.decode()
    assert "formation-start" in page and "formation-record" in page


def test_the_officer_re_forms_from_the_page_with_clear_errors(cast, client):
    add_committee(cast.compound, formed=dt.date(2021, 6, 18), term_end=dt.date(2024, 6, 17))
    url = reverse("committee", args=["home"])
    client.force_login(cast.officer)
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    response = client.post(url, {"action": "start", "announced_on": future})
    assert response.status_code == 400 and "不能晚于今天" in response.content.decode()
    assert not CommitteeFormation.objects.exists()
    assert client.post(url, {"action": "bogus"}).status_code == 404
    day = dt.date.today() - dt.timedelta(days=40)
    assert client.post(url, {"action": "start", "announced_on": day.isoformat()}).status_code == 302
    for step, offset in [("nominated_on", 30), ("confirmed_on", 25), ("publicity_start", 25)]:
        d = (dt.date.today() - dt.timedelta(days=offset)).isoformat()
        response = client.post(url, {"action": "step", "step": step, "day": d})
        assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(url).content.decode()
    assert 'data-state="in_term"' in page and "新一届" not in page
    assert "公示10个工作日，至" in page and "记录下一步：备案" in page
    assert page.count("committee-past") == 1  # the 2021 committee, kept


def test_the_officer_records_an_existing_committees_formation_from_the_page(cast, client):
    add_committee(cast.compound, formed=dt.date(2021, 6, 18), term_end=dt.date(2024, 6, 17))
    url = reverse("committee", args=["home"])
    client.force_login(cast.officer)
    data = {
        "action": "record",
        "announced_on": "2021-05-20",
        "nominated_on": "2021-06-01",
        "publicity_start": "2021-06-21",
        "filed_on": "2021-07-02",  # the posting's last day: too early
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "备案日期最早为 2021-07-03" in response.content.decode()
    assert not CommitteeFormation.objects.exists()
    assert client.post(url, {**data, "filed_on": "2021-07-05"}).status_code == 302
    page = client.get(url).content.decode()
    assert "2021-07-05" in page and "formation-record" not in page
