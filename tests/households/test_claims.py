"""Claims without a letter (房屋认领): the form, the photo, the committee's review queue."""

import io
import struct
import zlib

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from households.models import Building, BuildingKind, ClaimStatus, Owner, OwnershipClaim, Unit
from households.services.claims import (
    claim_approve,
    claim_create,
    claim_photo_clean,
    claim_reject,
)
from portal.models import AuditEntry, Membership, Role
from tests.factories import PASSWORD, make_user
from tests.households.activation_helpers import (
    NEW_PASSWORD,
    give_id,
    image_bytes,
    jpeg_with_exif,
    owner_of,
    png_with_text,
    unit_of,
)
from tests.households.roster_files import make_id


@pytest.fixture
def unit(cast) -> Unit:
    return unit_of(cast)


@pytest.fixture
def owner(unit) -> Owner:
    owner = owner_of(unit)
    give_id(owner, 31)
    return owner


@pytest.fixture
def claimant(db) -> User:
    return make_user("claimant")


def new_claim(user, unit, id_number, **kwargs) -> OwnershipClaim:
    fields = {
        "compound_code": unit.compound.code,
        "building": unit.building.number,
        "unit_number": unit.number,
        "name": "张三",
        "id_number": id_number,
    }
    fields.update(kwargs)
    return claim_create(user=user, **fields)


# --- the photo ---------------------------------------------------------------------------


def test_a_jpeg_loses_its_exif_gps_and_comment():
    raw = jpeg_with_exif()
    assert b"SecretCam" in raw and b"home address" in raw
    clean = claim_photo_clean(raw)
    assert clean.extension == "jpg"
    assert b"SecretCam" not in clean.content and b"home address" not in clean.content
    with Image.open(io.BytesIO(clean.content)) as image:
        assert image.format == "JPEG" and not image.getexif()
        assert "comment" not in image.info and image.size == (64, 48)


def test_a_png_loses_its_text_chunks_and_exif():
    raw = png_with_text()
    assert b"3-1802" in raw and b"SecretCam" in raw
    clean = claim_photo_clean(raw)
    assert clean.extension == "png"
    assert b"3-1802" not in clean.content and b"SecretCam" not in clean.content
    assert b"tEXt" not in clean.content and b"eXIf" not in clean.content


def test_the_upright_orientation_is_kept_when_exif_goes():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°: a phone photo taken upright
    clean = claim_photo_clean(image_bytes("JPEG", size=(64, 48), exif=exif.tobytes()))
    with Image.open(io.BytesIO(clean.content)) as image:
        assert image.size == (48, 64)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",  # a PDF renamed .jpg
        b"GIF89a" + b"\x00" * 100,
        b"",
        b"\xff\xd8\xff\xe0" + b"\x00" * 50,  # a JPEG header and nothing after
        image_bytes("JPEG")[:200],  # cut off
        image_bytes("BMP"),
        image_bytes("WEBP"),
    ],
)
def test_anything_but_a_whole_jpeg_or_png_is_refused(data):
    with pytest.raises(ValidationError) as err:
        claim_photo_clean(data)
    assert "photo" in err.value.message_dict


def test_an_oversized_upload_is_refused_before_decoding(settings):
    with pytest.raises(ValidationError) as err:
        claim_photo_clean(b"\xff" * (settings.CLAIM_PHOTO_MAX_BYTES + 1))
    assert "MB" in err.value.message_dict["photo"][0]


def test_a_decompression_bomb_is_refused():
    # A tiny PNG whose header claims 30000 × 30000 pixels (900 MP): refused from the
    # header, before anything is unpacked.
    png = bytearray(image_bytes("PNG", size=(1, 1)))
    png[16:24] = struct.pack(">II", 30000, 30000)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    bomb = bytes(png)
    with pytest.raises(ValidationError):
        claim_photo_clean(bomb)


# --- creating a claim --------------------------------------------------------------------


def test_a_claim_is_stored_with_a_clean_photo_under_a_random_name(cast, unit, owner, claimant):
    claim = new_claim(claimant, unit, owner.id_number.lower(), photo=jpeg_with_exif())
    assert claim.status == ClaimStatus.PENDING and claim.id_number == owner.id_number
    name = claim.photo.name
    assert name.startswith("claims/") and name.endswith(".jpg")
    assert "张三" not in name and owner.id_number not in name and len(name) > 30
    with default_storage.open(name, "rb") as f:
        assert b"SecretCam" not in f.read()
    assert AuditEntry.objects.filter(action="claim.create", object_id=str(claim.pk)).exists()


