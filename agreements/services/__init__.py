"""Writes of the agreements app: templates, agreements, rendering, signing, filing.

Every function is atomic and validates before it saves; a refused action changes nothing
(the throttle counter of wrong passwords, kept in the cache, is the one deliberate
exception: it must survive the rollback).
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.models import PropertyRightUnit
from portal.access import roles_in
from portal.audit import audit_record
from portal.models import Compound
from voting.models import DecisionState, Item
from voting.rules import Category

from .. import ca, selectors, signing
from .. import facts as facts_mod
from ..models import (
    PARTY_ROLE,
    Agreement,
    AgreementRevision,
    AgreementStatus,
    AgreementTemplate,
    Party,
    PartyKind,
    PdfStatus,
    Signature,
    shift_months,
)

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "data" / "default_template.json"
PARTY_LABELS = {
    PartyKind.COMMITTEE: "甲方",
    PartyKind.SERVICE_COMPANY: "乙方",
    PartyKind.STREET_OFFICE: "丙方",
    PartyKind.PROPERTY_RIGHT_UNIT: "丁方",
}
PARTY_ORDER = [
    PartyKind.COMMITTEE,
    PartyKind.SERVICE_COMPANY,
    PartyKind.STREET_OFFICE,
    PartyKind.PROPERTY_RIGHT_UNIT,
]
# Wrong passwords at signing: this many per user and agreement within the window.
SIGN_MAX_FAILURES = 5
SIGN_FAILURE_WINDOW = 15 * 60


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def representative_name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


# ---------------------------------------------------------------- templates


def default_template_data() -> dict:
    return json.loads(DEFAULT_TEMPLATE.read_text(encoding="utf-8"))


@transaction.atomic
def agreement_template_for(compound: Compound) -> AgreementTemplate:
    """The compound's current template, copied from the shipped default on first use."""
    current = compound.agreement_templates.order_by("-version").first()
    if current is not None:
        return current
    data = default_template_data()
    template = AgreementTemplate(
        compound=compound,
        name=data["name"],
        version=1,
        title=data["title"],
        preamble=data["preamble"],
        clauses=data["clauses"],
    )
    template.full_clean()
    template.save()
    return template


def _clean_clauses(clauses: list[dict]) -> list[dict]:
    cleaned = []
    for index, clause in enumerate(clauses, start=1):
        title = str(clause.get("title", "")).strip()
        body = str(clause.get("body", "")).strip()
        if not title or not body:
            raise ValidationError(_("第%(n)s条的标题和正文都不能为空") % {"n": index})
        cleaned.append({"title": title, "body": body})
    if not cleaned:
        raise ValidationError(_("模板至少需要一条条款"))
    return cleaned


@transaction.atomic
def agreement_template_update(
    *,
    template: AgreementTemplate,
    title: str,
    preamble: str,
    clauses: list[dict],
    actor: AbstractBaseUser,
) -> AgreementTemplate:
    """Save edited clauses as the next version; agreements keep the version they used."""
    cleaned = _clean_clauses(clauses)
    facts_mod.check_template_text([title, preamble, *(c["title"] + c["body"] for c in cleaned)])
    latest = template.compound.agreement_templates.select_for_update().order_by("-version").first()
    new = AgreementTemplate(
        compound=template.compound,
        name=template.name,
        version=latest.version + 1,
        title=title.strip(),
        preamble=preamble.strip(),
        clauses=cleaned,
        created_by=actor,
    )
    new.full_clean()
    new.save()
    audit_record(
        action="agreement_template.update",
        actor=actor,
        compound=template.compound,
        obj=new,
        data={"version": new.version},
    )
    return new


# ---------------------------------------------------------------- agreements


@dataclass(frozen=True)
class PartySpec:
    """One party of a new agreement and the user who will sign for it."""

    kind: PartyKind
    organisation: str
    representative: AbstractBaseUser
    property_right_unit: PropertyRightUnit | None = None


