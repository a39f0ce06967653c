"""The register's fixed parts: new buildings (楼栋/平房区) and property-right units (产权单位)
with their transfer records, which roster rows then name."""

import datetime as dt
import re

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Compound

from ..models import Building, PropertyRightUnit, TransferStatus
from ..validators import normalise_register_number

_CHINESE_DIGITS = {ch: n for n, ch in enumerate("零一二三四五六七八九")} | {"两": 2, "〇": 0}
_CHINESE_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百]+")


def _chinese_number(text: str) -> int:
    """一 → 1, 十一 → 11, 二十 → 20, 一百零五 → 105 (building names stay well below 1,000)."""
    total, digit = 0, 0
    for ch in text:
        if ch in _CHINESE_DIGITS:
            digit = _CHINESE_DIGITS[ch]
        else:
            total += (digit or 1) * (100 if ch == "百" else 10)
            digit = 0
    return total + digit


def building_sort_key(number: str) -> int:
    """Where a building stands in lists and print files: :meth:`Building.natural_sort_key`
    ('2' before '10', bungalow areas after the numbered buildings), and a bungalow area
    named in Chinese numerals by its number, so 平房二区 comes before 平房十一区."""
    key = Building.natural_sort_key(number)
    if key == Building.natural_sort_key(""):  # no digits in the name at all
        numeral = _CHINESE_NUMERAL.search(number.removeprefix("平房"))
        if numeral:
            key += _chinese_number(numeral.group())
    return key


@transaction.atomic
def building_create(
    *,
    compound: Compound,
    number: str,
    kind: str,
    floors: int,
    lifts: int,
    actor: AbstractBaseUser | None = None,
) -> Building:
    """Register a building (楼栋) or bungalow area (平房区) so roster rows can name it."""
    number = normalise_register_number(number)
    building = Building(
        compound=compound,
        number=number,
        kind=kind,
        floors=floors,
        lifts=lifts,
        sort_key=building_sort_key(number),
    )
    if compound.buildings.filter(number=number).exists():
        raise ValidationError({"number": _("楼号“%(number)s”已存在") % {"number": number}})
    building.full_clean()
    building.save()
    audit_record(action="building.create", actor=actor, compound=compound, obj=building)
    return building


def _transfer_errors(
    *, transfer_status: str, transfer_date: dt.date | None, receiver: str, today: dt.date
) -> dict[str, str]:
    """What is wrong with a transfer record (非经资产移交): a handed-over unit names its
    receiver and the date of handing over, which cannot lie ahead; one that kept its
    assets has no such date."""
    errors = {}
    if transfer_status == TransferStatus.TRANSFERRED:
        if transfer_date is None:
            errors["transfer_date"] = _("已移交的产权单位须填写移交日期")
        elif transfer_date > today:
            errors["transfer_date"] = _("移交日期不能晚于今天（%(today)s）") % {
                "today": today.isoformat()
            }
        if not receiver:
            errors["receiver"] = _("已移交的产权单位须填写接收单位")
    elif transfer_date is not None:
        errors["transfer_date"] = _("未移交的产权单位不能填写移交日期")
    return errors


@transaction.atomic
def property_right_unit_create(
    *,
    compound: Compound,
    name: str,
    transfer_status: str = TransferStatus.RETAINED,
    transfer_date: dt.date | None = None,
    receiver: str = "",
    actor: AbstractBaseUser | None = None,
    today: dt.date | None = None,
) -> PropertyRightUnit:
    """Register a property-right unit (产权单位) so roster rows can name it as the holder
    of unsold flats."""
    name = name.strip()
    receiver = receiver.strip()
    errors = _transfer_errors(
        transfer_status=transfer_status,
        transfer_date=transfer_date,
        receiver=receiver,
        today=today or timezone.localdate(),
    )
    if name and compound.property_right_units.filter(name=name).exists():
        errors["name"] = _("产权单位“%(name)s”已存在") % {"name": name}
    if errors:
        raise ValidationError(errors)
    pru = PropertyRightUnit(
        compound=compound,
        name=name,
        transfer_status=transfer_status,
        transfer_date=transfer_date,
        receiver=receiver,
    )
    pru.full_clean()
    pru.save()
    audit_record(
        action="property_right_unit.create",
        actor=actor,
        compound=compound,
        obj=pru,
        data={"name": pru.name, "transfer_status": pru.transfer_status},
    )
    return pru


@transaction.atomic
def property_right_unit_update(
    *,
    property_right_unit: PropertyRightUnit,
    transfer_status: str,
    transfer_date: dt.date | None,
    receiver: str,
    actor: AbstractBaseUser | None = None,
    today: dt.date | None = None,
) -> PropertyRightUnit:
    """Record a property-right unit's transfer status (非经资产移交), date and receiver."""
    pru = PropertyRightUnit.objects.select_for_update(of=("self",)).get(pk=property_right_unit.pk)
    receiver = receiver.strip()
    errors = _transfer_errors(
        transfer_status=transfer_status,
        transfer_date=transfer_date,
        receiver=receiver,
        today=today or timezone.localdate(),
    )
    if errors:
        raise ValidationError(errors)
    before = {
        "transfer_status": pru.transfer_status,
        "transfer_date": pru.transfer_date,
        "receiver": pru.receiver,
    }
    pru.transfer_status = transfer_status
    pru.transfer_date = transfer_date
    pru.receiver = receiver
    pru.full_clean()
    pru.save(update_fields=["transfer_status", "transfer_date", "receiver"])
    audit_record(
        action="property_right_unit.update",
        actor=actor,
        compound=property_right_unit.compound,
        obj=pru,
        data={"before": before, "after": {key: getattr(pru, key) for key in before}},
    )
    return pru
