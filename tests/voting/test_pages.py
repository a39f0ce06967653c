"""Pages: workflow for the committee, the resident's ballot, turnout, public pages, PDF."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from voting import selectors, services
from voting.models import Ballot, Decision, DecisionState, ReportStatus

from .helpers import close, make_decision, publish, resident_of


def url(name, decision, *extra):
    return reverse(f"voting:{name}", args=[decision.compound.code, decision.pk, *extra])


def test_committee_creates_a_decision_and_adds_items_through_pages(client, cast):
    client.force_login(cast.committee)
    response = client.post(
        reverse("voting:decision_create", args=["home"]),
        {
            "title": "选聘物业",
            "voting_opens_at": "2031-01-20T09:00",
            "voting_closes_at": "2031-01-30T18:00",
        },
    )
    decision = Decision.objects.get()
    assert response.status_code == 302 and response.url == decision.get_absolute_url()
    building = cast.compound.buildings.get(number="2")
    client.post(
        url("item_add", decision), {"title": "换电梯", "category": 7, "buildings": [building.pk]}
    )
    item = decision.items.get()
    assert item.category == 7 and selectors.item_scope(item) == [building.pk]
    page = client.get(decision.get_absolute_url()).content.decode()
    assert "换电梯" in page and "do-announce" in page


def test_resident_cannot_create_or_act(client, cast):
    decision = make_decision(cast)
    client.force_login(cast.resident)
    assert client.get(reverse("voting:decision_create", args=["home"])).status_code == 404
    assert client.post(url("action", decision, "close")).status_code == 404
    assert client.get(url("paper_entry", decision)).status_code == 404
    assert client.get(url("turnout", decision)).status_code == 404


def test_resident_votes_online_and_sees_only_their_own_choice(client, cast):
    decision = make_decision(cast)
    neighbour = resident_of(cast, "1", 2, "neighbour-voter")
    services.ballot_cast(
        decision=decision,
        entry=selectors.roll_entries_for_user(decision, neighbour).get(),
        user=neighbour,
        choices={decision.items.get().pk: "disagree"},
    )
    client.force_login(cast.resident)
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    item = decision.items.get()
    response = client.post(url("ballot", decision), {"entry": entry.pk, f"item_{item.pk}": "agree"})
    assert response.status_code == 302
    mine = Ballot.objects.get(entry=entry)
    page = client.get(url("ballot", decision)).content.decode()
    assert mine.receipt_code in page and "同意" in page
    assert "反对</strong>" not in page  # the neighbour's choice is nowhere
    detail = client.get(decision.get_absolute_url()).content.decode()
    assert "tally-" not in detail  # no running tally while voting is open


def test_ballot_page_refuses_someone_elses_roll_row(client, cast):
    decision = make_decision(cast)
    other = decision.roll.exclude(owner__user=cast.resident).first()
    client.force_login(cast.resident)
    response = client.post(
        url("ballot", decision), {"entry": other.pk, f"item_{decision.items.get().pk}": "agree"}
    )
    assert response.status_code == 404
    assert not Ballot.objects.exists()


def test_paper_entry_pages_double_entry_and_review(client, cast, second_committee):
    decision = make_decision(cast)
    entry = decision.roll.get(number=4)
    item = decision.items.get()
    client.force_login(cast.committee)
    assert (
        entry.ballot_code
        in client.get(url("paper_entry", decision) + f"?code={entry.ballot_code}").content.decode()
    )
    client.post(
        url("paper_entry", decision), {"ballot_code": entry.ballot_code, f"item_{item.pk}": "agree"}
    )
    client.force_login(second_committee)
    client.post(
        url("paper_entry", decision),
        {"ballot_code": entry.ballot_code, f"item_{item.pk}": "abstain"},
    )
    assert not Ballot.objects.exists()
    review = client.get(url("review", decision)).content.decode()
    assert entry.units_label in review
    client.post(url("review", decision), {"entry": entry.pk, f"item_{item.pk}": "abstain"})
    assert Ballot.objects.get().choice == "abstain"


def test_turnout_page_runs_a_constant_number_of_queries(
    client, cast, second_committee, django_assert_max_num_queries
):
    decision = make_decision(cast)
    client.force_login(cast.committee)
    building = cast.compound.buildings.get(number="1")
    address = url("turnout", decision) + f"?building={building.pk}&voted=no"  # the canvass list
    with django_assert_max_num_queries(30) as few:
        client.get(address)
    baseline = len(few)
    for number in (2, 3, 4, 5):
        code = decision.roll.get(number=number).ballot_code
        services.paper_entry_record(
            decision=decision,
            ballot_code=code,
            actor=cast.committee,
            choices={decision.items.get().pk: "agree"},
        )
        services.paper_entry_record(
            decision=decision,
            ballot_code=code,
            actor=second_committee,
            choices={decision.items.get().pk: "agree"},
        )
    with django_assert_max_num_queries(baseline):
        page = client.get(address).content.decode()
    assert "<svg" in page and "1号楼 0101" in page  # not voted yet: listed for 扫楼
    assert "1号楼 0201" not in page.split('id="not-voted"')[1]  # voted (#2): not listed
    assert "同意" not in page.split('id="not-voted"')[1]


def test_ballot_sheets_carry_code_and_qr(client, cast):
    decision = make_decision(cast)
    client.force_login(cast.committee)
    building = cast.compound.buildings.get(number="1")
    page = client.get(url("sheets", decision) + f"?building={building.pk}").content.decode()
    for entry in decision.roll.filter(units__building=building):
        assert entry.ballot_code in page
    assert page.count("<svg") == 3


def test_public_notice_and_result_show_units_never_names(client, cast):
    decision = make_decision(cast)
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    ballot = services.ballot_cast(
        decision=decision,
        entry=entry,
        user=cast.resident,
        choices={decision.items.get().pk: "agree"},
    )[0]
    notice = client.get(reverse("voting_public:notice", args=["home", decision.pk]))
    assert notice.status_code == 200 and "事项1" in notice.content.decode()
    result_url = reverse("voting_public:result", args=["home", decision.pk])
    assert client.get(result_url).status_code == 404  # not published yet
    publish(decision, cast)
    page = client.get(result_url).content.decode()
    assert "1号楼 0101" in page and "60.50" in page
    assert "业主-home" not in page and "110101" not in page
    checked = client.get(result_url + f"?receipt={ballot.receipt_code.lower()}").content.decode()
    assert "已计入" in checked and "事项1" in checked
    assert "同意" not in re.search(r'id="receipt-result">(.*?)</p>', checked).group(1)
    missing = client.get(result_url + "?receipt=NOPE").content.decode()
    assert "未找到" in missing


def test_draft_notice_is_not_public(client, cast):
    decision = make_decision(cast, state="draft")
    assert (
        client.get(reverse("voting_public:notice", args=["home", decision.pk])).status_code == 404
    )


def test_tally_report_pdf_reads_back_with_the_figures(
    client, cast, django_capture_on_commit_callbacks
):
    decision = make_decision(cast)
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    services.ballot_cast(
        decision=decision,
        entry=entry,
        user=cast.resident,
        choices={decision.items.get().pk: "agree"},
    )
    decision = publish(decision, cast)
    client.force_login(cast.committee)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("report_request", decision))
    decision.refresh_from_db()
    assert decision.report_status == ReportStatus.DONE and decision.report_progress == 100
    response = client.get(url("report", decision))
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages
    )
    assert "16.67%" in text  # 1 of 6 owners took part
    assert "100.00%" in text  # and agreed
    assert decision.ballot_set_sha256 in text.replace("\n", "")
    assert "某公证处" in text


def test_publication_reminder_shows_on_the_page(client, cast):
    decision = make_decision(cast)
    close(decision, cast)
    services.decision_count(
        decision=decision,
        actor=cast.committee,
        counting_date=dt.date.today(),
        counting_place="x",
        counters="y",
    )
    client.force_login(cast.committee)
    assert "publication-reminder" in client.get(decision.get_absolute_url()).content.decode()


def test_full_procedure_through_the_buttons(client, cast):
    decision = make_decision(cast, state="announced")
    client.force_login(cast.committee)
    client.post(url("action", decision, "open"))
    decision.refresh_from_db()
    assert decision.state == DecisionState.OPEN
    client.post(url("action", decision, "close"))  # too early: refused, shown
    decision.refresh_from_db()
    assert decision.state == DecisionState.OPEN
    page = client.get(decision.get_absolute_url()).content.decode()
    assert "不能提前结束投票" in page
    close(decision, cast)
    client.post(
        url("count", decision),
        {"counting_date": "2031-01-01", "counting_place": "会议室", "counters": "甲、乙"},
    )
    client.post(url("action", decision, "publish"))
    decision.refresh_from_db()
    assert decision.state == DecisionState.PUBLISHED


pytestmark = pytest.mark.django_db
