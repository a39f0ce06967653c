"""The property management committee (物业管理委员会, BJ 52–58): formed by the street office
for a term of at most three years, then filled seat by seat.

A committee is lawful only as a whole (odd number ≥ 7, owner representatives ≥ half, a
chair: :meth:`Committee.composition_problems`), so single seats may be added while it is
still incomplete; what each seat must satisfy on its own is checked here: a name, a role,
a term inside the committee's term.
"""

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Compound

from ..committee_checks import committee_changed
from ..models import (
    CandidateKind,
    Committee,
    CommitteeCandidate,
    CommitteeFormation,
    CommitteeMember,
    CommitteeRole,
    FormationStep,
)
from ..workdays import add_working_days

MAX_TERM_YEARS = 3
MAX_MEMBERS = 99
#: BJ 52–58: the committee's composition is posted for 10 working days before filing.
PUBLICITY_WORKING_DAYS = 10
#: Formation dates before this are typing mistakes (the Beijing regulations are of 2020;
#: older committees may be recorded, but not from before the portal's law existed).
EARLIEST_FORMATION = dt.date(2000, 1, 1)


def default_term_end(formed_on: dt.date) -> dt.date:
    """The end of the longest lawful term begun on ``formed_on`` (three years)."""
    return _term_end_limit(formed_on)


def _term_end_limit(start: dt.date) -> dt.date:
    """The last day of a three-year term begun on ``start`` (BJ: term ≤ 3 years)."""
    try:
        end = start.replace(year=start.year + MAX_TERM_YEARS)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + MAX_TERM_YEARS, day=28)
    return end - dt.timedelta(days=1)


def _term_errors(formed_on: dt.date | None, term_end: dt.date | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if formed_on is None:
        errors["formed_on"] = [_("请填写成立日期")]
    if term_end is None:
        errors["term_end"] = [_("请填写任期届满日期")]
    if formed_on is None or term_end is None:
        return errors
    if term_end <= formed_on:
        errors["term_end"] = [_("任期届满日期须晚于成立日期")]
    elif term_end > _term_end_limit(formed_on):
        errors["term_end"] = [
            _("物管会任期不超过3年：最晚至 %(date)s")
            % {"date": _term_end_limit(formed_on).isoformat()}
        ]
    return errors


@transaction.atomic
def committee_form(
    *,
    compound: Compound,
    formed_on: dt.date,
    term_end: dt.date,
    actor: AbstractBaseUser | None = None,
) -> Committee:
    """Form a committee for ``compound`` (a new term: the latest committee is the one in
    office). Its seats are filled with :func:`committee_member_add`."""
    errors = _term_errors(formed_on, term_end)
    latest = compound.committees.order_by("-formed_on").first()
    if latest is not None and "formed_on" not in errors and formed_on <= latest.formed_on:
        errors["formed_on"] = [
            _("新一届物管会的成立日期须晚于上一届（%(date)s）")
            % {"date": latest.formed_on.isoformat()}
        ]
    if errors:
        raise ValidationError(errors)
    committee = Committee(compound=compound, formed_on=formed_on, term_end=term_end)
    committee.full_clean()
    committee.save()
    _on_change(compound)
    audit_record(
        action="committee.form",
        actor=actor,
        compound=compound,
        obj=committee,
        data={"formed_on": formed_on, "term_end": term_end},
    )
    return committee


@transaction.atomic
def committee_update(
    *,
    committee: Committee,
    formed_on: dt.date,
    term_end: dt.date,
    actor: AbstractBaseUser | None = None,
) -> Committee:
    """Correct a committee's dates; every seat's term must still lie inside them."""
    committee = Committee.objects.select_for_update(of=("self",)).get(pk=committee.pk)
    errors = _term_errors(formed_on, term_end)
    if (
        not errors
        and committee.members.exclude(term_start__gte=formed_on, term_end__lte=term_end).exists()
    ):
        errors["term_end"] = [_("有委员的任期超出此任期：请先修改这些委员的任期")]
    if errors:
        raise ValidationError(errors)
    before = {"formed_on": committee.formed_on, "term_end": committee.term_end}
    committee.formed_on, committee.term_end = formed_on, term_end
    committee.full_clean()
    committee.save(update_fields=["formed_on", "term_end"])
    audit_record(
        action="committee.update",
        actor=actor,
        compound=committee.compound,
        obj=committee,
        data={"before": before, "after": {"formed_on": formed_on, "term_end": term_end}},
    )
    return committee


def _member_errors(
    committee: Committee,
    *,
    name: str,
    role: str,
    term_start: dt.date | None,
    term_end: dt.date | None,
    member: CommitteeMember | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("请填写委员姓名")]
    if role not in CommitteeRole.values:
        errors["role"] = [_("职务只能是主任、副主任、业主代表或委员")]
    elif role == CommitteeRole.CHAIR:
        others = committee.members.filter(role=CommitteeRole.CHAIR)
        if member is not None:
            others = others.exclude(pk=member.pk)
        if others.exists():
            errors["role"] = [_("已有主任：一届物管会只设一名主任")]
    start = term_start or committee.formed_on
    end = term_end or committee.term_end
    if end < start:
        errors["term_end"] = [_("任期结束须不早于任期开始")]
    elif start < committee.formed_on or end > committee.term_end:
        errors["term_end"] = [
            _("委员任期须在物管会任期内（%(a)s 至 %(b)s）")
            % {"a": committee.formed_on.isoformat(), "b": committee.term_end.isoformat()}
        ]
    return errors


@transaction.atomic
def committee_member_add(
    *,
    committee: Committee,
    name: str,
    role: str,
    affiliation: str = "",
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
    actor: AbstractBaseUser | None = None,
) -> CommitteeMember:
    """Seat a member (委员) with a role (职务) for a term inside the committee's (the whole
    term when no dates are given)."""
    committee = (
        Committee.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=committee.pk)
    )
    name, affiliation = name.strip(), affiliation.strip()
    errors = _member_errors(
        committee, name=name, role=role, term_start=term_start, term_end=term_end, member=None
    )
    if committee.members.count() >= MAX_MEMBERS:
        errors.setdefault("name", []).append(_("委员人数已达上限"))
    if errors:
        raise ValidationError(errors)
    member = CommitteeMember(
        compound=committee.compound,
        committee=committee,
        name=name,
        role=role,
        affiliation=affiliation,
        term_start=term_start or committee.formed_on,
        term_end=term_end or committee.term_end,
    )
    member.full_clean(exclude=["compound", "committee", "user"])
    member.save()
    audit_record(
        action="committee.member_add",
        actor=actor,
        compound=committee.compound,
        obj=member,
        data={"committee": committee.pk, "role": role},
    )
    return member


