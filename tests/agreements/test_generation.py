"""The generation guard: only a passed item that hires the service company or sets the fee
standard authorises an agreement, and the text's facts come from the vote and the fees."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from agreements import services
from fees import services as fee_services
from fees.models import SubsidyPayerKind
from households.models import BuildingKind, PropertyRightUnit
from tests.agreements.helpers import party_specs
from tests.fees.helpers import fee_basis_item
from tests.voting.helpers import make_decision, publish
from voting import selectors as vote_selectors
from voting import services as vote_services
from voting.snapshot import Reading

TERM = {"term_start": dt.date(2022, 1, 1), "term_end": dt.date(2024, 12, 31)}


def vote(cast, decision, agree: int):
    """Every voter of the roll votes on paper: the first ``agree`` agree, the rest oppose."""
    entries = list(decision.roll.order_by("number"))
    choices = {e.pk: ("agree" if n < agree else "disagree") for n, e in enumerate(entries)}
    vote_services.paper_ballots_import(
        decision=decision, actor=cast.committee, choices_by_entry=choices, at=timezone.now()
    )
    return publish(decision, cast)


@pytest.fixture
def standard(cast):
    return fee_services.fee_standard_create(
        compound=cast.compound,
        building_kind=BuildingKind.LOW_RISE,
        appraised_rate=Decimal("1.78"),
        charged_rate=Decimal("1.00"),
        valid_from=dt.date(2022, 1, 1),
        valid_to=dt.date(2024, 12, 31),
        shares=[
            fee_services.ShareInput(
                "北太平庄街道办事处", Decimal("50"), SubsidyPayerKind.STREET_OFFICE
            ),
            fee_services.ShareInput("首开集团", Decimal("50"), SubsidyPayerKind.STATE_ENTERPRISE),
        ],
        service_standard="《北京市住宅物业服务标准》二级",
        basis_item_id=fee_basis_item(cast.compound).pk,
    )


def passed_item(cast, category=4, title=None, sets_fee_standard=False):
    decision = make_decision(cast, items=((category, None, sets_fee_standard),))
    if title:
        decision.items.update(title=title)
    decision = vote(cast, decision, agree=5)  # 5 of 6 owners agree
    return decision.items.get()


def generate(cast, item, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        agreement = services.agreement_generate(
            item=item, parties=party_specs(cast), actor=cast.committee, **TERM, **extra
        )
    agreement.refresh_from_db()
    return agreement


def test_facts_come_from_the_vote_and_the_fee_standard(
    cast, standard, django_capture_on_commit_callbacks
):
    item = passed_item(cast)
    agreement = generate(cast, item, django_capture_on_commit_callbacks)
    decision = item.decision
    (tally,) = vote_selectors.decision_tally(decision)
    ratios = Reading.from_tally(tally.raw).ratios.to_json()
    facts = agreement.facts
    assert agreement.source_item == item
    assert (
        facts["ballot_sha256"]
        == decision.ballot_set_sha256
        == vote_selectors.ballot_set_sha256(decision)
    )
    assert facts["participation_owners"] == ratios["participation_owners"] + "%" == "100.00%"
    assert facts["consent_owners"] == ratios["consent_owners"] + "%" == "83.33%"
    assert facts["decision_date"] == "2021年10月25日"
    assert "低楼：评估价每月每平方米1.78元，业主缴纳每月每平方米1.00元" in facts["fee_standard"]
    assert "北太平庄街道办事处承担50.00%、首开集团承担50.00%" in facts["subsidy"]
    assert "2022年1月1日起至2024年12月31日止" in facts["subsidy"]
    assert facts["service_standard"] == "《北京市住宅物业服务标准》二级"
    assert facts["company_name"] == cast.company.name
    text = "".join(
        p.extract_text()
        for p in PdfReader(
            io.BytesIO(services.revision_bytes(services.latest_revision(agreement)))
        ).pages
    ).replace("\n", "")
    assert decision.ballot_set_sha256 in text
    assert "同意业主人数占参与表决业主人数的83.33%" in text
    assert "第二百七十八条第一款第（四）项“选聘和解聘物业服务企业或者其他管理人”" in text


def test_a_failed_item_is_refused_naming_the_failed_rule(cast, standard):
    decision = vote(cast, make_decision(cast, items=((4, None),)), agree=2)
    item = decision.items.get()
    with pytest.raises(ValidationError) as err:
        services.agreement_generate(
            item=item, parties=party_specs(cast), actor=cast.committee, **TERM
        )
    assert "未通过" in err.value.messages[0]
    assert "同意人数比例 33.33% 未达到 > 1/2" in err.value.messages[0]
    assert not cast.compound.agreements.exists()


def test_an_uncounted_decision_is_refused(cast, standard):
    item = make_decision(cast, items=((4, None),)).items.get()
    with pytest.raises(ValidationError, match="尚未计票"):
        services.agreement_generate(
            item=item, parties=party_specs(cast), actor=cast.committee, **TERM
        )


def test_a_category_that_does_not_allow_it_is_refused(cast, standard):
    item = passed_item(cast, category=7)
    with pytest.raises(ValidationError) as err:
        services.agreement_generate(
            item=item, parties=party_specs(cast), actor=cast.committee, **TERM
        )
    (message,) = err.value.messages
    assert "选聘物业服务企业" in message
    assert "未标明“涉及物业服务收费标准”" in message
    assert "(七) 改建、重建建筑物及其附属设施" in message
    assert not cast.compound.agreements.exists()


def test_an_item_flagged_as_setting_the_fee_standard_is_allowed(
    cast, standard, django_capture_on_commit_callbacks
):
    item = passed_item(cast, category=9, sets_fee_standard=True)
    assert item.sets_fee_standard
    agreement = generate(cast, item, django_capture_on_commit_callbacks)
    assert agreement.source_item == item


def test_a_title_naming_the_fee_standard_without_the_flag_is_refused(cast, standard):
    """The title is prose, not a rule: only the flag set when the item was added counts."""
    item = passed_item(cast, category=9, title="执行新的物业服务收费标准")
    assert not item.sets_fee_standard
    with pytest.raises(ValidationError) as err:
        services.agreement_generate(
            item=item, parties=party_specs(cast), actor=cast.committee, **TERM
        )
    (message,) = err.value.messages
    assert "表决事项“执行新的物业服务收费标准”" in message
    assert "未标明“涉及物业服务收费标准”" in message
    assert not cast.compound.agreements.exists()


def test_the_flag_does_not_rescue_a_failed_item(cast, standard):
    decision = vote(cast, make_decision(cast, items=((9, None, True),)), agree=2)
    blockers = services.generation_blockers(decision.items.get())
    assert len(blockers) == 1 and "未通过" in blockers[0]


def test_missing_fee_standard_is_named(cast):
    item = passed_item(cast)
    with pytest.raises(ValidationError, match="收费标准"):
        services.agreement_generate(
            item=item, parties=party_specs(cast), actor=cast.committee, **TERM
        )
    assert not cast.compound.agreements.exists()


def test_generation_page(client, cast, standard, django_capture_on_commit_callbacks):
    item = passed_item(cast)
    unit = PropertyRightUnit.objects.create(
        compound=cast.compound, name="首开集团", representative=cast.property_unit_rep
    )
    url = reverse("agreement_generate", args=[cast.compound.code])
    client.force_login(cast.company_staff)  # neither committee nor street office
    assert client.get(url).status_code == 404
    client.force_login(cast.committee)
    page = client.get(url).content.decode()
    assert item.title in page and 'class="badge ok"' in page
    form = {
        "item": item.pk,
        "term_start": "2022-01-01",
        "term_end": "2024-12-31",
        "committee_rep": cast.committee.pk,
        "company_rep": cast.company_staff.pk,
        "office_rep": cast.officer.pk,
        "property_units": [unit.pk],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form)
    agreement = cast.compound.agreements.get()
    assert response.status_code == 302 and response["Location"] == agreement.get_absolute_url()
    assert agreement.source_item == item
    assert agreement.parties.get(kind="property_right_unit").property_right_unit == unit
    # an outsider's user as a representative is not offered, and so refused
    response = client.post(url, {**form, "office_rep": cast.outsider_office.pk})
    assert response.status_code == 200 and "office_rep" in response.context["form"].errors
    assert cast.compound.agreements.count() == 1


def test_generation_page_shows_why_an_item_cannot_be_used(client, cast, standard):
    vote(cast, make_decision(cast, items=((4, None),)), agree=2)
    client.force_login(cast.officer)
    page = client.get(reverse("agreement_generate", args=[cast.compound.code])).content.decode()
    assert "未通过" in page and "同意人数比例" in page


def test_template_page_saves_a_new_version(client, cast):
    url = reverse("agreement_template", args=[cast.compound.code])
    client.force_login(cast.property_unit_rep)
    assert client.get(url).status_code == 404
    client.force_login(cast.committee)
    page = client.get(url)
    assert "## 小区概况与服务范围" in page.content.decode()
    form = page.context["form"].initial
    clauses = form["clauses"] + "\n\n## 附则\n本协议一式四份，自{term_start}起执行。"
    response = client.post(url, {**form, "clauses": clauses})
    assert response.status_code == 302
    template = services.agreement_template_for(cast.compound)
    assert template.version == 2 and template.clauses[-1] == {
        "title": "附则",
        "body": "本协议一式四份，自{term_start}起执行。",
    }
    response = client.post(url, {**form, "clauses": clauses + "{no_such_fact}"})
    assert "no_such_fact" in response.content.decode()
    assert services.agreement_template_for(cast.compound).version == 2
