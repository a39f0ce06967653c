"""Who may see and change works projects; the project (or document) for this user, or
404, so "forbidden" and "absent" look the same (portal.access's rule).

- read a project, its plan, shares and documents: everyone who manages the compound
  (street office, committee, service company, property-right units' representatives);
  residents read the API's project list and only their own units' shares;
- create, edit, plan and move a project on: the committee and the street office;
- upload documents: those, and the service company (it holds the contract, the invoices
  and the acceptance report of the works it runs).
"""

from collections.abc import Iterable

from django.http import Http404

from portal.access import AnyUser, get_compound_for_user
from portal.models import STAFF_ROLES, Role

from .models import Project, ProjectDocument

PROJECT_READERS = STAFF_ROLES
PROJECT_EDITORS = frozenset({Role.STREET_OFFICER, Role.COMMITTEE_MEMBER})
DOCUMENT_UPLOADERS = PROJECT_EDITORS | {Role.COMPANY_STAFF}


def get_project_for_user(
    user: AnyUser, code: str, project_id: int, roles: Iterable[Role] = PROJECT_READERS
) -> Project:
    """Project ``project_id`` of compound ``code`` for a caller holding one of ``roles``."""
    compound = get_compound_for_user(user, code, roles)
    project = Project.objects.filter(compound=compound, pk=project_id).first()
    if project is None:
        raise Http404
    project.compound = compound
    return project


def get_document_for_user(
    user: AnyUser, code: str, project_id: int, document_id: int
) -> ProjectDocument:
    """A document of the project, for those who read the project."""
    project = get_project_for_user(user, code, project_id)
    document = ProjectDocument.objects.filter(
        compound=project.compound, project=project, pk=document_id
    ).first()
    if document is None:
        raise Http404
    document.project = project
    return document