def test_a_claim_by_a_visitor_makes_their_login(cast, unit, owner):
    claim = claim_create(
        user=None,
        compound_code="home",
        building="２",  # full-width, as a phone keyboard may type it
        unit_number="0201",
        name="张三",
        id_number=owner.id_number,
        username="newbie",
        password=NEW_PASSWORD,
    )
    assert claim.user.username == "newbie" and claim.user.check_password(NEW_PASSWORD)
    assert not Membership.objects.filter(user=claim.user).exists()  # nothing until approved


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"compound_code": "far", "building": "2", "unit_number": "0999"}, "unit_number"),
        ({"compound_code": "nosuch"}, "compound_code"),
        ({"building": "99"}, "unit_number"),
        ({"id_number": "110108198001010000"}, "id_number"),  # wrong check character
        ({"id_number": "x" * 5000}, "id_number"),
        ({"name": "   "}, "name"),
        ({"photo": b"%PDF-1.4 renamed.jpg"}, "photo"),
    ],
)
def test_bad_claims_are_refused_and_nothing_is_saved(cast, unit, owner, claimant, fields, error):
    fields.setdefault("id_number", owner.id_number)
    id_number = fields.pop("id_number")
    with pytest.raises(ValidationError) as err:
        new_claim(claimant, unit, id_number, **fields)
    assert error in err.value.message_dict
    assert not OwnershipClaim.objects.exists()


def test_a_unit_of_another_compound_is_not_found_under_this_one(cast, claimant):
    """Building 9 exists only in the far compound: claimed under home it is no unit."""
    building = Building.objects.create(
        compound=cast.far_compound, number="9", kind=BuildingKind.LOW_RISE, sort_key=9
    )
    Unit.objects.create(compound=cast.far_compound, building=building, number="0901")
    with pytest.raises(ValidationError) as err:
        claim_create(
            user=claimant,
            compound_code="home",
            building="9",
            unit_number="0901",
            name="张三",
            id_number=make_id(77),
        )
    assert "小区home" in err.value.message_dict["unit_number"][0]
    assert not OwnershipClaim.objects.exists()


def test_a_visitor_claim_with_a_taken_login_saves_nothing(cast, unit, owner):
    with pytest.raises(ValidationError) as err:
        claim_create(
            user=None,
            compound_code="home",
            building="2",
            unit_number="0201",
            name="张三",
            id_number=owner.id_number,
            username="resident",
            password=NEW_PASSWORD,
        )
    assert "username" in err.value.message_dict
    assert not OwnershipClaim.objects.exists()


def test_a_second_pending_claim_on_the_same_unit_is_refused(cast, unit, owner, claimant):
    new_claim(claimant, unit, owner.id_number)
    with pytest.raises(ValidationError):
        new_claim(claimant, unit, owner.id_number)
    assert OwnershipClaim.objects.count() == 1


# --- the review --------------------------------------------------------------------------


def test_approve_links_the_account_when_the_id_matches_a_current_owner(cast, unit, owner, claimant):
    claim = new_claim(claimant, unit, owner.id_number)
    claim_approve(claim=claim, actor=cast.committee)
    owner.refresh_from_db()
    claim.refresh_from_db()
    assert owner.user == claimant and claim.status == ClaimStatus.APPROVED
    assert claim.decided_by == cast.committee
    assert list(Unit.objects.owned_by(claimant)) == [unit]
    assert Membership.objects.filter(
        user=claimant, role=Role.RESIDENT, compound=cast.compound
    ).exists()
    assert AuditEntry.objects.filter(action="claim.approve").exists()


def test_approve_with_an_id_not_on_the_roster_links_nothing(cast, unit, owner, claimant):
    claim = new_claim(claimant, unit, make_id(99))
    with pytest.raises(ValidationError) as err:
        claim_approve(claim=claim, actor=cast.committee)
    assert err.value.code == "not_on_roster"
    assert "名册" in err.value.messages[0]
    claim.refresh_from_db()
    owner.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING and owner.user is None
    assert not Unit.objects.owned_by(claimant).exists()
    assert not Membership.objects.filter(user=claimant).exists()


def test_reject_needs_a_reason_which_the_resident_sees(cast, unit, owner, claimant, client):
    claim = new_claim(claimant, unit, owner.id_number)
    with pytest.raises(ValidationError):
        claim_reject(claim=claim, actor=cast.committee, reason="   ")
    claim_reject(
        claim=claim, actor=cast.committee, reason="证件号码与名册不符，请携带房产证到物管会"
    )
    with pytest.raises(ValidationError):
        claim_approve(claim=claim, actor=cast.committee)  # already decided
    client.force_login(claimant)
    page = client.get(reverse("my_claims")).content.decode()
    assert "证件号码与名册不符，请携带房产证到物管会" in page and "已驳回" in page
    assert AuditEntry.objects.filter(action="claim.reject").exists()


# --- the pages ---------------------------------------------------------------------------


