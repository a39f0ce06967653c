"""A published draw's split is fixed at publication (works.models.FundDrawShare): the
shares are written with the draw, shown to the committee in full and to each owner for
their own units (draw page, ledger page, home, API, statement), and the draw is made from
them whatever changed in the scope or the register since. A draw published before splits
were kept is split from the scope when it is made."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from households.models import AreaSource, Unit
from portal.models import AuditEntry
from tests.factories import make_cast
from works.fund_selectors import draw_shares, draw_split
from works.models import (
    DrawStatus,
    FundDraw,
    FundDrawShare,
    FundEntry,
    OverdrawRule,
    ProjectBuilding,
    ProjectUnit,
)
from works.services.fund import fund_settings_update
from works.services.fund_draws import fund_draw_make, fund_draw_publish

from .fund_helpers import MADE, PUBLISHED, make_fund_project, open_balances, uneven_areas

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    cast = make_cast()
    uneven_areas(cast.compound)
    open_balances(cast.compound, Decimal("5000.00"))
    return cast


def kept(draw) -> dict[int, Decimal]:
    return dict(FundDrawShare.objects.filter(draw=draw).values_list("unit_id", "share"))


def drawn(draw) -> dict[int, Decimal]:
    return {e.unit_id: -e.amount for e in FundEntry.objects.filter(draw=draw)}


def publish(cast, amount="10000.01", buildings=("1", "2"), title="home 屋面防水"):
    project = make_fund_project(cast.compound, buildings=buildings, title=title)
    return fund_draw_publish(
        project=project, amount=amount, published_on=PUBLISHED, actor=cast.committee
    )


def test_publishing_fixes_each_units_share_to_the_fen(cast):
    draw = publish(cast)
    shares = kept(draw)
    assert len(shares) == 6 and sum(shares.values()) == Decimal("10000.01")
    assert shares == draw_shares(draw.project, draw.amount)[0]
    rows = FundDrawShare.objects.filter(draw=draw).select_related("unit")
    assert all(r.area == r.unit.floor_area and r.building_id == r.unit.building_id for r in rows)
    audit = AuditEntry.objects.get(action="works.fund_draw_publish")
    assert audit.data["shares"] == 6


def test_the_draw_is_made_from_the_published_split_whatever_changed_since(cast):
    draw = publish(cast)
    published = kept(draw)
    # after publication: building 2 leaves the scope, a flat's area is corrected, a flat
    # is added to building 1
    ProjectBuilding.objects.filter(project=draw.project, building__number="2").delete()
    unit = cast.compound.units.filter(building__number="1").order_by("pk").first()
    Unit.objects.filter(pk=unit.pk).update(floor_area=Decimal("300.00"))
    Unit.objects.create(
        compound=cast.compound,
        building=unit.building,
        number="9-0001",
        floor_area=Decimal("80.00"),
        area_source=AreaSource.REGISTERED,
    )
    assert draw_shares(draw.project, draw.amount)[0] != published  # the split now differs
    fund_draw_make(draw=draw, made_on=MADE, actor=cast.committee)
    assert drawn(draw) == published
    assert kept(draw) == published
    audit = AuditEntry.objects.get(action="works.fund_draw_make")
    assert audit.data["split_fixed_on_make"] is False


def test_the_overdraw_rule_is_applied_per_unit_against_the_published_share(cast):
    draw = publish(cast, amount="12000.00")  # ~2000 per flat, each holds 5000
    fund_settings_update(compound=cast.compound, overdraw=OverdrawRule.FLAG)
    biggest = max(kept(draw).items(), key=lambda kv: kv[1])
    # meanwhile the biggest share's flat spent most of its balance elsewhere
    project = make_fund_project(cast.compound, buildings=(), title="home 外墙")
    ProjectUnit.objects.create(compound=cast.compound, project=project, unit_id=biggest[0])
    other = fund_draw_publish(project=project, amount="4000.00", published_on=PUBLISHED)
    fund_draw_make(draw=other, made_on=MADE)
    fund_draw_make(draw=draw, made_on=MADE)
    entry = FundEntry.objects.get(draw=draw, unit_id=biggest[0])
    assert -entry.amount == Decimal("1000.00") and entry.owed == biggest[1] - Decimal("1000.00")
    draw.refresh_from_db()
    assert draw.shortfall == entry.owed
    assert sum(drawn(draw).values()) + draw.shortfall == draw.amount


def test_refuse_rule_checks_the_published_share_when_made_and_writes_nothing(cast):
    draw = publish(cast, amount="6000.00")
    unit_id = next(iter(kept(draw)))
    FundEntry.objects.filter(unit_id=unit_id).update(amount=Decimal("1.00"))
    with pytest.raises(ValidationError, match="余额不足"):
        fund_draw_make(draw=draw, made_on=MADE)
    draw.refresh_from_db()
    assert draw.status == DrawStatus.PUBLISHED and not FundEntry.objects.filter(draw=draw).exists()
    assert len(kept(draw)) == 6  # the published split stays


def test_a_refused_publication_keeps_no_split(cast):
    project = make_fund_project(cast.compound, buildings=("1", "2"))
    with pytest.raises(ValidationError, match="余额不足"):
        fund_draw_publish(project=project, amount="90000.00", published_on=PUBLISHED)
    fund_settings_update(compound=cast.compound, overdraw=OverdrawRule.FLAG)
    Unit.objects.filter(compound=cast.compound).update(floor_area=None)
    with pytest.raises(ValidationError, match="已知面积"):
        fund_draw_publish(project=project, amount="10.00", published_on=PUBLISHED)
    assert not FundDraw.objects.exists() and not FundDrawShare.objects.exists()


def test_a_draw_published_before_splits_were_kept_is_split_when_made(cast, client):
    draw = publish(cast)
    FundDrawShare.objects.filter(draw=draw).delete()  # as older data has none
    ProjectBuilding.objects.filter(project=draw.project, building__number="2").delete()
    split = draw_split(draw)
    assert not split.fixed and len(split.rows) == 3 and split.total == draw.amount
    client.force_login(cast.committee)
    page = client.get(reverse("works:fund-draw", args=[cast.compound.code, draw.pk]))
    assert 'id="split-not-fixed"' in page.content.decode()
    fund_draw_make(draw=draw, made_on=MADE)
    shares = kept(draw)
    assert len(shares) == 3 and sum(shares.values()) == draw.amount
    assert drawn(draw) == shares
    audit = AuditEntry.objects.get(action="works.fund_draw_make")
    assert audit.data["split_fixed_on_make"] is True
    assert draw_split(draw).fixed


def test_a_made_draw_without_a_kept_split_shows_its_entries(cast):
    draw = publish(cast)
    fund_draw_make(draw=draw, made_on=MADE)
    FundDrawShare.objects.filter(draw=draw).delete()
    draw.refresh_from_db()
    split = draw_split(draw)
    assert not split.fixed and {r.unit.pk: r.share for r in split.rows} == drawn(draw)


# ------------------------------------------------------------------ pages


def test_committee_sees_the_full_split_and_a_resident_only_their_own(cast, client):
    draw = publish(cast)
    path = reverse("works:fund-draw", args=[cast.compound.code, draw.pk])
    client.force_login(cast.committee)
    page = client.get(path).content.decode()
    assert page.count("data-unit=") == 6 and 'id="split-fixed"' in page
    assert "10,000.01" in page  # the total
    mine = cast.compound.units.owned_by(cast.resident).get()
    share = kept(draw)[mine.pk]
    client.force_login(cast.resident)
    page = client.get(path).content.decode()
    assert page.count("data-unit=") == 1 and f'data-unit="{mine.pk}"' in page
    assert f"{share:,}" in page and "draw-shares-total" not in page


def test_the_owner_sees_their_share_of_a_published_draw_on_their_pages(cast, client):
    draw = publish(cast)
    mine = cast.compound.units.owned_by(cast.resident).get()
    share = kept(draw)[mine.pk]
    others = [v for k, v in kept(draw).items() if k != mine.pk]
    client.force_login(cast.resident)
    home = client.get("/").content.decode()
    assert home.count('data-role="works-draw-share"') == 1 and f"{share:,}" in home
    assert not any(f"{v:,}" in home for v in others if v != share)
    ledger = client.get(reverse("works:fund-unit", args=[cast.compound.code, mine.pk]))
    assert 'data-role="draw-share"' in ledger.content.decode()
    assert f"{share:,}" in ledger.content.decode()
    client.force_login(cast.outsider_resident)
    assert 'data-role="works-draw-share"' not in client.get("/").content.decode()
    fund_draw_make(draw=draw, made_on=MADE)  # made: the ledger shows it, the notice goes
    client.force_login(cast.resident)
    assert 'data-role="works-draw-share"' not in client.get("/").content.decode()


def _add_units(compound, n):
    building = compound.buildings.get(number="2")
    Unit.objects.bulk_create(
        Unit(
            compound=compound,
            building=building,
            number=f"9-{i:04d}",
            floor_area=Decimal("50.00"),
            area_source=AreaSource.REGISTERED,
        )
        for i in range(n)
    )
    open_balances(compound, Decimal("5000.00"), building=None)


def test_draw_page_and_api_queries_do_not_grow_with_the_split(
    cast, client, django_assert_max_num_queries
):
    api = APIClient()
    small = publish(cast, amount="600.00")

    def counts(draw):
        found = []
        client.force_login(cast.committee)
        api.force_authenticate(cast.committee)
        for get in (
            lambda: client.get(reverse("works:fund-draw", args=[cast.compound.code, draw.pk])),
            lambda: api.get(
                reverse("api-works-fund-draw-shares", args=[cast.compound.code, draw.pk])
            ),
        ):
            with django_assert_max_num_queries(20) as q:
                assert get().status_code == 200
            found.append(len(q.captured_queries))
        return found

    counts(small)  # warm the per-process caches (roles, content types)
    before = counts(small)
    FundEntry.objects.all().delete()
    _add_units(cast.compound, 60)
    large = publish(cast, amount="60000.00", title="home 大")
    assert FundDrawShare.objects.filter(draw=large).count() == 66
    assert counts(large) == before
    fund_draw_make(draw=large, made_on=MADE)
    fund_draw_make(draw=small, made_on=MADE)
    assert counts(large) == counts(small)


def test_api_shares_sum_to_the_draw_and_a_resident_gets_their_own(cast):
    draw = publish(cast)
    api = APIClient()
    path = reverse("api-works-fund-draw-shares", args=[cast.compound.code, draw.pk])
    api.force_authenticate(cast.officer)
    rows = api.get(path).json()["results"]
    assert len(rows) == 6 and sum(Decimal(r["share"]) for r in rows) == draw.amount
    assert {r["taken"] for r in rows} == {"0.00"} and {r["owed"] for r in rows} == {"0.00"}
    fund_draw_make(draw=draw, made_on=MADE)
    rows = api.get(path).json()["results"]
    assert all(Decimal(r["taken"]) == Decimal(r["share"]) for r in rows)
    mine = cast.compound.units.owned_by(cast.resident).get()
    api.force_authenticate(cast.resident)
    rows = api.get(path).json()["results"]
    assert [r["unit"] for r in rows] == [mine.pk]
    for who in ("outsider_resident", "outsider_compound", "outsider_office"):
        api.force_authenticate(getattr(cast, who))
        assert api.get(path).status_code == 404
    api.force_authenticate(cast.officer)
    text = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/works/fund/draws/{draw_id}/shares/" in text


def test_statement_carries_the_split_of_the_draws(cast, client):
    draw = publish(cast)
    client.force_login(cast.committee)
    response = client.get(
        reverse("works:fund-statement", args=[cast.compound.code]) + "?building=1"
    )
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert len(book.worksheets) == 2
    rows = list(book.worksheets[1].values)
    assert rows[0][:2] == ("公示日期", "工程") and len(rows) == 1 + 3
    assert {r[3] for r in rows[1:]} == {"1"}
    units_1 = set(cast.compound.units.filter(building__number="1").values_list("pk", flat=True))
    expected = sum(v for k, v in kept(draw).items() if k in units_1)
    assert sum(Decimal(str(r[6])) for r in rows[1:]) == expected
