"""The demo (`manage.py seed_demo`): the case's figures, lawful committee, masked pages,
the second street office, determinism and idempotency."""

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max, Q, Sum

from board.demo import DEMO_PASSWORD, seed_demo
from households.demo import id_check_digit, is_valid_id_number
from households.models import (
    AreaSource,
    BuildingKind,
    CommitteeRole,
    OwnerKind,
    Ownership,
    TransferStatus,
)
from portal.access import compounds_for, roles_in
from portal.models import Compound, Role

User = get_user_model()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, seeded once for the module inside a transaction rolled back at the end
    (each test still runs in its own savepoint through the ``db`` fixture)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # The register and the logins; the apps' demo data is tested by each app and
            # by the full run in test_demo_seed.py.
            yield seed_demo(apps=())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def xy(demo, db) -> Compound:
    return demo.compound


def register_fingerprint(compound: Compound) -> str:
    """SHA-256 over the register's rows by natural keys (no primary keys)."""
    rows = {
        "compound": [
            compound.code,
            compound.name,
            compound.address,
            compound.built_years,
            compound.street_office.code,
            str(compound.service_company),
        ],
        "buildings": list(
            compound.buildings.order_by("sort_key").values_list(
                "number", "kind", "floors", "lifts", "sort_key"
            )
        ),
        "units": list(
            compound.units.order_by("building__sort_key", "number").values_list(
                "building__number", "number", "floor_area", "area_source", "is_residential"
            )
        ),
        "owners": list(
            compound.owners.order_by("id").values_list(
                "kind", "name", "id_number", "phone", "property_right_unit__name"
            )
        ),
        "ownerships": list(
            compound.ownerships.order_by(
                "unit__building__sort_key", "unit__number", "owner__id"
            ).values_list(
                "unit__building__number",
                "unit__number",
                "owner__name",
                "owner__id_number",
                "share",
                "is_representative",
                "valid_from",
                "valid_to",
            )
        ),
        "property_right_units": list(
            compound.property_right_units.order_by("name").values_list(
                "name", "transfer_status", "transfer_date", "receiver"
            )
        ),
        "committee": list(
            compound.committee_members.order_by("role", "name").values_list(
                "name", "role", "affiliation", "term_start", "term_end"
            )
        ),
    }
    text = json.dumps(rows, default=str, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def database_state() -> dict:
    """Row count and highest primary key of every model of the project, and the
    fingerprints of both registers: what a second run of seed_demo must not change."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "admin", "contenttypes"}:
            continue
        agg = model.objects.aggregate(n=Count("pk"), top=Max("pk"))
        state[model._meta.label] = (agg["n"], agg["top"])
    for compound in Compound.objects.order_by("code"):
        state[f"fingerprint:{compound.code}"] = register_fingerprint(compound)
    state["users"] = list(
        User.objects.order_by("username").values_list("username", "password", "is_active")
    )
    state["memberships"] = sorted(
        User.objects.filter(memberships__isnull=False).values_list(
            "username",
            "memberships__role",
            "memberships__street_office__code",
            "memberships__compound__code",
            "memberships__service_company__name",
        )
    )
    return state


# --- the case's figures -----------------------------------------------------------------


def test_the_main_compound_is_the_case(xy):
    assert (xy.code, xy.name, xy.address) == (
        "xynl32",
        "学院南路32号院",
        "北京市海淀区学院南路32号",
    )
    assert "50" in xy.built_years and "80" in xy.built_years
    office = xy.street_office
    assert (office.code, office.name, office.district.code, office.district.name) == (
        "btpz",
        "北太平庄街道",
        "hd",
        "海淀区",
    )
    assert xy.service_company.name == "天岳恒物业"


def test_1412_households_in_25_buildings_and_11_bungalow_areas(xy):
    assert xy.units.count() == 1412
    kinds = dict(xy.buildings.values_list("kind").annotate(n=Count("id")))
    assert kinds == {
        BuildingKind.LOW_RISE: 23,
        BuildingKind.HIGH_RISE: 2,
        BuildingKind.BUNGALOW: 11,
    }
    numbered = sorted(
        int(n)
        for n in xy.buildings.exclude(kind=BuildingKind.BUNGALOW).values_list("number", flat=True)
    )
    assert numbered == list(range(1, 26))
    bungalows = list(
        xy.buildings.filter(kind=BuildingKind.BUNGALOW)
        .order_by("sort_key")
        .values_list("number", flat=True)
    )
    assert (
        bungalows[0] == "平房一区" and bungalows[-1] == "平房十一区" and len(set(bungalows)) == 11
    )
    # Every building and bungalow area has households.
    assert not xy.buildings.annotate(n=Count("units")).filter(n=0).exists()


def test_16_and_17_are_high_rise_with_two_lifts_and_the_rest_low_rise(xy):
    for b in xy.buildings.all():
        if b.number in {"16", "17"}:
            assert (b.kind, b.floors, b.lifts) == (BuildingKind.HIGH_RISE, 18, 2)
        elif b.kind == BuildingKind.LOW_RISE:
            assert 4 <= b.floors <= 6 and b.lifts == 0
        else:
            assert (b.kind, b.floors, b.lifts) == (BuildingKind.BUNGALOW, 1, 0)
    assert xy.buildings.aggregate(lifts=Sum("lifts"))["lifts"] == 4  # the 4 over-age lifts


def test_areas_are_known_plausible_and_mostly_registered(xy):
    assert not xy.units.filter(floor_area__isnull=True).exists()
    for kind, low, high in [
        (BuildingKind.LOW_RISE, 35, 95),
        (BuildingKind.HIGH_RISE, 35, 95),
        (BuildingKind.BUNGALOW, 15, 40),
    ]:
        areas = list(xy.units.filter(building__kind=kind).values_list("floor_area", flat=True))
        assert low <= min(areas) and max(areas) <= high, kind
        assert all(a == a.quantize(Decimal("0.01")) for a in areas)
    sources = dict(xy.units.values_list("area_source").annotate(n=Count("id")))
    assert set(sources) == {AreaSource.REGISTERED, AreaSource.SURVEYED, AreaSource.CONTRACT}
    assert sources[AreaSource.REGISTERED] > 0.8 * 1412


def test_every_unit_has_owners_whose_shares_make_one_with_one_representative(xy):
    rows = (
        xy.ownerships.filter(valid_to__isnull=True)
        .values("unit_id")
        .annotate(shares=Sum("share"), reps=Count("id", filter=Q(is_representative=True)))
    )
    assert len(rows) == 1412
    assert all(r["shares"] == 1 and r["reps"] == 1 for r in rows)


def test_owners_per_spc_9(xy):
    per_owner = Counter(
        xy.owners.filter(kind=OwnerKind.PERSON)
        .annotate(n=Count("ownerships"))
        .values_list("n", flat=True)
    )
    assert set(per_owner) == {1, 2}
    assert 10 <= per_owner[2] <= 20  # persons owning two flats: one owner each
    co_owned = xy.units.annotate(n=Count("ownerships")).filter(n=2)
    assert 20 <= co_owned.count() <= 60
    assert set(Ownership.objects.filter(unit__in=co_owned).values_list("share", flat=True)) == {
        Decimal("0.5")
    }
    # Each retained property-right unit is ONE organisation owner holding several flats.
    organisations = xy.owners.filter(kind=OwnerKind.ORGANISATION).annotate(n=Count("ownerships"))
    assert organisations.count() == 4
    for org in organisations:
        assert org.property_right_unit.transfer_status == TransferStatus.RETAINED
        assert org.name == org.property_right_unit.name
        assert org.n >= 2


def test_id_numbers_are_valid_unique_and_phones_plausible(xy):
    ids = list(xy.owners.filter(kind=OwnerKind.PERSON).values_list("id_number", flat=True))
    # 1,412 flats − 65 held by property-right units − 15 second flats + 40 co-owners
    assert len(ids) == len(set(ids)) == 1372
    assert all(is_valid_id_number(i) for i in ids)
    phones = [
        p for p in xy.owners.filter(kind=OwnerKind.PERSON).values_list("phone", flat=True) if p
    ]
    assert len(phones) > 0.9 * len(ids)
    assert all(len(p) == 11 and p.startswith("1") and p.isdigit() for p in phones)


def test_id_check_digit_follows_gb_11643():
    # The standard's own example, and a number whose check character is X.
    assert id_check_digit("11010519491231002") == "X"
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("110105194902300028")  # 30 February


def test_ten_property_right_units_six_handed_to_shoukai_in_2019(xy):
    prus = list(xy.property_right_units.all())
    assert len(prus) == 10
    transferred = [p for p in prus if p.transfer_status == TransferStatus.TRANSFERRED]
    assert len(transferred) == 6
    assert all(p.receiver == "首开集团" and p.transfer_date.year == 2019 for p in transferred)
    retained = [p for p in prus if p.transfer_status == TransferStatus.RETAINED]
    assert all(p.transfer_date is None and p.receiver == "" for p in retained)
    # Transferred units hold no flats any more; retained ones still do.
    assert not xy.owners.filter(property_right_unit__in=transferred).exists()
    assert xy.owners.filter(property_right_unit__in=retained).count() == 4


def test_the_committee_is_lawful(xy):
    (committee,) = xy.committees.all()
    assert committee.composition_problems() == []
    members = list(committee.members.all())
    roles = sorted(m.role for m in members)
    assert roles == sorted(
        [CommitteeRole.CHAIR, CommitteeRole.VICE_CHAIR]
        + [CommitteeRole.OWNER_REPRESENTATIVE] * 5
        + [CommitteeRole.MEMBER] * 2
    )
    (chair,) = [m for m in members if m.role == CommitteeRole.CHAIR]
    assert "居委会" in chair.affiliation
    assert chair.user.username == "wuguanhui"
    assert committee.formed_on.year == 2021
    assert committee.term_end < dt.date(
        committee.formed_on.year + 3, committee.formed_on.month, committee.formed_on.day
    )
    assert committee.term_end >= dt.date(2024, 1, 1)
    # Owner representatives are owners of the compound.
    for m in members:
        if m.role == CommitteeRole.OWNER_REPRESENTATIVE:
            assert xy.owners.filter(name=m.name).exists()


# --- logins and pages -------------------------------------------------------------------


def test_one_login_per_role_with_the_printed_password(xy, demo):
    logins = {d.username: d.role for d in demo.logins}
    assert logins == {
        "jiedao": Role.STREET_OFFICER,
        "wuguanhui": Role.COMMITTEE_MEMBER,
        "wuguanhui2": Role.COMMITTEE_MEMBER,
        "wuye": Role.COMPANY_STAFF,
        "chanquan": Role.PROPERTY_UNIT_REP,
        "yezhu": Role.RESIDENT,
        "waibu": Role.STREET_OFFICER,
        "quzhujian": Role.DISTRICT_OFFICER,
    }
    for username in logins:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None
        assert not User.objects.get(username=username).is_superuser


def test_each_login_sees_what_the_table_says(xy):
    get = User.objects.get
    assert list(compounds_for(get(username="jiedao")).values_list("code", flat=True)) == ["xynl32"]
    assert roles_in(get(username="wuguanhui"), xy) == {Role.COMMITTEE_MEMBER}
    wuye = get(username="wuye")
    assert wuye.memberships.get().service_company.name == "天岳恒物业"
    assert list(compounds_for(wuye).values_list("code", flat=True)) == ["xynl32"]
    chanquan = get(username="chanquan")
    (pru,) = chanquan.represented_property_units.all()
    assert pru.transfer_status == TransferStatus.RETAINED and pru.owner.ownerships.exists()
    yezhu = get(username="yezhu")
    (owner,) = yezhu.owner_records.all()
    (row,) = owner.ownerships.all()
    assert row.unit.building.number == "16" and row.share == 1
    waibu = get(username="waibu")
    assert list(compounds_for(waibu).values_list("code", flat=True)) == ["mdybl"]


def test_staff_pages_show_owners_masked(xy, client):
    client.force_login(User.objects.get(username="wuguanhui"))
    unit = xy.units.get(building__number="3", number="1门101")
    owner = unit.ownerships.get().owner
    page = client.get(unit.get_absolute_url()).content.decode()
    assert owner.name in page
    assert owner.masked_id_number in page and owner.id_number not in page
    assert owner.phone[-4:] in page and owner.phone not in page
    building_page = client.get(unit.building.get_absolute_url()).content.decode()
    assert owner.name in building_page and owner.id_number not in building_page


def test_the_resident_sees_their_flat_only(xy, client):
    yezhu = User.objects.get(username="yezhu")
    client.force_login(yezhu)
    (mine,) = xy.units.filter(ownerships__owner__user=yezhu)
    home = client.get("/").content.decode()
    assert mine.label in home
    assert client.get(mine.get_absolute_url()).status_code == 200
    neighbour = xy.units.filter(building=mine.building).exclude(pk=mine.pk).first()
    assert client.get(neighbour.get_absolute_url()).status_code == 404
    assert client.get(xy.get_absolute_url()).status_code == 404


def test_compound_page_queries_do_not_grow_with_1412_households(
    xy, client, django_assert_max_num_queries
):
    client.force_login(User.objects.get(username="wuguanhui"))
    with django_assert_max_num_queries(12):
        page = client.get(xy.get_absolute_url())
    assert page.status_code == 200
    # zh-hans groups digits by four (万), so 1412 has no separator; English shows 1,412.
    assert re.search(r"\b1,?412\b", page.content.decode())


# --- the second street office -----------------------------------------------------------


def test_the_second_office_has_a_small_compound_with_one_unknown_area(xy):
    other = Compound.objects.get(code="mdybl")
    assert (other.name, other.street_office.code, other.street_office.name) == (
        "牡丹园北里",
        "hyl",
        "花园路街道",
    )
    assert other.service_company is not None and other.service_company != xy.service_company
    assert 2 <= other.buildings.count() <= 3
    assert other.units.count() == 24
    (unknown,) = other.units.filter(floor_area__isnull=True)
    assert unknown.area_source == AreaSource.UNKNOWN
    assert other.owners.count() == 24


def test_the_outsider_sees_nothing_of_the_main_compound(xy, client):
    client.force_login(User.objects.get(username="waibu"))
    home = client.get("/").content.decode()
    assert "花园路街道" in home and "学院南路32号院" not in home
    assert client.get("/so/btpz/").status_code == 404
    assert client.get("/c/xynl32/").status_code == 404
    unit = xy.units.first()
    assert client.get(unit.get_absolute_url()).status_code == 404
    office_page = client.get("/so/hyl/").content.decode()
    assert "牡丹园北里" in office_page and "学院南路32号院" not in office_page


# --- determinism and idempotency --------------------------------------------------------


def test_running_seed_demo_again_changes_nothing_in_the_register(xy):
    before = database_state()
    out = StringIO()
    call_command("seed_demo", "--register-only", stdout=out)
    assert database_state() == before
    printed = out.getvalue()
    for username in ("jiedao", "wuguanhui", "wuye", "chanquan", "yezhu", "waibu"):
        assert username in printed
    assert DEMO_PASSWORD in printed