@transaction.atomic
def committee_member_update(
    *,
    member: CommitteeMember,
    name: str,
    role: str,
    affiliation: str = "",
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
    actor: AbstractBaseUser | None = None,
) -> CommitteeMember:
    """Change a seat's name, role, affiliation or term."""
    member = CommitteeMember.objects.select_for_update(of=("self",)).get(pk=member.pk)
    committee = Committee.objects.select_related("compound").get(pk=member.committee_id)
    name, affiliation = name.strip(), affiliation.strip()
    errors = _member_errors(
        committee, name=name, role=role, term_start=term_start, term_end=term_end, member=member
    )
    if errors:
        raise ValidationError(errors)
    before = {"role": member.role, "term_start": member.term_start, "term_end": member.term_end}
    member.name, member.role, member.affiliation = name, role, affiliation
    member.term_start = term_start or committee.formed_on
    member.term_end = term_end or committee.term_end
    member.full_clean(exclude=["compound", "committee", "user"])
    member.save()
    audit_record(
        action="committee.member_update",
        actor=actor,
        compound=committee.compound,
        obj=member,
        data={
            "before": before,
            "after": {"role": role, "term_start": member.term_start, "term_end": member.term_end},
        },
    )
    return member


@transaction.atomic
def committee_member_remove(
    *, member: CommitteeMember, actor: AbstractBaseUser | None = None
) -> None:
    """Vacate a seat (the audit log keeps who held it in which role)."""
    member = (
        CommitteeMember.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=member.pk)
    )
    data = {"committee": member.committee_id, "role": member.role, "member": member.pk}
    compound = member.compound
    member.delete()
    audit_record(action="committee.member_remove", actor=actor, compound=compound, data=data)


