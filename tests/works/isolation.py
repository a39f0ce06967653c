"""URL kwargs of the works projects' routes for the isolation walk (tests/isolation.py):
a home project (buildings 1 and 2, with a funding plan, owners' shares and a document),
per route so the document is one of that project's."""

from tests.isolation import per_cast, register_kwarg, register_markers
from works.models import ProjectDocument
from works.services.funding import FundingLineInput, funding_plan_set
from works.services.projects import document_upload, project_create

TITLE = "home 维修工程-隔离"


@per_cast
def home_project(cast):
    project = project_create(
        compound=cast.compound,
        actor=cast.committee,
        title=TITLE,
        budget="3000.00",
        building_numbers=["1", "2"],
    )
    funding_plan_set(
        project=project,
        actor=cast.committee,
        lines=[
            FundingLineInput(kind="government", payer="home 区政府", amount="2000.00"),
            FundingLineInput(kind="owners", amount="1000.00"),
        ],
    )
    document_upload(
        project=project,
        actor=cast.committee,
        kind="contract",
        title="home 施工合同",
        content=b"%PDF-1.4\nhome contract\n%%EOF\n",
    )
    return project


def _document(cast) -> ProjectDocument:
    return ProjectDocument.objects.get(project=home_project(cast))


ROUTES = [
    "works:projects",
    "works:project",
    "works:project-edit",
    "works:project-funding",
    "works:project-step",
    "works:project-shares",
    "works:document-new",
    "works:document-file",
    "api-works-project",
    "api-works-funding",
    "api-works-transition",
    "api-works-shares",
    "api-works-documents",
    "api-works-document-file",
]
for route in ROUTES:
    register_kwarg("project_id", lambda cast: home_project(cast).pk, route=route)
for route in ("works:document-file", "api-works-document-file"):
    register_kwarg("document_id", lambda cast: _document(cast).pk, route=route)
register_markers(lambda cast: [TITLE, "home 区政府", "home 施工合同"])


# Receipt refunds: the receipt page and the refunds API, on the home money project's
# receipt (tests/isolation_works_notices.py), part of it refunded with a reason no outsider
# may read.
REFUND_REASON = "home 多缴退回-隔离"


@per_cast
def home_refunded_receipt(cast):
    import datetime as dt

    from tests.isolation_works_notices import home_money_project
    from works.services.receipts import receipt_refund

    project = home_money_project(cast)
    receipt = project.receipts.get()
    receipt_refund(
        compound=cast.compound,
        project=project,
        receipt=receipt,
        amount="1.00",
        refunded_on=dt.date(2022, 5, 2),
        reason=REFUND_REASON,
        idempotency_key="isolation-home-refund",
    )
    return receipt


for route in ("works:receipt", "api-works-receipt-refunds"):
    register_kwarg("project_id", lambda cast: home_refunded_receipt(cast).project_id, route=route)
    register_kwarg("receipt_id", lambda cast: home_refunded_receipt(cast).pk, route=route)
register_markers(lambda cast: [REFUND_REASON] if home_refunded_receipt(cast) else [])
