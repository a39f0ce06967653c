"""Writes on requests: file, assign, start, resolve, close, reopen, comment, rate.

Every function validates everything before it writes, runs in one transaction, locks the
request row for a transition (two people pressing "resolve" at once: one wins, the other
is told the state changed), records a :class:`RequestEvent` and an audit entry, and
leaves notifications for the people who must act next.
"""

import datetime as dt
import functools
import operator
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Building, PropertyRightUnit, Unit
from portal.access import acting_roles, roles_in
from portal.audit import audit_record
from portal.models import Compound, Role

from .access import HANDLERS
from .models import (
    OPEN_STATES,
    Category,
    Channel,
    EventKind,
    Notification,
    NotificationKind,
    Party,
    Rating,
    Request,
    RequestEvent,
    RequestPhoto,
    State,
)
from .photos import MAX_PHOTOS, RequestPhotoFiles, photo_clean
from .services_mail import notifications_mail_enqueue

DESCRIPTION_MAX = 2000
NOTE_MAX = 1000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A masked number ("138****5678") from the portal's own 12345 export reads back in.
_PHONE = re.compile(r"^[0-9+\-() *]{3,32}$")


def clean_text(value: object, *, limit: int) -> str:
    """Text as stored: control characters removed, outer spaces stripped, at most
    ``limit`` characters (the caller decides whether longer is an error)."""
    return _CONTROL.sub("", str(value or "")).strip()[: limit + 1]


def _deadline(category: Category, received_at: dt.datetime, emergency: bool) -> dt.datetime:
    """Due time: receipt plus the category's service level (emergency or ordinary)."""
    hours = category.emergency_hours if emergency else category.service_level_hours
    return received_at + dt.timedelta(hours=hours)


def category_for_code(code: str) -> Category:
    try:
        return Category.objects.get(code=str(code).strip(), active=True)
    except Category.DoesNotExist:
        raise ValidationError(
            {"category": _("没有代码为“%(code)s”的报修类别") % {"code": str(code)[:32]}},
            code="category_not_found",
        ) from None


@dataclass(frozen=True)
class NewRequest:
    """What a request is filed with (from the form, the API or a hotline row)."""

    category: str
    description: str
    unit_id: int | None = None
    building_id: int | None = None
    place: str = ""
    emergency: bool = False
    channel: str = Channel.ONLINE
    caller_phone: str = ""
    hotline_case_number: str = ""
    received_at: dt.datetime | None = None
    due_at: dt.datetime | None = None


def _collect(errors: dict[str, list[str]], exc: ValidationError) -> None:
    for field, messages in exc.message_dict.items():
        errors.setdefault(field, []).extend(messages)


def request_build(*, compound: Compound, actor: User | None, data: NewRequest) -> Request:
    """An unsaved request of ``compound`` from ``data``, every field checked; a
    ValidationError naming each bad field else. A resident files only online, only for a
    unit they own now or for a common area, and gives no caller phone or case number."""
    errors: dict[str, list[str]] = {}
    staff = actor is None or bool(acting_roles(actor, compound) & HANDLERS)
    category = None
    try:
        category = category_for_code(data.category)
    except ValidationError as exc:
        _collect(errors, exc)
    description = clean_text(data.description, limit=DESCRIPTION_MAX)
    if not description:
        errors.setdefault("description", []).append(_("请填写诉求内容"))
    elif len(description) > DESCRIPTION_MAX:
        errors.setdefault("description", []).append(
            _("诉求内容最多 %(n)d 个字") % {"n": DESCRIPTION_MAX}
        )
    place = clean_text(data.place, limit=200)
    if len(place) > 200:
        errors.setdefault("place", []).append(_("地点最多200个字"))
    unit = None
    if data.unit_id is not None:
        units = compound.units.all()
        if actor is not None and not staff:
            units = Unit.objects.owned_by(actor).filter(compound=compound)
        unit = units.select_related("building").filter(pk=data.unit_id).first()
        if unit is None:
            # The same words for "no such unit" and "not yours": nothing to probe.
            errors.setdefault("unit", []).append(_("没有这套房屋，或它不是你名下的房屋"))
    building = unit.building if unit is not None else None
    if data.building_id is not None and unit is None:
        building = Building.objects.filter(compound=compound, pk=data.building_id).first()
        if building is None:
            errors.setdefault("building", []).append(_("本小区没有这栋楼"))
    channel = data.channel
    if channel not in Channel.values:
        errors.setdefault("channel", []).append(_("渠道无效"))
    caller_phone = clean_text(data.caller_phone, limit=32)
    case_number = clean_text(data.hotline_case_number, limit=40)
    if not staff and (channel != Channel.ONLINE or caller_phone or case_number):
        raise PermissionDenied  # residents file for themselves, online
    if caller_phone and not _PHONE.match(caller_phone):
        errors.setdefault("caller_phone", []).append(_("来电号码只能包含数字、+、-、括号和空格"))
    if case_number and channel != Channel.HOTLINE:
        errors.setdefault("hotline_case_number", []).append(_("只有12345渠道的工单有12345工单号"))
    if channel == Channel.HOTLINE and not case_number:
        errors.setdefault("hotline_case_number", []).append(_("12345工单须填写工单号"))
    if len(case_number) > 40:
        errors.setdefault("hotline_case_number", []).append(_("12345工单号最多40个字符"))
    now = timezone.now()
    received_at = data.received_at or now
    if received_at > now + dt.timedelta(minutes=5):
        errors.setdefault("received_at", []).append(_("受理时间不能晚于现在"))
    if data.due_at is not None and data.due_at < received_at:
        errors.setdefault("due_at", []).append(_("办理时限不能早于受理时间"))
    if errors or category is None:
        raise ValidationError(errors)
    return Request(
        compound=compound,
        channel=channel,
        hotline_case_number=case_number,
        category=category,
        unit=unit,
        building=building,
        place=place,
        description=description,
        emergency=bool(data.emergency),
        received_at=received_at,
        due_at=data.due_at or _deadline(category, received_at, bool(data.emergency)),
        reporter=actor if (actor is not None and not staff) else None,
        caller_phone=caller_phone,
    )