@transaction.atomic
def committee_member_account_set(
    *, member: CommitteeMember, user: AbstractBaseUser, actor: AbstractBaseUser | None = None
) -> CommitteeMember:
    """Link a seat to the login of the person holding it (who then signs as that member)."""
    member = (
        CommitteeMember.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=member.pk)
    )
    if member.user_id == user.pk:
        return member
    member.user_id = user.pk
    member.save(update_fields=["user"])
    audit_record(
        action="committee.member_account",
        actor=actor,
        compound=member.compound,
        obj=member,
        data={"username": user.get_username()},
    )
    return member


# --- the formation record (组建记录: 公告 → 推荐 → 确定 → 公示 → 备案) -----------------------


def _on_change(compound: Compound) -> None:
    """After commit, tell the apps above (the board refreshes the compound's alerts)."""
    # robust: a listener's failure is logged, it does not undo or fail the saved write.
    transaction.on_commit(lambda: committee_changed(compound), robust=True)


def _step_label(step: FormationStep) -> str:
    return str(step.label)


def formation_errors(values: dict[str, dt.date | None], *, today: dt.date) -> dict[str, list[str]]:
    """What is wrong with a formation's dates (``values`` by step field, None = not
    recorded): each step after the previous one and none in the future, no step without
    the one before it, and the filing only after 10 working days of publicity. Pure."""
    errors: dict[str, list[str]] = {}
    previous: FormationStep | None = None
    for step in FormationStep:
        day = values.get(step.value)
        if day is not None:
            if day > today:
                errors[step.value] = [
                    _("「%(step)s」的日期不能晚于今天（%(today)s）")
                    % {"step": _step_label(step), "today": today.isoformat()}
                ]
            elif day < EARLIEST_FORMATION:
                errors[step.value] = [
                    _("「%(step)s」的日期不合理（早于 %(date)s）")
                    % {"step": _step_label(step), "date": EARLIEST_FORMATION.isoformat()}
                ]
            elif previous is not None and values.get(previous.value) is None:
                errors[step.value] = [
                    _("请先记录「%(previous)s」，再记录「%(step)s」")
                    % {"previous": _step_label(previous), "step": _step_label(step)}
                ]
            elif previous is not None and day < values[previous.value]:  # type: ignore[operator]
                errors[step.value] = [
                    _("「%(step)s」须不早于「%(previous)s」（%(date)s）")
                    % {
                        "step": _step_label(step),
                        "previous": _step_label(previous),
                        "date": values[previous.value].isoformat(),  # type: ignore[union-attr]
                    }
                ]
        previous = step
    start, filed = values.get(FormationStep.PUBLICITY.value), values.get(FormationStep.FILED.value)
    if start is not None and filed is not None and FormationStep.FILED.value not in errors:
        end = add_working_days(start, PUBLICITY_WORKING_DAYS)
        if filed <= end:
            errors[FormationStep.FILED.value] = [
                _("公示须满10个工作日（%(start)s 至 %(end)s）后方可备案：备案日期最早为 %(first)s")
                % {
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "first": (end + dt.timedelta(days=1)).isoformat(),
                }
            ]
    return errors


def _formation_values(formation: CommitteeFormation) -> dict[str, dt.date | None]:
    return {step.value: getattr(formation, step.value) for step in FormationStep}


def _unfinished(compound: Compound) -> CommitteeFormation | None:
    return compound.committee_formations.filter(filed_on__isnull=True).first()


def _lock_compound(compound: Compound) -> Compound:
    """Serialise formation writes of one compound (one unfinished formation at a time)."""
    return Compound.objects.select_for_update(of=("self",)).get(pk=compound.pk)


@transaction.atomic
def committee_formation_start(
    *,
    compound: Compound,
    announced_on: dt.date,
    illustrative: bool = False,
    today: dt.date | None = None,
    actor: AbstractBaseUser | None = None,
) -> CommitteeFormation:
    """Start forming a committee (组建公告), the first one or the next term's (换届): the
    committee in office stays until the new one is confirmed. ``illustrative`` marks a
    demo's invented dates (the pages say so)."""
    today = today or timezone.localdate()
    _lock_compound(compound)
    errors = formation_errors({FormationStep.ANNOUNCED.value: announced_on}, today=today)
    pending = _unfinished(compound)
    if pending is not None:
        errors.setdefault(FormationStep.ANNOUNCED.value, []).append(
            _("本小区已有一次未完成的组建（%(date)s 公告）：请先完成该次组建")
            % {"date": pending.announced_on.isoformat()}
        )
    latest = compound.committees.order_by("-formed_on").first()
    if latest is not None and announced_on <= latest.formed_on:
        errors.setdefault(FormationStep.ANNOUNCED.value, []).append(
            _("新一届的组建公告须晚于现任物管会的成立日期（%(date)s）")
            % {"date": latest.formed_on.isoformat()}
        )
    if errors:
        raise ValidationError(errors)
    formation = CommitteeFormation(
        compound=compound, announced_on=announced_on, illustrative=illustrative
    )
    formation.full_clean()
    formation.save()
    audit_record(
        action="committee.formation_start",
        actor=actor,
        compound=compound,
        obj=formation,
        data={
            "announced_on": announced_on,
            "replaces": latest.pk if latest else None,
            "illustrative": illustrative,
        },
    )
    _on_change(compound)
    return formation


