"""The property management committee (物业管理委员会, BJ 52–58): formed by the street office
for a term of at most three years, then filled seat by seat.

A committee is lawful only as a whole (odd number ≥ 7, owner representatives ≥ half, a
chair: :meth:`Committee.composition_problems`), so single seats may be added while it is
still incomplete; what each seat must satisfy on its own is checked here: a name, a role,
a term inside the committee's term.
"""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Compound

from ..models import Committee, CommitteeMember, CommitteeRole

MAX_TERM_YEARS = 3
MAX_MEMBERS = 99


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
