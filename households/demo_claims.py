"""Demo claim (房屋认领): one pending claim in 学院南路32号院's review queue.

Called by ``manage.py seed_demo`` as ``seed(compound)``; idempotent. The applicant
("renling", the demo password) gives the ID number of the roster's owner of building 1's
first flat, so the committee member can try both answers: approve links the flat;
correcting the ID number in the roster first would make approval refuse.
"""

import io

from PIL import Image, ImageDraw

from portal.models import Compound

from .models import OwnerKind, Ownership, OwnershipClaim
from .services.claims import claim_create

CLAIMANT = "renling"
# The demo's one password (board.demo.DEMO_PASSWORD; households may not import board).
CLAIMANT_PASSWORD = "portal-demo-2021"
CERTIFICATE_NUMBER = "京(2019)海淀区不动产权第0052107号"


def _certificate_photo() -> bytes:
    image = Image.new("RGB", (480, 320), (250, 246, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 470, 310), outline=(160, 40, 40), width=4)
    draw.text((40, 140), "demo: property certificate photo", fill=(60, 60, 60))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def seed(compound: Compound) -> None:
    if OwnershipClaim.objects.filter(compound=compound, user__username=CLAIMANT).exists():
        return
    ownership = (
        Ownership.objects.current()
        .filter(
            compound=compound,
            unit__building__number="1",
            owner__kind=OwnerKind.PERSON,
            owner__user__isnull=True,
        )
        .select_related("unit__building", "owner")
        .order_by("unit__number", "unit_id")
        .first()
    )
    if ownership is None:
        return
    claim_create(
        user=None,
        compound_code=compound.code,
        building=ownership.unit.building.number,
        unit_number=ownership.unit.number,
        name=ownership.owner.name,
        id_number=ownership.owner.id_number,
        certificate_number=CERTIFICATE_NUMBER,
        photo=_certificate_photo(),
        username=CLAIMANT,
        password=CLAIMANT_PASSWORD,
    )