def _save_formation(
    formation: CommitteeFormation, action: str, *, actor: AbstractBaseUser | None, data: dict
) -> CommitteeFormation:
    """Validate and save a changed formation record, audit it, tell the listeners."""
    formation.full_clean()
    formation.save()
    audit_record(action=action, actor=actor, compound=formation.compound, obj=formation, data=data)
    _on_change(formation.compound)
    return formation


@transaction.atomic
def committee_formation_step(
    *,
    formation: CommitteeFormation,
    step: FormationStep | str,
    day: dt.date,
    term_end: dt.date | None = None,
    seat_candidates: Sequence[int] = (),
    today: dt.date | None = None,
    actor: AbstractBaseUser | None = None,
) -> CommitteeFormation:
    """Record the next step of ``formation`` on ``day``.

    确定 (confirmed) forms the committee: its term starts that day and ends on
    ``term_end`` (at most three years; three years when not given); the candidates named
    by ``seat_candidates`` (ids of this formation's candidates) take the seats proposed
    for them, and more members may be seated with :func:`committee_member_add`. 公示
    (publicity) computes the last day of the 10 working days' posting; 备案 (filed) is
    possible only after it."""
    today = today or timezone.localdate()
    formation = (
        CommitteeFormation.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=formation.pk)
    )
    try:
        step = FormationStep(step)
    except ValueError:
        raise ValidationError({"step": _("没有这个组建步骤")}) from None
    expected = formation.next_step
    if expected is None:
        raise ValidationError({"step": _("该次组建已经完成（已备案）")})
    if step != expected:
        raise ValidationError(
            {"step": _("下一步应记录「%(step)s」") % {"step": _step_label(expected)}}
        )
    values = _formation_values(formation)
    values[step.value] = day
    errors = formation_errors(values, today=today)
    seating = _candidates_to_seat(formation, step, seat_candidates, errors)
    if errors:
        raise ValidationError(errors)
    setattr(formation, step.value, day)
    data: dict[str, object] = {"step": step.value, "day": day}
    if step == FormationStep.CONFIRMED and formation.committee_id is None:
        try:
            committee = committee_form(
                compound=formation.compound,
                formed_on=day,
                term_end=term_end or default_term_end(day),
                actor=actor,
            )
        except ValidationError as exc:
            raise ValidationError(
                {
                    ("day" if key == "formed_on" else key): messages
                    for key, messages in exc.message_dict.items()
                }
            ) from None
        formation.committee = committee
        data["committee"] = committee.pk
        if seating:
            data["seated"] = _seat(committee, seating, actor=actor)
    if step == FormationStep.PUBLICITY:
        formation.publicity_end = add_working_days(day, PUBLICITY_WORKING_DAYS)
        data["publicity_end"] = formation.publicity_end
    return _save_formation(formation, "committee.formation_step", actor=actor, data=data)