def party_specs_for(
    *,
    compound: Compound,
    committee_rep: AbstractBaseUser,
    company_rep: AbstractBaseUser,
    office_rep: AbstractBaseUser,
    property_units: list[PropertyRightUnit],
) -> list[PartySpec]:
    """The four parties of ``compound`` under their full legal names (法定全称), each with
    the user who signs for it; a property-right unit signs through its representative."""
    company = compound.service_company
    return [
        PartySpec(
            kind=PartyKind.COMMITTEE,
            organisation=facts_mod.committee_name(compound),
            representative=committee_rep,
        ),
        PartySpec(
            kind=PartyKind.SERVICE_COMPANY,
            organisation=facts_mod.legal_name(company) if company else "",
            representative=company_rep,
        ),
        PartySpec(
            kind=PartyKind.STREET_OFFICE,
            organisation=facts_mod.legal_name(compound.street_office),
            representative=office_rep,
        ),
        *(
            PartySpec(
                kind=PartyKind.PROPERTY_RIGHT_UNIT,
                organisation=facts_mod.legal_name(unit),
                representative=unit.representative,
                property_right_unit=unit,
            )
            for unit in property_units
        ),
    ]


def missing_legal_names(compound: Compound) -> list[str]:
    """The short names the agreement would fall back to because the street office or the
    service company has no full legal name (法定全称) on record."""
    orgs = [compound.street_office, compound.service_company]
    return [org.name for org in orgs if org is not None and not org.legal_name.strip()]


def _check_parties(compound: Compound, parties: list[PartySpec]) -> None:
    kinds = [p.kind for p in parties]
    for kind in PARTY_ORDER:
        if kind not in kinds:
            raise ValidationError(_("协议缺少一方：%(kind)s") % {"kind": PartyKind(kind).label})
    for kind in (PartyKind.COMMITTEE, PartyKind.STREET_OFFICE, PartyKind.SERVICE_COMPANY):
        if kinds.count(kind) > 1:
            raise ValidationError(_("%(kind)s只能有一方") % {"kind": PartyKind(kind).label})
    seen = set()
    for party in parties:
        if not party.organisation.strip():
            raise ValidationError(
                _("%(kind)s的单位名称不能为空") % {"kind": PartyKind(party.kind).label}
            )
        role = PARTY_ROLE[PartyKind(party.kind)]
        if role not in roles_in(party.representative, compound):
            raise ValidationError(
                _("%(user)s不能代表%(org)s签署：须为本小区的%(role)s")
                % {
                    "user": representative_name(party.representative),
                    "org": party.organisation,
                    "role": role.label,
                }
            )
        if party.representative.pk in seen:
            raise ValidationError(
                _("%(user)s不能同时代表两方签署")
                % {"user": representative_name(party.representative)}
            )
        seen.add(party.representative.pk)
        if (
            party.property_right_unit is not None
            and party.property_right_unit.compound_id != compound.id
        ):
            raise ValidationError(_("产权单位不属于本小区"))


def _next_number(compound: Compound, year: int) -> str:
    prefix = f"SFXY-{compound.code.upper()}-{year}-"
    existing = Agreement.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{existing + 1:03d}"


