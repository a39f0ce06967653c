"""The resident's home page: the votes waiting for them (with a link to the ballot) and
what each flat owes (with a link to the fee page), in a fixed number of queries."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from board import selectors as resident
from fees.models import FeeStandard
from households.models import Owner, Ownership
from tests.fees.helpers import bill, home_fees
from tests.voting.helpers import make_decision, resident_of
from voting import selectors, services

pytestmark = pytest.mark.django_db


def home_page(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def vote_cards(page: str) -> list[str]:
    return re.findall(r'<a class="card" href="([^"]+)" data-role="open-vote">', page)


def test_empty_states_say_there_is_nothing_to_vote_on_and_nothing_owed(cast, client):
    page = home_page(client, cast.resident)
    assert "目前没有需要您表决的事项" in page
    assert "无欠费" in page
    assert reverse("fees:my", args=["home"]) in page


def test_staff_without_flats_see_no_resident_sections(cast, client):
    page = home_page(client, cast.committee)
    assert "我的投票" not in page and "我的物业费" not in page


def test_open_votes_link_to_the_ballot_and_say_when_voted(cast, client):
    # Item 1 is for the whole compound, item 2 only for building 2 (not the resident's).
    decision = make_decision(cast, items=((4, None), (7, ["2"])), title="选聘物业表决")
    make_decision(cast, state="draft", title="草稿中的决定")
    make_decision(cast, state="announced", title="已公告未开始")
    ballot = reverse("voting:ballot", args=["home", decision.pk])
    page = home_page(client, cast.resident)
    assert vote_cards(page) == [ballot]
    assert "选聘物业表决" in page and "1 项待投票" in page
    assert "草稿中的决定" not in page and "已公告未开始" not in page

    (entry,) = selectors.roll_entries_for_user(decision, cast.resident)
    item = decision.items.get(position=1)
    services.ballot_cast(
        decision=decision, entry=entry, user=cast.resident, choices={item.pk: "agree"}
    )
    page = home_page(client, cast.resident)
    assert vote_cards(page) == [ballot]
    assert "已投票" in page and "待投票" not in page

    # Neighbours of another compound never see it.
    assert vote_cards(home_page(client, cast.outsider_resident)) == []


def test_a_proxy_holder_sees_the_vote_they_hold(cast, client):
    decision = make_decision(cast, title="换电梯")
    holder = resident_of(cast, "2", 1, "holder")
    (entry,) = selectors.roll_entries_for_user(decision, cast.resident)
    services.proxy_register(
        decision=decision,
        entry=entry,
        actor=cast.committee,
        holder_name="张三",
        holder_user=holder,
        authorisation=SimpleUploadedFile("auth.pdf", b"%PDF-1.4 signed", "application/pdf"),
    )
    (vote,) = resident.open_votes(holder)
    assert (vote.items, vote.voted) == (2, 0)  # their own row and the one they hold
    assert vote_cards(home_page(client, holder)) == [
        reverse("voting:ballot", args=["home", decision.pk])
    ]


def test_balances_show_what_each_flat_owes_and_link_to_the_fee_page(cast, client):
    home_fees(cast)  # 2022 billed: 60.50 m² × 1.00 × 12 = 726.00, 100.00 paid
    page = home_page(client, cast.resident)
    assert re.search(r"欠费 <b>626\.00</b> 元", page)
    assert "无欠费" not in page
    assert f'href="{reverse("fees:my", args=["home"])}" data-role="balance"' in page


def test_prepayment_shows_as_credit(cast, client):
    from fees import services as fees

    data = home_fees(cast)
    fees.payment_record(
        compound=cast.compound,
        unit=data["unit"],
        amount=Decimal("1000.00"),
        is_prepayment=True,
        method="cash",
        received_on=dt.date(2022, 4, 1),
        idempotency_key="home-pay-2",
    )
    (balance,) = resident.unit_balances([data["unit"]])
    assert (str(balance.owed), str(balance.credit)) == ("0.00", "374.00")
    page = home_page(client, cast.resident)
    assert "无欠费" in page and "预缴余额 374.00 元" in page


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


def test_home_queries_do_not_grow_with_flats_votes_or_charges(cast, client):
    home_fees(cast)
    make_decision(cast)
    client.force_login(cast.resident)
    small = _queries(client)
    owner = Owner.objects.get(user=cast.resident)
    for unit in cast.compound.units.exclude(ownerships__owner=owner)[:4]:
        Ownership.objects.create(
            compound=cast.compound, unit=unit, owner=owner, valid_from=dt.date(2020, 1, 1)
        )
    FeeStandard.objects.filter(compound=cast.compound).update(valid_to=None)
    bill(cast.compound, start=dt.date(2023, 1, 1), months=6)
    make_decision(cast, items=((4, None), (7, ["2"]), (1, None)), title="第二个")
    page = client.get("/").content.decode()
    assert page.count('data-role="balance"') == 5 and len(vote_cards(page)) == 2
    assert _queries(client) == small


def test_resident_balances_read_what_the_orm_reads(cast):
    """The home page's one-statement read of the resident's flats gives the flats, order
    and sums of ``units_with_balances(units_of_user_everywhere(user))``: an ended ownership
    drops its flat, a flat held through two owner records of the user comes once."""
    from households import selectors as register

    data = home_fees(cast)
    owner = Owner.objects.get(user=cast.resident)
    others = list(cast.compound.units.exclude(ownerships__owner=owner)[:3])
    for unit in others:
        Ownership.objects.create(
            compound=cast.compound, unit=unit, owner=owner, valid_from=dt.date(2020, 1, 1)
        )
    second = Owner.objects.create(
        compound=cast.compound, name="同一人", id_number="110101199001011234", user=cast.resident
    )
    Ownership.objects.create(
        compound=cast.compound, unit=data["unit"], owner=second, valid_from=dt.date(2020, 1, 1)
    )
    Ownership.objects.filter(owner=owner, unit=others[0]).update(valid_to=dt.date(2021, 1, 1))

    def shown(balances):
        return [
            (
                b.unit.pk,
                b.unit.label,
                b.unit.compound.name,
                b.unit.get_absolute_url(),
                b.fees_url,
                b.unit.floor_area,
                b.owed,
                b.credit,
            )
            for b in balances
        ]

    expected = shown(resident.units_with_balances(register.units_of_user_everywhere(cast.resident)))
    with CaptureQueriesContext(connection) as ctx:
        got = shown(resident.resident_balances(cast.resident))
    assert got == expected and len(got) == 3
    assert any(b[6] > 0 for b in got)
    assert len(ctx.captured_queries) == 1


def test_works_shares_come_with_the_flats_in_the_sections_order(cast, client):
    """works' home section shows the shares read with the flats (the flats' statement
    joins their contributions): the shares, order and labels works'
    ``owner_contributions_of_units`` gives, and no more queries than without shares."""
    from tests.works.lift_project import make_lift_project
    from works.receipt_selectors import owner_contributions_of_units

    client.force_login(cast.resident)
    without = _queries(client)
    owner = Owner.objects.get(user=cast.resident)
    others = cast.compound.units.exclude(ownerships__owner=owner)
    for number in ("1", "2"):
        unit = others.filter(building__number=number).first()
        assert unit is not None
        Ownership.objects.create(
            compound=cast.compound, unit=unit, owner=owner, valid_from=dt.date(2020, 1, 1)
        )
    older = make_lift_project(cast.compound, title="电梯更新")
    newer = make_lift_project(cast.compound, buildings=("2",), title="外墙保温", status="accepted")
    newer.proposed_on = dt.date(2022, 5, 1)
    newer.save()
    Ownership.objects.filter(owner=owner).exclude(unit__building__number__in=["1", "2"]).update(
        valid_to=dt.date(2021, 1, 1)
    )

    balances = resident.resident_balances(cast.resident)
    units = [b.unit for b in balances]
    got = resident.works_shares(balances)
    expected = owner_contributions_of_units(units)
    assert [(s.project_id, s.unit_label) for s in got] == [
        (s.project_id, s.unit_label) for s in expected
    ]
    assert [(s.compound_code, s.project_title, s.project_status, s.share, s.paid) for s in got] == [
        (s.compound_code, s.project_title, s.project_status, s.share, s.paid) for s in expected
    ]
    assert {s.project_id for s in got} == {older.pk, newer.pk} and got[0].project_id == newer.pk
    assert all(b.has_works_shares == bool(b.works_shares) for b in balances)

    page = client.get("/").content.decode()
    assert page.count('data-role="works-share"') == len(expected) >= 3
    assert page.count('data-role="balance"') == len(balances)
    assert _queries(client) == without


def test_the_resident_home_leads_to_requests_without_a_query_more(
    cast, client, django_assert_max_num_queries
):
    """报事报修 is one tap from the landing page: one card per compound of the resident's
    flats, drawn from the flats already read."""
    from django.urls import reverse

    client.force_login(cast.resident)
    client.get("/")
    with django_assert_max_num_queries(4):
        page = client.get("/").content.decode()
    assert page.count('data-role="requests"') == 1
    assert reverse("tickets:list", args=[cast.compound.code]) in page