@transaction.atomic
def committee_formation_record(
    *,
    committee: Committee,
    announced_on: dt.date,
    nominated_on: dt.date,
    publicity_start: dt.date | None = None,
    filed_on: dt.date | None = None,
    illustrative: bool = False,
    today: dt.date | None = None,
    actor: AbstractBaseUser | None = None,
) -> CommitteeFormation:
    """Record at once how an existing committee was formed (补录: a committee entered
    before the portal kept formation records). Its confirmation is its formation date."""
    today = today or timezone.localdate()
    committee = (
        Committee.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=committee.pk)
    )
    _lock_compound(committee.compound)
    values: dict[str, dt.date | None] = {
        FormationStep.ANNOUNCED.value: announced_on,
        FormationStep.NOMINATED.value: nominated_on,
        FormationStep.CONFIRMED.value: committee.formed_on,
        FormationStep.PUBLICITY.value: publicity_start,
        FormationStep.FILED.value: filed_on,
    }
    errors = formation_errors(values, today=today)
    if FormationStep.CONFIRMED.value in errors:  # the committee's own date: say it there
        errors.setdefault(FormationStep.NOMINATED.value, []).extend(
            errors.pop(FormationStep.CONFIRMED.value)
        )
    if CommitteeFormation.objects.filter(committee=committee).exists():
        errors.setdefault("__all__", []).append(_("该届物管会已有组建记录"))
    if filed_on is None:
        pending = _unfinished(committee.compound)
        if pending is not None:
            errors.setdefault(FormationStep.FILED.value, []).append(
                _("本小区已有一次未完成的组建（%(date)s 公告）")
                % {"date": pending.announced_on.isoformat()}
            )
    if errors:
        raise ValidationError(errors)
    formation = CommitteeFormation(
        compound=committee.compound,
        committee=committee,
        illustrative=illustrative,
        publicity_end=(
            add_working_days(publicity_start, PUBLICITY_WORKING_DAYS) if publicity_start else None
        ),
        **values,
    )
    formation.full_clean()
    formation.save()
    audit_record(
        action="committee.formation_record",
        actor=actor,
        compound=committee.compound,
        obj=formation,
        data={**values, "committee": committee.pk, "illustrative": illustrative},
    )
    _on_change(committee.compound)
    return formation


# --- candidates (候选人, at the 推荐 step) ---------------------------------------------------

MAX_CANDIDATES = 99


def _candidates_to_seat(
    formation: CommitteeFormation,
    step: FormationStep,
    ids: Sequence[int],
    errors: dict[str, list[str]],
) -> list[CommitteeCandidate]:
    """The candidates to seat at 确定, in the order given (errors added to ``errors``)."""
    if not ids:
        return []
    if step != FormationStep.CONFIRMED:
        errors["candidates"] = [_("只有在「确定」时才能从候选人中确定委员")]
        return []
    wanted = list(dict.fromkeys(ids))
    found = {c.pk: c for c in formation.candidates.filter(pk__in=wanted, member__isnull=True)}
    missing = [i for i in wanted if i not in found]
    if missing:
        errors["candidates"] = [
            _("候选人 %(ids)s 不是该次组建的候选人，或已确定为委员")
            % {"ids": "、".join(str(i) for i in missing)}
        ]
        return []
    return [found[i] for i in wanted]


def _seat(
    committee: Committee,
    candidates: list[CommitteeCandidate],
    *,
    actor: AbstractBaseUser | None,
) -> list[int]:
    """Seat ``candidates`` on ``committee`` for its whole term, each in the role proposed
    for them; a refused seat (e.g. a second chair) refuses the whole confirmation."""
    seated = []
    for candidate in candidates:
        try:
            member = committee_member_add(
                committee=committee,
                name=candidate.name,
                role=candidate.role,
                affiliation=candidate.affiliation,
                actor=actor,
            )
        except ValidationError as exc:
            raise ValidationError(
                {
                    "candidates": [
                        _("候选人 %(name)s：%(error)s")
                        % {"name": candidate.name, "error": "；".join(exc.messages)}
                    ]
                }
            ) from None
        candidate.member = member
        candidate.save(update_fields=["member"])
        seated.append(member.pk)
    return seated


def default_candidate_role(kind: str) -> str:
    """The seat usually proposed: an owner stands as owner representative (业主代表), a
    body's representative as member (委员)."""
    return (
        CommitteeRole.OWNER_REPRESENTATIVE if kind == CandidateKind.OWNER else CommitteeRole.MEMBER
    )