@transaction.atomic
def request_create(
    *,
    compound: Compound,
    actor: User,
    data: NewRequest,
    photos: Sequence[bytes] = (),
) -> Request:
    """File a request (工单受理) with up to :data:`MAX_PHOTOS` photos; audited.

    Photos are checked before anything is written, and a file written for a request that
    is then rolled back is deleted again: nothing half-saved."""
    errors: dict[str, list[str]] = {}
    request: Request | None = None
    try:
        request = request_build(compound=compound, actor=actor, data=data)
    except ValidationError as exc:
        _collect(errors, exc)
    if len(photos) > MAX_PHOTOS:
        errors.setdefault("photo", []).append(_("最多上传 %(n)d 张照片") % {"n": MAX_PHOTOS})
    cleaned: list[RequestPhotoFiles] = []
    for data_bytes in photos[:MAX_PHOTOS]:
        try:
            cleaned.append(photo_clean(data_bytes))
        except ValidationError as exc:
            _collect(errors, exc)
    if errors or request is None:
        raise ValidationError(errors)
    request.full_clean(exclude=["compound", "category", "unit", "building", "reporter"])
    stored: list[str] = []
    try:
        request.save()
        _event(request, EventKind.CREATED, actor=actor, to_state=State.NEW)
        stored = photos_add(request=request, actor=actor, files=cleaned)
        audit_record(
            action="request.create",
            actor=actor,
            compound=compound,
            obj=request,
            data={
                "category": request.category.code,
                "channel": request.channel,
                "unit": request.unit_id,
                "photos": len(cleaned),
            },
        )
    except Exception:
        for name in stored:  # nothing half-saved: no file without its request
            default_storage.delete(name)
        raise
    return request


def photos_add(
    *, request: Request, actor: User | None, files: Iterable[RequestPhotoFiles]
) -> list[str]:
    """Store cleaned photos under random names (never served directly); the names
    written, so a caller that fails afterwards can delete them again."""
    now = timezone.now()
    stored: list[str] = []
    try:
        for one in files:
            stem = secrets.token_hex(16)
            photo = RequestPhoto(
                compound_id=request.compound_id, request=request, uploaded_by=actor, created_at=now
            )
            photo.image.save(
                f"{stem}.{one.image.extension}", ContentFile(one.image.content), save=False
            )
            stored.append(photo.image.name or "")
            photo.thumbnail.save(
                f"{stem}-t.{one.image.extension}", ContentFile(one.thumbnail), save=False
            )
            stored.append(photo.thumbnail.name or "")
            photo.save()
    except Exception:
        for name in stored:
            default_storage.delete(name)
        raise
    return stored


