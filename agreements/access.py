"""Access helpers for agreements: the object for this user, or 404.

Forbidden and absent look the same. Pages and the API both look objects up here; who may
do what (generate, file) is decided here too, superusers through :mod:`portal.access`.
"""

from collections.abc import Iterable

from django.http import Http404

from portal.access import AnyUser, get_compound_for_user, has_role
from portal.models import STAFF_ROLES, Compound, Role

from . import services
from .models import Agreement, AgreementRevision, AgreementTemplate, Party

# Who may generate agreements and edit the template: the committee and the street office.
GENERATOR_ROLES = (Role.COMMITTEE_MEMBER, Role.STREET_OFFICER)
# Who records that an effective agreement was filed with the street office (BJ 63).
FILER_ROLES = (Role.STREET_OFFICER,)


def may_generate(user: AnyUser, compound: Compound) -> bool:
    return has_role(user, compound, GENERATOR_ROLES)


def may_file(user: AnyUser, compound: Compound) -> bool:
    return has_role(user, compound, FILER_ROLES)


def get_compound_for_generator(user: AnyUser, code: str) -> Compound:
    """The compound whose agreements ``user`` may generate (and whose template edit)."""
    return get_compound_for_user(user, code, GENERATOR_ROLES)


def get_template_for_user(user: AnyUser, code: str) -> AgreementTemplate:
    """The compound's current template, for those who generate (the shipped default is
    copied on first use)."""
    return services.agreement_template_for(get_compound_for_generator(user, code))


def get_agreement_for_user(
    user: AnyUser, code: str, agreement_id: int, roles: Iterable[Role] = STAFF_ROLES
) -> Agreement:
    """Agreements are for those who manage the compound, parties' representatives included;
    ``roles`` narrows that (filing: :data:`FILER_ROLES`)."""
    compound = get_compound_for_user(user, code, roles)
    try:
        return compound.agreements.select_related("compound__street_office", "supersedes").get(
            pk=agreement_id
        )
    except Agreement.DoesNotExist:
        raise Http404 from None


def get_party_for_user(user: AnyUser, code: str, agreement_id: int, party_id: int) -> Party:
    """A party of that agreement (``party.agreement`` is the agreement, loaded once)."""
    agreement = get_agreement_for_user(user, code, agreement_id)
    try:
        return agreement.parties.get(pk=party_id)
    except Party.DoesNotExist:
        raise Http404 from None


def get_revision_for_user(
    user: AnyUser, code: str, agreement_id: int, number: int | None = None
) -> AgreementRevision:
    """Revision ``number`` of the agreement's PDF, or its latest when None."""
    agreement = get_agreement_for_user(user, code, agreement_id)
    revisions = agreement.revisions.order_by("-number")
    if number is not None:
        revisions = revisions.filter(number=number)
    revision = revisions.first()
    if revision is None:
        raise Http404
    return revision