@transaction.atomic
def committee_candidate_add(
    *,
    formation: CommitteeFormation,
    name: str,
    kind: CandidateKind | str,
    role: CommitteeRole | str | None = None,
    affiliation: str = "",
    actor: AbstractBaseUser | None = None,
) -> CommitteeCandidate:
    """Record a candidate nominated (推荐) in ``formation``, until its members are
    confirmed (确定). ``role`` is the seat proposed (by default: owner representative for
    an owner, member for a body's representative). Eligibility is warned about when the
    candidate is shown (:func:`households.committee_checks.candidate_warnings`), never
    refused here: the street office decides."""
    formation = (
        CommitteeFormation.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=formation.pk)
    )
    name, affiliation = name.strip(), affiliation.strip()
    errors: dict[str, list[str]] = {}
    if formation.confirmed_on is not None:
        errors["__all__"] = [
            _("该次组建已于 %(date)s 确定委员：不能再添加候选人")
            % {"date": formation.confirmed_on.isoformat()}
        ]
    if not name:
        errors["name"] = [_("请填写候选人姓名")]
    if kind not in CandidateKind.values:
        errors["kind"] = [
            _("候选人类别只能是业主、街道办事处代表、社区居委会代表、产权单位代表或其他代表")
        ]
    role = role or default_candidate_role(str(kind))
    if role not in CommitteeRole.values:
        errors["role"] = [_("职务只能是主任、副主任、业主代表或委员")]
    if formation.candidates.count() >= MAX_CANDIDATES:
        errors.setdefault("name", []).append(_("候选人人数已达上限"))
    if errors:
        raise ValidationError(errors)
    candidate = CommitteeCandidate(
        compound=formation.compound,
        formation=formation,
        name=name,
        kind=kind,
        role=role,
        affiliation=affiliation,
    )
    candidate.full_clean(exclude=["compound", "formation", "member"])
    candidate.save()
    audit_record(
        action="committee.candidate_add",
        actor=actor,
        compound=formation.compound,
        obj=candidate,
        data={"formation": formation.pk, "kind": str(kind), "role": str(role)},
    )
    return candidate


@transaction.atomic
def committee_candidate_remove(
    *, candidate: CommitteeCandidate, actor: AbstractBaseUser | None = None
) -> None:
    """Withdraw a candidate (a nomination recorded by mistake or withdrawn) before the
    members are confirmed; afterwards the record stays as it was."""
    candidate = (
        CommitteeCandidate.objects.select_for_update(of=("self",))
        .select_related("compound", "formation")
        .get(pk=candidate.pk)
    )
    if candidate.formation.confirmed_on is not None:
        raise ValidationError(_("该次组建已确定委员：候选人记录不能再删除"))
    data = {"formation": candidate.formation_id, "candidate": candidate.pk}
    compound = candidate.compound
    candidate.delete()
    audit_record(action="committee.candidate_remove", actor=actor, compound=compound, data=data)


# --- correcting a recorded step (更正) --------------------------------------------------------

MAX_REASON_LENGTH = 500


def _neighbour_errors(
    formation: CommitteeFormation, step: FormationStep, day: dt.date
) -> list[str]:
    """The order of terms: a formation's announcement and confirmation lie after the
    previous committee was formed, and before the next formation was announced."""
    compound = formation.compound
    committees = compound.committees.all()
    if formation.committee_id is not None:
        committees = committees.exclude(pk=formation.committee_id)
    anchor = formation.confirmed_on or formation.announced_on
    previous = committees.filter(formed_on__lt=anchor).order_by("-formed_on").first()
    errors: list[str] = []
    bounded_below = step in (FormationStep.ANNOUNCED, FormationStep.CONFIRMED)
    if bounded_below and previous is not None and day <= previous.formed_on:
        errors.append(
            _("须晚于上一届物管会的成立日期（%(date)s）") % {"date": previous.formed_on.isoformat()}
        )
    if step == FormationStep.CONFIRMED:
        later = (
            compound.committee_formations.exclude(pk=formation.pk)
            .filter(announced_on__gt=anchor)
            .order_by("announced_on")
            .first()
        )
        following = committees.filter(formed_on__gt=anchor).order_by("formed_on").first()
        if later is not None and day >= later.announced_on:
            errors.append(
                _("须早于下一届的组建公告（%(date)s）") % {"date": later.announced_on.isoformat()}
            )
        elif following is not None and day >= following.formed_on:
            errors.append(
                _("须早于下一届物管会的成立日期（%(date)s）")
                % {"date": following.formed_on.isoformat()}
            )
    return errors


