"""Fee standards (收费标准) and the subsidy payers who share the appraised-minus-charged gap."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from households.models import BuildingKind
from portal.audit import audit_record
from portal.models import Compound
from voting.models import Item
from voting.selectors import item_passed

from ..models import (
    FeeStandard,
    NonResidentialMode,
    SubsidyPayer,
    SubsidyPayerKind,
    SubsidyShare,
)
from ..money import HUNDRED, ZERO
from ..selectors import item_sets_fees
from ._common import LATEST_STANDARD_END, _actor, _money, standard_start_problems


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
    basis_item_id: int | None = None,
    pending_vote: bool = False,
    actor: User | None = None,
) -> FeeStandard:
    """A new version of the fee standard for one building kind of ``compound``.

    A version that changes what owners pay (its charged rate differs from the version
    before it, or there is none before it) needs the owners' joint decision behind it
    (BJ 73): ``basis_item_id``, a passed item of this compound that hires the service
    company or sets the fee standard; or ``pending_vote``, an appraisal published while
    the owners have not decided, which is never billed. A version keeping the owners'
    rate (say, a new subsidy split) carries the previous version's basis over.
    """
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
    errors["valid_from"].extend(standard_start_problems(valid_from))
    if valid_to is not None and valid_to < valid_from:
        errors["valid_to"].append(_("终止日期不能早于起始日期"))
    elif valid_to is not None and valid_to > LATEST_STANDARD_END:
        errors["valid_to"].append(
            _("终止日期不能晚于%(limit)s") % {"limit": LATEST_STANDARD_END.isoformat()}
        )
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
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)

    # Serialise versioning per compound: two officers saving at once get distinct versions.
    Compound.objects.select_for_update(of=("self",)).filter(pk=compound.pk).first()
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
    basis = _basis_for(
        compound,
        previous=max(
            (s for s in existing if s.valid_from < valid_from),
            key=lambda s: s.valid_from,
            default=None,
        ),
        charged_rate=charged_rate,
        basis_item_id=basis_item_id,
        pending_vote=pending_vote,
    )
    standard = FeeStandard(
        compound=compound,
        basis_item=basis,
        pending_vote=pending_vote,
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
            "basis_item": basis.pk if basis else None,
            "pending_vote": pending_vote,
        },
    )
    return standard


def _basis_for(
    compound: Compound,
    *,
    previous: FeeStandard | None,
    charged_rate: Decimal,
    basis_item_id: int | None,
    pending_vote: bool,
) -> Item | None:
    """The owners' decision behind a new version, or a ValidationError saying what is
    missing (see :func:`fee_standard_create`)."""
    if basis_item_id is not None and pending_vote:
        raise ValidationError(
            {"pending_vote": _("已选择作为依据的表决事项，不能同时标为“评估价，待业主共同决定”")}
        )
    if pending_vote:
        return None
    if basis_item_id is None:
        if previous is not None and previous.charged_rate == charged_rate:
            return previous.basis_item
        if previous is None:
            why = _("这是该类型的第一个收费标准")
        else:
            why = _("业主缴纳的收费价由%(old)s元改为%(new)s元") % {
                "old": previous.charged_rate,
                "new": charged_rate,
            }
        raise ValidationError(
            {
                "basis_item": _(
                    "%(why)s，须有业主共同决定：请选择已通过的、决定收费标准"
                    "（或选聘物业服务企业）的表决事项作为依据；尚未表决的，"
                    "请标为“评估价，待业主共同决定”（公示但不能计费）"
                )
                % {"why": why}
            }
        )
    item = (
        Item.objects.filter(compound=compound, decision__compound=compound, pk=basis_item_id)
        .select_related("decision")
        .first()
    )
    if item is None:
        raise ValidationError({"basis_item": _("本小区没有这个表决事项")})
    if not item_sets_fees(item):
        raise ValidationError(
            {
                "basis_item": _(
                    "表决事项“%(item)s”既不是选聘物业服务企业，也未标明“涉及物业服务收费标准”，"
                    "不能作为收费标准的依据"
                )
                % {"item": item.title}
            }
        )
    if not item_passed(item):
        raise ValidationError(
            {
                "basis_item": _("表决事项“%(item)s”尚未计票或未获通过，不能作为收费标准的依据")
                % {"item": item.title}
            }
        )
    return item
