"""Print documents of the households app: the activation letters (开通通知书).

Rendering only: ``households.services.letters`` gathers the households, issues their codes
and hands them here; this module lays a building part out as ONE HTML document with a
page per household (fonts laid out once per file, as the fee notices) and hands it to
:mod:`portal.pdf`.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from portal.models import Compound
from portal.pdf import qr_data_uri, render_pdf

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
    """The QR code of a letter's link. Not through ``qr_data_uri``'s cache: the link holds
    the code, which must not outlive the task that printed it."""
    return qr_data_uri.__wrapped__(url)


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