def _move_committee(
    committee: Committee, old: dt.date, new: dt.date, errors: list[str]
) -> dict[str, object]:
    """The committee follows its corrected confirmation: it is formed on ``new``; a term
    that was the default three years stays three years, and the seats that began (or end)
    with the term move with it. Returns the changes made (nothing saved when ``errors``
    gains a message)."""
    term_end = committee.term_end
    if term_end == default_term_end(old):
        term_end = default_term_end(new)
    elif term_end > _term_end_limit(new):
        errors.append(
            _("物管会任期不超过3年：确定日期改为 %(day)s 后任期最晚至 %(date)s，请先修改任期")
            % {"day": new.isoformat(), "date": _term_end_limit(new).isoformat()}
        )
    if term_end <= new:
        errors.append(_("任期届满日期须晚于成立日期"))
    members = list(committee.members.select_for_update(of=("self",)))
    moved = []
    for member in members:
        start = new if member.term_start == old else member.term_start
        end = term_end if member.term_end == committee.term_end else member.term_end
        if start < new or end > term_end or end < start:
            errors.append(
                _("委员 %(name)s 的任期（%(a)s 至 %(b)s）将超出物管会任期：请先修改该委员的任期")
                % {"name": member.name, "a": start.isoformat(), "b": end.isoformat()}
            )
        elif (start, end) != (member.term_start, member.term_end):
            member.term_start, member.term_end = start, end
            moved.append(member)
    if errors:
        return {}
    before = {"formed_on": committee.formed_on, "term_end": committee.term_end}
    committee.formed_on, committee.term_end = new, term_end
    committee.full_clean()
    committee.save(update_fields=["formed_on", "term_end"])
    for member in moved:
        member.save(update_fields=["term_start", "term_end"])
    return {
        "committee": committee.pk,
        "committee_before": before,
        "committee_after": {"formed_on": new, "term_end": term_end},
        "members_moved": [m.pk for m in moved],
    }


@transaction.atomic
def committee_formation_correct(
    *,
    formation: CommitteeFormation,
    step: FormationStep | str,
    day: dt.date,
    reason: str,
    today: dt.date | None = None,
    actor: AbstractBaseUser | None = None,
) -> CommitteeFormation:
    """Correct the date of a step already recorded (更正), with the reason, by the same
    rules as recording it: the steps in order and none in the future, the posting's 10
    working days recomputed from a corrected 公示 start and the filing after them, the
    terms in order. Correcting 确定 moves the committee's formation date (and the seats
    that began with it). The audit entry keeps the old date, the new one and the reason;
    on any error nothing is saved. Errors about the date are under ``day``."""
    today = today or timezone.localdate()
    formation = (
        CommitteeFormation.objects.select_for_update(of=("self",))
        .select_related("compound", "committee")
        .get(pk=formation.pk)
    )
    _lock_compound(formation.compound)
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("请填写更正理由")]
    elif len(reason) > MAX_REASON_LENGTH:
        errors["reason"] = [_("更正理由不超过 %(n)s 字") % {"n": MAX_REASON_LENGTH}]
    try:
        step = FormationStep(step)
    except ValueError:
        errors["step"] = [_("没有这个组建步骤")]
        raise ValidationError(errors) from None
    old = getattr(formation, step.value)
    if old is None:
        errors["step"] = [
            _("「%(step)s」尚未记录：请用“记录下一步”记录，而不是更正")
            % {"step": _step_label(step)}
        ]
        raise ValidationError(errors)
    if day == old:
        errors["day"] = [_("新日期与原记录相同（%(date)s）") % {"date": old.isoformat()}]
        raise ValidationError(errors)
    values = _formation_values(formation)
    values[step.value] = day
    day_errors = [
        m for messages in formation_errors(values, today=today).values() for m in messages
    ]
    day_errors += _neighbour_errors(formation, step, day)
    data: dict[str, object] = {"step": step.value, "before": old, "after": day, "reason": reason}
    if not day_errors and step == FormationStep.CONFIRMED and formation.committee is not None:
        data.update(_move_committee(formation.committee, old, day, day_errors))
    if day_errors:
        errors["day"] = day_errors
    if errors:
        raise ValidationError(errors)
    setattr(formation, step.value, day)
    if step == FormationStep.PUBLICITY:
        data["publicity_end_before"] = formation.publicity_end
        formation.publicity_end = add_working_days(day, PUBLICITY_WORKING_DAYS)
        data["publicity_end_after"] = formation.publicity_end
    return _save_formation(formation, "committee.formation_correct", actor=actor, data=data)