def _event(
    request: Request,
    kind: str,
    *,
    actor: AbstractBaseUser | None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    at: dt.datetime | None = None,
) -> RequestEvent:
    return RequestEvent.objects.create(
        compound_id=request.compound_id,
        request=request,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
        note=note,
        created_at=at or timezone.now(),
    )


def notify(*, request: Request, users: Iterable[AbstractBaseUser | None], kind: str) -> int:
    """Leave an in-portal notification about ``request`` for each of ``users`` (once per
    user and kind while unread). Returns how many were made."""
    now = timezone.now()
    wanted = {u.pk for u in users if u is not None}
    if not wanted:
        return 0
    unread = set(
        Notification.objects.filter(
            request=request, kind=kind, user_id__in=wanted, read_at__isnull=True
        ).values_list("user_id", flat=True)
    )
    rows = [
        Notification(
            compound_id=request.compound_id, user_id=pk, request=request, kind=kind, created_at=now
        )
        for pk in sorted(wanted - unread)
    ]
    made = Notification.objects.bulk_create(rows)
    notifications_mail_enqueue(n.pk for n in made)
    return len(rows)


def _require_handler(actor: AbstractBaseUser, compound: Compound) -> None:
    if not acting_roles(actor, compound) & HANDLERS:
        raise PermissionDenied


def _locked(request: Request, allowed_from: Iterable[str]) -> Request:
    """The request's row, locked, if its state is one of ``allowed_from``; else a
    ValidationError that names the state it is in now (someone else may have moved it)."""
    locked = (
        Request.objects.select_for_update(of=("self",))
        .select_related("category")
        .get(pk=request.pk, compound_id=request.compound_id)
    )
    locked.compound = request.compound
    if locked.state not in set(allowed_from):
        raise ValidationError(
            _("工单当前状态为“%(state)s”，不能进行此操作") % {"state": locked.get_state_display()},
            code="wrong_state",
        )
    return locked


def _note(note: object, *, required: bool = False, message: str = "") -> str:
    text = clean_text(note, limit=NOTE_MAX)
    if len(text) > NOTE_MAX:
        raise ValidationError({"note": _("说明最多 %(n)d 个字") % {"n": NOTE_MAX}})
    if required and not text:
        raise ValidationError({"note": message or _("请填写说明")})
    return text


def _responded(request: Request, now: dt.datetime) -> list[str]:
    """Mark the first response (首次响应) if there was none: the fields to save."""
    if request.first_response_at is None:
        request.first_response_at = now
        return ["first_response_at"]
    return []


def _transition(
    request: Request,
    *,
    actor: AbstractBaseUser,
    kind: str,
    to_state: str,
    from_state: str,
    fields: list[str],
    note: str = "",
    data: dict | None = None,
) -> Request:
    request.state = to_state
    request.save(update_fields=[*fields, "state", "updated_at"])
    _event(request, kind, actor=actor, from_state=from_state, to_state=to_state, note=note)
    audit_record(
        action=f"request.{kind}",
        actor=actor,
        compound=request.compound,
        obj=request,
        data={"from": from_state, "to": to_state, **(data or {})},
    )
    return request


#: The party each role may be assigned as, and the role an assignee must hold for it.
PARTY_ROLES = {
    Party.COMPANY: Role.COMPANY_STAFF,
    Party.COMMITTEE: Role.COMMITTEE_MEMBER,
    Party.STREET_OFFICE: Role.STREET_OFFICER,
    Party.PROPERTY_RIGHT_UNIT: Role.PROPERTY_UNIT_REP,
}


@transaction.atomic
def request_assign(
    *,
    request: Request,
    actor: User,
    party: str,
    assignee: User | None = None,
    property_right_unit: PropertyRightUnit | None = None,
    note: str = "",
) -> Request:
    """派单: give the request to a party (the company for what the contract covers; the
    committee, the street office or a property-right unit for the rest) and optionally
    to one person of it, who is told."""
    _require_handler(actor, request.compound)
    if party not in PARTY_ROLES:
        raise ValidationError({"party": _("请选择责任方")})
    if assignee is not None and PARTY_ROLES[Party(party)] not in roles_in(
        assignee, request.compound
    ):
        raise ValidationError({"assignee": _("处理人不属于所选责任方")})
    if property_right_unit is not None and property_right_unit.compound_id != request.compound_id:
        raise ValidationError({"property_right_unit": _("本小区没有这个产权单位")})
    if party != Party.PROPERTY_RIGHT_UNIT:
        property_right_unit = None
    text = _note(note)
    locked = _locked(request, OPEN_STATES)
    now = timezone.now()
    before = locked.state
    locked.assigned_party = party
    locked.assignee = assignee
    locked.property_right_unit = property_right_unit
    fields = ["assigned_party", "assignee", "property_right_unit", *_responded(locked, now)]
    # Reassigning a request in progress keeps it in progress.
    to_state = State.IN_PROGRESS if before == State.IN_PROGRESS else State.ASSIGNED
    _transition(
        locked,
        actor=actor,
        kind=EventKind.ASSIGNED,
        from_state=before,
        to_state=to_state,
        fields=fields,
        note=text,
        data={"party": party, "assignee": assignee.pk if assignee else None},
    )
    if assignee is not None and assignee.pk != actor.pk:
        notify(request=locked, users=[assignee], kind=NotificationKind.ASSIGNED)
    return locked


