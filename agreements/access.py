"""Access helpers for agreements: the object for this user, or 404."""

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404

from portal.access import get_compound_for_user
from portal.models import STAFF_ROLES

from .models import Agreement


def get_agreement_for_user(user: AbstractBaseUser, code: str, agreement_id: int) -> Agreement:
    """Agreements are for those who manage the compound, parties' representatives included."""
    compound = get_compound_for_user(user, code, STAFF_ROLES)
    try:
        return compound.agreements.select_related("compound__street_office", "supersedes").get(
            pk=agreement_id
        )
    except Agreement.DoesNotExist:
        raise Http404 from None
