"""Builders for agreement tests: the cast as the four parties, and the facts a passed
decision and the fee standards would provide."""

import datetime as dt

from django.utils import timezone

from agreements import services
from agreements.models import Agreement, PartyKind
from tests.factories import PASSWORD

# What voting and fees provide in the full flow; written out here so these tests do not
# depend on a vote being run.
DECISION_FACTS = {
    "decision_title": "关于选聘物业服务企业及物业服务收费标准的业主共同决定",
    "decision_date": "2021年10月31日",
    "item_title": "选聘天岳恒物业为本小区物业服务企业并执行新的收费标准",
    "item_category": "民法典第二百七十八条第一款第（四）项",
    "participation_owners": "77.84%",
    "participation_area": "74.25%",
    "consent_owners": "74.13%",
    "consent_area": "78.86%",
    "ballot_sha256": "a" * 64,
    "service_standard": "《北京市住宅物业服务标准》二级",
    "service_content": "公共区域保洁、秩序维护、绿化养护、共用设施设备维修养护",
    "fee_standard": (
        "高楼：评估价每月每平方米2.45元，业主缴纳1.67元；"
        "低楼：评估价每月每平方米1.78元，业主缴纳1.00元。"
    ),
    "subsidy": "每月每平方米0.78元，由北太平庄街道办事处与首开集团各承担50%，期限三年",
}


def party_specs(cast) -> list[services.PartySpec]:
    return [
        services.PartySpec(
            kind=PartyKind.COMMITTEE,
            organisation=f"{cast.compound.name}物业管理委员会",
            representative=cast.committee,
        ),
        services.PartySpec(
            kind=PartyKind.STREET_OFFICE, organisation=cast.office.name, representative=cast.officer
        ),
        services.PartySpec(
            kind=PartyKind.PROPERTY_RIGHT_UNIT,
            organisation="首开集团",
            representative=cast.property_unit_rep,
        ),
        services.PartySpec(
            kind=PartyKind.SERVICE_COMPANY,
            organisation=cast.company.name,
            representative=cast.company_staff,
        ),
    ]


def make_agreement(cast, django_capture_on_commit_callbacks, **extra) -> Agreement:
    """An agreement with its PDF rendered (the on-commit task runs eagerly), whose
    three-year term starts today."""
    start = timezone.localdate()
    extra.setdefault("term_start", start)
    extra.setdefault("term_end", start.replace(year=start.year + 3) - dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        agreement = services.agreement_create(
            compound=cast.compound,
            parties=party_specs(cast),
            facts=DECISION_FACTS,
            actor=cast.committee,
            **extra,
        )
    agreement.refresh_from_db()
    return agreement


def sign_as(agreement: Agreement, user, password: str = PASSWORD, **kw):
    party = agreement.parties.get(representative=user)
    return services.agreement_sign(
        agreement=agreement, party=party, user=user, password=password, **kw
    )
