"""Small builders for request tests."""

import io

from PIL import Image

from households.models import Unit
from tickets import services
from tickets.models import Request


def png_bytes(size: tuple[int, int] = (40, 30), *, text: str = "") -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    info = None
    if text:
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Comment", text)
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (800, 600), (10, 120, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def resident_unit(cast) -> Unit:
    return Unit.objects.owned_by(cast.resident).get(compound=cast.compound)


def file_request(cast, *, actor=None, category: str = "repairs", **extra) -> Request:
    """A request of the home compound filed by its resident for their unit."""
    actor = actor or cast.resident
    unit_id = extra.pop("unit_id", resident_unit(cast).pk if actor == cast.resident else None)
    return services.request_create(
        compound=cast.compound,
        actor=actor,
        data=services.NewRequest(
            category=category,
            description=extra.pop("description", "厨房水管漏水"),
            unit_id=unit_id,
            **extra,
        ),
    )
