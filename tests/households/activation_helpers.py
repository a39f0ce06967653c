"""Builders for activation and claim tests: a letter's code for a unit (as the letters job
makes them), the home compound's owners with real-looking ID numbers, images to upload."""

import datetime as dt
import io

from django.utils import timezone
from PIL import Image

from households.models import ActivationCode, Owner, Ownership, Unit
from portal.codes import code_issue
from tests.households.roster_files import make_id

NEW_PASSWORD = "Qiang-mima-2024!"


def unit_of(cast, building: str = "2", number: str = "0201") -> Unit:
    return cast.compound.units.get(building__number=building, number=number)


def owner_of(unit: Unit) -> Owner:
    return Ownership.objects.current().get(unit=unit).owner


def issue_code(unit: Unit, *, days: int = 30, **fields) -> str:
    """An open code for ``unit``, returned as printed (ABCDE-FGHJK-MNPQR)."""
    issued = code_issue()
    now = timezone.now()
    ActivationCode.objects.create(
        compound_id=unit.compound_id,
        unit=unit,
        selector=issued.selector,
        secret_hash=issued.secret_hash,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
        **fields,
    )
    return issued.printed


def give_id(owner: Owner, seq: int) -> str:
    """A valid ID number for ``owner`` (the factories' ones have no check character)."""
    owner.id_number = make_id(seq, region="110108")
    owner.save(update_fields=["id_number"])
    return owner.id_number


def image_bytes(fmt: str = "JPEG", size=(64, 48), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 57.0, 0.0)}  # GPS
    return image_bytes("JPEG", exif=exif.tobytes(), comment=b"home address")


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "owner lives at 3-1802")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    return image_bytes("PNG", pnginfo=info, exif=exif.tobytes())
