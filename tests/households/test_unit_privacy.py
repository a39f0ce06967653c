"""Issue 8.14: a resident sees only their own ownership of a flat, never its previous owners
or a co-owner's identifiers; staff keep seeing the whole history."""

import datetime as dt
from decimal import Decimal

import pytest

from households.models import Owner, Ownership, Unit

PREVIOUS = ("前任业主甲", "110101195001010099", "13911112222")
CO_OWNER = ("共有人乙", "110101196002020088", "13933334444")


@pytest.fixture
def flat(cast) -> Unit:
    """The resident's flat, once owned by someone else and now co-owned 0.5/0.5."""
    unit = Unit.objects.get(ownerships__owner__user=cast.resident, compound=cast.compound)
    mine = unit.ownerships.get()
    mine.valid_from = dt.date(2015, 1, 1)
    mine.share = Decimal("0.5")
    mine.save()
    name, id_number, phone = PREVIOUS
    previous = Owner.objects.create(
        compound=cast.compound, name=name, id_number=id_number, phone=phone
    )
    Ownership.objects.create(
        compound=cast.compound,
        unit=unit,
        owner=previous,
        valid_from=dt.date(2000, 1, 1),
        valid_to=dt.date(2014, 12, 31),
    )
    name, id_number, phone = CO_OWNER
    co_owner = Owner.objects.create(
        compound=cast.compound, name=name, id_number=id_number, phone=phone
    )
    Ownership.objects.create(
        compound=cast.compound,
        unit=unit,
        owner=co_owner,
        share=Decimal("0.5"),
        is_representative=False,
        valid_from=dt.date(2015, 1, 1),
    )
    return unit


def shown(owner: tuple[str, str, str]) -> list[str]:
    """Everything of ``owner`` a page could leak: name, raw and masked identifiers."""
    name, id_number, phone = owner
    masked_id = Owner(id_number=id_number).masked_id_number
    masked_phone = Owner(phone=phone).masked_phone
    return [name, id_number, phone, masked_id, masked_phone]


def leaks(text: str, owner: tuple[str, str, str]) -> list[str]:
    return [value for value in shown(owner) if value in text]


def test_the_unit_page_shows_a_resident_only_themselves(cast, client, flat):
    client.force_login(cast.resident)
    page = client.get(f"/c/{cast.compound.code}/units/{flat.pk}/").content.decode()
    me = flat.ownerships.get(owner__user=cast.resident).owner
    assert me.name in page and me.masked_id_number in page
    assert leaks(page, PREVIOUS) == []
    assert leaks(page, CO_OWNER) == []


def test_staff_still_see_the_history_masked(cast, client, flat):
    client.force_login(cast.committee)
    page = client.get(f"/c/{cast.compound.code}/units/{flat.pk}/").content.decode()
    for owner in (PREVIOUS, CO_OWNER):
        name, id_number, phone = owner
        assert name in page and Owner(id_number=id_number).masked_id_number in page
        assert id_number not in page and phone not in page


@pytest.mark.parametrize("path", ["units/{pk}/", "units/"])
def test_the_api_shows_a_resident_only_their_own_ownership(cast, client, flat, path):
    client.force_login(cast.resident)
    url = f"/api/v1/compounds/{cast.compound.code}/" + path.format(pk=flat.pk)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    me = flat.ownerships.get(owner__user=cast.resident).owner
    assert me.name in body
    assert leaks(body, PREVIOUS) == []
    assert leaks(body, CO_OWNER) == []


def test_the_api_shows_staff_every_current_owner(cast, client, flat):
    client.force_login(cast.committee)
    response = client.get(f"/api/v1/compounds/{cast.compound.code}/units/{flat.pk}/")
    names = {o["name"] for o in response.json()["owners"]}
    assert CO_OWNER[0] in names and len(names) == 2