@transaction.atomic
def agreement_create(
    *,
    compound: Compound,
    parties: list[PartySpec],
    facts: dict,
    term_start: dt.date,
    term_end: dt.date,
    actor: AbstractBaseUser | None,
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
        supersedes = Agreement.objects.select_for_update().get(pk=supersedes.pk)
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
        number=_next_number(compound, term_start.year),
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
    from ..tasks import render_agreement_pdf

    transaction.on_commit(lambda: render_agreement_pdf.delay(agreement.pk))
    return agreement


CHECK_LABELS = {
    "participation_owners": gettext_lazy("参与表决人数比例"),
    "participation_area": gettext_lazy("参与表决面积比例"),
    "consent_owners": gettext_lazy("同意人数比例"),
    "consent_area": gettext_lazy("同意面积比例"),
}


def item_allows_agreement(item: Item) -> bool:
    """An agreement is authorised by an item that hires the service company (CC 278 (4))
    or that the committee marked as setting the fee standard (``Item.sets_fee_standard``)."""
    return item.category == Category.SERVICE_COMPANY or item.sets_fee_standard


def generation_blockers(item: Item) -> list[str]:
    """Why ``item`` cannot authorise an agreement (empty when it can), each reason naming
    what is missing."""
    decision = item.decision
    problems = []
    if decision.state not in (DecisionState.COUNTED, DecisionState.PUBLISHED):
        problems.append(
            _("共同决定“%(decision)s”尚未计票（当前状态：%(state)s），不能据此生成协议")
            % {"decision": decision.title, "state": decision.get_state_display()}
        )
    else:
        snapshot = next(
            (i for i in decision.tally_snapshot.get("items", []) if i.get("id") == item.pk), {}
        )
        if not snapshot.get("passed"):
            failed = [
                _("%(rule)s %(value)s%% 未达到 %(threshold)s")
                % {
                    "rule": CHECK_LABELS.get(c["rule"], c["rule"]),
                    "value": c["value"],
                    "threshold": c["threshold"],
                }
                for c in snapshot.get("checks", [])
                if not c.get("passed")
            ]
            problems.append(
                _("表决事项“%(item)s”未通过%(why)s")
                % {"item": item.title, "why": ("：" + "；".join(failed)) if failed else ""}
            )
    if not item_allows_agreement(item):
        problems.append(
            _(
                "表决事项“%(item)s”的类别为%(category)s，且未标明“涉及物业服务收费标准”；"
                "只有选聘物业服务企业（第二百七十八条第一款第（四）项）"
                "或涉及物业服务收费标准的事项可以生成四方协议"
            )
            % {"item": item.title, "category": item.get_category_display()}
        )
    return problems


def max_months_after_decision() -> int:
    """settings.AGREEMENT_MAX_MONTHS_AFTER_DECISION (6): a decision authorises the terms the
    owners saw when they voted; six months matches the renewal decision prepared from six
    months before a term ends (BJ 75)."""
    return settings.AGREEMENT_MAX_MONTHS_AFTER_DECISION


def decision_day(item: Item) -> dt.date | None:
    """The day the authorising decision was taken: its counting date (计票日期), else the
    local date it was counted; None while it is not counted."""
    decision = item.decision
    if decision.counting_date:
        return decision.counting_date
    return timezone.localdate(decision.counted_at) if decision.counted_at else None


def term_start_window(item: Item) -> tuple[dt.date, dt.date] | None:
    """The first and last day an agreement authorised by ``item`` may start: not before
    the decision, and within :func:`max_months_after_decision` months of it."""
    day = decision_day(item)
    if day is None:
        return None
    return day, shift_months(day, max_months_after_decision())


def term_start_problems(item: Item, term_start: dt.date) -> list[str]:
    """Why ``term_start`` does not fit the decision of ``item`` (empty when it does)."""
    window = term_start_window(item)
    if window is None:  # not counted: generation_blockers says so
        return []
    earliest, latest = window
    names = {
        "start": facts_mod.chinese_date(term_start),
        "decision": item.decision.title,
        "decided": facts_mod.chinese_date(earliest),
        "latest": facts_mod.chinese_date(latest),
        "months": max_months_after_decision(),
    }
    if term_start < earliest:
        return [
            _(
                "协议期限开始日期%(start)s早于授权它的共同决定“%(decision)s”的计票日期"
                "%(decided)s：协议不能在业主作出决定之前开始"
            )
            % names
        ]
    if term_start > latest:
        return [
            _(
                "协议期限开始日期%(start)s距授权它的共同决定“%(decision)s”的计票日期"
                "%(decided)s超过%(months)s个月，最晚须于%(latest)s开始；"
                "更晚开始的协议须有新的业主共同决定"
            )
            % names
        ]
    return []


@transaction.atomic
def agreement_generate(
    *,
    item: Item,
    parties: list[PartySpec],
    term_start: dt.date,
    term_end: dt.date,
    actor: AbstractBaseUser | None,
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


def _store_revision(agreement: Agreement, number: int, data: bytes) -> AgreementRevision:
    digest = hashlib.sha256(data).hexdigest()
    name = default_storage.save(
        f"agreements/{agreement.compound.code}/{agreement.number}/r{number}-{digest[:12]}.pdf",
        ContentFile(data),
    )
    revision = AgreementRevision(
        compound=agreement.compound,
        agreement=agreement,
        number=number,
        sha256=digest,
        size=len(data),
    )
    revision.file.name = name
    revision.full_clean()
    revision.save()
    return revision


def agreement_render(*, agreement_id: int) -> bool:
    """Render revision 0 once. Returns False when another run already did (idempotent
    under redelivery: the unique (agreement, number) key decides)."""
    from ..rendering import render_agreement_pdf

    claimed = Agreement.objects.filter(
        pk=agreement_id, pdf_status__in=[PdfStatus.PENDING, PdfStatus.FAILED, PdfStatus.RENDERING]
    ).update(pdf_status=PdfStatus.RENDERING)
    if not claimed:
        return False
    agreement = Agreement.objects.select_related("compound").get(pk=agreement_id)
    try:
        data = render_agreement_pdf(agreement)
    except Exception as exc:
        Agreement.objects.filter(pk=agreement_id).update(
            pdf_status=PdfStatus.FAILED, pdf_error=str(exc)[:300]
        )
        raise
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
        if agreement.revisions.filter(number=0).exists():
            return False
        _store_revision(agreement, 0, data)
        agreement.pdf_status = PdfStatus.READY
        agreement.pdf_error = ""
        agreement.current_revision = 0
        agreement.save(update_fields=["pdf_status", "pdf_error", "current_revision"])
    return True


def latest_revision(agreement: Agreement) -> AgreementRevision | None:
    return agreement.revisions.order_by("-number").first()


def revision_bytes(revision: AgreementRevision) -> bytes:
    """The stored file, refused if it no longer matches the SHA-256 recorded for it."""
    with default_storage.open(revision.file.name, "rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != revision.sha256:
        raise ValidationError(_("存档文件与登记的SHA-256不符，可能已被篡改"))
    return data


# ---------------------------------------------------------------- signing


def _throttle_key(user: AbstractBaseUser, agreement: Agreement) -> str:
    return f"agreements:sign-failures:{user.pk}:{agreement.pk}"


def _check_password(user: AbstractBaseUser, agreement: Agreement, password: str) -> None:
    key = _throttle_key(user, agreement)
    failures = cache.get(key, 0)
    if failures >= SIGN_MAX_FAILURES:
        raise ValidationError(
            _("密码错误次数过多，请%(minutes)s分钟后再试") % {"minutes": SIGN_FAILURE_WINDOW // 60},
            code="throttled",
        )
    if not password or not user.check_password(password):
        if not cache.add(key, 1, SIGN_FAILURE_WINDOW):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, SIGN_FAILURE_WINDOW)
        left = SIGN_MAX_FAILURES - failures - 1
        raise ValidationError(
            _("密码错误，未签署（还可尝试%(left)s次）") % {"left": max(left, 0)},
            code="wrong_password",
        )
    cache.delete(key)


def _lock_for_signing(agreement: Agreement, party: Party, user: AbstractBaseUser):
    """Lock the agreement and refuse, with a specific message, every signature that must
    not happen: another party's, a second one, on a superseded or unrendered draft."""
    agreement = (
        Agreement.objects.select_for_update()
        .select_related("compound__street_office")
        .get(pk=agreement.pk)
    )
    party = Party.objects.select_related("representative").get(pk=party.pk)
    if party.agreement_id != agreement.pk:
        raise ValidationError(_("该签署方不属于这份协议"))
    if party.representative_id != user.pk:
        raise ValidationError(
            _("您不是%(org)s的授权代表，不能代其签署") % {"org": party.organisation}
        )
    if agreement.status == AgreementStatus.SUPERSEDED:
        raise ValidationError(_("该协议草案已被新版本取代，不能再签署"))
    if agreement.status not in (AgreementStatus.DRAFT, AgreementStatus.SIGNING):
        raise ValidationError(
            _("协议状态为“%(status)s”，不能签署") % {"status": agreement.get_status_display()}
        )
    if agreement.pdf_status != PdfStatus.READY:
        raise ValidationError(_("协议PDF尚未生成，请稍后再签署"))
    if Signature.objects.filter(party=party).exists():
        raise ValidationError(_("%(org)s已经签署过这份协议") % {"org": party.organisation})
    return agreement, party


@transaction.atomic
def agreement_sign(
    *,
    agreement: Agreement,
    party: Party,
    user: AbstractBaseUser,
    password: str,
) -> Signature:
    """``user`` signs for ``party`` after re-entering their password.

    The agreement row is locked, so two parties signing at once each build on the other's
    revision. Signing twice, for another party, a superseded or unrendered draft, or with a
    wrong password is refused with a specific message and changes nothing.
    """
    agreement, party = _lock_for_signing(agreement, party, user)
    _check_password(user, agreement, password)
    return _apply_signature(agreement, party, user, at=None)


@transaction.atomic
def agreement_sign_recorded(
    *, agreement: Agreement, party: Party, user: AbstractBaseUser, at: dt.datetime
) -> Signature:
    """Record a signature made at ``at`` without asking for the password: for the demo's
    agreement of 2021 and imports of agreements signed before the portal. No page or API
    calls it; every other check of :func:`agreement_sign` applies."""
    agreement, party = _lock_for_signing(agreement, party, user)
    return _apply_signature(agreement, party, user, at=at)


def _apply_signature(
    agreement: Agreement, party: Party, user: AbstractBaseUser, *, at: dt.datetime | None
) -> Signature:
    moment = at or timezone.now()
    office = agreement.compound.street_office
    name = selectors.signer_name(user, agreement.compound)
    cert = ca.signer_certificate_for(
        office=office, user=user, common_name=name, organisation=party.organisation, at=at
    )
    current = latest_revision(agreement)
    signed_pdf = signing.sign_revision(
        revision_bytes(current),
        field_name=party.field_name,
        credentials=ca.credentials(cert),
        signer_name=name,
        organisation=party.organisation,
        signed_at=moment,
        reason=f"签署{agreement.title}",  # the document's own language, whatever the UI's
        location=agreement.compound.name,
    )
    revision = _store_revision(agreement, current.number + 1, signed_pdf)
    signature = Signature(
        compound=agreement.compound,
        agreement=agreement,
        party=party,
        signer=user,
        signed_at=moment,
        certificate=cert,
        certificate_serial=cert.serial,
        revision=revision,
        revision_number=revision.number,
    )
    signature.full_clean()
    signature.save()
    agreement.current_revision = revision.number
    agreement.status = AgreementStatus.SIGNING
    fields = ["current_revision", "status"]
    if not agreement.parties.filter(signature__isnull=True).exists():
        agreement.status = AgreementStatus.EFFECTIVE
        agreement.effective_on = _local_date(moment)
        agreement.filing_deadline = agreement.effective_on + dt.timedelta(
            days=facts_mod.FILING_DAYS
        )
        fields += ["effective_on", "filing_deadline"]
    agreement.save(update_fields=fields)
    audit_record(
        action="agreement.sign",
        actor=user,
        compound=agreement.compound,
        obj=signature,
        data={
            "agreement": agreement.number,
            "party": party.organisation,
            "revision": revision.number,
            "sha256": revision.sha256,
            "certificate_serial": cert.serial,
            "status": agreement.status,
        },
    )
    return signature


@transaction.atomic
def agreement_file(
    *, agreement: Agreement, actor: AbstractBaseUser, at: dt.datetime | None = None
) -> Agreement:
    """The street office records that the effective agreement was filed (BJ 63)."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status == AgreementStatus.FILED:
        raise ValidationError(_("该协议已经备案"))
    if agreement.status != AgreementStatus.EFFECTIVE:
        raise ValidationError(_("只有已生效的协议才能备案"))
    agreement.status = AgreementStatus.FILED
    agreement.filed_at = at or timezone.now()
    agreement.filed_by = actor
    agreement.save(update_fields=["status", "filed_at", "filed_by"])
    audit_record(
        action="agreement.file",
        actor=actor,
        compound=agreement.compound,
        obj=agreement,
        data={"number": agreement.number},
    )
    return agreement


def agreements_expire(*, today: dt.date | None = None) -> int:
    """Mark effective or filed agreements whose term has ended as expired."""
    today = today or timezone.localdate()
    return Agreement.objects.filter(
        status__in=[AgreementStatus.EFFECTIVE, AgreementStatus.FILED], term_end__lt=today
    ).update(status=AgreementStatus.EXPIRED)