def test_the_queue_is_for_the_committee_and_the_street_office(cast, unit, owner, claimant, client):
    claim = new_claim(claimant, unit, owner.id_number, photo=image_bytes("PNG"))
    urls = [
        reverse("claims_queue", args=["home"]),
        reverse("claim_detail", args=["home", claim.pk]),
        reverse("claim_photo", args=["home", claim.pk]),
    ]
    for user in (cast.committee, cast.officer):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    queue = client.get(urls[0]).content.decode()
    assert "张三" in queue and owner.id_number not in queue
    assert owner.id_number[:3] + "*" in queue  # masked
    photo = client.get(urls[2])
    assert photo["Content-Type"] == "image/png" and "no-store" in photo["Cache-Control"]
    for user in (
        cast.company_staff,
        cast.resident,
        claimant,
        cast.outsider_compound,
        cast.outsider_office,
    ):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(urls[1], {"action": "approve"}).status_code == 404
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING


def test_another_compounds_claim_is_absent_under_this_compounds_url(cast, client, claimant):
    far_unit = cast.other_compound.units.get(building__number="1", number="0101")
    claim = new_claim(claimant, far_unit, make_id(78))
    client.force_login(cast.committee)
    assert client.get(reverse("claim_detail", args=["home", claim.pk])).status_code == 404
    assert client.get(reverse("claim_photo", args=["home", claim.pk])).status_code == 404
    client.force_login(cast.outsider_compound)  # the neighbour's committee sees it at home
    assert client.get(reverse("claim_detail", args=["neighbour", claim.pk])).status_code == 200


def test_the_committee_approves_and_rejects_through_the_page(cast, unit, owner, claimant, client):
    wrong = new_claim(claimant, unit, make_id(98))
    client.force_login(cast.committee)
    url = reverse("claim_detail", args=["home", wrong.pk])
    response = client.post(url, {"action": "approve"}, follow=True)
    assert response.status_code == 400 and "名册" in response.content.decode()
    response = client.post(url, {"action": "reject", "reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"action": "reject", "reason": "证件号码不符"})
    assert response.status_code == 302
    wrong.refresh_from_db()
    assert wrong.status == ClaimStatus.REJECTED and wrong.reason == "证件号码不符"
    right = new_claim(claimant, unit, owner.id_number)
    client.post(reverse("claim_detail", args=["home", right.pk]), {"action": "approve"})
    owner.refresh_from_db()
    assert owner.user == claimant


def test_the_claim_form_makes_a_login_and_shows_the_claim(cast, unit, owner, client):
    response = client.post(
        reverse("claim_new"),
        {
            "compound_code": "home",
            "building": "2",
            "unit_number": "0201",
            "name": "张三",
            "id_number": owner.id_number,
            "username": "visitor",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "photo": _upload("cert.jpg", jpeg_with_exif()),
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("my_claims")
    page = client.get(reverse("my_claims")).content.decode()
    assert "待审核" in page and "2号楼 0201" in page.replace("&nbsp;", " ")


def test_the_claim_form_refuses_a_pdf_renamed_jpg_and_a_50_mb_upload(cast, unit, owner, client):
    client.login(username="resident", password=PASSWORD)
    for name, data in (
        ("cert.jpg", b"%PDF-1.7\n" + b"0" * 1000),
        ("big.jpg", b"\xff\xd8\xff" + b"\x00" * (50 * 1024 * 1024)),
    ):
        response = client.post(
            reverse("claim_new"),
            {
                "compound_code": "home",
                "building": "2",
                "unit_number": "0201",
                "name": "张三",
                "id_number": owner.id_number,
                "photo": _upload(name, data),
            },
        )
        assert response.status_code == 400
        assert "JPEG" in response.content.decode() or "MB" in response.content.decode()
    assert not OwnershipClaim.objects.exists()


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_the_queue_runs_the_same_queries_for_3_and_30_claims(cast, client):
    units = list(cast.compound.units.all())

    def add_claims(start: int, stop: int) -> None:
        for n in range(start, stop):
            OwnershipClaim.objects.create(
                compound=cast.compound,
                unit=units[n % len(units)],
                user=make_user(f"c{n}"),
                name=f"申请人{n}",
                id_number=make_id(n + 100),
            )

    def queries_of_the_queue() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("claims_queue", args=["home"]))
        assert response.status_code == 200
        return len(queries)

    client.force_login(cast.committee)
    add_claims(0, 3)
    small = queries_of_the_queue()
    add_claims(3, 30)
    assert queries_of_the_queue() == small


def test_the_queue_is_linked_from_the_compound_page_for_its_reviewers(cast, client):
    for user, shown in ((cast.committee, True), (cast.officer, True), (cast.company_staff, False)):
        client.force_login(user)
        page = client.get(reverse("compound", args=["home"])).content.decode()
        assert ('id="claims-link"' in page) is shown, user


def test_the_login_page_leads_to_activation_and_claims(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("activate")}"' in page and f'href="{reverse("claim_new")}"' in page
