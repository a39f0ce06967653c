"""The committee page (``/c/<code>/committee/``): the committee in office, how it was
formed (公告 → 推荐 → 确定 → 公示 10 working days → 备案) with the dates the law derives,
its members with their terms and eligibility warnings, and the past committees.

Staff of the compound read it; the compound's street officers also record the formation's
steps and start a re-formation (换届) from it, record the candidates nominated (推荐, with
eligibility warnings shown at once and again at 确定, where the confirmed candidates take
their seats), and correct a recorded date with a reason (更正). Everyone else gets 404.
Each write is one service call (audited, all or nothing). Names are shown whole to those
who read owners' names on the register, masked (张*) to the others."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.access import get_compound_for_user, has_role
from portal.models import STAFF_ROLES, Compound, Role
from portal.typing import AuthenticatedHttpRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from .access import sees_owner_names
from .committee_checks import member_warnings
from .committee_selectors import (
    CandidateRow,
    compound_committees,
    formation_candidates,
    formation_steps,
    pending_formation,
)
from .models import CandidateKind, CommitteeFormation, CommitteeRole, FormationStep
from .selectors import owner_name_shown
from .services import committee as services


def _date(label: StrOrPromise, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"})
    )


class StartForm(forms.Form):
    announced_on = _date(gettext_lazy("组建公告日期"))


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=FormationStep.choices, widget=forms.HiddenInput)
    day = _date(gettext_lazy("日期"))
    term_end = _date(gettext_lazy("任期届满（确定时填写，不填则为3年）"), required=False)
    candidates = forms.TypedMultipleChoiceField(
        label=gettext_lazy("确定为委员的候选人（按拟任职务就任）"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, candidates: Sequence[CandidateRow] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["candidates"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [
            (row.candidate.pk, _candidate_label(row))
            for row in candidates
            if row.candidate.member_id is None
        ]
        if not field.choices:
            del self.fields["candidates"]


def _candidate_label(row: CandidateRow) -> str:
    """A candidate as a checkbox shows it: name, proposed seat, and the warnings."""
    c = row.candidate
    label = f"{row.name}（{c.get_kind_display()} · {_('拟任')}{c.get_role_display()}）"
    if row.warnings:
        label += " ⚠ " + "；".join(row.warnings)
    return label


class CandidateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("候选人姓名"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=CandidateKind.choices)
    role = forms.ChoiceField(
        label=gettext_lazy("拟任职务"),
        choices=[("", gettext_lazy("默认（业主为业主代表，其他为委员）")), *CommitteeRole.choices],
        required=False,
    )
    affiliation = forms.CharField(
        label=gettext_lazy("所在单位或房屋"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("如 社区居委会、业主 · 3号楼 2门301"),
    )


class CandidateRemoveForm(forms.Form):
    candidate = forms.IntegerField(widget=forms.HiddenInput)


class CorrectForm(forms.Form):
    formation = forms.IntegerField(widget=forms.HiddenInput)
    step = forms.ChoiceField(label=gettext_lazy("要更正的步骤"), choices=FormationStep.choices)
    day = _date(gettext_lazy("正确日期"))
    reason = forms.CharField(
        label=gettext_lazy("更正理由（必填，记入审计日志）"),
        max_length=services.MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, formation: CommitteeFormation | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if formation is not None:
            self.initial.setdefault("formation", formation.pk)
            field = self.fields["step"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [
                (step.value, f"{step.label}（{getattr(formation, step.value):%Y-%m-%d}）")
                for step in FormationStep
                if getattr(formation, step.value) is not None
            ]


class RecordForm(forms.Form):
    announced_on = _date(gettext_lazy("组建公告日期"))
    nominated_on = _date(gettext_lazy("推荐日期"))
    publicity_start = _date(gettext_lazy("公示开始日期"))
    filed_on = _date(gettext_lazy("备案日期"), required=False)


FORMS: dict[str, type[forms.Form]] = {
    "start": StartForm,
    "step": StepForm,
    "record": RecordForm,
    "candidate": CandidateForm,
    "candidate_remove": CandidateRemoveForm,
    "correct": CorrectForm,
}


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        target = {"formed_on": "day"}.get(name, name)
        for error in errors:
            form.add_error(target if target in form.fields else None, error)


def _write(
    request: AuthenticatedHttpRequest, compound: Compound, action: str, form: forms.Form
) -> bool:
    """Run the form's service; False (with the errors on the form) when refused."""
    data = form.cleaned_data
    try:
        if action == "start":
            services.committee_formation_start(
                compound=compound, announced_on=data["announced_on"], actor=request.user
            )
        elif action == "step":
            formation = _unfinished(compound)
            if formation is None:
                raise ValidationError(_("没有进行中的组建：请先发布组建公告"))
            services.committee_formation_step(
                formation=formation,
                step=data["step"],
                day=data["day"],
                term_end=data.get("term_end"),
                seat_candidates=data.get("candidates") or (),
                actor=request.user,
            )
        elif action == "candidate":
            formation = _unfinished(compound)
            if formation is None:
                raise ValidationError(_("没有进行中的组建：请先发布组建公告"))
            services.committee_candidate_add(
                formation=formation,
                name=data["name"],
                kind=data["kind"],
                role=data["role"] or None,
                affiliation=data["affiliation"],
                actor=request.user,
            )
        elif action == "candidate_remove":
            candidate = compound.committee_candidates.filter(pk=data["candidate"]).first()
            if candidate is None:
                raise Http404
            services.committee_candidate_remove(candidate=candidate, actor=request.user)
        elif action == "correct":
            target = compound.committee_formations.filter(pk=data["formation"]).first()
            if target is None:
                raise Http404
            services.committee_formation_correct(
                formation=target,
                step=data["step"],
                day=data["day"],
                reason=data["reason"],
                actor=request.user,
            )
        else:
            committee = compound.committees.order_by("-formed_on", "-id").first()
            if committee is None:
                raise ValidationError(_("尚未组建物业管理委员会"))
            services.committee_formation_record(
                committee=committee,
                announced_on=data["announced_on"],
                nominated_on=data["nominated_on"],
                publicity_start=data["publicity_start"],
                filed_on=data.get("filed_on"),
                actor=request.user,
            )
    except ValidationError as exc:
        _add_errors(form, exc)
        return False
    return True


