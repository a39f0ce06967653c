"""Candidates at the 推荐 step (with the members' eligibility checks), seating them at 确定,
and correcting a recorded step's date with a reason: the services and the page."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from households.committee_checks import candidate_warnings
from households.committee_selectors import formation_candidates
from households.masking import mask_name
from households.models import (
    CandidateKind,
    Committee,
    CommitteeCandidate,
    CommitteeFormation,
    CommitteeMember,
    CommitteeRole,
)
from households.services.committee import (
    committee_candidate_add,
    committee_candidate_remove,
    committee_formation_correct,
    committee_formation_record,
    committee_formation_start,
    committee_formation_step,
    committee_member_add,
)
from portal.models import AuditEntry
from tests.board.helpers import add_committee
from tests.fees.helpers import bill, low_rise_standard

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 3)  # a Monday
OWNER = "业主-home-1-1"  # on the home roster (tests.factories.make_compound)


def nominated(compound, *, today=TODAY):
    f = committee_formation_start(compound=compound, announced_on=dt.date(2025, 1, 2), today=today)
    return committee_formation_step(
        formation=f, step="nominated_on", day=dt.date(2025, 1, 10), today=today
    )


def warnings_by_name(compound, formation) -> dict[str, list[str]]:
    candidates = list(formation.candidates.all())
    matches = candidate_warnings(compound, candidates)
    return {c.name + "/" + c.kind: matches[c.pk].warnings for c in candidates}


# --- candidates and their warnings ----------------------------------------------------------


def test_a_candidate_in_arrears_is_warned_about_through_the_fees_check(cast):
    low_rise_standard(cast.compound)
    bill(cast.compound)  # every unit owes 2022's fees
    f = nominated(cast.compound)
    committee_candidate_add(formation=f, name=OWNER, kind=CandidateKind.OWNER, actor=cast.officer)
    w = warnings_by_name(cast.compound, f)[f"{OWNER}/owner"]
    assert len(w) == 1 and "欠缴物业费" in w[0] and "花名册中没有" not in w[0]
    entry = AuditEntry.objects.get(action="committee.candidate_add")
    assert entry.actor == cast.officer and entry.data["kind"] == "owner"
    assert OWNER not in str(entry.data)  # the permanent log keeps no names


def test_not_on_the_roster_duplicates_and_a_chair_not_from_the_residents_committee(cast):
    f = nominated(cast.compound)
    committee_candidate_add(formation=f, name="王不在册", kind="owner")
    committee_candidate_add(formation=f, name=OWNER, kind="owner")
    committee_candidate_add(formation=f, name=f" {OWNER} ", kind="owner")  # the same, twice
    committee_candidate_add(formation=f, name="街道代表", kind="street_office", role="chair")
    committee_candidate_add(
        formation=f, name="居委会代表", kind="residents_committee", role="chair"
    )
    w = warnings_by_name(cast.compound, f)
    assert any("花名册中没有此人名下的房屋" in x for x in w["王不在册/owner"])
    assert w[f"{OWNER}/owner"] == ["同一姓名被推荐了 2 次：请核实是否重复推荐"]
    assert w["街道代表/street_office"] == ["物管会主任应由社区居委会代表担任（BJ 54）"]
    assert w["居委会代表/residents_committee"] == []  # not an owner: the roster is not asked
    roles = dict(f.candidates.values_list("name", "role"))
    assert roles["王不在册"] == CommitteeRole.OWNER_REPRESENTATIVE  # the default for owners


def test_warnings_cost_a_fixed_number_of_queries(cast, django_assert_num_queries):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    f = nominated(cast.compound)
    committee_candidate_add(formation=f, name=OWNER, kind="owner")
    with django_assert_num_queries(3):  # candidates, roster match, arrears
        rows = formation_candidates(cast.compound, [f])
    assert rows[f.pk][0].warnings
    for i in range(2, 4):
        committee_candidate_add(formation=f, name=f"业主-home-2-{i}", kind="owner")
        committee_candidate_add(formation=f, name=f"居委{i}", kind="residents_committee")
    with django_assert_num_queries(3):
        rows = formation_candidates(cast.compound, [f])
    assert len(rows[f.pk]) == 5


def test_bad_candidates_are_refused_and_nothing_is_saved(cast):
    f = nominated(cast.compound)
    with pytest.raises(ValidationError) as exc:
        committee_candidate_add(formation=f, name="  ", kind="mayor", role="king")
    assert set(exc.value.message_dict) == {"name", "kind", "role"}
    assert "请填写候选人姓名" in exc.value.message_dict["name"][0]
    assert not CommitteeCandidate.objects.exists()
    assert not AuditEntry.objects.filter(action="committee.candidate_add").exists()


def test_confirming_seats_the_chosen_candidates_in_their_proposed_roles(cast):
    f = nominated(cast.compound)
    chair = committee_candidate_add(
        formation=f, name="居委会代表", kind="residents_committee", role="chair"
    )
    owner = committee_candidate_add(formation=f, name=OWNER, kind="owner", affiliation="1号楼")
    left_out = committee_candidate_add(formation=f, name="未确定者", kind="other")
    f = committee_formation_step(
        formation=f,
        step="confirmed_on",
        day=dt.date(2025, 1, 20),
        seat_candidates=[chair.pk, owner.pk],
        today=TODAY,
    )
    seats = {m.name: m for m in f.committee.members.all()}
    assert set(seats) == {"居委会代表", OWNER}
    assert seats["居委会代表"].role == CommitteeRole.CHAIR
    assert seats[OWNER].role == CommitteeRole.OWNER_REPRESENTATIVE
    assert seats[OWNER].affiliation == "1号楼"
    assert seats[OWNER].term_start == dt.date(2025, 1, 20)
    chair.refresh_from_db()
    left_out.refresh_from_db()
    assert chair.member == seats["居委会代表"] and left_out.member is None
    entry = AuditEntry.objects.filter(action="committee.formation_step").latest("id")
    assert sorted(entry.data["seated"]) == sorted(m.pk for m in seats.values())
    # Confirmed: no more candidates, and none withdrawn.
    with pytest.raises(ValidationError, match="不能再添加候选人"):
        committee_candidate_add(formation=f, name="迟到者", kind="owner")
    with pytest.raises(ValidationError, match="不能再删除"):
        committee_candidate_remove(candidate=left_out)


def test_a_refused_seat_refuses_the_whole_confirmation(cast):
    f = nominated(cast.compound)
    a = committee_candidate_add(formation=f, name="甲", kind="residents_committee", role="chair")
    b = committee_candidate_add(formation=f, name="乙", kind="residents_committee", role="chair")
    with pytest.raises(ValidationError) as exc:
        committee_formation_step(
            formation=f,
            step="confirmed_on",
            day=dt.date(2025, 1, 20),
            seat_candidates=[a.pk, b.pk],
            today=TODAY,
        )
    assert "候选人 乙" in exc.value.message_dict["candidates"][0]
    assert "已有主任" in exc.value.message_dict["candidates"][0]
    f.refresh_from_db()
    assert f.confirmed_on is None and f.committee is None
    assert not Committee.objects.exists() and not CommitteeMember.objects.exists()
    # Ids of another formation, or seats at another step: refused too.
    with pytest.raises(ValidationError, match="不是该次组建的候选人"):
        committee_formation_step(
            formation=f,
            step="confirmed_on",
            day=dt.date(2025, 1, 20),
            seat_candidates=[a.pk + 1000],
            today=TODAY,
        )
    other = committee_formation_start(
        compound=cast.other_compound, announced_on=dt.date(2025, 1, 2), today=TODAY
    )
    with pytest.raises(ValidationError, match="只有在「确定」时"):
        committee_formation_step(
            formation=other,
            step="nominated_on",
            day=dt.date(2025, 1, 3),
            seat_candidates=[a.pk],
            today=TODAY,
        )


def test_a_candidate_is_withdrawn_before_confirmation_and_audited(cast):
    f = nominated(cast.compound)
    c = committee_candidate_add(formation=f, name="撤回者", kind="owner")
    committee_candidate_remove(candidate=c, actor=cast.officer)
    assert not f.candidates.exists()
    assert AuditEntry.objects.get(action="committee.candidate_remove").data["candidate"] == c.pk


# --- correcting a recorded step ----------------------------------------------------------------


def filed(compound):
    """A committee formed 2021-06-18 with its formation filed (the demo's dates)."""
    committee = Committee.objects.create(
        compound=compound, formed_on=dt.date(2021, 6, 18), term_end=dt.date(2024, 6, 17)
    )
    committee_member_add(committee=committee, name="主任", role=CommitteeRole.CHAIR)
    committee_member_add(
        committee=committee,
        name="代表",
        role=CommitteeRole.OWNER_REPRESENTATIVE,
        term_start=dt.date(2021, 7, 1),
        term_end=dt.date(2023, 12, 31),
    )
    return committee_formation_record(
        committee=committee,
        announced_on=dt.date(2021, 5, 20),
        nominated_on=dt.date(2021, 6, 1),
        publicity_start=dt.date(2021, 6, 21),  # Monday: ten working days end Friday 07-02
        filed_on=dt.date(2021, 7, 12),
    )


def test_correcting_the_publicity_start_recomputes_its_end_and_is_audited(cast):
    f = filed(cast.compound)
    assert f.publicity_end == dt.date(2021, 7, 2)
    f = committee_formation_correct(
        formation=f,
        step="publicity_start",
        day=dt.date(2021, 6, 22),
        reason="公示照片显示 6月22日 张贴",
        today=TODAY,
        actor=cast.officer,
    )
    assert f.publicity_start == dt.date(2021, 6, 22)
    assert f.publicity_end == dt.date(2021, 7, 5)  # a Tuesday start ends on the Monday
    entry = AuditEntry.objects.get(action="committee.formation_correct")
    assert entry.actor == cast.officer and entry.object_id == str(f.pk)
    assert entry.data["step"] == "publicity_start"
    assert entry.data["before"] == "2021-06-21" and entry.data["after"] == "2021-06-22"
    assert entry.data["reason"] == "公示照片显示 6月22日 张贴"
    assert entry.data["publicity_end_before"] == "2021-07-02"
    assert entry.data["publicity_end_after"] == "2021-07-05"


def test_a_bad_correction_saves_nothing(cast):
    f = filed(cast.compound)
    before = CommitteeFormation.objects.values().get(pk=f.pk)

    def refused(**kwargs):
        args = {"formation": f, "step": "publicity_start", "reason": "录入错误", "today": TODAY}
        with pytest.raises(ValidationError) as exc:
            committee_formation_correct(**{**args, **kwargs})
        assert CommitteeFormation.objects.values().get(pk=f.pk) == before
        return exc.value.message_dict

    # The filing stays after the ten working days: a later start makes it too early.
    errors = refused(day=dt.date(2021, 7, 1))
    assert "备案日期最早为" in errors["day"][0]
    assert "请填写更正理由" in refused(day=dt.date(2021, 6, 22), reason="  ")["reason"][0]
    assert "不能晚于今天" in refused(step="filed_on", day=TODAY + dt.timedelta(days=1))["day"][0]
    assert "须不早于「确定」" in refused(day=dt.date(2021, 6, 17))["day"][0]
    assert "与原记录相同" in refused(day=dt.date(2021, 6, 21))["day"][0]
    assert "没有这个组建步骤" in refused(step="bogus", day=dt.date(2021, 6, 22))["step"][0]
    assert not AuditEntry.objects.filter(action="committee.formation_correct").exists()


def test_an_unrecorded_step_is_recorded_not_corrected(cast):
    f = nominated(cast.compound)
    with pytest.raises(ValidationError, match="尚未记录"):
        committee_formation_correct(
            formation=f, step="confirmed_on", day=dt.date(2025, 1, 20), reason="x", today=TODAY
        )


def test_correcting_the_confirmation_moves_the_committee_and_its_first_seats(cast):
    f = filed(cast.compound)
    committee = f.committee
    f = committee_formation_correct(
        formation=f, step="confirmed_on", day=dt.date(2021, 6, 15), reason="确定会议纪要为6月15日"
    )
    committee.refresh_from_db()
    assert committee.formed_on == dt.date(2021, 6, 15)
    assert committee.term_end == dt.date(2024, 6, 14)  # the default three years follow
    seats = dict(committee.members.values_list("name", "term_start"))
    assert seats == {"主任": dt.date(2021, 6, 15), "代表": dt.date(2021, 7, 1)}
    entry = AuditEntry.objects.get(action="committee.formation_correct")
    assert entry.data["committee_before"]["formed_on"] == "2021-06-18"
    assert entry.data["committee_after"]["formed_on"] == "2021-06-15"


def test_a_confirmation_is_not_moved_before_the_previous_committee(cast):
    add_committee(cast.compound, formed=dt.date(2022, 1, 1), term_end=dt.date(2024, 12, 31))
    f = nominated(cast.compound)
    f = committee_formation_step(
        formation=f, step="confirmed_on", day=dt.date(2025, 1, 20), today=TODAY
    )
    with pytest.raises(ValidationError) as exc:
        committee_formation_correct(
            formation=f, step="announced_on", day=dt.date(2021, 12, 1), reason="x", today=TODAY
        )
    assert "上一届物管会的成立日期（2022-01-01）" in exc.value.message_dict["day"][-1]
    f.refresh_from_db()
    assert f.announced_on == dt.date(2025, 1, 2)


# --- the page ----------------------------------------------------------------------------------


def test_the_officer_nominates_sees_warnings_and_confirms_from_the_page(cast, client):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    today = dt.date.today()
    f = committee_formation_start(
        compound=cast.compound, announced_on=today - dt.timedelta(days=20)
    )
    committee_formation_step(formation=f, step="nominated_on", day=today - dt.timedelta(days=10))
    url = reverse("committee", args=["home"])
    client.force_login(cast.officer)
    response = client.post(url, {"action": "candidate", "name": "", "kind": "owner"})
    assert response.status_code == 400 and not CommitteeCandidate.objects.exists()
    for name, kind, role in [(OWNER, "owner", ""), ("居委", "residents_committee", "chair")]:
        data = {"action": "candidate", "name": name, "kind": kind, "role": role}
        assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    table = page.split('class="committee-candidates"')[1].split("</table>")[0]
    assert OWNER in table and "欠缴物业费" in table  # at nomination
    form = page.split('id="formation-step"')[1].split("</form>")[0]
    assert "记录下一步：确定" in page and 'name="candidates"' in form
    assert "欠缴物业费" in form  # again before confirmation
    ids = list(f.candidates.values_list("pk", flat=True))
    data = {
        "action": "step",
        "step": "confirmed_on",
        "day": (today - dt.timedelta(days=5)).isoformat(),
        "candidates": ids,
    }
    assert client.post(url, data).status_code == 302
    committee = Committee.objects.get(compound=cast.compound)
    assert set(committee.members.values_list("name", flat=True)) == {OWNER, "居委"}


def test_a_property_unit_rep_reads_candidates_masked_and_cannot_write(cast, client):
    f = nominated(cast.compound, today=dt.date.today())
    committee_candidate_add(formation=f, name=OWNER, kind="owner")
    url = reverse("committee", args=["home"])
    client.force_login(cast.property_unit_rep)
    page = client.get(url).content.decode()
    assert OWNER not in page and mask_name(OWNER) in page
    assert 'id="candidate-add"' not in page and "formation-correct" not in page
    response = client.post(url, {"action": "candidate", "name": "x", "kind": "owner"})
    assert response.status_code == 404 and f.candidates.count() == 1


def test_the_officer_corrects_a_date_from_the_page(cast, client):
    f = filed(cast.compound)
    url = reverse("committee", args=["home"])
    client.force_login(cast.officer)
    page = client.get(url).content.decode()
    assert f'id="formation-correct-{f.pk}"' in page
    data = {"action": "correct", "formation": f.pk, "step": "publicity_start", "day": "2021-07-01"}
    response = client.post(url, {**data, "reason": "录入错误"})
    assert response.status_code == 400 and "备案日期最早为" in response.content.decode()
    response = client.post(url, {**data, "day": "2021-06-22", "reason": ""})
    assert response.status_code == 400 and "必填项" in response.content.decode()
    f.refresh_from_db()
    assert f.publicity_start == dt.date(2021, 6, 21)
    assert client.post(url, {**data, "formation": 10**9, "reason": "x"}).status_code == 404
    assert client.post(url, {**data, "day": "2021-06-22", "reason": "录入错误"}).status_code == 302
    f.refresh_from_db()
    assert f.publicity_start == dt.date(2021, 6, 22) and f.publicity_end == dt.date(2021, 7, 5)
    assert AuditEntry.objects.filter(action="committee.formation_correct").count() == 1


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_candidates(
    cast, client, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    low_rise_standard(cast.compound)
    bill(cast.compound)
    f = nominated(cast.compound, today=dt.date.today())
    committee_candidate_add(formation=f, name=OWNER, kind="owner")
    url = reverse("committee", args=["home"])
    client.force_login(cast.officer)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for i in range(1, 4):
        committee_candidate_add(formation=f, name=f"业主-home-2-{i}", kind="owner")
    with django_assert_num_queries(len(one)):
        page = client.get(url).content.decode()
    assert page.count("data-candidate=") == 4


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_second_compound_confirms_seven_of_eight_candidates(cast):
    from board import demo_committee

    compound = demo_committee._second_compound(cast.compound)
    formation = compound.committee_formations.get()
    assert formation.illustrative and formation.filed_on == dt.date(2025, 10, 29)
    candidates = formation.candidates.order_by("id")
    assert candidates.count() == 8
    seated = candidates.filter(member__isnull=False)
    assert seated.count() == 7 == compound.committees.get().members.count()
    assert candidates.last().name == "吴德明" and candidates.last().member is None
    assert compound.committees.get().composition_problems() == []
