"""The committee page (``/c/<code>/committee/``): the committee in office, how it was
formed (公告 → 推荐 → 确定 → 公示 10 working days → 备案) with the dates the law derives,
its members with their terms and eligibility warnings, and the past committees.

Staff of the compound read it; the compound's street officers also record the formation's
steps and start a re-formation (换届) from it. Everyone else gets 404. Each write is one
service call (audited, all or nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
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

from .committee_checks import member_warnings
from .committee_selectors import compound_committees, formation_steps, pending_formation
from .models import CommitteeFormation, FormationStep
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


class RecordForm(forms.Form):
    announced_on = _date(gettext_lazy("组建公告日期"))
    nominated_on = _date(gettext_lazy("推荐日期"))
    publicity_start = _date(gettext_lazy("公示开始日期"))
    filed_on = _date(gettext_lazy("备案日期"), required=False)


FORMS: dict[str, type[forms.Form]] = {"start": StartForm, "step": StepForm, "record": RecordForm}


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
        form = FORMS[action](request.POST)
        if form.is_valid() and _write(request, compound, action, form):
            messages.success(request, _("物管会组建记录已保存"))
            return redirect("committee", code=compound.code)
        bound[action] = form
        status = 400
    return _render(request, compound, can_write, bound, status)


def _render(
    request: AuthenticatedHttpRequest,
    compound: Compound,
    can_write: bool,
    bound: dict[str, forms.Form],
    status: int,
) -> HttpResponse:
    today = timezone.localdate()
    terms = compound_committees(compound, today)
    current = terms[0] if terms else None
    if current is not None:
        current.matches = dict(member_warnings(compound, current.members))
    pending = pending_formation(compound)
    unfinished = pending or (
        current.formation
        if current and current.formation and not current.formation.filed_on
        else None
    )
    next_step = unfinished.next_step if unfinished else None
    step_form = bound.get("step") or (
        StepForm(initial={"step": next_step.value, "day": today}) if next_step else None
    )
    context = {
        "compound": compound,
        "today": today,
        "can_write": can_write,
        "current": current,
        "history": terms[1:],
        "pending": pending,
        "pending_steps": formation_steps(pending) if pending else [],
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
