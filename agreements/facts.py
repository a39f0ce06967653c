"""The facts an agreement states, and the filling of a template's placeholders with them.

Facts come from the data (the register, the fee standards, the vote), never from typing:
a placeholder without data is an error that names what is missing. Everything here is a
pure function over plain values except :func:`compound_facts`, which reads the register.
The agreement's own text is always Chinese (it is the legal document), so only error
messages go through gettext.
"""

import string
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from households import selectors as register
from households.models import BuildingKind
from portal.models import Compound
from voting import selectors as vote_selectors

FILING_DAYS = 15  # BJ 63: the contract is filed with the street office within 15 days

# Every placeholder a template may use, with what it stands for (shown on the edit page).
PLACEHOLDERS: dict[str, str] = {
    "compound_name": "小区名称",
    "compound_address": "小区地址",
    "street_office_name": "街道办事处",
    "scope": "服务范围（楼栋、户数、面积）",
    "committee_name": "物业管理委员会名称",
    "company_name": "物业服务企业名称",
    "property_right_units": "产权单位",
    "service_standard": "服务标准",
    "fee_standard": "按楼栋类型的收费标准",
    "subsidy": "补贴（承担方、份额、期限）",
    "decision_title": "业主共同决定",
    "decision_date": "计票日期",
    "item_title": "表决事项",
    "item_category": "事项类别（民法典第278条）",
    "participation_owners": "参与表决人数比例",
    "participation_area": "参与表决面积比例",
    "consent_owners": "同意人数比例",
    "consent_area": "同意面积比例",
    "ballot_sha256": "表决票据SHA-256",
    "term_start": "协议期限开始",
    "term_end": "协议期限结束",
    "filing_days": "备案期限（日）",
}

CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 13 → 十三, 21 → 二十一 (clause numbers up to 99)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CHINESE_DIGITS[tens] + "十")
    return head + (CHINESE_DIGITS[ones] if ones else "")


def chinese_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def placeholders_in(text: str) -> set[str]:
    """The ``{name}`` placeholders of a template text (``{{`` escapes a brace)."""
    try:
        return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}
    except ValueError as exc:
        raise ValidationError(_("模板格式错误：%(error)s") % {"error": exc}) from exc


def check_template_text(texts: list[str]) -> None:
    """Refuse placeholders the portal cannot fill, naming them."""
    unknown = sorted(set().union(*(placeholders_in(t) for t in texts)) - set(PLACEHOLDERS))
    if unknown:
        raise ValidationError(
            _("模板中有无法识别的占位符：%(names)s") % {"names": "、".join(unknown)}
        )


def fill(text: str, facts: Mapping[str, object]) -> str:
    """``text`` with its placeholders replaced; missing facts are named in the error."""
    missing = sorted(name for name in placeholders_in(text) if facts.get(name) in (None, ""))
    if missing:
        raise ValidationError(
            _("生成协议缺少以下数据：%(names)s")
            % {"names": "、".join(PLACEHOLDERS.get(m, m) for m in missing)}
        )
    return text.format_map({k: str(v) for k, v in facts.items()})


def percent(value) -> str:
    """'77.84%' from a Decimal/str percentage already rounded to 2 places."""
    return f"{Decimal(str(value)):.2f}%"


def legal_name(organisation) -> str:
    """The full legal name a contract names a party by (法定全称: the registered name of a
    company, the government name of a street office), else its short ``name``."""
    return (getattr(organisation, "legal_name", "") or organisation.name).strip()


def committee_name(compound: Compound) -> str:
    """The committee's full name: 物业管理委员会 of the compound (BJ 52)."""
    return f"{compound.name}物业管理委员会"


