"""URL kwargs of the works projects' money routes (receipts, contribution notices, the
public pages) for the isolation walk (tests/isolation.py): one accepted project of the
home compound with receipts, and a finished notice job printing building 1."""

import datetime as dt

from tests.isolation import per_cast, register_kwarg, register_markers
from tests.works.lift_project import blank_pdf, make_lift_project

MONEY_ROUTES = (
    "works:receipts",
    "works:notices",
    "works:notice_job",
    "works:notice_job_status",
    "works:notice_job_continue",
    "works:notice_file",
    "works_public:project",
    "works_public:document",
    "api-works-receipts",
)
JOB_ROUTES = MONEY_ROUTES[2:6]


@per_cast
def home_money_project(cast):
    from works.models import FundingKind
    from works.services.receipts import receipt_record

    project = make_lift_project(cast.compound, status="accepted", title="home 电梯更新公示")
    unit = project.contributions.select_related("unit").first().unit
    receipt_record(
        compound=cast.compound,
        project=project,
        line=project.funding.get(kind=FundingKind.OWNERS),
        unit=unit,
        amount="10.00",
        received_on=dt.date(2022, 5, 1),
        idempotency_key="isolation-home-receipt",
        reference="HOME-TX-0001",
    )
    return project


@per_cast
def home_notice_job(cast):
    from works.services import notices

    project = home_money_project(cast)
    job = notices.contribution_notices_start(
        compound=cast.compound,
        project=project,
        buildings=notices.notice_buildings_chosen(project, ["1"]),
        actor=cast.committee,
    )
    for chunk_id in job.chunks.values_list("id", flat=True):  # on_commit never runs here
        notices.notice_chunk_render(chunk_id=chunk_id, claim="isolation")
    return job


for route in MONEY_ROUTES:
    register_kwarg("project_id", lambda cast: home_money_project(cast).pk, route=route)


@per_cast
def home_public_document(cast):
    from django.core.files.base import ContentFile

    from works.models import ProjectDocument

    document = ProjectDocument(
        compound=cast.compound,
        project=home_money_project(cast),
        kind="acceptance",
        title="home 验收报告",
        content_type="application/pdf",
        size=len(blank_pdf()),
        public=True,
    )
    document.file.save("acceptance.pdf", ContentFile(blank_pdf()), save=False)
    document.save()
    return document


register_kwarg(
    "document_id", lambda cast: home_public_document(cast).pk, route="works_public:document"
)
for route in JOB_ROUTES:
    register_kwarg("job_id", lambda cast: home_notice_job(cast).pk, route=route)
register_markers(lambda cast: ["HOME-TX-0001"])
