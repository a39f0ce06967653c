"""What the street office records on its board: a compound's environment renovation and
its own collection-rate target."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Compound, StreetOffice

from ..models import BoardSettings, Renovation

MAX_MONEY = Decimal("999999999999.99")
MAX_AREA = Decimal("9999999999.99")
MAX_COUNT = 1_000_000
EARLIEST = dt.date(1949, 10, 1)


def _amount(value: object, field: str, maximum: Decimal, errors: dict) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors[field] = _("请输入数字")
        return Decimal("0.00")
    if not amount.is_finite():
        errors[field] = _("请输入数字")
    elif amount < 0:
        errors[field] = _("不能为负数")
    elif amount > maximum:
        errors[field] = _("数值过大")
    return amount


def _count(value: object, field: str, errors: dict) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        errors[field] = _("请输入整数")
        return 0
    if number < 0:
        errors[field] = _("不能为负数")
    elif number > MAX_COUNT:
        errors[field] = _("数值过大")
    return number


@transaction.atomic
def renovation_record(
    *,
    compound: Compound,
    actor: AbstractBaseUser | None,
    started_on: dt.date,
    finished_on: dt.date | None = None,
    money_invested: Decimal | str | int = Decimal("0.00"),
    illegal_structures_removed: Decimal | str | int = Decimal("0.00"),
    ground_locks_removed: int | str = 0,
    buildings_renovated: int | str = 0,
    note: str = "",
    illustrative: bool = False,
    today: dt.date | None = None,
) -> Renovation:
    """Record (or correct) the environment renovation of ``compound`` (环境整治). Dates
    cannot lie in the future or before 1949-10-01, the end not before the start; money,
    areas and counts are not negative. All fields are checked before anything is written."""
    today = today or timezone.localdate()
    errors: dict[str, object] = {}
    if not isinstance(started_on, dt.date):
        errors["started_on"] = _("请输入日期")
    elif started_on > today:
        errors["started_on"] = _("开始日期不能晚于今天")
    elif started_on < EARLIEST:
        errors["started_on"] = _("日期过早")
    if finished_on is not None:
        if not isinstance(finished_on, dt.date):
            errors["finished_on"] = _("请输入日期")
        elif finished_on > today:
            errors["finished_on"] = _("完成日期不能晚于今天")
        elif isinstance(started_on, dt.date) and finished_on < started_on:
            errors["finished_on"] = _("完成日期不能早于开始日期")
    money = _amount(money_invested, "money_invested", MAX_MONEY, errors)
    area = _amount(illegal_structures_removed, "illegal_structures_removed", MAX_AREA, errors)
    locks = _count(ground_locks_removed, "ground_locks_removed", errors)
    buildings = _count(buildings_renovated, "buildings_renovated", errors)
    note = (note or "").strip()
    if len(note) > 300:
        errors["note"] = _("说明不能超过300个字符")
    if errors:
        raise ValidationError(errors)
    renovation = Renovation.objects.select_for_update(of=("self",)).filter(
        compound=compound
    ).first() or Renovation(compound=compound)
    before = None if renovation.pk is None else _snapshot(renovation)
    renovation.started_on = started_on
    renovation.finished_on = finished_on
    renovation.money_invested = money
    renovation.illegal_structures_removed = area
    renovation.ground_locks_removed = locks
    renovation.buildings_renovated = buildings
    renovation.note = note
    renovation.illustrative = illustrative
    renovation.recorded_by = actor if actor is not None and actor.is_authenticated else None  # type: ignore[assignment]
    renovation.full_clean(exclude=["compound"])
    renovation.save()
    audit_record(
        action="board.renovation_record",
        actor=actor,
        compound=compound,
        obj=renovation,
        data={"before": before, "after": _snapshot(renovation)},
    )
    return renovation


def _snapshot(r: Renovation) -> dict[str, object]:
    return {
        "started_on": r.started_on.isoformat(),
        "finished_on": r.finished_on.isoformat() if r.finished_on else None,
        "money_invested": str(r.money_invested),
        "illegal_structures_removed": str(r.illegal_structures_removed),
        "ground_locks_removed": r.ground_locks_removed,
        "buildings_renovated": r.buildings_renovated,
        "illustrative": r.illustrative,
    }


@transaction.atomic
def collection_target_set(
    *, office: StreetOffice, actor: AbstractBaseUser | None, target: Decimal | str
) -> BoardSettings:
    """Set the street office's collection-rate target (percent, 0–100)."""
    try:
        value = Decimal(str(target)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"collection_target": _("请输入0到100之间的数字")}) from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ValidationError({"collection_target": _("收缴率目标须在0到100之间")})
    settings, _created = BoardSettings.objects.select_for_update(of=("self",)).get_or_create(
        street_office=office
    )
    before = str(settings.collection_target)
    settings.collection_target = value
    settings.updated_by = actor if actor is not None and actor.is_authenticated else None  # type: ignore[assignment]
    settings.save()
    audit_record(
        action="board.collection_target_set",
        actor=actor,
        obj=settings,
        data={"street_office": office.code, "before": before, "after": str(value)},
    )
    return settings