@transaction.atomic
def request_start(*, request: Request, actor: User, note: str = "") -> Request:
    """开始处理: someone is on it."""
    _require_handler(actor, request.compound)
    text = _note(note)
    locked = _locked(request, (State.NEW, State.ASSIGNED, State.REOPENED))
    fields = _responded(locked, timezone.now())
    if locked.assignee_id is None:
        locked.assignee = actor
        fields.append("assignee")
    return _transition(
        locked,
        actor=actor,
        kind=EventKind.STARTED,
        from_state=locked.state,
        to_state=State.IN_PROGRESS,
        fields=fields,
        note=text,
    )


@transaction.atomic
def request_resolve(*, request: Request, actor: User, result: str) -> Request:
    """办结: what was done (required: the reporter and the 12345 export read it)."""
    _require_handler(actor, request.compound)
    text = _note(result, required=True, message=_("办结须填写办理结果"))
    locked = _locked(request, OPEN_STATES)
    now = timezone.now()
    locked.result = text
    locked.resolved_at = now
    fields = ["result", "resolved_at", *_responded(locked, now)]
    _transition(
        locked,
        actor=actor,
        kind=EventKind.RESOLVED,
        from_state=locked.state,
        to_state=State.RESOLVED,
        fields=fields,
        note=text,
    )
    notify(request=locked, users=[locked.reporter], kind=NotificationKind.RESOLVED)
    return locked


@transaction.atomic
def request_close(*, request: Request, actor: User, note: str = "") -> Request:
    """关闭: a resolved request is done (the reporter's rating closes it too)."""
    _require_handler(actor, request.compound)
    text = _note(note)
    locked = _locked(request, (State.RESOLVED,))
    locked.closed_at = timezone.now()
    return _transition(
        locked,
        actor=actor,
        kind=EventKind.CLOSED,
        from_state=locked.state,
        to_state=State.CLOSED,
        fields=["closed_at"],
        note=text,
    )


def _reopen(locked: Request, *, actor: User, note: str) -> Request:
    before = locked.state
    locked.resolved_at = None
    locked.closed_at = None
    locked.reopen_count += 1
    _transition(
        locked,
        actor=actor,
        kind=EventKind.REOPENED,
        from_state=before,
        to_state=State.REOPENED,
        fields=["resolved_at", "closed_at", "reopen_count"],
        note=note,
    )
    notify(request=locked, users=[locked.assignee], kind=NotificationKind.REOPENED)
    return locked


@transaction.atomic
def request_reopen(*, request: Request, actor: User, note: str) -> Request:
    """重启: a handler reopens a resolved or closed request, saying why."""
    _require_handler(actor, request.compound)
    text = _note(note, required=True, message=_("重启须说明原因"))
    locked = _locked(request, (State.RESOLVED, State.CLOSED))
    return _reopen(locked, actor=actor, note=text)


def _may_see(actor: AbstractBaseUser, request: Request) -> bool:
    roles = acting_roles(actor, request.compound)
    return bool(
        roles & HANDLERS
        or (Role.RESIDENT in roles and request.reporter_id == actor.pk)
        or (Role.PROPERTY_UNIT_REP in roles and request.assigned_party == Party.PROPERTY_RIGHT_UNIT)
    )