def _unfinished(compound: Compound) -> CommitteeFormation | None:
    """The formation under way (at most one per compound), confirmed or not."""
    return compound.committee_formations.filter(filed_on__isnull=True).first()


@login_required
def committee_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponseBase:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    can_write = has_role(request.user, compound, {Role.STREET_OFFICER})
    bound: dict[str, forms.Form] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if not can_write or action not in FORMS:
            raise Http404
        form = _bound_form(compound, action, request.POST)
        if form.is_valid() and _write(request, compound, action, form):
            messages.success(request, _("物管会组建记录已保存"))
            return redirect("committee", code=compound.code)
        bound[action] = form
        status = 400
    return _render(request, compound, can_write, bound, status)


def _bound_form(compound: Compound, action: str, data: QueryDict) -> forms.Form:
    """The posted form, with the choices that depend on the compound's records."""
    if action == "step":
        unfinished = _unfinished(compound)
        rows = formation_candidates(compound, [unfinished])[unfinished.pk] if unfinished else []
        return StepForm(data, candidates=rows)
    if action == "correct":
        try:
            pk = int(data.get("formation", ""))
        except ValueError:
            pk = 0
        target = compound.committee_formations.filter(pk=pk).first()
        if target is None:
            raise Http404
        return CorrectForm(data, formation=target)
    return FORMS[action](data)


def _render(
    request: AuthenticatedHttpRequest,
    compound: Compound,
    can_write: bool,
    bound: dict[str, forms.Form],
    status: int,
) -> HttpResponse:
    today = timezone.localdate()
    names_visible = sees_owner_names(request.user, compound)
    terms = compound_committees(compound, today)
    current = terms[0] if terms else None
    if current is not None:
        current.matches = dict(member_warnings(compound, current.members))
    pending = pending_formation(compound)
    candidates = formation_candidates(
        compound, [t.formation for t in terms] + [pending], names_visible=names_visible
    )
    for t in terms:
        for m in t.members:
            m.shown_name = owner_name_shown(  # type: ignore[attr-defined]
                m.name, names_visible=names_visible
            )
        if t.formation is not None:
            t.candidates = candidates[t.formation.pk]
    pending_candidates = candidates[pending.pk] if pending else []
    unfinished = pending or (
        current.formation
        if current and current.formation and not current.formation.filed_on
        else None
    )
    next_step = unfinished.next_step if unfinished else None
    step_form = bound.get("step") or (
        StepForm(
            initial={
                "step": next_step.value,
                "day": today,
                "candidates": [r.candidate.pk for r in pending_candidates],
            },
            candidates=pending_candidates if next_step == FormationStep.CONFIRMED else [],
        )
        if next_step
        else None
    )
    correct = bound.get("correct")
    correct_pk = correct["formation"].value() if correct else None

    def correct_form(formation: CommitteeFormation | None) -> forms.Form | None:
        if formation is None or not can_write:
            return None
        if correct is not None and str(correct_pk) == str(formation.pk):
            return correct
        return CorrectForm(formation=formation)

    context = {
        "compound": compound,
        "today": today,
        "can_write": can_write,
        "current": current,
        "history": [(t, correct_form(t.formation)) for t in terms[1:]],
        "pending": pending,
        "pending_steps": formation_steps(pending) if pending else [],
        "pending_candidates": pending_candidates,
        "pending_correct_form": correct_form(pending),
        "current_correct_form": correct_form(current.formation if current else None),
        "candidate_form": bound.get("candidate") or CandidateForm(),
        "can_nominate": pending is not None and pending.confirmed_on is None,
        "next_step": next_step,
        "confirming": next_step == FormationStep.CONFIRMED,
        "step_form": step_form,
        "start_form": bound.get("start") or StartForm(initial={"announced_on": today}),
        "record_form": bound.get("record") or RecordForm(),
        "can_start": unfinished is None,
        "can_record": current is not None and current.formation is None and pending is None,
        "problems": current.committee.composition_problems() if current else [],
        "illustrative": any(t.formation is not None and t.formation.illustrative for t in terms)
        or bool(pending and pending.illustrative),
    }
    return render(request, "households/committee.html", context, status=status)
