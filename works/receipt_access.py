"""Access to a project's money pages (receipts, contribution notices): the object for this
user, or 404, so "forbidden" and "absent" look the same (portal.access's rule)."""

from collections.abc import Iterable

from django.http import Http404

from households.printing import BUILDING_FILE, ChunkStatus
from portal.access import AnyUser
from portal.models import Role

from .access import get_project_for_user
from .models import ContributionNoticeChunk, ContributionNoticeJob, Project, Receipt

#: Who reads a project's receipts: those who manage the compound's works.
RECEIPT_READERS = frozenset({Role.STREET_OFFICER, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF})
#: Who records money received: the committee (owners' fundraising) and the service company.
RECEIPT_RECORDERS = frozenset({Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF})
#: Who prints the owners' contribution notices and fetches their files.
NOTICE_PRINTERS = frozenset({Role.STREET_OFFICER, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF})


def get_money_project_for_user(
    user: AnyUser, code: str, project_id: int, roles: Iterable[Role]
) -> Project:
    """A project of compound ``code``, for a caller holding one of ``roles`` there."""
    return get_project_for_user(user, code, project_id, roles)


def get_receipt_for_user(
    user: AnyUser, code: str, project_id: int, receipt_id: int, roles: Iterable[Role]
) -> Receipt:
    """A receipt of the project, for a caller holding one of ``roles`` in its compound,
    with what its page shows (line, unit)."""
    project = get_money_project_for_user(user, code, project_id, roles)
    receipt = (
        Receipt.objects.filter(compound=project.compound, project=project, pk=receipt_id)
        .select_related("line", "contribution__unit__building")
        .first()
    )
    if receipt is None:
        raise Http404
    receipt.project = project
    return receipt


def get_notice_job_for_user(
    user: AnyUser, code: str, project_id: int, job_id: int
) -> ContributionNoticeJob:
    """A contribution-notice job of the project, for those who print notices."""
    project = get_money_project_for_user(user, code, project_id, NOTICE_PRINTERS)
    job = ContributionNoticeJob.objects.filter(
        compound=project.compound, project=project, pk=job_id
    ).first()
    if job is None:
        raise Http404
    job.project = project
    job.compound = project.compound
    return job


def get_notice_file_for_user(
    user: AnyUser, code: str, project_id: int, job_id: int, number: str
) -> ContributionNoticeChunk:
    """A building's finished notices file of a job (its one part's, or its parts joined)."""
    job = get_notice_job_for_user(user, code, project_id, job_id)
    chunk = (
        job.chunks.filter(BUILDING_FILE, status=ChunkStatus.DONE, building__number=number)
        .exclude(file="")
        .select_related("building")
        .first()
    )
    if chunk is None:
        raise Http404
    chunk.job = job
    return chunk