@transaction.atomic
def request_comment(*, request: Request, actor: User, note: str) -> RequestEvent:
    """留言: a comment by anyone who may see the request; a handler's first comment is
    the first response."""
    if not _may_see(actor, request):
        raise PermissionDenied
    text = _note(note, required=True, message=_("请填写留言内容"))
    locked = _locked(request, State.values)
    if acting_roles(actor, request.compound) & HANDLERS:
        fields = _responded(locked, timezone.now())
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])
    event = _event(locked, EventKind.COMMENTED, actor=actor, note=text)
    audit_record(action="request.comment", actor=actor, compound=request.compound, obj=locked)
    return event


@transaction.atomic
def request_rate(
    *, request: Request, actor: User, rating: str, comment: str = "", reopen: bool = False
) -> Request:
    """评价: the reporter rates a resolved request (a handler records the caller's rating
    for a phone or 12345 case, which has no reporter account). Satisfied or basically
    satisfied closes it; not satisfied closes it too unless ``reopen`` asks to reopen it."""
    if request.reporter_id is not None:
        if request.reporter_id != actor.pk:
            raise PermissionDenied
    else:
        _require_handler(actor, request.compound)
    if rating not in Rating.values:
        raise ValidationError({"rating": _("请选择满意、基本满意或不满意")})
    if reopen and rating != Rating.NOT_SATISFIED:
        raise ValidationError({"reopen": _("只有“不满意”的评价可以要求重新处理")})
    text = clean_text(comment, limit=500)
    if len(text) > 500:
        raise ValidationError({"comment": _("评价意见最多500个字")})
    locked = _locked(request, (State.RESOLVED,))
    now = timezone.now()
    locked.rating = rating
    locked.rating_comment = text
    locked.rated_at = now
    locked.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    _event(locked, EventKind.RATED, actor=actor, note=f"{Rating(rating).label} {text}".strip())
    audit_record(
        action="request.rate",
        actor=actor,
        compound=request.compound,
        obj=locked,
        data={"rating": rating, "reopen": reopen},
    )
    if reopen:
        return _reopen(locked, actor=actor, note=text or str(Rating(rating).label))
    locked.closed_at = now
    return _transition(
        locked,
        actor=actor,
        kind=EventKind.CLOSED,
        from_state=State.RESOLVED,
        to_state=State.CLOSED,
        fields=["closed_at"],
    )


@transaction.atomic
def notifications_read(*, user: AbstractBaseUser, request: Request) -> int:
    """Mark ``user``'s notifications about ``request`` read (on opening it)."""
    return Notification.objects.filter(
        user_id=user.pk, request=request, read_at__isnull=True
    ).update(read_at=timezone.now())


#: An overdue request goes to the street office this long after the committee was told.
STREET_OFFICE_AFTER = dt.timedelta(hours=24)


def _members(compound: Compound, role: Role) -> list[int]:
    from portal.models import Membership

    if role == Role.STREET_OFFICER:
        scope = {"street_office_id": compound.street_office_id}
    else:
        scope = {"compound_id": compound.pk}
    return list(
        Membership.objects.filter(role=role, user__is_active=True, **scope).values_list(
            "user_id", flat=True
        )
    )


def requests_escalate(*, now: dt.datetime | None = None) -> int:
    """督办 (every 15 minutes, beat): an open request past its due time is escalated to
    the compound's committee (and its assignee told), and if still open a day later to
    the street office. Each step is claimed with a compare-and-set on the request's
    escalation level, so two runs at once escalate nothing twice. Returns the steps."""
    now = now or timezone.now()
    steps = 0
    overdue = Request.objects.filter(state__in=OPEN_STATES, due_at__lt=now, escalation_level__lt=2)
    for request in overdue.select_related("compound").iterator(chunk_size=500):
        level = request.escalation_level
        if level == 1 and request.due_at + STREET_OFFICE_AFTER > now:
            continue
        with transaction.atomic():
            claimed = Request.objects.filter(pk=request.pk, escalation_level=level).update(
                escalation_level=level + 1
            )
            if not claimed:
                continue
            role = Role.COMMITTEE_MEMBER if level == 0 else Role.STREET_OFFICER
            users = _members(request.compound, role)
            if level == 0 and request.assignee_id:
                users.append(request.assignee_id)
            _notify_ids(request, users, NotificationKind.OVERDUE)
            _event(
                request,
                EventKind.ESCALATED,
                actor=None,
                note=str(Role(role).label),
                at=now,
            )
            steps += 1
    return steps


def _notify_ids(request: Request, user_ids: Iterable[int], kind: str) -> None:
    now = timezone.now()
    made = Notification.objects.bulk_create(
        Notification(
            compound_id=request.compound_id, user_id=pk, request=request, kind=kind, created_at=now
        )
        for pk in sorted(set(user_ids))
    )
    notifications_mail_enqueue(n.pk for n in made)