def compound_facts(compound: Compound) -> dict[str, str]:
    """Names, address and scope from the register."""
    (summary,) = register.compound_summaries([compound])
    kinds = summary.buildings_by_kind
    parts = []
    blocks = kinds.get(BuildingKind.HIGH_RISE, 0) + kinds.get(BuildingKind.LOW_RISE, 0)
    if blocks:
        parts.append(f"楼房{blocks}栋")
    if kinds.get(BuildingKind.BUNGALOW):
        parts.append(f"平房区{kinds[BuildingKind.BUNGALOW]}处")
    scope = (
        f"本小区有{'、'.join(parts) or '房屋'}，共{summary.households:,}户，"
        f"已登记建筑面积{summary.known_area:,.2f}平方米。"
    )
    units = compound.property_right_units.order_by("name").values_list("name", flat=True)
    return {
        "compound_name": compound.name,
        "compound_address": compound.address or compound.name,
        "street_office_name": legal_name(compound.street_office),
        "scope": scope,
        "committee_name": committee_name(compound),
        "company_name": legal_name(compound.service_company) if compound.service_company else "",
        "property_right_units": "、".join(units),
        "filing_days": str(FILING_DAYS),
    }


# ---------------------------------------------------------------- from the vote and the fees


def _yuan(value) -> str:
    return f"{Decimal(value):.2f}"


def fee_facts(compound: Compound, day) -> dict[str, str]:
    """The fee standard by building kind and the subsidy, as the fee app holds them on
    ``day`` (fees.selectors.current_standards). Missing standards are an error."""
    from fees import selectors as fee_selectors

    standards = fee_selectors.current_standards(compound, day)
    if not standards:
        raise ValidationError(
            _("本小区还没有%(day)s有效的物业服务收费标准，请先在“物业费”中设置收费标准")
            % {"day": chinese_date(day)}
        )
    lines: list[str] = []
    subsidy_parts: list[str] = []
    payers: dict[str, Decimal] = {}
    terms: set[str] = set()
    for s in standards:
        kind = BuildingKind(s.building_kind).label
        line = (
            f"{kind}：评估价每月每平方米{_yuan(s.appraised_rate)}元，"
            f"业主缴纳每月每平方米{_yuan(s.charged_rate)}元"
        )
        if s.subsidy_rate > 0:
            line += f"，差额每月每平方米{_yuan(s.subsidy_rate)}元由补贴承担"
            subsidy_parts.append(f"{kind}每月每平方米{_yuan(s.subsidy_rate)}元")
            for share in s.shares.all():
                payers.setdefault(share.payer.name, share.share)
            end = chinese_date(s.valid_to) if s.valid_to else "另行约定之日"
            terms.add(f"自{chinese_date(s.valid_from)}起至{end}止")
        lines.append(line + "。")
    if subsidy_parts:
        shares = "、".join(f"{name}承担{Decimal(v):.2f}%" for name, v in payers.items())
        subsidy = (
            f"补贴标准为{'，'.join(subsidy_parts)}，由{shares}，补贴期限{'；'.join(sorted(terms))}"
        )
    else:
        subsidy = "本协议约定的收费标准不含补贴"
    service_standard = next((s.service_standard for s in standards if s.service_standard), "")
    return {
        "fee_standard": "\n".join(lines),
        "subsidy": subsidy,
        "service_standard": service_standard or "《北京市住宅物业服务标准》",
    }


def decision_facts(item) -> dict[str, str]:
    """The authorising decision as voting recorded it when counting: the date, the item,
    the four ratios and the SHA-256 of the ballot set (voting.selectors)."""
    decision = item.decision
    tally = vote_selectors.certified_tally(decision)
    result = tally.item(item.pk) if tally else None
    if result is None:  # pragma: no cover - counted decisions always have a snapshot
        raise ValidationError(_("该表决事项没有计票结果"))
    ratios = result.raw.ratios
    return {
        "decision_title": decision.title,
        "decision_date": chinese_date(decision.counting_date),
        "item_title": item.title,
        "item_category": (
            f"《中华人民共和国民法典》第二百七十八条第一款第（{chinese_number(item.category)}）项"
            f"“{str(item.get_category_display()).split(') ', 1)[-1]}”"
        ),
        "participation_owners": percent(ratios.participation_owners),
        "participation_area": percent(ratios.participation_area),
        "consent_owners": percent(ratios.consent_owners),
        "consent_area": percent(ratios.consent_area),
        "ballot_sha256": decision.ballot_set_sha256,
    }
