"""Access to the activation letters' jobs and files: the object for this user, or 404
(households.access's rule, kept beside the letters' pages)."""

from django.http import Http404

from portal.access import AnyUser, get_compound_for_user
from portal.models import Role

from .models import ActivationLetterChunk, ActivationLetterJob
from .printing import BUILDING_FILE, ChunkStatus

# Who prints activation letters (开通通知书): the committee and the street office.
LETTER_PRINTERS = frozenset({Role.COMMITTEE_MEMBER, Role.STREET_OFFICER})


def get_letter_job_for_user(user: AnyUser, code: str, job_id: int) -> ActivationLetterJob:
    """An activation-letter job of compound ``code``, for those who print letters there."""
    compound = get_compound_for_user(user, code, LETTER_PRINTERS)
    try:
        job = compound.activation_letter_jobs.get(pk=job_id)
    except ActivationLetterJob.DoesNotExist:
        raise Http404 from None
    job.compound = compound
    return job


def get_letter_file_for_user(
    user: AnyUser, code: str, job_id: int, number: str
) -> ActivationLetterChunk:
    """A building's finished letters file of a job (its one part's file, or its parts'
    joined: a building whose parts are not joined yet has none)."""
    job = get_letter_job_for_user(user, code, job_id)
    try:
        chunk = (
            job.chunks.filter(BUILDING_FILE, status=ChunkStatus.DONE)
            .exclude(file="")
            .select_related("building")
            .get(building__number=number)
        )
    except ActivationLetterChunk.DoesNotExist:
        raise Http404 from None
    chunk.job = job
    return chunk
