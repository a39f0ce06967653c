"""Reads of the agreements app. Each selector takes its tenant and starts from it."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from portal.models import Compound, StreetOffice
from voting.models import DecisionState, Item

from .models import Agreement, AgreementStatus, Party

# Statuses in which an agreement binds the parties.
IN_FORCE = (AgreementStatus.EFFECTIVE, AgreementStatus.FILED)


def _parties_prefetch() -> Prefetch:
    return Prefetch(
        "parties",
        queryset=Party.objects.select_related("representative", "signature__signer").order_by(
            "position"
        ),
    )


def compound_agreements(compound: Compound) -> QuerySet[Agreement]:
    return (
        compound.agreements.select_related("compound", "supersedes")
        .prefetch_related(_parties_prefetch(), "successors")
        .order_by("-created_at")
    )


def office_agreements(office: StreetOffice) -> QuerySet[Agreement]:
    return (
        Agreement.objects.filter(compound__in=office.compounds.all())
        .select_related("compound", "supersedes")
        .prefetch_related(_parties_prefetch(), "successors")
        .order_by("compound__name", "-created_at")
    )


@dataclass
class AgreementRow:
    """One line of a register: the agreement and what needs doing about it."""

    agreement: Agreement
    status: str
    status_label: str
    parties: list[Party]
    missing: list[Party] = field(default_factory=list)
    filing_overdue: bool = False
    renewal_due: bool = False
    days_to_filing: int | None = None

    @property
    def signed_count(self) -> int:
        return len(self.parties) - len(self.missing)


def display_status(agreement: Agreement, today: dt.date) -> str:
    """Effective or filed agreements past their term show as expired even before the
    nightly task has marked them."""
    if agreement.status in IN_FORCE and agreement.term_end < today:
        return AgreementStatus.EXPIRED
    return agreement.status


def _has_renewal(agreement: Agreement) -> bool:
    return any(s.status != AgreementStatus.SUPERSEDED for s in agreement.successors.all())


def agreement_row(agreement: Agreement, today: dt.date | None = None) -> AgreementRow:
    today = today or timezone.localdate()
    status = display_status(agreement, today)
    parties = list(agreement.parties.all())
    missing = [p for p in parties if not hasattr(p, "signature")]
    row = AgreementRow(
        agreement=agreement,
        status=status,
        status_label=str(AgreementStatus(status).label),
        parties=parties,
        missing=missing if status in (AgreementStatus.DRAFT, AgreementStatus.SIGNING) else [],
    )
    if status == AgreementStatus.EFFECTIVE and agreement.filing_deadline:
        row.days_to_filing = (agreement.filing_deadline - today).days
        row.filing_overdue = row.days_to_filing < 0
    if status in IN_FORCE and agreement.renewal_due_on() <= today and not _has_renewal(agreement):
        row.renewal_due = True
    return row


def agreement_rows(
    agreements: Iterable[Agreement], today: dt.date | None = None
) -> list[AgreementRow]:
    today = today or timezone.localdate()
    return [agreement_row(a, today) for a in agreements]


def office_attention(office: StreetOffice, today: dt.date | None = None) -> dict:
    """What the street-office page must show: agreements to file (BJ 63), renewals to
    prepare (BJ 75), and agreements whose term has ended with no renewal (shown expired
    with their end date, even before the nightly task has marked them)."""
    today = today or timezone.localdate()
    rows = agreement_rows(
        office_agreements(office).filter(status__in=(*IN_FORCE, AgreementStatus.EXPIRED)), today
    )
    return {
        "to_file": [r for r in rows if r.status == AgreementStatus.EFFECTIVE],
        "renewals": [r for r in rows if r.renewal_due],
        "expired": [
            r for r in rows if r.status == AgreementStatus.EXPIRED and not _has_renewal(r.agreement)
        ],
    }


def authorising_items(compound: Compound) -> QuerySet[Item]:
    """Items of the compound's counted or published decisions: the candidates to authorise
    an agreement (the service checks which of them may)."""
    return (
        Item.objects.filter(
            decision__in=compound.decisions.filter(
                state__in=[DecisionState.COUNTED, DecisionState.PUBLISHED]
            )
        )
        .select_related("decision")
        .order_by("-decision__counted_at", "position")
    )


def generation_choices(compound: Compound) -> dict[str, QuerySet]:
    """What an agreement of ``compound`` may be generated from and signed by, per input of
    the generation form and API: the candidate items, the users holding each party's role
    in the compound, its property-right units with a representative, the agreements a new
    one may supersede."""
    from django.contrib.auth import get_user_model

    from portal.models import Role

    users = get_user_model().objects
    return {
        "item": authorising_items(compound),
        "committee_rep": users.filter(
            memberships__role=Role.COMMITTEE_MEMBER, memberships__compound=compound
        ),
        "company_rep": users.filter(
            memberships__role=Role.COMPANY_STAFF,
            memberships__service_company_id=compound.service_company_id,
        ),
        "office_rep": users.filter(
            memberships__role=Role.STREET_OFFICER,
            memberships__street_office_id=compound.street_office_id,
        ),
        "property_units": compound.property_right_units.filter(
            representative__isnull=False
        ).select_related("representative"),
        "supersedes": compound.agreements.exclude(status=AgreementStatus.SUPERSEDED),
    }


@dataclass(frozen=True)
class DocumentParty:
    """One party as the PDF prints it: 甲方 …, its name, who signs, the signature field."""

    label: str
    kind: str
    organisation: str
    representative_name: str
    field_name: str


@dataclass(frozen=True)
class AgreementDocument:
    """Everything the agreement's PDF shows, gathered so that rendering runs no query: the
    agreement (its predecessor loaded) and its parties in order, under their signers' names."""

    agreement: Agreement
    parties: list[DocumentParty]


def agreement_document(agreement_id: int) -> AgreementDocument:
    agreement = Agreement.objects.select_related("compound", "supersedes").get(pk=agreement_id)
    parties = [
        DocumentParty(
            label=p.label,
            kind=p.kind,
            organisation=p.organisation,
            representative_name=signer_name(p.representative, agreement.compound),
            field_name=p.field_name,
        )
        for p in agreement.parties.select_related("representative").order_by("position")
    ]
    return AgreementDocument(agreement=agreement, parties=parties)


def signer_name(user: User, compound: Compound) -> str:
    """The name on the certificate, the stamp and the signing page: the account's full
    name, else the name of the user's committee seat in the compound, else the login."""
    if user.get_full_name():
        return user.get_full_name()
    seat = compound.committee_members.filter(user=user).values_list("name", flat=True).first()
    return seat or user.get_username()


def parties_of_user(agreement: Agreement, user: User) -> list[Party]:
    """The parties of ``agreement`` that ``user`` may sign for."""
    return [p for p in agreement.parties.all() if p.representative_id == user.pk]
