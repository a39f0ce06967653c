"""Request photos: the claim photo's checks (JPEG/PNG by content, size and pixel limits,
metadata dropped: :func:`households.services.claims.claim_photo_clean`), plus a small
thumbnail for lists and the request page."""

import io
from dataclasses import dataclass

from PIL import Image

from households.services.claims import CleanPhoto, claim_photo_clean

THUMBNAIL_SIZE = (320, 320)
#: At most this many photos per request (each up to CLAIM_PHOTO_MAX_BYTES).
MAX_PHOTOS = 6


@dataclass(frozen=True)
class RequestPhotoFiles:
    image: CleanPhoto
    thumbnail: bytes


def photo_clean(data: bytes) -> RequestPhotoFiles:
    """``data`` re-encoded without metadata, and its thumbnail; ValidationError else."""
    clean = claim_photo_clean(data)
    with Image.open(io.BytesIO(clean.content)) as image:
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        if clean.extension == "jpg":
            image.convert("RGB").save(out, "JPEG", quality=80)
        else:
            image.save(out, "PNG", optimize=True)
    return RequestPhotoFiles(image=clean, thumbnail=out.getvalue())