#: A request is "due soon" in the last DUE_SOON_SHARE of its time limit (receipt to due
#: time), and at least in its last DUE_SOON_AT_LEAST.
DUE_SOON_SHARE = Fraction(1, 5)
DUE_SOON_AT_LEAST = dt.timedelta(hours=1)


def due_soon_from(received_at: dt.datetime, due_at: dt.datetime) -> dt.datetime:
    """When a request becomes "due soon" (即将超时): its due time minus the larger of 20% of
    its time limit and one hour. A 72-hour repair is due soon 14.4 hours before its due
    time; a 4-hour emergency 1 hour before."""
    limit = max(due_at - received_at, dt.timedelta(0))
    window = max(limit * DUE_SOON_SHARE.numerator / DUE_SOON_SHARE.denominator, DUE_SOON_AT_LEAST)
    return due_at - window


def _scope(role: str, compound: int, office: int, company: int | None) -> int | None:
    """The id a role's membership is scoped by: the company, the street office or the
    compound."""
    if role == Role.COMPANY_STAFF:
        return company
    if role == Role.STREET_OFFICER:
        return office
    return compound


def requests_due_soon(*, now: dt.datetime | None = None) -> int:
    """即将超时提醒 (every 15 minutes, beat): an open request that has entered the last part
    of its time limit (:func:`due_soon_from`) and is not overdue yet is announced once to
    its assignee, or, with nobody assigned, to the people of the responsible party (the
    one it was given to, else the company for what the contract covers and the committee
    for the rest). Once per due time: the request remembers the due time it was announced
    for, so a second run (or two at once: the rows are locked, skipping those another
    run holds) sends nothing, and a new due time may be announced again. A fixed number
    of queries whatever the number of requests. Returns the notifications made."""
    from portal.models import Membership

    now = now or timezone.now()
    with transaction.atomic():
        candidates = (
            Request.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state__in=OPEN_STATES, due_at__gt=now, received_at__lte=now)
            .filter(Q(due_soon_notified_for__isnull=True) | ~Q(due_soon_notified_for=F("due_at")))
            .values_list(
                "pk",
                "compound_id",
                "compound__street_office_id",
                "compound__service_company_id",
                "received_at",
                "due_at",
                "assignee_id",
                "assigned_party",
                "category__covered_by_contract",
            )
        )
        due = [row for row in candidates if due_soon_from(row[4], row[5]) <= now]
        if not due:
            return 0
        scopes: list[Q] = []
        for _pk, compound, office, company, *_times, assignee, party, covered in due:
            if assignee is not None:
                continue
            party = party or (Party.COMPANY if covered else Party.COMMITTEE)
            if party == Party.COMPANY:
                scopes.append(Q(role=Role.COMPANY_STAFF, service_company_id=company))
            elif party == Party.STREET_OFFICE:
                scopes.append(Q(role=Role.STREET_OFFICER, street_office_id=office))
            else:
                scopes.append(Q(role=PARTY_ROLES[Party(party)], compound_id=compound))
        people: dict[tuple[str, int | None], set[int]] = {}
        if scopes:
            for role, compound, office, company, user in Membership.objects.filter(
                functools.reduce(operator.or_, set(scopes)), user__is_active=True
            ).values_list(
                "role", "compound_id", "street_office_id", "service_company_id", "user_id"
            ):
                people.setdefault((role, _scope(role, compound, office, company)), set()).add(user)
        rows: list[Notification] = []
        for pk, compound, office, company, *_times, assignee, party, covered in due:
            if assignee is not None:
                users = {assignee}
            else:
                role = PARTY_ROLES[Party(party or (Party.COMPANY if covered else Party.COMMITTEE))]
                scope = _scope(role, compound, office, company)
                users = people.get((role, scope), set()) if scope is not None else set()
            rows.extend(
                Notification(
                    compound_id=compound,
                    user_id=user,
                    request_id=pk,
                    kind=NotificationKind.DUE_SOON,
                    created_at=now,
                )
                for user in sorted(users)
            )
        Request.objects.filter(pk__in=[row[0] for row in due]).update(
            due_soon_notified_for=F("due_at")
        )
        made = Notification.objects.bulk_create(rows, batch_size=1000)
        notifications_mail_enqueue(n.pk for n in made)
    return len(made)
