"""New agreements: the template filled with the facts, numbered, with their parties."""

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Compound
from portal.queue import enqueue
from voting.models import Item

from .. import facts as facts_mod
from ..models import Agreement, AgreementStatus, AgreementTemplate, Party, PartyKind
from .authorisation import generation_blockers, term_start_problems
from .numbers import agreement_number_next
from .parties import PARTY_LABELS, PARTY_ORDER, PartySpec, _check_parties
from .templates import agreement_template_for


@transaction.atomic
def agreement_create(
    *,
    compound: Compound,
    parties: list[PartySpec],
    facts: dict,
    term_start: dt.date,
    term_end: dt.date,
    actor: User | None,
    template: AgreementTemplate | None = None,
    source_item: Item | None = None,
    supersedes: Agreement | None = None,
) -> Agreement:
    """A new agreement whose text is the template filled with ``facts``.

    Superseding a draft (or one being signed) marks it superseded, so nobody can sign it
    any more; superseding an effective agreement is a renewal and leaves it in force until
    its term ends. The PDF is rendered by a Celery task after the commit.
    """
    if term_end <= term_start:
        raise ValidationError(_("协议期限的结束日期必须晚于开始日期"))
    _check_parties(compound, parties)
    template = template or agreement_template_for(compound)
    if template.compound_id != compound.id:
        raise ValidationError(_("协议模板不属于本小区"))
    if supersedes is not None:
        supersedes = Agreement.objects.select_for_update(of=("self",)).get(pk=supersedes.pk)
        if supersedes.compound_id != compound.id:
            raise ValidationError(_("被取代的协议不属于本小区"))
        if supersedes.status == AgreementStatus.SUPERSEDED:
            raise ValidationError(_("该协议已被取代，请基于最新版本修改"))
    all_facts = {
        **facts_mod.compound_facts(compound),
        **{k: v for k, v in facts.items() if v not in (None, "")},
        "term_start": facts_mod.chinese_date(term_start),
        "term_end": facts_mod.chinese_date(term_end),
    }
    title = facts_mod.fill(template.title, all_facts)
    preamble = facts_mod.fill(template.preamble, all_facts)
    clauses = [
        {
            "title": facts_mod.fill(c["title"], all_facts),
            "body": facts_mod.fill(c["body"], all_facts),
        }
        for c in template.clauses
    ]
    agreement = Agreement(
        compound=compound,
        template=template,
        number=agreement_number_next(compound, term_start.year),
        title=title,
        version=(supersedes.version + 1) if supersedes else 1,
        supersedes=supersedes,
        term_start=term_start,
        term_end=term_end,
        source_item=source_item,
        facts=all_facts,
        preamble=preamble,
        clauses=clauses,
        created_by=actor,
    )
    agreement.full_clean()
    agreement.save()
    ordered = sorted(parties, key=lambda p: PARTY_ORDER.index(PartyKind(p.kind)))
    pru_count = sum(p.kind == PartyKind.PROPERTY_RIGHT_UNIT for p in parties)
    pru_index = 0
    for position, spec in enumerate(ordered, start=1):
        label = PARTY_LABELS[PartyKind(spec.kind)]
        if spec.kind == PartyKind.PROPERTY_RIGHT_UNIT and pru_count > 1:
            pru_index += 1
            label = f"{label}{pru_index}"
        party = Party(
            compound=compound,
            agreement=agreement,
            position=position,
            kind=spec.kind,
            label=label,
            organisation=spec.organisation.strip(),
            representative=spec.representative,
            property_right_unit=spec.property_right_unit,
        )
        party.full_clean()
        party.save()
    if supersedes is not None and supersedes.status in (
        AgreementStatus.DRAFT,
        AgreementStatus.SIGNING,
    ):
        supersedes.status = AgreementStatus.SUPERSEDED
        supersedes.save(update_fields=["status"])
    audit_record(
        action="agreement.create",
        actor=actor,
        compound=compound,
        obj=agreement,
        data={
            "number": agreement.number,
            "version": agreement.version,
            "supersedes": supersedes.number if supersedes else None,
            "source_item": source_item.pk if source_item else None,
        },
    )
    enqueue("agreements.tasks.render_agreement_pdf", agreement.pk)
    return agreement


@transaction.atomic
def agreement_generate(
    *,
    item: Item,
    parties: list[PartySpec],
    term_start: dt.date,
    term_end: dt.date,
    actor: User | None,
    supersedes: Agreement | None = None,
) -> Agreement:
    """An agreement authorised by a passed decision item, its facts pulled from the vote
    (voting.selectors' frozen tally) and the fee standards valid when the term starts.

    The term must start within :func:`term_start_window` of the decision."""
    problems = generation_blockers(item) + term_start_problems(item, term_start)
    if problems:
        raise ValidationError(problems)
    with translation.override("zh-hans"):
        facts = {
            **facts_mod.decision_facts(item),
            **facts_mod.fee_facts(item.compound, term_start),
        }
    return agreement_create(
        compound=item.compound,
        parties=parties,
        facts=facts,
        term_start=term_start,
        term_end=term_end,
        actor=actor,
        source_item=item,
        supersedes=supersedes,
    )
