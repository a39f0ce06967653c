"""The demo's four-party agreement of 学院南路32号院, signed on 2021-12-10.

Called by ``manage.py seed_demo`` as ``seed(compound)`` after the fees and voting demos;
idempotent. It generates the agreement from the October 2021 decision (hire 天岳恒物业 at
the new fee standard, CC 278 (4)) with the facts of the vote and the fee standards, signs it
in the portal's own PAdES revisions by the four parties' demo logins on 2021-12-10 and
records it filed with the street office on 2021-12-20, so the register, the PDF download
and the public verifier all show a real, verifiable agreement.

The case does not publish the agreement's term: three years from 2022-01, the term of the
subsidy it arranges, is our assumption (so in the demo's present it shows as expired).
"""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet

from households.models import CommitteeRole
from portal.models import Compound

from . import ca, selectors, services
from .models import Agreement, PartyKind

log = logging.getLogger(__name__)
TZ = ZoneInfo("Asia/Shanghai")

DECISION_TITLE = "关于选聘天岳恒物业及执行新物业费标准的业主共同决定"  # voting.demo.TITLE_2021
TERM_START = dt.date(2022, 1, 1)
TERM_END = dt.date(2024, 12, 31)
GENERATED_AT = dt.datetime(2021, 11, 30, 15, 0, tzinfo=TZ)
# The order and times of the four signatures on 2021-12-10.
SIGNING = [
    (PartyKind.COMMITTEE, dt.datetime(2021, 12, 10, 9, 30, tzinfo=TZ)),
    (PartyKind.STREET_OFFICE, dt.datetime(2021, 12, 10, 9, 45, tzinfo=TZ)),
    (PartyKind.PROPERTY_RIGHT_UNIT, dt.datetime(2021, 12, 10, 10, 0, tzinfo=TZ)),
    (PartyKind.SERVICE_COMPANY, dt.datetime(2021, 12, 10, 10, 15, tzinfo=TZ)),
]
FILED_AT = dt.datetime(2021, 12, 20, 14, 0, tzinfo=TZ)
# The full legal names (法定全称) the agreement names its parties by. The street offices'
# are their government names; the companies' registered names are invented for the demo
# (the case report calls the company only 天岳恒物业).
OFFICE_LEGAL_NAMES = {
    "btpz": "北京市海淀区人民政府北太平庄街道办事处",
    "hyl": "北京市海淀区人民政府花园路街道办事处",
}
COMPANY_LEGAL_NAMES = {
    "天岳恒物业": "北京天岳恒物业管理有限公司",  # as the 2021 decision's item names it
    "嘉园物业": "北京嘉园物业服务有限公司",
}


def _parties(compound: Compound) -> list[services.PartySpec] | None:
    """The four parties and the demo logins who sign for them (the committee's chair, else
    its first member; the first eligible user of each other party), or None when the demo
    logins are not there. Eligibility is the generation form's (selectors.generation_choices)."""
    choices = selectors.generation_choices(compound)
    chair = compound.committee_members.filter(role=CommitteeRole.CHAIR, user__isnull=False).first()
    committee = chair.user if chair else _first(choices["committee_rep"])
    officer = _first(choices["office_rep"])
    staff = _first(choices["company_rep"])
    units = list(choices["property_units"].order_by("name"))
    if not (committee and officer and staff and units):
        return None
    return services.party_specs_for(
        compound=compound,
        committee_rep=committee,
        company_rep=staff,
        office_rep=officer,
        property_units=units,
    )


def _first(users: QuerySet[User]) -> User | None:
    """The user of the earliest matching membership, as the demo created them."""
    return users.order_by("memberships__id").first()


def _fill_legal_names(compound: Compound) -> None:
    """Give the demo's street office and company their full names, unless already set."""
    office, company = compound.street_office, compound.service_company
    if not office.legal_name and office.code in OFFICE_LEGAL_NAMES:
        office.legal_name = OFFICE_LEGAL_NAMES[office.code]
        office.save(update_fields=["legal_name"])
    if company is not None and not company.legal_name and company.name in COMPANY_LEGAL_NAMES:
        company.legal_name = COMPANY_LEGAL_NAMES[company.name]
        company.save(update_fields=["legal_name"])


@transaction.atomic
def seed(compound: Compound) -> Agreement | None:
    """Add the signed 2021 agreement unless it is there (or its prerequisites are not)."""
    _fill_legal_names(compound)
    existing = compound.agreements.filter(source_item__decision__title=DECISION_TITLE).first()
    if existing is not None:
        return existing
    decision = compound.decisions.filter(title=DECISION_TITLE).first()
    parties = _parties(compound)
    if decision is None or parties is None or compound.service_company is None:
        log.warning("agreements demo skipped: the 2021 decision or the demo logins are missing")
        return None
    # The office's CA as it was set up before the signing day.
    ca.authority_for(compound.street_office, at=GENERATED_AT)
    agreement = services.agreement_generate(
        item=decision.items.earliest("position"),
        parties=parties,
        term_start=TERM_START,
        term_end=TERM_END,
        actor=parties[0].representative,
    )
    # Render now rather than after the commit: the signatures need the PDF.
    services.agreement_render(agreement_id=agreement.pk)
    Agreement.objects.filter(pk=agreement.pk).update(created_at=GENERATED_AT)
    by_kind: dict[str, list] = {}
    for party in agreement.parties.select_related("representative"):
        by_kind.setdefault(party.kind, []).append(party)
    for kind, moment in SIGNING:
        for offset, party in enumerate(by_kind[kind]):
            services.agreement_sign_recorded(
                agreement=agreement,
                party=party,
                user=party.representative,
                at=moment + dt.timedelta(minutes=offset),
            )
    agreement.refresh_from_db()
    services.agreement_file(agreement=agreement, actor=parties[1].representative, at=FILED_AT)
    agreement.refresh_from_db()
    return agreement
