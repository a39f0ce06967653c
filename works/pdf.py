"""Print documents of the works app: the owners' contribution notices (业主出资通知单).

Rendering only: ``works.services.notices`` gathers a building part's notices; this module
lays them out as ONE HTML document with a page per unit (fonts laid out once per file, as
the fee notices) and hands it to :mod:`portal.pdf`.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from portal.pdf import qr_data_uri, render_pdf

from .models import Project


@dataclass(frozen=True)
class ContributionNotice:
    """What one unit's notice prints: no full name, no ID number (the owners masked)."""

    unit_label: str
    owners: str
    area: Decimal
    share: Decimal
    paid: Decimal
    reference: str

    @property
    def outstanding(self) -> Decimal:
        return max(self.share - self.paid, Decimal("0.00"))


def public_project_url(project: Project) -> str:
    """The project's public page (no login, no personal data), for the notice's QR code."""
    try:
        path = reverse("works_public:project", args=[project.compound.code, project.pk])
    except NoReverseMatch:  # the public pages not mounted (a partial deployment)
        path = "/public/"
    return settings.SITE_URL.rstrip("/") + path


def render_contribution_notices(project: Project, notices: list[ContributionNotice]) -> bytes:
    """One PDF with a page per unit's notice (a building's print file, or a part of it)."""
    compound = project.compound
    url = public_project_url(project)
    return render_pdf(
        "works/pdf/notices.html",
        {
            "compound": compound,
            "company": compound.service_company,
            "project": project,
            "lines": list(project.funding.order_by("position")),
            "notices": notices,
            "qr": qr_data_uri(url),
            "public_url": url,
            "issued_on": timezone.localdate(),
        },
        simple_ua=True,
    )
