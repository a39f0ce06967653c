"""Print documents of the households app: the activation letters (开通通知书).

Rendering only: ``households.services.letters`` gathers the households, issues their codes
and hands them here; this module lays a building part out as ONE HTML document with a
page per household (fonts laid out once per file, as the fee notices) and hands it to
:mod:`portal.pdf`.
"""

import base64
import datetime as dt
import io
from dataclasses import dataclass
from urllib.parse import urlencode

import qrcode
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from PIL import Image

from portal.models import Compound
from portal.pdf import render_pdf

from .masking import mask_name


@dataclass(frozen=True)
class Letter:
    """One household's letter: the unit as the register's unit list labels it, its current
    owners' names (masked when printed) and its code as printed."""

    unit_label: str
    owners: list[str]
    code: str

    @property
    def masked_owners(self) -> str:
        return "、".join(mask_name(name) for name in self.owners)


def activation_url(code: str = "") -> str:
    """The activation page (``/activate/``), with ``code`` pre-filled when given."""
    try:
        path = reverse("activate")
    except NoReverseMatch:  # the page's app not mounted (a partial deployment)
        path = "/activate/"
    url = settings.SITE_URL.rstrip("/") + path
    return f"{url}?{urlencode({'code': code})}" if code else url


def _qr(url: str) -> str:
    """The QR code of a letter's link as a PNG data URI: one per letter (the link holds the
    code), so made cheaply. Not through ``portal.pdf.qr_data_uri``'s cache: the code must
    not outlive the task that printed it. A fixed mask pattern (any of the eight is valid
    and scans) skips scoring all eight, two thirds of the time of a code; the PNG has one
    pixel per module, written straight from the matrix, and is scaled unsmoothed in the
    letter (``image-rendering: pixelated``), so the modules stay sharp."""
    code = qrcode.QRCode(border=1, mask_pattern=0)
    code.add_data(url)
    matrix = code.get_matrix()
    size = len(matrix)
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    image = Image.frombytes("L", (size, size), pixels).convert("1")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def render_letters(
    compound: Compound, letters: list[Letter], *, expires_on: dt.date, contact: str
) -> bytes:
    """One PDF with a page (A5) per household's letter."""
    return render_pdf(
        "households/letters/letters.html",
        {
            "compound": compound,
            "letters": [(letter, _qr(activation_url(letter.code))) for letter in letters],
            "expires_on": expires_on,
            "activate_url": activation_url(),
            "max_attempts": getattr(settings, "ACTIVATION_MAX_ATTEMPTS", 5),
            "contact": contact,
        },
        # The letter uses only the elements the simple user-agent sheet styles.
        simple_ua=True,
    )
