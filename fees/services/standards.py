"""Fee standards (收费标准) and the subsidy payers who share the appraised-minus-charged gap."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from households.models import BuildingKind
from portal.audit import audit_record
from portal.models import Compound

from ..models import (
    FeeStandard,
    NonResidentialMode,
    SubsidyPayer,
    SubsidyPayerKind,
    SubsidyShare,
)
from ..money import HUNDRED, ZERO
from ._common import _actor, _money


@dataclass(frozen=True)
class ShareInput:
    """A subsidy payer (by name, created on first use) and its share in percent."""

    payer_name: str
    share: Decimal
    payer_kind: str = SubsidyPayerKind.OTHER


@transaction.atomic
def fee_standard_create(
    *,
    compound: Compound,
    building_kind: str,
    appraised_rate: Decimal,
    charged_rate: Decimal,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    shares: Sequence[ShareInput] = (),
    non_residential_mode: str = NonResidentialMode.SAME,
    non_residential_rate: Decimal | None = None,
    service_standard: str = "",
    actor: AbstractBaseUser | None = None,
) -> FeeStandard:
    """A new version of the fee standard for one building kind of ``compound``."""
    errors: dict[str, list[str]] = defaultdict(list)
    if building_kind not in BuildingKind.values:
        errors["building_kind"].append(_("未知的楼栋类型"))
    appraised_rate = _money(appraised_rate, "appraised_rate", _("评估价"))
    charged_rate = _money(charged_rate, "charged_rate", _("收费价"))
    if appraised_rate <= 0:
        errors["appraised_rate"].append(_("评估价必须大于零"))
    if charged_rate <= 0:
        errors["charged_rate"].append(_("收费价必须大于零"))
    elif charged_rate > appraised_rate > 0:
        errors["charged_rate"].append(_("收费价不能高于评估价"))
    if valid_from.day != 1:
        errors["valid_from"].append(_("起始日期须为某月1日"))
    if valid_to is not None and valid_to < valid_from:
        errors["valid_to"].append(_("终止日期不能早于起始日期"))
    if non_residential_mode not in NonResidentialMode.values:
        errors["non_residential_mode"].append(_("未知的非住宅收费方式"))
    if non_residential_mode == NonResidentialMode.OWN:
        if non_residential_rate is None:
            errors["non_residential_rate"].append(_("选择单独费率时须填写非住宅费率"))
        else:
            non_residential_rate = _money(non_residential_rate, "non_residential_rate", _("费率"))
            if non_residential_rate <= 0:
                errors["non_residential_rate"].append(_("非住宅费率必须大于零"))
    else:
        non_residential_rate = None

    subsidy = appraised_rate - charged_rate
    names = [s.payer_name.strip() for s in shares]
    share_values = []
    for s in shares:
        value = _money(s.share, "shares", _("补贴份额"))
        if value <= 0:
            errors["shares"].append(_("补贴份额必须大于零"))
        share_values.append(value)
    if any(not n for n in names):
        errors["shares"].append(_("补贴方名称不能为空"))
    if len(set(names)) != len(names):
        errors["shares"].append(_("同一补贴方不能重复列出"))
    if subsidy > 0 and not shares:
        errors["shares"].append(_("评估价高于收费价，须指定承担差额的补贴方"))
    if subsidy == 0 and shares:
        errors["shares"].append(_("评估价等于收费价，没有差额需要补贴，不应指定补贴方"))
    if shares and sum(share_values, ZERO) != HUNDRED:
        errors["shares"].append(
            _("补贴方份额合计须为100%%（现为%(total)s%%）") % {"total": sum(share_values, ZERO)}
        )
    if errors:
        raise ValidationError(dict(errors))

    # Serialise versioning per compound: two officers saving at once get distinct versions.
    Compound.objects.select_for_update().filter(pk=compound.pk).first()
    existing = list(compound.fee_standards.filter(building_kind=building_kind))
    for other in existing:
        if other.overlaps(valid_from, valid_to):
            raise ValidationError(
                {
                    "valid_from": _(
                        "%(kind)s在%(start)s至%(end)s已有收费标准（第%(version)s版），有效期不能重叠"
                    )
                    % {
                        "kind": BuildingKind(building_kind).label,
                        "start": other.valid_from,
                        "end": other.valid_to or _("长期"),
                        "version": other.version,
                    }
                }
            )
    standard = FeeStandard(
        compound=compound,
        building_kind=building_kind,
        version=max((s.version for s in existing), default=0) + 1,
        appraised_rate=appraised_rate,
        charged_rate=charged_rate,
        valid_from=valid_from,
        valid_to=valid_to,
        non_residential_mode=non_residential_mode,
        non_residential_rate=non_residential_rate,
        service_standard=service_standard,
        created_by=_actor(actor),
    )
    standard.full_clean()
    standard.save()
    for s, name, value in zip(shares, names, share_values, strict=True):
        payer, _created = SubsidyPayer.objects.get_or_create(
            compound=compound, name=name, defaults={"kind": s.payer_kind}
        )
        share = SubsidyShare(compound=compound, standard=standard, payer=payer, share=value)
        share.full_clean()
        share.save()
    audit_record(
        action="fees.standard_create",
        actor=_actor(actor),
        compound=compound,
        obj=standard,
        data={
            "kind": building_kind,
            "version": standard.version,
            "appraised_rate": str(appraised_rate),
            "charged_rate": str(charged_rate),
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
            "shares": {n: str(v) for n, v in zip(names, share_values, strict=True)},
        },
    )
    return standard
